"""A synthetic partnership history for tests of the local model and its pages: people with an
index event in a period ending two years ago, some with earlier proven offences, and a proven
reoffence for a share of them that rises with their previous offences and falls with age."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from pathways.accounts.models import Agency, User
from pathways.testing import create_person_row, load

GROUPS = ["violence", "theft", "criminal_damage", "drugs"]


def history_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The period the synthetic index events fall in: its follow-up and waiting have ended."""
    today = today or timezone.localdate()
    return today - dt.timedelta(days=1100), today - dt.timedelta(days=730)


def create_history(*, agency: Agency, by: User, people: int = 80, seed: int = 8, prefix: str = "H") -> dict[str, Any]:
    """`people` people known to `agency`, loaded through the partner-file import in three files."""
    rng = random.Random(seed)
    start, end = history_period()
    person_rows, offence_rows, outcome_rows = [], [], []
    reoffended = 0
    for i in range(people):
        ref = f"{prefix}{i}"
        age = rng.randint(16, 55)
        index_day = start + dt.timedelta(days=rng.randint(30, (end - start).days - 30))
        born = index_day - dt.timedelta(days=int(age * 365.25) + rng.randint(0, 300))
        person_rows.append(
            create_person_row(
                person_id=ref,
                given_name="Sam",
                surname=f"History{_letters(i)}",
                date_of_birth=born.isoformat(),
                sex="F" if i % 3 == 0 else "M",
                ethnicity="W1" if i % 2 == 0 else "B1",
                postcode=f"WX{1 + i % 3} 2AB",
            )
        )
        previous = rng.choice([0, 0, 1, 2, 4, 7])
        for n in range(previous):
            # Before the period, so that the first index event in it is the one planted below.
            committed = start - dt.timedelta(days=90 + 150 * n + rng.randint(0, 60))
            offence_rows.append(_offence(f"{ref}-P{n}", ref, committed, rng.choice(GROUPS)))
            outcome_rows.append(_outcome(f"{ref}-P{n}", committed + dt.timedelta(days=40), "conviction_fine"))
        committed = index_day - dt.timedelta(days=45)
        offence_rows.append(_offence(f"{ref}-I", ref, committed, rng.choice(GROUPS)))
        outcome_rows.append(
            _outcome(f"{ref}-I", index_day, rng.choice(["3", "conviction_community", "conviction_fine"]))
        )
        chance = 0.15 + 0.09 * previous + (0.2 if age < 25 else 0.0)
        if rng.random() < chance:
            reoffended += 1
            later = index_day + dt.timedelta(days=rng.randint(20, 300))
            offence_rows.append(_offence(f"{ref}-R", ref, later, rng.choice(GROUPS)))
            outcome_rows.append(_outcome(f"{ref}-R", later + dt.timedelta(days=60), "conviction_community"))
    load("people", person_rows, agency=agency, by=by)
    load("offences", offence_rows, agency=agency, by=by)
    load("outcomes", outcome_rows, agency=agency, by=by)
    return {"people": people, "reoffended": reoffended, "period": (start, end)}


def _letters(n: int) -> str:
    """Names may not contain digits: 0 → a, 25 → z, 26 → ba."""
    word = ""
    while True:
        n, r = divmod(n, 26)
        word = chr(ord("a") + r) + word
        if not n:
            return word


def _offence(offence_id: str, person: str, day: dt.date, group: str) -> dict[str, Any]:
    return {
        "offence_id": offence_id,
        "person_id": person,
        "offence_date": day.isoformat(),
        "offence_code": "46",
        "offence_group": group,
    }


def _outcome(offence_id: str, day: dt.date, outcome: str) -> dict[str, Any]:
    return {"offence_id": offence_id, "outcome_date": day.isoformat(), "outcome": outcome}
