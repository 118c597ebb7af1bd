"""The tamper-evident audit chain: each event stores the hash of the one before it and its own.

Events written before this migration are chained here, in id order, under the audited
maintenance switch (a row in `access_audit_maintenance`, removed again at the end). From
then on the chain vouches for them as they stood when this migration ran.

On SQLite, Django changes a table's columns by building a new table and dropping the old
one, which drops the append-only triggers of 0003 with it; they are put back at the end
(and again if this migration is reversed).
"""

import django.utils.timezone
from django.db import migrations, models

# The same triggers as 0003_audit_append_only (kept here as they were, like any migration).
SQLITE_TRIGGERS = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON access_auditevent
       WHEN NOT EXISTS (SELECT 1 FROM access_audit_maintenance)
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON access_auditevent
       WHEN NOT EXISTS (SELECT 1 FROM access_audit_maintenance)
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]
REASON = "chain the existing audit trail (migration access 0004)"


def reinstate_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_TRIGGERS:
            schema_editor.execute(sql)


def chain_existing_events(apps, schema_editor):
    from pathways.access.chain import CHAINED_FIELDS, GENESIS, event_hash

    AuditEvent = apps.get_model("access", "AuditEvent")
    previous_hash, last_id = GENESIS, 0
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("INSERT INTO access_audit_maintenance (reason) VALUES (%s)", [REASON])
        while True:
            # A batch at a time by id, read in full before any of it is updated.
            rows = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id").values_list(*CHAINED_FIELDS)[:5000])
            if not rows:
                break
            updates = []
            for row in rows:
                fields = dict(zip(CHAINED_FIELDS, row))
                this_hash = event_hash(previous_hash, fields)
                updates.append((previous_hash, this_hash, fields["id"]))
                previous_hash, last_id = this_hash, fields["id"]
            cursor.executemany("UPDATE access_auditevent SET previous_hash = %s, hash = %s WHERE id = %s", updates)
        cursor.execute("DELETE FROM access_audit_maintenance WHERE reason = %s", [REASON])


class Migration(migrations.Migration):
    dependencies = [("access", "0003_audit_append_only")]

    operations = [
        # Undone last when reversing: the triggers come back after the columns go.
        migrations.RunPython(migrations.RunPython.noop, reinstate_sqlite_triggers),
        migrations.AlterField(
            model_name="auditevent",
            name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="username",
            field=models.CharField(blank=True, db_index=True, max_length=150),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("read", "Read"),
                    ("search", "Search"),
                    ("create", "Create"),
                    ("update", "Update"),
                    ("import", "Import"),
                    ("export", "Export"),
                    ("sign_in", "Sign in"),
                    ("sign_in_failed", "Failed sign-in"),
                    ("sign_out", "Sign out"),
                    ("refused", "Refused"),
                    ("break_glass", "Break-glass access"),
                ],
                db_index=True,
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="previous_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing_events, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="previous_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
        migrations.RunPython(reinstate_sqlite_triggers, migrations.RunPython.noop),
    ]
