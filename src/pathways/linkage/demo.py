"""Record linkage in the demo partnership: a model trained on the partnership's own records,
and Wessex Homes' first people file, loaded through the importer like any partner's.

Housing holds many of the people the police hold, but without PNC IDs and with their own
spellings, nicknames, old or newer addresses and gaps: the file shows linking on import at
work — most of its people join the person already held, the uncertain ones wait for review,
and the rest are new to the partnership.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from pathways.accounts.models import Agency, User
from pathways.imports.formats import csv_bytes
from pathways.imports.services import import_file
from pathways.linkage.models import SourceRecord
from pathways.people.names import given_name_variants

HOUSING_FILE = "wessex-homes-tenants.csv"
# Of the people the police hold, how many Wessex Homes also houses; and how many of its
# tenants are new to the partnership.
_KNOWN_SHARE = 0.02
_NEW_SHARE = 0.25
_STREETS = ["Durnover Lane", "Mixen Lane", "Weatherbury Road", "Yalbury Close", "Chalk Newton Row"]


def _typo(rng: np.random.Generator, name: str) -> str:
    if len(name) < 4:
        return name
    i = int(rng.integers(1, len(name) - 1))
    return name[:i] + name[i + 1 :] if rng.random() < 0.5 else name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def _tenant(rng: np.random.Generator, held: SourceRecord, reference: str) -> dict[str, Any]:
    """Housing's copy of a person the police hold, with the differences real records have."""
    given, surname = held.given_name, held.surname
    # Some tenancies were set up with little to go on: a name as the tenant gave it, no date of
    # birth and an address since. These are the pairs the model cannot settle alone.
    sparse = rng.random() < 0.15
    roll = 0.0 if sparse else rng.random()
    variants = given_name_variants(given)
    if roll < 0.12 and variants:
        given = str(rng.choice(variants)).capitalize()
    elif roll < 0.20:
        given = _typo(rng, given)
    elif roll < 0.26:
        surname = _typo(rng, surname)
    dob = held.date_of_birth
    dob_text = dob.isoformat() if dob else ""
    roll = rng.random()
    if sparse or roll < 0.06:
        dob_text = ""
    elif roll < 0.10 and dob and dob.day <= 12 and dob.day != dob.month:
        dob_text = dt.date(dob.year, dob.day, dob.month).isoformat()
    moved = sparse or rng.random() < 0.35
    return {
        "person_id": reference,
        "given_name": given,
        "surname": surname,
        "date_of_birth": dob_text,
        "sex": held.sex if held.sex in ("M", "F") and rng.random() > 0.1 else "",
        "ethnicity": "",
        "address_1": f"{int(rng.integers(1, 90))} {rng.choice(_STREETS)}" if moved else held.address_1,
        "town": held.town,
        "postcode": "" if moved and rng.random() < 0.3 else held.postcode,
    }


def _relative(rng: np.random.Generator, held: SourceRecord, reference: str, today: dt.date) -> dict[str, Any]:
    """A newcomer who shares a surname and an address with someone held: a brother or sister,
    not the same person, however alike the records look."""
    row = _newcomer(rng, reference, today)
    if held.date_of_birth:
        gap = int(rng.integers(2 * 365, 7 * 365)) * (1 if rng.random() < 0.5 else -1)
        row["date_of_birth"] = min(held.date_of_birth + dt.timedelta(days=gap), today).isoformat()
    return {**row, "surname": held.surname, "address_1": held.address_1, "town": held.town, "postcode": held.postcode}


def _newcomer(rng: np.random.Generator, reference: str, today: dt.date) -> dict[str, Any]:
    from faker import Faker

    fake = Faker("en_GB")
    fake.seed_instance(int(rng.integers(1 << 30)))
    sex = "M" if rng.random() < 0.6 else "F"
    born = today - dt.timedelta(days=int(rng.integers(18 * 365, 60 * 365)))
    return {
        "person_id": reference,
        "given_name": fake.first_name_male() if sex == "M" else fake.first_name_female(),
        "surname": fake.last_name(),
        "date_of_birth": born.isoformat(),
        "sex": sex,
        "address_1": f"{int(rng.integers(1, 90))} {rng.choice(_STREETS)}",
        "town": "Casterbridge",
        "postcode": f"WX1 {int(rng.integers(1, 9))}{rng.choice(list('ABDEFGHJ'))}{rng.choice(list('LNPQRSTU'))}",
    }


def housing_people_rows(*, today: dt.date, seed: int) -> list[dict[str, Any]]:
    """Wessex Homes' people file: copies of people the police hold, and newcomers."""
    rng = np.random.default_rng([seed, 9])
    police = Agency.objects.get(code="wessex-police")
    housing = Agency.objects.get(code="wessex-housing")
    already = set(SourceRecord.objects.filter(agency=housing).values_list("person_id", flat=True))
    held = [
        r
        for r in SourceRecord.objects.filter(agency=police, date_of_birth__isnull=False).order_by("reference")
        if r.person_id not in already
    ]
    count = max(3, int(len(held) * _KNOWN_SHARE))
    chosen = sorted(rng.choice(len(held), size=min(count, len(held)), replace=False)) if held else []
    rows = [_tenant(rng, held[i], f"WH{100001 + n}") for n, i in enumerate(chosen)]
    newcomers = max(1, int(len(rows) * _NEW_SHARE / (1 - _NEW_SHARE)))
    rows += [_newcomer(rng, f"WH{200001 + n}", today) for n in range(newcomers)]
    relatives = rng.choice(len(held), size=min(max(1, newcomers // 4), len(held)), replace=False) if held else []
    rows += [_relative(rng, held[i], f"WH{300001 + n}", today) for n, i in enumerate(sorted(relatives))]
    return rows


def demo_linkage_create(*, today: dt.date, seed: int) -> dict[str, Any]:
    """Train a model on the partnership's records, make it the one in use, and load housing's file."""
    from pathways.linkage.model_services import TrainingRefused, activate, train_model
    from pathways.linkage.services import active_model

    admin = User.objects.get(username="admin")
    try:
        model = train_model(by=admin, description="Trained on the demo partnership's records when the demo was built.")
        activate(model, by=admin)
    except TrainingRefused:
        # A demo of a handful of people has too few records to learn from: the shipped model links them.
        model = active_model()
    rows = housing_people_rows(today=today, seed=seed)
    report = import_file(
        kind="people",
        agency=Agency.objects.get(code="wessex-housing"),
        filename=HOUSING_FILE,
        content=csv_bytes("people", rows),
        by=admin,
    )
    if report.error_count:
        raise RuntimeError(f"The demo's housing file was refused: {report.errors[:3]}")
    return {"model_version": model.version, "rows": report.rows, **(report.linkage or {})}
