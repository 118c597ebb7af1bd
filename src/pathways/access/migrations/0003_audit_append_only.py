"""The database itself refuses to change or delete an audit event.

The model refuses too, but a trigger also stops a raw query or a bulk `update()`.

The one way round it is a row in `access_audit_maintenance`, a table outside Django's
models (so no page, form or API can reach it, and a flush does not empty it). Only
audited maintenance uses it: retention of the trail itself, and emptying a test database.
"""

from django.db import migrations

SQLITE = [
    "CREATE TABLE access_audit_maintenance (reason TEXT NOT NULL)",
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON access_auditevent
       WHEN NOT EXISTS (SELECT 1 FROM access_audit_maintenance)
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON access_auditevent
       WHEN NOT EXISTS (SELECT 1 FROM access_audit_maintenance)
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    "DROP TABLE IF EXISTS access_audit_maintenance",
]

POSTGRES = [
    "CREATE TABLE access_audit_maintenance (reason TEXT NOT NULL)",
    """CREATE OR REPLACE FUNCTION audit_event_refuse() RETURNS trigger AS $$
       BEGIN
         IF EXISTS (SELECT 1 FROM access_audit_maintenance) THEN
           IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
           RETURN NEW;
         END IF;
         RAISE EXCEPTION 'audit events are append-only';
       END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON access_auditevent
       FOR EACH ROW EXECUTE FUNCTION audit_event_refuse()""",
    # TRUNCATE skips row triggers; it needs its own statement trigger.
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON access_auditevent
       FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_event_no_change ON access_auditevent",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON access_auditevent",
    "DROP FUNCTION IF EXISTS audit_event_refuse()",
    "DROP TABLE IF EXISTS access_audit_maintenance",
]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("access", "0002_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
