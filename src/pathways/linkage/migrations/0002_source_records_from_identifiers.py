"""Every agency reference already held becomes a source record, so that people imported before
linkage existed are found by it too."""

from django.db import migrations


def forwards(apps, schema_editor):
    PersonIdentifier = apps.get_model("people", "PersonIdentifier")
    PersonName = apps.get_model("people", "PersonName")
    Address = apps.get_model("people", "Address")
    SourceRecord = apps.get_model("linkage", "SourceRecord")
    refs = PersonIdentifier.objects.filter(kind="agency_ref").select_related("person").order_by("person_id")
    pncs = dict(PersonIdentifier.objects.filter(kind="pnc", agency__isnull=True).values_list("person_id", "value"))
    others = {
        (p, a): v for p, a, v in PersonIdentifier.objects.filter(kind="other").values_list("person_id", "agency_id", "value")
    }
    names = {
        (p, a): (g, s)
        for p, a, g, s in PersonName.objects.filter(agency__isnull=False)
        .order_by("-is_alias")
        .values_list("person_id", "agency_id", "given_name", "surname")
    }
    addresses = {
        (a.person_id, a.agency_id): a for a in Address.objects.filter(is_current=True, agency__isnull=False)
    }
    batch = []
    for ident in refs.iterator(chunk_size=5000):
        person = ident.person
        key = (person.pk, ident.agency_id)
        given, surname = names.get(key, (person.given_name, person.surname))
        address = addresses.get(key)
        batch.append(
            SourceRecord(
                person_id=person.pk,
                agency_id=ident.agency_id,
                reference=ident.value,
                given_name=given,
                surname=surname,
                date_of_birth=person.date_of_birth,
                sex=person.sex,
                address_1=address.address_1 if address else "",
                town=address.town if address else "",
                postcode=address.postcode if address else "",
                pnc_id=pncs.get(person.pk, ""),
                other_id=others.get(key, ""),
            )
        )
        if len(batch) >= 5000:
            SourceRecord.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    SourceRecord.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("linkage", "0001_initial"),
        ("people", "0003_historicalperson_merged_into_person_merged_into"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
