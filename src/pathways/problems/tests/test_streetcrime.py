"""Loading police.uk street-level crime: a good month loads, the same file again changes nothing,
a re-published outcome updates, and a bad file is refused by row and column with nothing saved."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from pathways.access.models import AuditEvent
from pathways.accounts.models import Role
from pathways.imports.models import ImportBatch, ImportKind
from pathways.problems.models import StreetCrime
from pathways.problems.streetcrime import HEADER, street_crime_import
from pathways.testing import signed_in_client

pytestmark = pytest.mark.django_db

HEADER_LINE = ",".join(HEADER)
ROWS = [
    "a1b2c3,2026-03,Wessex Police,Wessex Police,-2.437000,50.715000,On or near Market Place,E01990001,Casterbridge 001A,Shoplifting,Investigation complete; no suspect identified,",
    "d4e5f6,2026-03,Wessex Police,Wessex Police,-2.440000,50.716000,On or near High Street,E01990001,Casterbridge 001A,Violence and sexual offences,Under investigation,",
    ",2026-03,Wessex Police,Wessex Police,-2.438000,50.714000,On or near Market Place,E01990001,Casterbridge 001A,Anti-social behaviour,,",
    # police.uk publishes two ASB reports on one street in one month as two identical rows.
    ",2026-03,Wessex Police,Wessex Police,-2.438000,50.714000,On or near Market Place,E01990001,Casterbridge 001A,Anti-social behaviour,,",
    "g7h8i9,2026-03,Wessex Police,Wessex Police,,,No location,,,Other crime,Unable to prosecute suspect,",
]


def _file(*rows: str, header: str = HEADER_LINE) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_a_month_loads_every_row(police, police_admin):
    batch = street_crime_import(data=_file(*ROWS), filename="2026-03-wessex-street.csv", agency=police, by=police_admin)
    assert batch.status == ImportBatch.Status.IMPORTED and batch.kind == ImportKind.STREET_CRIME
    assert (batch.rows, batch.created_count) == (5, 5)
    assert StreetCrime.objects.count() == 5
    shoplifting = StreetCrime.objects.get(crime_id="a1b2c3")
    assert shoplifting.month.isoformat() == "2026-03-01" and float(shoplifting.longitude) == -2.437
    assert StreetCrime.objects.filter(crime_type="Anti-social behaviour", crime_id="").count() == 2
    assert StreetCrime.objects.get(crime_id="g7h8i9").latitude is None
    assert AuditEvent.objects.filter(action="import", object_id=str(batch.pk)).exists()


def test_the_same_file_twice_changes_nothing(police, police_admin):
    street_crime_import(data=_file(*ROWS), filename="march.csv", agency=police, by=police_admin)
    again = street_crime_import(data=_file(*ROWS), filename="march.csv", agency=police, by=police_admin)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 5)
    assert StreetCrime.objects.count() == 5


def test_a_republished_outcome_updates_the_crime(police, police_admin):
    street_crime_import(data=_file(*ROWS), filename="march.csv", agency=police, by=police_admin)
    republished = [ROWS[0].replace("Investigation complete; no suspect identified", "Offender given a caution")]
    batch = street_crime_import(data=_file(*republished), filename="march-v2.csv", agency=police, by=police_admin)
    assert (batch.created_count, batch.updated_count) == (0, 1)
    assert StreetCrime.objects.get(crime_id="a1b2c3").last_outcome == "Offender given a caution"


def test_a_malformed_file_is_refused_by_row_and_column_and_writes_nothing(police, police_admin):
    bad = [
        ROWS[0].replace("2026-03", "March 2026", 1),
        ROWS[1].replace("-2.440000", "west"),
        ROWS[2].replace("Anti-social behaviour", "Loitering"),
        ROWS[4].replace("g7h8i9", "", 1),  # only ASB may have no Crime ID
        ROWS[0].replace("-2.437000", "-200.5"),  # and the first Crime ID again
    ]
    batch = street_crime_import(data=_file(*bad), filename="bad.csv", agency=police, by=police_admin)
    assert batch.status == ImportBatch.Status.REJECTED
    found = {(e["row"], e["column"]) for e in batch.errors}
    assert {(2, "Month"), (3, "Longitude"), (4, "Crime type"), (5, "Crime ID"), (6, "Longitude")} <= found
    assert all(set(e) == {"row", "column", "message"} and e["message"] for e in batch.errors)
    assert not StreetCrime.objects.exists()


def test_a_missing_or_unknown_column_is_named(police, police_admin):
    header = HEADER_LINE.replace(",Context", ",Notes")
    batch = street_crime_import(data=_file(*ROWS, header=header), filename="x.csv", agency=police, by=police_admin)
    assert batch.status == ImportBatch.Status.REJECTED
    assert {(e["row"], e["column"]) for e in batch.errors} == {(1, "Context"), (1, "Notes")}
    assert "missing" in next(e["message"] for e in batch.errors if e["column"] == "Context")
    assert not StreetCrime.objects.exists()


def test_the_same_crime_twice_in_one_file_is_refused(police, police_admin):
    batch = street_crime_import(data=_file(ROWS[0], ROWS[0]), filename="x.csv", agency=police, by=police_admin)
    assert [(e["row"], e["column"]) for e in batch.errors] == [(3, "Crime ID")]


def test_the_command_loads_and_refuses_with_status_2(police, tmp_path: Path):
    good = tmp_path / "march.csv"
    good.write_bytes(_file(*ROWS))
    out = StringIO()
    call_command("import-street-crime", str(good), "--agency", police.code, "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["created"] == 5
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_file(ROWS[0].replace("2026-03", "2026-13", 1)))
    err = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import-street-crime", str(bad), "--agency", police.code, stderr=err)
    assert refused.value.returncode == 2
    assert "row 2, column Month" in err.getvalue()
    assert StreetCrime.objects.count() == 5


def test_the_page_loads_a_file_and_reports_errors(police, police_admin, officer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("problems:street-crime-upload")
    assert signed_in_client(officer).get(url).status_code == 403
    client = signed_in_client(police_admin)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"agency": police.pk, "file": SimpleUploadedFile("bad.csv", _file(ROWS[2].replace("Anti-social", "Anti")))},
        follow=True,
    )
    page = response.content.decode()
    assert "was not loaded" in page and "Crime type" in page and "Row 2" in page
    response = client.post(url, {"agency": police.pk, "file": SimpleUploadedFile("m.csv", _file(*ROWS))}, follow=True)
    assert 'id="created-count">5<' in response.content.decode()


def test_an_analyst_may_load_street_crime(police, make_user, opcc):
    analyst = make_user("scan-analyst", opcc, Role.ANALYST)
    assert signed_in_client(analyst).get(reverse("problems:street-crime-upload")).status_code == 200
