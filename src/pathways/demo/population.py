"""A synthetic partnership population whose offending looks like the real thing.

Nothing here is real: the county is Hardy's fictional Wessex, the postcodes use the unused
area letters WX, and names are drawn at random from common-name lists. What is realistic
is the shape: the age–crime curve peaking in the late teens, a small share of people
committing a large share of offences, a realistic offence mix, escalation from community
resolutions and cautions to court and custody as previous offences mount, custody with
automatic release at the halfway point, victims, and repeat victimisation.

So is the way the records arrived: each partner's files came nightly or weekly since Pathways went
live (with the history before that in one first load), records reached a file days after the
event they record, a few files were rejected and sent again corrected, one partner has stopped
sending, and some fields are missing or recorded twice, as in any partnership's data.

Everything is drawn from seeded generators, so a seed always gives the same partnership: the
population from one, and how it arrived (with its gaps) from a second, so that drawing the
arrivals changes nothing of who offends, when and how.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from faker.providers.person.en_GB import Provider as _Names

from pathways.offending.reference import OFFENCE_TYPES, OffenceType
from pathways.people.names import given_name_key, given_name_variants, surname_key

# Towns of the fictional county, each with postcode districts and a deprivation weight
# (offenders are drawn more often from the more deprived districts).
TOWNS: list[tuple[str, list[tuple[str, float]], tuple[float, float]]] = [
    ("Casterbridge", [("WX1", 2.2), ("WX2", 1.0), ("WX3", 0.7), ("WX4", 1.5)], (50.715, -2.437)),
    ("Budmouth", [("WX5", 2.0), ("WX6", 1.2), ("WX7", 0.8)], (50.608, -2.455)),
    ("Sandbourne", [("WX8", 2.5), ("WX9", 1.4), ("WX10", 0.9), ("WX11", 1.1)], (50.721, -1.878)),
    ("Melchester", [("WX12", 1.3), ("WX13", 0.6)], (51.069, -1.795)),
    ("Shaston", [("WX14", 0.8), ("WX15", 0.5)], (51.005, -2.198)),
    ("Anglebury", [("WX16", 0.7)], (50.686, -2.113)),
    ("Port Bredy", [("WX17", 1.0), ("WX18", 0.6)], (50.734, -2.758)),
    ("Christminster", [("WX19", 1.2), ("WX20", 0.9)], (51.752, -1.258)),
]
STREETS = [
    "Mill Lane",
    "Church Street",
    "Station Road",
    "High Street",
    "Victoria Road",
    "Kings Road",
    "Queen Street",
    "Park Avenue",
    "Manor Close",
    "Orchard Way",
    "Green Lane",
    "Chapel Row",
    "Castle Hill",
    "Market Place",
    "Bridge Street",
    "Meadow View",
    "Elm Grove",
    "Harbour Road",
    "North Street",
    "South Walk",
    "Heath Road",
    "Abbey Close",
    "Quarry Lane",
    "Farm Road",
]

ETHNICITY_SHARES = {
    "W1": 74.4,
    "W2": 0.9,
    "W3": 0.1,
    "W4": 0.2,
    "W9": 6.2,
    "A1": 3.1,
    "A2": 2.7,
    "A3": 1.1,
    "A4": 0.7,
    "A9": 1.6,
    "B1": 1.0,
    "B2": 2.5,
    "B9": 0.5,
    "M1": 0.9,
    "M2": 0.4,
    "M3": 0.8,
    "M9": 0.8,
    "O1": 0.6,
    "O9": 1.6,
    "NS": 5.0,
}

# How often each offence is recorded, before adjusting for age and prolific offending.
OFFENCE_WEIGHTS = {
    "1": 0.02,
    "5D": 0.6,
    "8N": 7.0,
    "105A": 13.0,
    "104": 1.2,
    "8L": 4.0,
    "8Q": 1.2,
    "8R": 2.5,
    "19C": 0.5,
    "17A": 0.8,
    "34B": 1.4,
    "28E": 3.0,
    "30C": 1.5,
    "46": 12.0,
    "39": 1.2,
    "44": 1.0,
    "45": 2.0,
    "48": 1.2,
    "49": 4.5,
    "58A": 3.0,
    "58C": 3.5,
    "56B": 0.4,
    "92A": 1.8,
    "92D": 4.5,
    "92E": 2.5,
    "10D": 2.0,
    "8M": 0.6,
    "9A": 5.0,
    "66": 1.0,
    "53H": 1.5,
    "802": 0.5,
    "149": 2.5,
    "195": 2.5,
    "805": 1.5,
}
_SUPERVISED = {"conviction_custody", "conviction_suspended", "conviction_community"}
_YOUTH_FAVOURS = {"58A", "58C", "46", "49", "9A", "105A", "44", "34B"}
_PROLIFIC_FAVOURS = {"46", "28E", "30C", "45", "48", "49", "92E", "92A", "195"}


# How each partner's files reach Pathways: nightly extracts from the police and probation case
# systems, weekly people files from probation and the youth offending service.
# feed: (agency key, kind, a file every N days, local time it loads)
DEMO_FEEDS: dict[str, tuple[str, str, int, dt.time]] = {
    "police-people": ("police", "people", 1, dt.time(1, 0)),
    "police-offences": ("police", "offences", 1, dt.time(1, 30)),
    "police-outcomes": ("police", "outcomes", 1, dt.time(2, 0)),
    "probation-custody": ("probation", "custody", 1, dt.time(2, 30)),
    "probation-people": ("probation", "people", 7, dt.time(7, 0)),
    "yos-people": ("yos", "people", 7, dt.time(16, 0)),
}
GO_LIVE_DAYS = 730  # Pathways went live two years before the demo's today, loading each feed's history
LATE_FEED, LATE_FEED_SILENT_DAYS = "yos-people", 52  # the youth offending service has stopped sending
REJECTED_FILE_P = 0.03  # files rejected first, then sent again corrected three hours later
PROBLEMS = {
    "people": [
        ("date_of_birth", "'31/02/1999' is not a date in the form YYYY-MM-DD"),
        ("postcode", "'WX99' is not a UK postcode"),
        ("sex", "'male' is not one of M, F, U"),
        ("surname", "is empty but is required"),
    ],
    "offences": [
        ("offence_code", "'8X1' is not a Home Office offence code like 105A or 8N"),
        ("offence_group", "is empty but is required"),
        ("person_id", "no person has been imported with this reference; import the people file first"),
    ],
    "outcomes": [
        ("outcome", "'23' is not a Home Office crime outcome 1–22 or a court result"),
        ("offence_id", "no offence has been imported with this reference; import the offences file first"),
    ],
    "custody": [("release_date", "the release date is before the sentence date")],
}
# Shares of records with a field missing, or recorded twice.
AREA_MISSING_P, COORDINATES_MISSING_P, SEX_UNKNOWN_P, POSTCODE_MISSING_P = 0.015, 0.03, 0.012, 0.02
DUPLICATE_OFFENCE_P, SECOND_REFERENCE_P = 0.004, 0.004
# The police record when in the day most offences happened, but not all (a burglary found on
# coming home from holiday has no hour).
TIME_MISSING_P = 0.15
# The hour an offence began, by the shape of its day: theft and fraud while shops and streets are
# busy, violence and disorder late in the night-time economy, the rest mostly in the evening.
_HOURS_DAY = [1, 1, 1, 1, 1, 1, 2, 3, 5, 7, 9, 10, 11, 11, 11, 11, 11, 10, 8, 6, 4, 3, 2, 1]
_HOURS_NIGHT = [9, 7, 5, 3, 2, 1, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 7, 8, 9, 10, 11, 11]
_HOURS_EVENING = [3, 2, 1, 1, 1, 1, 1, 2, 3, 3, 4, 4, 5, 5, 6, 7, 8, 9, 10, 10, 10, 9, 7, 5]
_DAY_GROUPS = {"theft", "fraud"}
_NIGHT_GROUPS = {"violence", "sexual", "public_order", "robbery"}
_HOUR_P = {
    name: np.array(w, dtype=float) / sum(w)
    for name, w in (("day", _HOURS_DAY), ("night", _HOURS_NIGHT), ("evening", _HOURS_EVENING))
}
OUTCOME_LOST_P = 0.03  # outcomes that never reach the police's outcomes feed
# How each agency's own record of a person differs from the police's: the spellings, nicknames,
# slipped dates of birth and old addresses that record linkage has to see through. The police's
# second record of someone (SECOND_REFERENCE_P) was keyed separately, so it differs most.
RECORD_NAME_VARIANT_P = {"police": 0.0, "police-second": 0.5, "probation": 0.12, "yos": 0.15}
RECORD_DOB_SLIP_P = {"police": 0.0, "police-second": 0.15, "probation": 0.03, "yos": 0.04}
RECORD_DOB_MISSING_P = {"police": 0.0, "police-second": 0.05, "probation": 0.01, "yos": 0.03}
RECORD_OLD_ADDRESS_P = {"police": 0.0, "police-second": 0.4, "probation": 0.25, "yos": 0.2}
RECORD_NO_ADDRESS_P = {"police": 0.0, "police-second": 0.1, "probation": 0.05, "yos": 0.1}
RECORD_NO_PNC_P = {"police": 0.0, "police-second": 0.3, "probation": 0.05, "yos": 0.2}


class FeedSchedule:
    """The files of one feed that loaded: the history at go-live, then one every few days. A
    record ready to send goes in the next file; `rows` counts each file's records."""

    def __init__(self, key: str, times: list[dt.datetime], rejected: list[tuple[dt.datetime, int]]) -> None:
        self.key = key
        self.agency, self.kind = DEMO_FEEDS[key][:2]
        self.times = times
        self.rejected = rejected  # (when a file was rejected, the index of its corrected file)
        self.rows = [0] * len(times)

    def arrive(self, ready: dt.datetime, *, hold: bool = True) -> dt.datetime | None:
        """When a record ready at `ready` arrived. A record ready after the latest file goes in
        that file when `hold` (the demo's 'now' falls between two files), else it has not arrived."""
        i = bisect.bisect_left(self.times, ready)
        if i == len(self.times):
            if not hold:
                return None
            i -= 1
        self.rows[i] += 1
        return self.times[i]


def _age_crime_curve() -> np.ndarray:
    """Relative offending rate at each age 0–100: zero before 10, a peak at 18, a long tail."""
    ages = np.arange(101, dtype=float)
    x = np.clip(ages - 9, 0, None)
    curve = x**2 * np.exp(-x / 4.5)
    curve[:10] = 0.0
    return curve


@dataclass
class Tables:
    """Rows for each table, as dictionaries keyed by column name."""

    people: list[dict] = field(default_factory=list)
    names: list[dict] = field(default_factory=list)
    identifiers: list[dict] = field(default_factory=list)
    addresses: list[dict] = field(default_factory=list)
    markers: list[dict] = field(default_factory=list)
    agency_records: list[dict] = field(default_factory=list)
    offences: list[dict] = field(default_factory=list)
    victims: list[dict] = field(default_factory=list)
    outcomes: list[dict] = field(default_factory=list)
    custody: list[dict] = field(default_factory=list)
    source_records: list[dict] = field(default_factory=list)

    def sizes(self) -> dict[str, int]:
        return {k: len(v) for k, v in self.__dict__.items()}


def pnc_check_letter(year2: int, serial: int) -> str:
    return "ZABCDEFGHJKLMNPQRTUVWXY"[int(f"{year2:02d}{serial:07d}") % 23]


class PopulationBuilder:
    """Draws the population in chunks so that a million people never sit in memory at once."""

    def __init__(
        self,
        *,
        people: int,
        seed: int,
        today: dt.date,
        agencies: dict[str, uuid.UUID],
        now: dt.datetime | None = None,
        tz: dt.tzinfo | None = None,
    ) -> None:
        self.n = people
        self.rng = np.random.default_rng(seed)
        # How records arrived is drawn from its own generator, leaving the population as it was.
        self.arrivals = np.random.default_rng([seed, 1])
        # And how each agency holds its record of a person from a third, for the same reason.
        self.records = np.random.default_rng([seed, 2])
        # And the time of day of each offence from a fourth: adding times changed no other draw.
        self.times = np.random.default_rng([seed, 3])
        self.today = today
        self.tz = tz or ZoneInfo("Europe/London")
        self.feeds = self._schedules(now or dt.datetime.combine(today, dt.time(23, 59), self.tz))
        self.window_start = today.replace(year=today.year - 10)
        self.agencies = agencies
        self.curve = _age_crime_curve()
        self.codes = [t.code for t in OFFENCE_TYPES]
        self.types: dict[str, OffenceType] = {t.code: t for t in OFFENCE_TYPES}
        base = np.array([OFFENCE_WEIGHTS[c] for c in self.codes])
        self.weights_adult = base / base.sum()
        youth = base * np.array([2.2 if c in _YOUTH_FAVOURS else 0.6 for c in self.codes])
        self.weights_youth = youth / youth.sum()
        prolific = base * np.array([2.5 if c in _PROLIFIC_FAVOURS else 0.8 for c in self.codes])
        self.weights_prolific = prolific / prolific.sum()
        self.male_names = list(_Names.first_names_male)
        self.female_names = list(_Names.first_names_female)
        surnames = _Names.last_names
        self.surnames = list(surnames.keys())
        sw = np.array(list(surnames.values()), dtype=float)
        self.surname_p = sw / sw.sum()
        eth = np.array(list(ETHNICITY_SHARES.values()))
        self.ethnicities = list(ETHNICITY_SHARES)
        self.ethnicity_p = eth / eth.sum()
        # Each district's offences happen around its own centre and inside its own boundary
        # (`problems.demo_geography`), so scanning's hex map and neighbouring areas make sense.
        from pathways.problems.demo_geography import district_centres, district_shapes

        centres = district_centres()
        self.district_shapes = district_shapes()
        self.districts = [(d, w, town, centres[d]) for town, ds, _centre in TOWNS for d, w in ds]
        dw = np.array([w for _, w, _, _ in self.districts])
        self.district_p_offender = dw / dw.sum()
        self.district_p_all = np.ones(len(dw)) / len(dw)
        self.pnc_serial = 0
        self.offence_serial = 0
        self.twin_serial = 0
        self.outcome_ready = self._ready(today, 0)  # when the latest outcome drawn was ready to send

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(bytes=self.rng.bytes(16), version=4)

    def arrival_uuid(self) -> uuid.UUID:
        return uuid.UUID(bytes=self.arrivals.bytes(16), version=4)

    def _schedules(self, now: dt.datetime) -> dict[str, FeedSchedule]:
        """Every feed's files, from go-live to the demo's today. Files due after `now` (a build
        just after midnight) have not come yet."""
        go_live = self.today - dt.timedelta(days=GO_LIVE_DAYS)
        first_load = dt.datetime.combine(go_live, dt.time(10, 0), self.tz)
        schedules = {}
        for key, (_, _, every, at) in DEMO_FEEDS.items():
            last_day = self.today - dt.timedelta(days=LATE_FEED_SILENT_DAYS if key == LATE_FEED else 0)
            times, rejected = [first_load], []
            day = go_live + dt.timedelta(days=every)
            while day <= last_day:
                when = dt.datetime.combine(day, at, self.tz)
                if self.arrivals.random() < REJECTED_FILE_P:
                    rejected.append((when, len(times)))
                    when += dt.timedelta(hours=3)
                if when <= now:
                    times.append(when)
                day += dt.timedelta(days=every)
            schedules[key] = FeedSchedule(key, times, [(w, i) for w, i in rejected if i < len(times)])
        return schedules

    def _ready(self, day: dt.date, lag_days: int) -> dt.datetime:
        """When a record of an event on `day` was ready to send: recorded `lag_days` later, in the day."""
        return dt.datetime.combine(day + dt.timedelta(days=lag_days), dt.time(17, 0), self.tz)

    def _offence_lag(self) -> int:
        """Most crimes are recorded the day they happen or soon after; some are reported weeks or
        months later."""
        draw = self.arrivals.random()
        if draw < 0.55:
            return 0
        if draw < 0.85:
            return int(self.arrivals.integers(1, 4))
        if draw < 0.97:
            return int(self.arrivals.integers(4, 31))
        return int(self.arrivals.integers(31, 366))

    def import_batches(self) -> list[dict]:
        """An ImportBatch row for every file that carried records (a nightly file with nothing new
        is not sent), and for each file rejected before its corrected copy loaded."""
        rows = []
        for feed in self.feeds.values():
            agency = self.agencies[feed.agency]
            for i, when in enumerate(feed.times):
                if feed.rows[i]:
                    rows.append(self._batch(feed, agency, when, feed.rows[i], []))
            for when, i in feed.rejected:
                if feed.rows[i]:
                    count = int(self.arrivals.integers(1, 5))
                    lines = sorted({int(r) for r in self.arrivals.integers(2, feed.rows[i] + 2, count)})
                    problems = PROBLEMS[feed.kind]
                    errors = []
                    for line in lines:
                        column, reason = problems[int(self.arrivals.integers(len(problems)))]
                        errors.append({"row": line, "column": column, "reason": reason})
                    rows.append(self._batch(feed, agency, when, feed.rows[i], errors))
        return rows

    def _batch(self, feed: FeedSchedule, agency: uuid.UUID, when: dt.datetime, rows: int, errors: list[dict]) -> dict:
        filename = f"{feed.key}-{when.date().isoformat()}.csv"
        return {
            "id": self.arrival_uuid(),
            "agency_id": agency,
            "kind": feed.kind,
            "filename": filename,
            "sha256": self.arrivals.bytes(32).hex(),
            "uploaded_by_id": None,
            "via": "api",
            "status": "rejected" if errors else "imported",
            "rows": rows,
            "created_count": 0 if errors else rows,
            "updated_count": 0,
            "unchanged_count": 0,
            "errors": json.dumps([{"file": filename, **e} for e in errors]),
            "created_at": when,
            "updated_at": when,
        }

    def chunks(self, size: int = 20000) -> Iterator[Tables]:
        """The population in chunks; victims of a chunk's offences are drawn from its own people,
        so each chunk is complete in itself and can be written before the next is drawn."""
        for start in range(0, self.n, size):
            yield self._chunk(start, min(size, self.n - start))

    def _chunk(self, start: int, count: int) -> Tables:
        rng, t = self.rng, Tables()
        offender = rng.random(count) < 0.55
        male = np.where(offender, rng.random(count) < 0.82, rng.random(count) < 0.5)
        age_offender = np.clip(12 + rng.gamma(3.0, 7.0, count), 12, 85)
        age_other = rng.uniform(10, 88, count)
        age_today = np.where(offender, age_offender, age_other)
        birth_offsets = (age_today * 365.25).astype(int) + rng.integers(0, 365, count)
        district_idx = np.where(
            offender,
            rng.choice(len(self.districts), count, p=self.district_p_offender),
            rng.choice(len(self.districts), count, p=self.district_p_all),
        )
        ethnicity_idx = rng.choice(len(self.ethnicities), count, p=self.ethnicity_p)
        surname_idx = rng.choice(len(self.surnames), count, p=self.surname_p)
        people_ids = [self.uuid() for _ in range(count)]
        dobs = [self.today - dt.timedelta(days=int(d)) for d in birth_offsets]
        # Heavy-tailed offending: most offenders have one or two offences, a few have dozens.
        offence_counts = np.where(offender, 1 + rng.negative_binomial(0.3, 0.1, count), 0)
        offence_counts = np.minimum(offence_counts, 90)
        victim_weights = np.where(offender, 0.25, 1.0) * rng.gamma(0.35, 1.0, count)
        victim_p = victim_weights / victim_weights.sum()

        agency = self.agencies
        for i in range(count):
            number = start + i + 1
            pid = people_ids[i]
            given = (
                self.male_names[rng.integers(len(self.male_names))]
                if male[i]
                else self.female_names[rng.integers(len(self.female_names))]
            )
            surname = self.surnames[surname_idx[i]]
            t.people.append(
                {
                    "id": pid,
                    "given_name": given,
                    "surname": surname,
                    "date_of_birth": dobs[i],
                    "sex": "U" if self.arrivals.random() < SEX_UNKNOWN_P else ("M" if male[i] else "F"),
                    "ethnicity": self.ethnicities[ethnicity_idx[i]],
                }
            )
            t.names.append(self._name(pid, given, surname, alias=False))
            if offender[i] and rng.random() < 0.06:
                alias_surname = self.surnames[rng.choice(len(self.surnames), p=self.surname_p)]
                if alias_surname != surname:
                    t.names.append(self._name(pid, given, alias_surname, alias=True))
            t.identifiers.append(
                {
                    "id": self.uuid(),
                    "person_id": pid,
                    "kind": "agency_ref",
                    "agency_id": agency["police"],
                    "value": f"WP{number:07d}",
                }
            )
            t.agency_records.append(self._holds(pid, "police"))
            d_code, _, town, _ = self.districts[district_idx[i]]
            address = {
                "id": self.uuid(),
                "person_id": pid,
                "agency_id": agency["police"],
                "address_1": f"{rng.integers(1, 180)} {STREETS[rng.integers(len(STREETS))]}",
                "address_2": "",
                "town": town,
                "postcode": f"{d_code} {rng.integers(1, 10)}{chr(65 + rng.integers(26))}{chr(65 + rng.integers(26))}",
                "area": d_code,
                "is_current": True,
            }
            if self.arrivals.random() < POSTCODE_MISSING_P:
                address.update(postcode="", area="")
            t.addresses.append(address)
            if rng.random() < 0.07:
                t.agency_records.append(self._holds(pid, "housing"))
            if rng.random() < 0.03:
                t.agency_records.append(self._holds(pid, "health"))
            if rng.random() < 0.04:
                t.agency_records.append(self._holds(pid, "council"))
            if not offender[i] and rng.random() < 0.04:
                t.markers.append(self._marker(pid, "vulnerable_adult", "Known to adult social care", dobs[i]))
            if offender[i]:
                self._offending(
                    t,
                    i,
                    number,
                    pid,
                    dobs[i],
                    int(offence_counts[i]),
                    int(district_idx[i]),
                    people_ids,
                    dobs,
                    victim_p,
                )
        self._people_arrive(t)
        self._source_records(t)
        return t

    def _source_records(self, t: Tables) -> None:
        """Each agency reference's record as that agency holds it (`linkage.SourceRecord`): the
        police's as the person was drawn, the others' with the differences agencies' records
        have. A name an agency holds differently is also one of the person's names, kept as that
        agency's alias, as an import of the agency's file would keep it. Drawn from its own
        generator, after everything else in the chunk, so the population is the same as before."""
        people = {p["id"]: p for p in t.people}
        addresses = {a["person_id"]: a for a in t.addresses}
        pncs = {i["person_id"]: i["value"] for i in t.identifiers if i["kind"] == "pnc"}
        police = self.agencies["police"]
        # A person's name is kept once, by the first agency to hold it that way.
        named = {(n["person_id"], n["given_name"], n["surname"]) for n in t.names}
        for ident in [i for i in t.identifiers if i["kind"] == "agency_ref"]:
            person, agency = people[ident["person_id"]], ident["agency_id"]
            holder = next(k for k, v in self.agencies.items() if v == agency)
            if agency == police and ident["value"].startswith("WPX"):
                holder = "police-second"
            given, surname = self._held_name(holder, person["given_name"], person["surname"])
            if (person["id"], given, surname) not in named:
                named.add((person["id"], given, surname))
                t.names.append(
                    {
                        "id": self.record_uuid(),
                        "person_id": person["id"],
                        "given_name": given,
                        "surname": surname,
                        "is_alias": True,
                        "surname_key": surname_key(surname),
                        "given_key": given_name_key(given),
                        "agency_id": agency,
                    }
                )
            address = addresses.get(person["id"])
            address_1, town, postcode = (
                (address["address_1"], address["town"], address["postcode"]) if address else ("", "", "")
            )
            draw = self.records.random()
            if draw < RECORD_NO_ADDRESS_P[holder]:
                address_1, town, postcode = "", "", ""
            elif draw < RECORD_NO_ADDRESS_P[holder] + RECORD_OLD_ADDRESS_P[holder]:
                # An address the person has since left, in the same town.
                address_1 = f"{self.records.integers(1, 180)} {STREETS[self.records.integers(len(STREETS))]}"
                if postcode:
                    outward = postcode.split()[0]
                    postcode = f"{outward} {self.records.integers(1, 10)}{chr(65 + self.records.integers(26))}{chr(65 + self.records.integers(26))}"
            t.source_records.append(
                {
                    "id": self.record_uuid(),
                    "person_id": person["id"],
                    "agency_id": agency,
                    "reference": ident["value"],
                    "given_name": given,
                    "surname": surname,
                    "date_of_birth": self._held_dob(holder, person["date_of_birth"]),
                    "sex": person["sex"],
                    "address_1": address_1,
                    "town": town,
                    "postcode": postcode,
                    "pnc_id": "" if self.records.random() < RECORD_NO_PNC_P[holder] else pncs.get(person["id"], ""),
                    "other_id": "",
                }
            )

    def record_uuid(self) -> uuid.UUID:
        return uuid.UUID(bytes=self.records.bytes(16), version=4)

    def _held_name(self, holder: str, given: str, surname: str) -> tuple[str, str]:
        if self.records.random() >= RECORD_NAME_VARIANT_P[holder]:
            return given, surname
        draw = self.records.random()
        nicknames = given_name_variants(given)
        if draw < 0.35 and nicknames:
            return nicknames[self.records.integers(len(nicknames))].title(), surname
        if draw < 0.45:
            return surname, given  # names the other way round
        # A slip of the keyboard: one letter of the surname lost, doubled or swapped with the next.
        at = int(self.records.integers(1, max(2, len(surname) - 1)))
        slip = self.records.integers(3)
        if slip == 0 and len(surname) > 3:
            return given, surname[:at] + surname[at + 1 :]
        if slip == 1:
            return given, surname[: at + 1] + surname[at:]
        if at + 1 < len(surname):
            return given, surname[:at] + surname[at + 1] + surname[at] + surname[at + 2 :]
        return given, surname + "e"

    def _held_dob(self, holder: str, dob: dt.date) -> dt.date | None:
        draw = self.records.random()
        if draw < RECORD_DOB_MISSING_P[holder]:
            return None
        if draw < RECORD_DOB_MISSING_P[holder] + RECORD_DOB_SLIP_P[holder]:
            if dob.day <= 12 and dob.day != dob.month and self.records.random() < 0.5:
                return dob.replace(day=dob.month, month=dob.day)  # day and month the other way round
            return dob + dt.timedelta(days=int(self.records.choice([-1, 1, 365, -365])))
        return dob

    def _people_arrive(self, t: Tables) -> None:
        """The police sent each person with the first offence they committed or suffered; anyone
        else was in the history loaded at go-live."""
        ready = {o["id"]: o["_ready"] for o in t.offences}
        first: dict[uuid.UUID, dt.datetime] = {}
        for person, when in [(o["person_id"], o["_ready"]) for o in t.offences] + [
            (v["person_id"], ready[v["offence_id"]]) for v in t.victims
        ]:
            if person not in first or when < first[person]:
                first[person] = when
        police = self.feeds["police-people"]
        for person in t.people:
            police.arrive(first.get(person["id"], police.times[0]))

    def _name(self, pid: uuid.UUID, given: str, surname: str, *, alias: bool) -> dict:
        return {
            "id": self.uuid(),
            "person_id": pid,
            "given_name": given,
            "surname": surname,
            "is_alias": alias,
            "surname_key": surname_key(surname),
            "given_key": given_name_key(given),
            "agency_id": self.agencies["police"],
        }

    def _holds(self, pid: uuid.UUID, agency: str) -> dict:
        return {
            "id": self.uuid(),
            "person_id": pid,
            "agency_id": self.agencies[agency],
            "basis": "holds_record",
            "reason": "",
        }

    def _marker(self, pid: uuid.UUID, kind: str, note: str, since: dt.date) -> dict:
        start = max(since + dt.timedelta(days=365 * 16), self.window_start)
        start = min(start, self.today)
        return {
            "id": self.uuid(),
            "person_id": pid,
            "agency_id": self.agencies["police"],
            "kind": kind,
            "note": note,
            "start_date": start,
            "end_date": None,
        }

    def _offending(
        self,
        t: Tables,
        i: int,
        number: int,
        pid: uuid.UUID,
        dob: dt.date,
        k: int,
        home: int,
        people_ids: list[uuid.UUID],
        dobs: list[dt.date],
        victim_p: np.ndarray,
    ) -> None:
        rng, agency = self.rng, self.agencies
        age_start = max(10, (self.window_start - dob).days // 365)
        age_end = (self.today - dob).days // 365
        if age_end < age_start:
            return
        ages = np.arange(age_start, age_end + 1)
        w = self.curve[ages]
        if w.sum() == 0:
            return
        chosen_ages = rng.choice(ages, size=k, p=w / w.sum())
        dates = sorted(
            min(
                self.today - dt.timedelta(days=1),
                max(
                    self.window_start,
                    dob + dt.timedelta(days=int(a * 365.25 + rng.integers(0, 365))),
                ),
            )
            for a in chosen_ages
        )
        year2 = dates[0].year % 100
        self.pnc_serial += 1
        t.identifiers.append(
            {
                "id": self.uuid(),
                "person_id": pid,
                "kind": "pnc",
                "agency_id": None,
                "value": f"{dates[0].year}/{self.pnc_serial:07d}{pnc_check_letter(year2, self.pnc_serial)}",
            }
        )
        prolific = k >= 8
        proven = 0
        youth_ref = probation_ref = False
        youth_ready: dt.datetime | None = None
        probation_ready: dt.datetime | None = None
        group_counts: dict[str, int] = {}
        in_custody_until: dt.date | None = None
        for when in dates:
            if in_custody_until and when <= in_custody_until:
                when = in_custody_until + dt.timedelta(days=int(rng.integers(3, 120)))
                if when >= self.today:
                    break
            age = (when - dob).days / 365.25
            weights = self.weights_prolific if prolific else (self.weights_youth if age < 18 else self.weights_adult)
            code = self.codes[rng.choice(len(self.codes), p=weights)]
            kind = self.types[code]
            group_counts[kind.group] = group_counts.get(kind.group, 0) + 1
            self.offence_serial += 1
            oid = self.uuid()
            d_idx = home if rng.random() < 0.6 else int(rng.choice(len(self.districts), p=self.district_p_offender))
            d_code, _, _, (lat, lon) = self.districts[d_idx]
            latitude, longitude = self._inside(d_code, lat, lon, rng.normal(0, 0.01), rng.normal(0, 0.015))
            t.offences.append(
                {
                    "id": oid,
                    "person_id": pid,
                    "agency_id": agency["police"],
                    "reference": f"WX/{when.year}/{self.offence_serial:08d}",
                    "offence_date": when,
                    "offence_time": self._offence_time(str(kind.group)),
                    "offence_code": code,
                    "offence_group": str(kind.group),
                    "area": d_code,
                    "latitude": latitude,
                    "longitude": longitude,
                }
            )
            ready = self._arrive(t.offences[-1], "police-offences", self._ready(when, self._offence_lag()))
            self._untidy(t, t.offences[-1])
            if kind.has_victim:
                self._victims(t, oid, pid, when, people_ids, dobs, victim_p)
            if age < 18:
                youth_ref = True
                youth_ready = youth_ready or ready
            result = self._outcomes(t, oid, when, kind, proven, age, ready)
            if result in {"2", "3"} or (result or "").startswith("conviction_"):
                proven += 1
            if result in _SUPERVISED:
                probation_ref = True
                probation_ready = probation_ready or self.outcome_ready
            if result == "conviction_custody":
                in_custody_until = self._custody(t, pid, oid, kind, proven, ready)
        if youth_ref:
            t.identifiers.append(
                {
                    "id": self.uuid(),
                    "person_id": pid,
                    "kind": "agency_ref",
                    "agency_id": agency["yos"],
                    "value": f"YOS{number:07d}",
                }
            )
            t.agency_records.append(self._holds(pid, "yos"))
            if youth_ready:
                self.feeds["yos-people"].arrive(youth_ready, hold=False)
        if probation_ref:
            t.identifiers.append(
                {
                    "id": self.uuid(),
                    "person_id": pid,
                    "kind": "agency_ref",
                    "agency_id": agency["probation"],
                    "value": f"{chr(65 + number % 26)}{number % 1000000:06d}",
                }
            )
            t.agency_records.append(self._holds(pid, "probation"))
            if probation_ready:
                self.feeds["probation-people"].arrive(probation_ready, hold=False)
        if self.arrivals.random() < SECOND_REFERENCE_P:
            # Held twice by the police: a second reference for the same person (found through the PNC ID).
            t.identifiers.append(
                {
                    "id": self.arrival_uuid(),
                    "person_id": pid,
                    "kind": "agency_ref",
                    "agency_id": agency["police"],
                    "value": f"WPX{number:07d}",
                }
            )
        if group_counts.get("violence", 0) >= 2:
            t.markers.append(self._marker(pid, "violence", "Two or more violent offences recorded", dob))
        if group_counts.get("weapons", 0) >= 1:
            t.markers.append(self._marker(pid, "weapons", "Has carried a bladed article or other weapon", dob))
        if group_counts.get("drugs", 0) >= 3:
            t.markers.append(self._marker(pid, "drugs", "Repeated drug offences", dob))
        if rng.random() < 0.04:
            t.markers.append(self._marker(pid, "self_harm", "History of self-harm disclosed in custody", dob))

    def _victims(
        self,
        t: Tables,
        oid: uuid.UUID,
        offender: uuid.UUID,
        when: dt.date,
        people_ids: list[uuid.UUID],
        dobs: list[dt.date],
        victim_p: np.ndarray,
    ) -> None:
        how_many = 2 if self.rng.random() < 0.08 else 1
        picked = set()
        for idx in self.rng.choice(len(people_ids), size=how_many + 2, p=victim_p):
            victim = people_ids[idx]
            if victim == offender or victim in picked or dobs[idx] >= when:
                continue
            picked.add(victim)
            t.victims.append({"id": self.uuid(), "offence_id": oid, "person_id": victim})
            if len(picked) == how_many:
                break

    def _outcomes(
        self,
        t: Tables,
        oid: uuid.UUID,
        when: dt.date,
        kind: OffenceType,
        proven: int,
        age: float,
        offence_ready: dt.datetime,
    ) -> str | None:
        """Record the outcome route for one offence; return the final outcome, if decided yet."""
        rng, police = self.rng, self.agencies["police"]

        def add(outcome: str, days: int) -> bool:
            on = when + dt.timedelta(days=days)
            if on >= self.today:
                return False  # still pending
            row = {"id": self.uuid(), "offence_id": oid, "agency_id": police, "outcome_date": on, "outcome": outcome}
            # The police record their own outcomes within days; court results reach them in weeks.
            # A few outcomes never reach Pathways (never a sentence probation supervises: its own
            # records follow from those).
            court = outcome.startswith("conviction_") or outcome == "acquittal"
            lag = int(self.arrivals.integers(3, 29) if court else self.arrivals.integers(0, 4))
            self.outcome_ready = max(self._ready(on, lag), offence_ready)
            if outcome not in _SUPERVISED and self.arrivals.random() < OUTCOME_LOST_P:
                return True  # decided, but the record never arrived
            self._arrive(row, "police-outcomes", self.outcome_ready)
            t.outcomes.append(row)
            return True

        if rng.random() < 0.22:
            outcome = "16" if rng.random() < 0.7 else "15"
            return outcome if add(outcome, int(rng.integers(7, 90))) else None
        gravity = kind.gravity
        charge_p = min(0.97, {1: 0.12, 2: 0.28, 3: 0.6, 4: 0.93}[gravity] + 0.12 * proven)
        if rng.random() >= charge_p:
            youth = age < 18
            if kind.code == "92D" and not youth and rng.random() < 0.5:
                choice = "7"
            elif proven == 0 or rng.random() < 0.4:
                choice = str(
                    rng.choice(
                        ["8", "22", "2"] if youth else ["8", "22", "3"],
                        p=[0.5, 0.25, 0.25] if youth else [0.45, 0.15, 0.4],
                    )
                )
            else:
                choice = "2" if youth else "3"
            return choice if add(choice, int(rng.integers(0, 21))) else None
        charge_lag = int(rng.integers(1, 30))
        if not add("1", charge_lag):
            return None
        court_lag = charge_lag + int(rng.integers(21, 240))
        if rng.random() < 0.1:
            return "acquittal" if add("acquittal", court_lag) else None
        custody_p = min(0.85, {1: 0.02, 2: 0.06, 3: 0.2, 4: 0.55}[gravity] + 0.035 * proven)
        options = [
            "conviction_custody",
            "conviction_suspended",
            "conviction_community",
            "conviction_fine",
            "conviction_discharge",
        ]
        rest = 1 - custody_p
        p = [
            custody_p,
            rest * 0.16,
            rest * 0.32,
            rest * (0.36 if gravity < 4 else 0.2),
            rest * (0.16 if gravity < 4 else 0.32),
        ]
        result = str(rng.choice(options, p=np.array(p) / sum(p)))
        return result if add(result, court_lag) else None

    def _custody(
        self, t: Tables, pid: uuid.UUID, oid: uuid.UUID, kind: OffenceType, proven: int, offence_ready: dt.datetime
    ) -> dt.date | None:
        sentence = t.outcomes[-1]["outcome_date"]
        months = float(
            np.clip(
                self.rng.lognormal({1: 0.8, 2: 1.3, 3: 2.3, 4: 3.6}[kind.gravity] + 0.03 * proven, 0.5),
                0.5,
                240,
            )
        )
        release = sentence + dt.timedelta(days=int(months * 30.44 / 2))
        t.custody.append(
            {
                "id": self.uuid(),
                "person_id": pid,
                "offence_id": oid,
                "agency_id": self.agencies["probation"],
                "sentence_date": sentence,
                "release_date": release if release < self.today else None,
            }
        )
        lag = int(self.arrivals.integers(1, 15))
        self._arrive(t.custody[-1], "probation-custody", max(self._ready(sentence, lag), offence_ready))
        return release

    def _arrive(self, row: dict, feed: str, ready: dt.datetime) -> dt.datetime:
        """Stamp a record with the file of `feed` it arrived in; `_ready` is kept (unwritten) for
        the records that depend on it."""
        row["_ready"] = ready
        row["created_at"] = row["updated_at"] = self.feeds[feed].arrive(ready)
        return ready

    def _inside(self, code: str, lat: float, lon: float, dlat: float, dlon: float) -> tuple[float, float]:
        """The point the drawn distance from the district's centre, brought halfway nearer the
        centre until it is inside the district: no further draws, so every stream is unchanged."""
        outline = self.district_shapes[code]
        for _ in range(8):
            point = (round(lat + dlat, 5), round(lon + dlon, 5))
            if shapely.contains_xy(outline, point[1], point[0]):
                return point
            dlat, dlon = dlat / 2, dlon / 2
        return round(lat, 5), round(lon, 5)

    def _offence_time(self, group: str) -> str | None:
        """When in the day the offence began, or None (not recorded). As text: the demo's writer
        sends values to the database as they are, and SQLite takes no time objects."""
        if self.times.random() < TIME_MISSING_P:
            return None
        shape = "day" if group in _DAY_GROUPS else "night" if group in _NIGHT_GROUPS else "evening"
        hour = int(self.times.choice(24, p=_HOUR_P[shape]))
        return dt.time(hour, int(self.times.integers(60))).isoformat()

    def _untidy(self, t: Tables, offence: dict) -> None:
        """Leave out where a few offences happened, and record a few twice (a second crime number
        for the same crime, which never gets an outcome)."""
        draw = self.arrivals.random()
        if draw < AREA_MISSING_P:
            offence.update(area="", latitude=None, longitude=None)
        elif draw < AREA_MISSING_P + COORDINATES_MISSING_P:
            offence.update(latitude=None, longitude=None)
        if self.arrivals.random() < DUPLICATE_OFFENCE_P:
            self.twin_serial += 1
            twin = {
                **offence,
                "id": self.arrival_uuid(),
                "reference": f"WX/{offence['offence_date'].year}/9{self.twin_serial:07d}",
            }
            self._arrive(
                twin, "police-offences", offence["_ready"] + dt.timedelta(days=int(self.arrivals.integers(1, 11)))
            )
            t.offences.append(twin)
