"""Building the demo partnership: its agencies, a user for each role, and its population."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from pathways.access.models import AgencyRecord
from pathways.accounts.models import Agency, ApiToken, Role, User
from pathways.accounts.services import agency_create, api_token_create, user_create
from pathways.demo.population import PopulationBuilder, Tables
from pathways.imports.models import ImportBatch
from pathways.linkage.models import SourceRecord
from pathways.offending.models import CustodyPeriod, Offence, OffenceOutcome, OffenceVictim
from pathways.people.models import Address, Person, PersonIdentifier, PersonName, WarningMarker

DEMO_PASSWORD = "wessex-demo-2026"  # noqa: S105  (printed on purpose: demo mode only)

AGENCIES = [
    ("police", "wessex-police", "Wessex Police", "police"),
    ("probation", "wessex-probation", "Wessex Probation Delivery Unit", "probation"),
    ("yos", "wessex-yos", "Wessex Youth Offending Service", "yos"),
    ("council", "casterbridge-council", "Casterbridge District Council", "council"),
    ("health", "wessex-health", "Wessex Health and Care Trust", "health"),
    ("housing", "wessex-housing", "Wessex Homes", "housing"),
    ("rj", "wessex-rj", "Wessex Restorative Justice Service", "rj"),
    ("voluntary", "second-chances", "Second Chances Trust", "voluntary"),
    # The council's Linking People Service, run by Age UK Wessex: the vulnerability portal's
    # receiving end (seed 004), which triages each person and connects them to services.
    ("linking", "wessex-linking", "Linking People Service (Age UK Wessex)", "voluntary"),
    ("opcc", "wessex-opcc", "Office of the Wessex Police and Crime Commissioner", "opcc"),
]

# username, agency key, roles, first name, last name, job title
USERS = [
    (
        "officer",
        "police",
        [Role.OFFICER],
        "Olivia",
        "Okafor",
        "Police constable, neighbourhood team",
    ),
    (
        "supervisor",
        "police",
        [Role.SUPERVISOR, Role.OFFICER],
        "Sam",
        "Sutherland",
        "Police sergeant, IOM team",
    ),
    ("caseworker", "probation", [Role.CASEWORKER], "Priya", "Patel", "Probation practitioner"),
    ("yos-worker", "yos", [Role.CASEWORKER], "Yusuf", "Young", "Youth justice officer"),
    (
        "housing-worker",
        "housing",
        [Role.CASEWORKER],
        "Hannah",
        "Hughes",
        "Tenancy sustainment officer",
    ),
    (
        "rj-coordinator",
        "rj",
        [Role.RJ_COORDINATOR],
        "Rachel",
        "Jones",
        "Restorative justice co-ordinator",
    ),
    ("facilitator", "rj", [Role.FACILITATOR], "Frank", "Fletcher", "Volunteer facilitator"),
    (
        "linking-worker",
        "linking",
        [Role.CASEWORKER],
        "Lena",
        "Lewis",
        "Linking People Service co-ordinator",
    ),
    ("analyst", "opcc", [Role.ANALYST], "Ana", "Lee", "Performance analyst"),
    # A police analyst may also see the people behind a figure: the police hold a record of them.
    ("police-analyst", "police", [Role.ANALYST], "Priya", "Shah", "Crime and performance analyst"),
    (
        "admin",
        "council",
        [Role.ADMINISTRATOR],
        "Adam",
        "Ince",
        "Community safety data protection lead",
    ),
]

_TABLES: list[tuple[str, type[Model]]] = [
    ("people", Person),
    ("names", PersonName),
    ("identifiers", PersonIdentifier),
    ("addresses", Address),
    ("markers", WarningMarker),
    ("agency_records", AgencyRecord),
    ("offences", Offence),
    ("victims", OffenceVictim),
    ("outcomes", OffenceOutcome),
    ("custody", CustodyPeriod),
    ("source_records", SourceRecord),
]


@dataclass
class DemoUser:
    username: str
    password: str
    agency: str
    roles: list[str]
    api_token: str
    totp_secret: str  # base32, as an authenticator app takes it
    totp_code: str  # the code for now: it changes every 30 seconds


@dataclass
class DemoCode:
    username: str
    totp_secret: str
    totp_code: str


@dataclass
class DemoResult:
    users: list[DemoUser]
    sizes: dict[str, int]
    seconds: float
    built: bool


def demo_exists() -> bool:
    return Agency.objects.filter(code="wessex-police").exists()


@transaction.atomic
def partnership_create() -> dict[str, Agency]:
    agencies = {key: agency_create(code=code, name=name, kind=kind) for key, code, name, kind in AGENCIES}
    for username, agency_key, roles, first, last, title in USERS:
        user = user_create(
            username=username,
            password=DEMO_PASSWORD,
            agency=agencies[agency_key],
            roles=roles,
            first_name=first,
            last_name=last,
            job_title=title,
            email=f"{username}@wessex.example",
        )
        demo_totp_device(user)
    return agencies


def demo_totp_device(user: User) -> TOTPDevice:
    """The demo user's authenticator, already set up (confirmed) so the demo starts at the code
    page; a build from before authenticators gets one the next time `pathways demo` runs."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name="Demo authenticator", confirmed=True)


def totp_secret(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode()


def totp_current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def demo_codes() -> list[DemoCode]:
    """Each demo user's authenticator secret and current code. Only `pathways demo` in demo mode
    prints these: no page shows them, and nothing outside the demo has them."""
    result = []
    for username, *_ in USERS:
        device = demo_totp_device(User.objects.get(username=username))
        result.append(DemoCode(username, totp_secret(device), totp_current_code(device)))
    return result


def demo_users_with_new_tokens() -> list[DemoUser]:
    """Each demo user, with a fresh API token (the last demo token is revoked first) and their
    authenticator's secret and current code."""
    result = []
    codes = {c.username: c for c in demo_codes()}
    for username, *_ in USERS:
        user = User.objects.select_related("agency").get(username=username)
        ApiToken.objects.filter(user=user, name="demo", revoked_at__isnull=True).update(revoked_at=timezone.now())
        _, key = api_token_create(user=user, name="demo")
        code = codes[username]
        result.append(
            DemoUser(username, DEMO_PASSWORD, user.agency.name, user.role_labels, key, code.totp_secret, code.totp_code)
        )
    return result


class _Writer:
    """Writes rows straight to the tables: COPY on PostgreSQL, executemany elsewhere. The ORM is
    far too slow for a million people, and these rows were built to the models' own columns."""

    def __init__(self) -> None:
        self.now = timezone.now()
        self.pg = connection.vendor == "postgresql"

    def write(self, model: type[Model], rows: list[dict]) -> None:
        if not rows:
            return
        table = model._meta.db_table
        columns = [f.column for f in model._meta.concrete_fields]
        stamped = [{"created_at": self.now, "updated_at": self.now, **row} for row in rows]
        with connection.cursor() as cursor:
            if self.pg:
                buffer = io.StringIO()
                for row in stamped:
                    buffer.write("\t".join(_copy_value(row.get(c)) for c in columns) + "\n")
                buffer.seek(0)
                with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    copy.write(buffer.getvalue())
            else:
                placeholders = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",  # noqa: S608 (names from the models)
                    [tuple(_sql_value(row.get(c)) for c in columns) for row in stamped],
                )


def _sql_value(value: object) -> object:
    if hasattr(value, "hex") and not isinstance(value, (bytes, float)):
        return value.hex  # SQLite stores UUIDs as 32 hex characters
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)  # and times as UTC without a zone, as Django does
    return value


def _copy_value(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def demo_build(
    *,
    people: int,
    seed: int,
    today: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DemoResult:
    """Create the partnership and its synthetic population in an empty database."""
    started = time.monotonic()
    agencies = partnership_create()
    from pathways.sharing.demo import demo_agreements_create

    demo_agreements_create(
        agencies=agencies, by=User.objects.get(username="admin"), today=today or timezone.localdate()
    )
    writer = _Writer()
    builder = PopulationBuilder(
        people=people,
        seed=seed,
        today=today or timezone.localdate(),
        agencies={k: a.pk for k, a in agencies.items()},
        now=writer.now,
        tz=timezone.get_current_timezone(),
    )
    sizes: dict[str, int] = {}
    done = 0
    for chunk in builder.chunks():
        with transaction.atomic():
            _write_chunk(writer, chunk)
        for key, size in chunk.sizes().items():
            sizes[key] = sizes.get(key, 0) + size
        done += len(chunk.people)
        if progress:
            progress(done, people)
    # The partner files the records arrived in: how often each feed comes, and how late.
    batches = builder.import_batches()
    writer.write(ImportBatch, batches)
    sizes["import_batches"] = len(batches)
    from pathways.resolutions.demo import demo_resolutions_create

    sizes["resolutions"] = demo_resolutions_create(today=today or timezone.localdate(), seed=seed)
    from pathways.restorative.demo import demo_restorative_create

    sizes["restorative_justice_cases"] = demo_restorative_create(today=today or timezone.localdate(), seed=seed)
    from pathways.iom.demo import demo_iom_create

    sizes["iom_memberships"] = demo_iom_create(today=today or timezone.localdate(), seed=seed, people=people)
    from pathways.risk.demo import demo_risk_create

    sizes["score_judgements"] = demo_risk_create(today=today or timezone.localdate(), seed=seed)
    from pathways.evaluation.demo import demo_evaluation_create

    sizes["evaluations"] = demo_evaluation_create(today=today or timezone.localdate(), seed=seed)
    from pathways.linkage.demo import demo_linkage_create

    linkage = demo_linkage_create(today=today or timezone.localdate(), seed=seed)
    sizes["housing_records_linked_on_import"] = linkage["joined_by_model"]
    sizes["record_pairs_waiting_for_review"] = linkage["queued_for_review"]
    from pathways.problems.demo_geography import demo_areas_create, demo_street_crime_load

    day = today or timezone.localdate()
    sizes["areas"] = demo_areas_create()
    # police.uk publishes a month's street-level crime some weeks after it ends: the demo holds
    # two years up to the month before last, and leaves last month's file for a user to load.
    sizes["street_crimes"] = demo_street_crime_load(
        agency=agencies["police"], seed=seed, today=(day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    )
    from pathways.referrals.demo import demo_referrals_create

    sizes.update(demo_referrals_create(today=day, seed=seed))
    from pathways.problems.demo import demo_problems_create

    sizes["problems"] = demo_problems_create(today=day, seed=seed)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return DemoResult(
        users=demo_users_with_new_tokens(),
        sizes=sizes,
        seconds=time.monotonic() - started,
        built=True,
    )


def _write_chunk(writer: _Writer, chunk: Tables) -> None:
    for name, model in _TABLES:
        writer.write(model, getattr(chunk, name))


def demo_partner_files(directory: Path) -> list[Path]:
    """Files a demo user can upload to try the import page: probation's own people file (most of
    whom the police already hold, matched on PNC ID), and a file with mistakes in it."""
    from pathways.imports.formats import FORMATS

    directory.mkdir(parents=True, exist_ok=True)
    columns = FORMATS["people"].column_names
    people = (
        Person.objects.filter(identifiers__kind="pnc")
        .exclude(agency_records__agency__code="wessex-probation")
        .prefetch_related("identifiers", "addresses")
        .order_by("id")[:25]
    )
    rows = []
    for number, person in enumerate(people, start=1):
        pnc = next(i.value for i in person.identifiers.all() if i.kind == "pnc")
        address = next(iter(person.addresses.all()), None)
        rows.append(
            {
                "person_id": f"Z{900000 + number}",
                "given_name": person.given_name,
                "surname": person.surname,
                "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else "",
                "sex": person.sex,
                "ethnicity": person.ethnicity,
                "address_1": address.address_1 if address else "",
                "address_2": "",
                "town": address.town if address else "",
                "postcode": address.postcode if address else "",
                "pnc_id": pnc,
                "other_id": "",
            }
        )
    rows.append(
        {
            "person_id": "Z900100",
            "given_name": "Tess",
            "surname": "Durbeyfield",
            "date_of_birth": "2001-06-02",
            "sex": "F",
            "ethnicity": "W1",
            "address_1": "3 Dairy Lane",
            "town": "Shaston",
            "postcode": "WX14 3TD",
        }
    )
    good = directory / "wessex-probation-people.csv"
    _write_csv(good, columns, rows)
    bad_rows = [
        dict(rows[0]),
        dict(rows[1], date_of_birth="1999-02-30"),
        dict(rows[2], surname=""),
        dict(rows[3], postcode="WX99", sex="male"),
        dict(rows[4], person_id=rows[0]["person_id"]),
    ]
    bad = directory / "people-with-mistakes.csv"
    _write_csv(bad, columns, bad_rows)
    return [good, bad, *_street_crime_files(directory)]


def _street_crime_files(directory: Path) -> list[Path]:
    """Last month's police.uk file, which the demo has not loaded, and one with mistakes in it
    (a month that does not exist, a longitude that is not a number, a crime type police.uk
    does not use, a crime with no Crime ID)."""
    from pathways.problems.demo_geography import synthetic_street_crime_csv

    month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    text = synthetic_street_crime_csv(month=month, seed=2026)
    good = directory / f"{month}-wessex-street.csv"
    good.write_text(text)
    rows = list(csv.DictReader(io.StringIO(text)))
    crimes = [r for r in rows if r["Crime ID"]][:6]
    crimes[0]["Month"] = month[:5] + "13"
    crimes[1]["Longitude"] = "west"
    crimes[2]["Crime type"] = "Loitering"
    crimes[3]["Crime ID"] = ""
    bad = directory / "street-crime-with-mistakes.csv"
    with bad.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(crimes)
    return [good, bad]


def _write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
