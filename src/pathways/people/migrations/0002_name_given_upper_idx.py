"""An index for finding similar names quickly: within one surname key, the names in the order of
their upper-cased given name (see `pathways.people.selectors._by_name_alone`). Plain SQL, which
PostgreSQL and SQLite both take as written, so that the models' state is unchanged; it could as
well be declared on `PersonName.Meta.indexes` as
`models.Index(F("surname_key"), Upper("given_name"), F("id"), name="name_surname_given_upper_idx")`."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]

    operations = [
        migrations.RunSQL(
            sql='CREATE INDEX name_surname_given_upper_idx ON people_personname (surname_key, UPPER("given_name"), id)',
            reverse_sql="DROP INDEX name_surname_given_upper_idx",
        )
    ]
