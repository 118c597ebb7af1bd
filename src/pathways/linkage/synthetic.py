"""Partner people records with known true matches, for tests, the benchmark and the demo.

Each true person appears in one or more agencies' files (police, probation, youth offending,
housing, council) under that agency's own reference, with the mistakes partner data really
has: typos, nicknames, given name and surname swapped, a changed or double-barrelled surname,
day and month swapped, a wrong digit, missing values, an old address; police systems hold
duplicate records of one person. Hard non-matches are added on purpose: siblings at one
address, twins, and people who share a common name.

Nothing here is real: the postcodes are those of the demo's fictional Wessex (WX).
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from faker.providers.person.en_GB import Provider as _Names

from pathways.demo.population import STREETS, TOWNS, pnc_check_letter
from pathways.people.names import canonical_given_name, given_name_variants

PEOPLE_COLUMNS: tuple[str, ...] = (
    "person_id",
    "given_name",
    "surname",
    "date_of_birth",
    "sex",
    "ethnicity",
    "address_1",
    "address_2",
    "town",
    "postcode",
    "pnc_id",
    "other_id",
)
AGENCIES: tuple[str, ...] = ("police", "probation", "youth_offending", "housing", "council")
_PREFIX = {"police": "WP", "probation": "PR", "youth_offending": "YO", "housing": "HS", "council": "CC"}
# How likely a person is to be known to each agency besides the first.
_ALSO_KNOWN = {"police": 0.75, "probation": 0.45, "youth_offending": 0.15, "housing": 0.3, "council": 0.3}
_ETHNICITIES = ["W1"] * 14 + ["W2", "W9", "A1", "A2", "B1", "B2", "M1", "M3", "O9", "NS"]


@dataclass(frozen=True)
class ErrorRates:
    """How often each mistake is made in one agency's copy of a person (per record)."""

    given_typo: float = 0.04
    # Ethnicity is self-defined and recorded differently by each agency: often not stated, and
    # sometimes a different code (an officer's view, a neighbouring category).
    ethnicity_not_stated: float = 0.15
    ethnicity_different: float = 0.08
    nickname: float = 0.06
    surname_typo: float = 0.04
    names_swapped: float = 0.01
    surname_changed: float = 0.02
    day_month_swapped: float = 0.02
    dob_digit: float = 0.02
    # Police and probation record a date of birth and sex for almost everyone; housing and
    # council files often lack them. A postcode is missing mostly for people of no fixed abode.
    dob_missing: dict[str, float] = field(
        default_factory=lambda: {
            "police": 0.01,
            "probation": 0.01,
            "youth_offending": 0.02,
            "housing": 0.08,
            "council": 0.10,
        }
    )
    sex_missing: dict[str, float] = field(
        default_factory=lambda: {
            "police": 0.01,
            "probation": 0.01,
            "youth_offending": 0.02,
            "housing": 0.10,
            "council": 0.10,
        }
    )
    postcode_missing: dict[str, float] = field(
        default_factory=lambda: {
            "police": 0.06,
            "probation": 0.04,
            "youth_offending": 0.03,
            "housing": 0.01,
            "council": 0.03,
        }
    )
    moved: float = 0.15
    sex_wrong: float = 0.01
    pnc_missing: float = 0.2
    police_duplicate: float = 0.05
    sibling: float = 0.06
    twin: float = 0.01
    common_name: float = 0.02


_COMMON_NAMES = [("John", "Smith", "M"), ("David", "Jones", "M"), ("Sarah", "Williams", "F"), ("James", "Brown", "M")]


class _Maker:
    def __init__(self, seed: int, rates: ErrorRates) -> None:
        self.rng = np.random.default_rng(seed)
        self.rates = rates
        weights = np.array(list(_Names.last_names.values()), dtype=float)
        self.surnames = list(_Names.last_names.keys())
        self.surname_p = weights / weights.sum()
        self.districts = [(d, town) for town, districts, _ in TOWNS for d, _ in districts]
        self.refs = itertools.count(1)
        self.pnc_serial = 0
        self.crn = itertools.count(100000)

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def pick(self, items: list | tuple) -> object:
        return items[int(self.rng.integers(len(items)))]

    def given(self, sex: str) -> str:
        return str(self.pick(_Names.first_names_male if sex == "M" else _Names.first_names_female))

    def surname(self) -> str:
        return str(self.surnames[int(self.rng.choice(len(self.surnames), p=self.surname_p))])

    def dob(self) -> dt.date:
        return dt.date(1950, 1, 1) + dt.timedelta(days=int(self.rng.integers(0, 365 * 58)))

    def address(self) -> dict[str, str]:
        district, town = self.pick(self.districts)
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        return {
            "address_1": f"{self.rng.integers(1, 180)} {self.pick(STREETS)}",
            "town": town,
            "postcode": f"{district} {self.rng.integers(1, 10)}{self.pick(letters)}{self.pick(letters)}",
        }

    def pnc(self, dob: dt.date) -> str:
        self.pnc_serial += 1
        year = min(dob.year + int(self.rng.integers(14, 30)), 2025)
        return f"{year}/{self.pnc_serial:07d}{pnc_check_letter(year % 100, self.pnc_serial)}"

    def typo(self, name: str) -> str:
        if len(name) < 3:
            return name
        # The first letter is right far more often than the rest.
        i = int(self.rng.integers(1, len(name) - 1))
        kind = self.rng.integers(3)
        if kind == 0:
            return name[:i] + str(self.pick("abcdefghijklmnopqrstuvwxyz")) + name[i + 1 :]
        if kind == 1:
            return name[:i] + name[i + 1 :]
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def _person(m: _Maker, number: int, **fixed: object) -> dict[str, object]:
    sex = fixed.get("sex") or ("M" if m.chance(0.8) else "F")
    dob = fixed.get("dob") or m.dob()
    person = {
        "true_person": f"P{number:07d}",
        "given_name": fixed.get("given_name") or m.given(str(sex)),
        "surname": fixed.get("surname") or m.surname(),
        "dob": dob,
        "sex": sex,
        "ethnicity": m.pick(_ETHNICITIES),
        **(fixed.get("address") or m.address()),
        "pnc_id": m.pnc(dob) if m.chance(0.7) else "",  # type: ignore[arg-type]
        "crn": f"X{next(m.crn)}",
    }
    return person


def _agencies(m: _Maker, person: dict[str, object]) -> list[str]:
    young = (dt.date(2025, 1, 1) - person["dob"]).days < 25 * 365  # type: ignore[operator]
    held = [a for a in AGENCIES if m.chance(_ALSO_KNOWN[a]) and (a != "youth_offending" or young)]
    if not held:
        held = [str(m.pick(["police", "probation", "housing", "council"]))]
    return held


def _record(m: _Maker, person: dict[str, object], agency: str) -> dict[str, object]:
    r = m.rates
    given, surname = str(person["given_name"]), str(person["surname"])
    variants = given_name_variants(given)
    if variants and m.chance(r.nickname):
        given = str(m.pick(variants)).capitalize()
    if m.chance(r.given_typo):
        given = m.typo(given)
    if m.chance(r.surname_changed):
        surname = f"{surname}-{m.surname()}" if m.chance(0.5) else m.surname()
    elif m.chance(r.surname_typo):
        surname = m.typo(surname)
    if m.chance(r.names_swapped):
        given, surname = surname, given

    dob: dt.date = person["dob"]  # type: ignore[assignment]
    dob_text = dob.isoformat()
    if m.chance(r.dob_missing[agency]):
        dob_text = ""
    elif dob.day <= 12 and dob.day != dob.month and m.chance(r.day_month_swapped):
        dob_text = dt.date(dob.year, dob.day, dob.month).isoformat()
    elif m.chance(r.dob_digit):
        for _ in range(10):
            i = int(m.pick([2, 3, 5, 6, 8, 9]))
            candidate = dob_text[:i] + str(m.rng.integers(10)) + dob_text[i + 1 :]
            try:
                if candidate != dob_text and dt.date.fromisoformat(candidate) < dt.date(2025, 1, 1):
                    dob_text = candidate
                    break
            except ValueError:
                continue

    address = {k: str(person[k]) for k in ("address_1", "town", "postcode")}
    if m.chance(r.moved):
        address = m.address()
    if m.chance(r.postcode_missing[agency]):
        address["postcode"] = ""

    pnc = ""
    if agency in ("police", "probation") and person["pnc_id"] and not m.chance(r.pnc_missing):
        pnc = str(person["pnc_id"])
    other = ""
    if agency == "probation" or (agency == "youth_offending" and m.chance(0.5)):
        other = str(person["crn"])
    return {
        "person_id": f"{_PREFIX[agency]}{next(m.refs):07d}",
        "given_name": given,
        "surname": surname,
        "date_of_birth": dob_text,
        "sex": "" if m.chance(r.sex_missing[agency]) else _sex(m, str(person["sex"])),
        "ethnicity": _recorded_ethnicity(m, str(person["ethnicity"])),
        "address_1": address["address_1"],
        "address_2": "",
        "town": address["town"],
        "postcode": address["postcode"],
        "pnc_id": pnc,
        "other_id": other,
        "agency": agency,
        "true_person": person["true_person"],
    }


def _sex(m: _Maker, sex: str) -> str:
    return {"M": "F", "F": "M"}[sex] if m.chance(m.rates.sex_wrong) else sex


def _recorded_ethnicity(m: _Maker, ethnicity: str) -> str:
    if m.chance(m.rates.ethnicity_not_stated):
        return "NS"
    if m.chance(m.rates.ethnicity_different):
        return str(m.pick([e for e in _ETHNICITIES if e not in (ethnicity, "NS")]))
    return ethnicity


def _different_given(m: _Maker, sex: str, other: str) -> str:
    from pathways.people.names import name_similarity

    for _ in range(50):
        name = m.given(sex)
        if canonical_given_name(name) != canonical_given_name(other) and name_similarity(name, other) < 0.8:
            return name
    return m.given(sex)


def partner_records(
    *, people: int | None = None, records: int | None = None, seed: int = 0, rates: ErrorRates | None = None
) -> pd.DataFrame:
    """Draw true people (siblings, twins and namesakes among them) and every agency's records of them.

    Stops at ``people`` true people, or once there are at least ``records`` records.
    Returns the people-file columns (``PEOPLE_COLUMNS``) plus ``agency`` and ``true_person``.
    The same arguments give the same records.
    """
    if (people is None) == (records is None):
        raise ValueError("give either people or records")
    m = _Maker(seed, rates or ErrorRates())
    r = m.rates
    persons: list[dict[str, object]] = []
    rows: list[dict[str, object]] = []
    done = 0

    def enough() -> bool:
        return len(persons) >= people if people is not None else len(rows) >= records  # type: ignore[operator]

    while not enough():
        base = _person(m, len(persons))
        persons.append(base)
        if not enough() and m.chance(r.sibling):
            sex = "M" if m.chance(0.7) else "F"
            persons.append(
                _person(
                    m,
                    len(persons),
                    sex=sex,
                    given_name=_different_given(m, sex, str(base["given_name"])),
                    surname=base["surname"],
                    dob=base["dob"] + dt.timedelta(days=int(m.rng.choice([-1, 1]) * m.rng.integers(400, 2500))),  # type: ignore[operator]
                    address={k: base[k] for k in ("address_1", "town", "postcode")},
                )
            )
        if not enough() and m.chance(r.twin):
            sex = "M" if m.chance(0.5) else "F"
            persons.append(
                _person(
                    m,
                    len(persons),
                    sex=sex,
                    given_name=_different_given(m, sex, str(base["given_name"])),
                    surname=base["surname"],
                    dob=base["dob"],
                    address={k: base[k] for k in ("address_1", "town", "postcode")},
                )
            )
        if not enough() and m.chance(r.common_name):
            given, surname, sex = m.pick(_COMMON_NAMES)  # type: ignore[misc]
            persons.append(_person(m, len(persons), given_name=given, surname=surname, sex=sex))
        for person in persons[done:]:
            for agency in _agencies(m, person):
                rows.append(_record(m, person, agency))
                if agency == "police" and m.chance(r.police_duplicate):
                    rows.append(_record(m, person, agency))
        done = len(persons)
    return pd.DataFrame(rows, columns=[*PEOPLE_COLUMNS, "agency", "true_person"])


def records_for_engine(partner: pd.DataFrame) -> pd.DataFrame:
    """The engine's ``RECORD_COLUMNS`` and ``OPTIONAL_COLUMNS`` from partner records; ``unique_id`` is ``agency:person_id``."""
    from pathways.linkage.engine import OPTIONAL_COLUMNS, RECORD_COLUMNS

    frame = partner.copy()
    frame["unique_id"] = frame["agency"] + ":" + frame["person_id"]
    return frame[[*RECORD_COLUMNS, *OPTIONAL_COLUMNS]].reset_index(drop=True)


def write_people_csv(partner: pd.DataFrame, path: Path, *, agency: str | None = None) -> int:
    """Write one agency's (or every agency's) records as a people file (docs/data-formats.md)."""
    rows = partner if agency is None else partner[partner["agency"] == agency]
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(PEOPLE_COLUMNS)
        writer.writerows(rows[list(PEOPLE_COLUMNS)].itertuples(index=False, name=None))
    return len(rows)


# --- how good a linkage is --------------------------------------------------------------


@dataclass(frozen=True)
class LinkageScore:
    precision: float
    recall: float
    f1: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    def as_dict(self) -> dict[str, float | int]:
        return self.__dict__.copy()


def _unordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def _pairs_within(groups: pd.Series) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for members in groups.groupby(groups).groups.values():
        ids = sorted(str(i) for i in members)
        pairs.update(itertools.combinations(ids, 2))
    return pairs


def true_pairs(partner: pd.DataFrame) -> set[tuple[str, str]]:
    """Every pair of record ids (``agency:person_id``) that are the same true person."""
    ids = partner["agency"] + ":" + partner["person_id"]
    return _pairs_within(pd.Series(partner["true_person"].to_numpy(), index=ids.to_numpy()))


def score(
    partner: pd.DataFrame, *, pairs: pd.DataFrame | None = None, clusters: pd.DataFrame | None = None
) -> LinkageScore:
    """Pairwise precision, recall and F1 of predicted ``pairs`` (``left_id, right_id``) or ``clusters``."""
    truth = true_pairs(partner)
    if clusters is not None:
        predicted = _pairs_within(pd.Series(clusters["cluster_id"].to_numpy(), index=clusters["unique_id"].to_numpy()))
    elif pairs is not None:
        predicted = {_unordered(str(a), str(b)) for a, b in zip(pairs["left_id"], pairs["right_id"], strict=True)}
    else:
        raise ValueError("give pairs or clusters to score")
    correct = len(truth & predicted)
    precision = correct / len(predicted) if predicted else 1.0
    recall = correct / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return LinkageScore(precision, recall, f1, len(truth), len(predicted), correct)


def evaluate(*, records: int, seed: int = 3, threshold: float | None = None) -> dict[str, object]:
    """Link synthetic partner records with the shipped model; scores and how long each step took."""
    import time

    from pathways.linkage import engine

    threshold = engine.DEFAULT_LINK_THRESHOLD if threshold is None else threshold
    partner = partner_records(records=records, seed=seed)
    frame = records_for_engine(partner)
    started = time.perf_counter()
    pairs = engine.predict_pairs(frame, splink_settings=engine.default_splink_settings(), threshold=threshold)
    predicted = time.perf_counter()
    clusters = engine.cluster(frame, pairs, threshold=threshold)
    clustered = time.perf_counter()
    return {
        "records": len(frame),
        "true_people": partner["true_person"].nunique(),
        "threshold": threshold,
        "pairs": score(partner, pairs=pairs).as_dict(),
        "clusters": score(partner, clusters=clusters).as_dict(),
        "predict_seconds": round(predicted - started, 2),
        "cluster_seconds": round(clustered - predicted, 2),
    }


if __name__ == "__main__":
    import argparse
    import json
    import logging

    parser = argparse.ArgumentParser(description="Score the shipped linkage model on synthetic partner records.")
    parser.add_argument("--records", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--threshold", type=float, nargs="*", default=[])
    args = parser.parse_args()
    logging.getLogger("splink").setLevel(logging.ERROR)
    for th in args.threshold or [None]:
        print(json.dumps(evaluate(records=args.records, seed=args.seed, threshold=th), indent=2))
