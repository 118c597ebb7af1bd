"""Fixtures and small `create_*` helpers for tests, built on the real services.

Named personas read like the users' day: an officer, a probation caseworker, an
administrator, an analyst, and a worker at an agency with no reason to see anyone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from pathways.accounts.models import Agency, Role, User
from pathways.accounts.services import agency_create, user_create
from pathways.imports.formats import csv_bytes
from pathways.imports.services import ImportReport, import_file
from pathways.people.models import Person, PersonIdentifier

PASSWORD = "correct-horse-battery-staple"  # noqa: S105  (test personas only)


def create_person_row(**overrides: Any) -> dict[str, Any]:
    row = {
        "person_id": "P1",
        "given_name": "Jonathan",
        "surname": "Smith",
        "date_of_birth": "1998-04-12",
        "sex": "M",
        "ethnicity": "W1",
        "address_1": "12 Mill Lane",
        "address_2": "",
        "town": "Casterbridge",
        "postcode": "WX1 2AB",
        "pnc_id": "",
        "other_id": "",
    }
    row.update(overrides)
    return row


def load(
    kind: str, rows: Sequence[dict[str, Any]], *, agency: Agency, by: User | None = None, filename: str | None = None
) -> ImportReport:
    report = import_file(
        kind=kind,
        agency=agency,
        filename=filename or f"{kind}.csv",
        content=csv_bytes(kind, rows),
        by=by,
        via="command",
    )
    assert report.ok, [str(e) for e in report.errors]
    return report


def person_by_reference(agency: Agency, reference: str) -> Person:
    return PersonIdentifier.objects.get(kind="agency_ref", agency=agency, value=reference).person


def totp_device(user: User) -> TOTPDevice:
    """The user's confirmed authenticator (TOTP) device, set up now if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=True)


def totp_code(device: TOTPDevice) -> str:
    """A code the device will accept now, as the person's authenticator app would show it.

    Each code works once: if this time step's code has been used (a second sign-in within 30
    seconds), the next step's, which the device accepts too (its tolerance is one step)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    now = totp.t()
    if device.last_t >= now:
        totp.drift += device.last_t + 1 - now
    assert totp.t() <= now + device.tolerance, "this device's codes for now are used up"
    return f"{totp.token():0{device.digits}d}"


def signed_in_client(user: User) -> Client:
    """A test client signed in as `user` with both factors: the session is signed in and
    verified by the user's authenticator device, as if they had entered its code."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session.save()
    return client


@pytest.fixture
def police(db: Any) -> Agency:
    return agency_create(code="wessex-police", name="Wessex Police", kind="police")


@pytest.fixture
def probation(db: Any) -> Agency:
    return agency_create(code="wessex-probation", name="Wessex Probation", kind="probation")


@pytest.fixture
def housing(db: Any) -> Agency:
    return agency_create(code="wessex-housing", name="Wessex Homes", kind="housing")


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    def make(username: str, agency: Agency, *roles: str) -> User:
        return user_create(
            username=username,
            password=PASSWORD,
            agency=agency,
            roles=list(roles) or [Role.CASEWORKER],
            first_name=username.title(),
        )

    return make


@pytest.fixture
def officer(police: Agency, make_user: Callable[..., User]) -> User:
    return make_user("officer", police, Role.OFFICER)


@pytest.fixture
def police_admin(police: Agency, make_user: Callable[..., User]) -> User:
    return make_user("police-admin", police, Role.ADMINISTRATOR)


@pytest.fixture
def probation_caseworker(probation: Agency, make_user: Callable[..., User]) -> User:
    return make_user("probation-worker", probation, Role.CASEWORKER)


@pytest.fixture
def housing_worker(housing: Agency, make_user: Callable[..., User]) -> User:
    """Works at an agency that holds no record of the people in these tests."""
    return make_user("housing-worker", housing, Role.CASEWORKER)


@pytest.fixture
def opcc(db: Any) -> Agency:
    return agency_create(code="wessex-opcc", name="Office of the Wessex Police and Crime Commissioner", kind="opcc")


@pytest.fixture
def analyst(opcc: Agency, make_user: Callable[..., User]) -> User:
    """A performance analyst at the OPCC, which holds no record of anyone."""
    return make_user("analyst", opcc, Role.ANALYST)


@pytest.fixture
def performance_agreement(police: Agency, probation: Agency, opcc: Agency) -> Any:
    """Police and probation share offending history and outcomes with the OPCC for performance analysis."""
    import datetime as dt

    from pathways.sharing.models import Agreement
    from pathways.sharing.reference import Category, LawfulBasis, Purpose

    agreement = Agreement.objects.create(
        reference="performance",
        title="Reducing Reoffending Performance Agreement",
        purposes=[Purpose.PERFORMANCE_ANALYSIS],
        categories=[Category.OFFENDING_HISTORY, Category.OUTCOMES],
        lawful_basis=LawfulBasis.PUBLIC_TASK,
        start_date=dt.date(2020, 1, 1),
        review_date=dt.date(2030, 1, 1),
    )
    agreement.parties.set([police, probation, opcc])
    return agreement


COHORT_SURNAMES = [
    "Archer",
    "Baker",
    "Carter",
    "Dyer",
    "Ellis",
    "Fisher",
    "Glover",
    "Hunter",
    "Irwin",
    "Joiner",
    "Keller",
    "Lister",
]


@pytest.fixture
def reoffending_cohort(police: Agency, police_admin: User, performance_agreement: Any) -> None:
    """Twelve people cautioned in February 2023 (three women); seven are convicted of a theft
    committed that June. The latest outcome (November 2024) makes January–March 2023 the latest
    cohort whose follow-up and waiting period have ended."""
    people = [
        create_person_row(person_id=f"P{i}", surname=s, sex="F" if i <= 3 else "M", pnc_id="")
        for i, s in enumerate(COHORT_SURNAMES, start=1)
    ]
    offences, outcomes = [], []
    for i in range(1, 13):
        offences.append(
            {
                "offence_id": f"A{i}",
                "person_id": f"P{i}",
                "offence_date": "2023-01-10",
                "offence_code": "46",
                "offence_group": "theft",
            }
        )
        outcomes.append({"offence_id": f"A{i}", "outcome_date": "2023-02-01", "outcome": "3"})
    for i in range(1, 8):
        offences.append(
            {
                "offence_id": f"B{i}",
                "person_id": f"P{i}",
                "offence_date": "2023-06-01",
                "offence_code": "46",
                "offence_group": "theft",
            }
        )
        outcomes.append({"offence_id": f"B{i}", "outcome_date": "2023-08-01", "outcome": "conviction_fine"})
    offences.append(
        {
            "offence_id": "C12",
            "person_id": "P12",
            "offence_date": "2024-10-15",
            "offence_code": "46",
            "offence_group": "theft",
        }
    )
    outcomes.append({"offence_id": "C12", "outcome_date": "2024-11-01", "outcome": "3"})
    load("people", people, agency=police, by=police_admin)
    load("offences", offences, agency=police, by=police_admin)
    load("outcomes", outcomes, agency=police, by=police_admin)


@pytest.fixture
def known_offender(police: Agency, police_admin: User) -> Person:
    """Jonathan Smith, known to the police with one offence, a caution and a custody period."""
    load("people", [create_person_row(pnc_id="2016/0001234B")], agency=police, by=police_admin)
    load(
        "offences",
        [
            {
                "offence_id": "CR1",
                "person_id": "P1",
                "offence_date": "2019-05-01",
                "offence_code": "46",
                "offence_group": "theft",
            },
            {
                "offence_id": "CR2",
                "person_id": "P1",
                "offence_date": "2021-02-10",
                "offence_code": "8N",
                "offence_group": "violence",
            },
        ],
        agency=police,
        by=police_admin,
    )
    load(
        "outcomes",
        [
            {"offence_id": "CR1", "outcome_date": "2019-05-20", "outcome": "3"},
            {"offence_id": "CR2", "outcome_date": "2021-06-01", "outcome": "conviction_custody"},
        ],
        agency=police,
        by=police_admin,
    )
    load(
        "custody",
        [{"person_id": "P1", "offence_id": "CR2", "sentence_date": "2021-06-01", "release_date": "2021-12-01"}],
        agency=police,
        by=police_admin,
    )
    return person_by_reference(police, "P1")
