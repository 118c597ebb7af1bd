"""Proven reoffending at national scale: DuckDB against pandas and against a plain scan.

    uv run python benchmarks/reoffending_national.py            # 2,000,000 people, 20,000,000 offences
    uv run python benchmarks/reoffending_national.py --reuse    # keep the CSV files made last time
    uv run python benchmarks/reoffending_national.py --people 20000 --no-write   # a quick try

Steps, all in one run:

1. **Generate** a synthetic national dataset with numpy (seeded, vectorised) and write it as the
   partner files the engines read (people.csv, offences.csv, outcomes.csv, custody.csv,
   schemes.csv; docs/data-formats.md) through DuckDB's COPY. Heavy-tailed offences per person
   (most people have one or two, a few hundreds), ten years of dates, real outcome codes.
   `--reuse` keeps files made earlier with the same size and seed.
2. **Load** them once into a DuckDB database file with `DuckDBEngine.load_folder` (the engine's
   own storage), timed on its own; then export the columns the measure reads to pickled pandas
   DataFrames (pandas' own storage; pyarrow, which Parquet would need, is not a dependency).
3. **Measure**, each in a fresh Python process so that its peak memory (ru_maxrss) is its own:
   a. `DuckDBEngine(database=…).reoffending(PRESETS["moj"], …, by=BREAKDOWNS)` on the file;
   b. the same definition written plainly in pandas, from the pickles (time to read them and
      time to compute are both reported);
   c. a plain DuckDB scan (count, min, max) of every column the measure reads: the floor.
4. **Check** that pandas and DuckDB give identical figures, overall and for every group of every
   breakdown; a difference stops the run with an error.
5. **Report**: a table on the terminal, and (unless --no-write) the figures, the machine and the
   command in docs/performance.md between the reoffending-benchmark markers.

It exits non-zero when a target is missed: DuckDB under 20 s and 4 GB, at least 5 times faster
than pandas and within 4 times of the scan.
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import json
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from pathways.analytics.engines import COLUMNS, DuckDBEngine  # noqa: E402
from pathways.analytics.measures import (  # noqa: E402
    AGE_BANDS,
    BREAKDOWNS,
    DISPOSALS,
    PRESETS,
    PREVIOUS_BANDS,
    Preset,
)

DOC = REPO / "docs" / "performance.md"
MARK_START = "<!-- reoffending-benchmark:start (written by benchmarks/reoffending_national.py) -->"
MARK_END = "<!-- reoffending-benchmark:end -->"
SECTION = "## Proven reoffending at national scale"

TARGET_SECONDS = 20.0
TARGET_BYTES = 4 * 1024**3
TARGET_VS_PANDAS = 5.0
TARGET_VS_SCAN = 4.0

# The data covers ten years; outcomes recorded after the extract date are not yet known.
DATA_START = dt.date(2014, 1, 1)
DATA_END = dt.date(2023, 12, 31)
EXTRACT = dt.date(2024, 3, 31)
# A one-year cohort whose follow-up and waiting period (18 months) end inside the data.
COHORT_START = dt.date(2021, 1, 1)
COHORT_END = dt.date(2021, 12, 31)

# The columns the measure reads (person_level_sql): what pandas gets and what the floor scans.
READ = {
    "people": ["person_id", "date_of_birth", "sex", "ethnicity", "postcode"],
    "offences": ["offence_id", "person_id", "offence_date", "offence_group"],
    "outcomes": ["offence_id", "outcome_date", "outcome"],
    "custody": ["person_id", "offence_id", "release_date"],
    "schemes": ["person_id", "scheme"],
}
DATES = {"date_of_birth", "offence_date", "outcome_date", "release_date", "sentence_date"}


def _days(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


# --- 1. the synthetic dataset ------------------------------------------------------------------

ETHNICITY = {
    "W1": 0.62, "W2": 0.01, "W3": 0.005, "W4": 0.005, "W9": 0.04, "A1": 0.02, "A2": 0.03, "A3": 0.01,
    "A4": 0.005, "A9": 0.015, "B1": 0.025, "B2": 0.03, "B9": 0.01, "M1": 0.015, "M2": 0.005, "M3": 0.005,
    "M9": 0.01, "O1": 0.005, "O9": 0.02, "NS": 0.06, None: 0.05,
}  # fmt: skip
OFFENCE_GROUPS = {
    "violence": (0.26, ["105A", "8N", "5D", "8P"]),
    "sexual": (0.03, ["17A", "19C", "88A"]),
    "robbery": (0.02, ["34A", "34B"]),
    "theft": (0.22, ["46", "45", "44", "49", "39"]),
    "criminal_damage": (0.08, ["58A", "58C", "56B"]),
    "drugs": (0.09, ["92A", "92D", "92E"]),
    "weapons": (0.02, ["10A", "10C", "81"]),
    "public_order": (0.09, ["9A", "62A", "66"]),
    "miscellaneous": (0.04, ["26A", "27", "802"]),
    "fraud": (0.03, ["53A", "53H", "814"]),
    "summary_non_motoring": (0.07, ["104", "141", "195"]),
    "summary_motoring": (0.05, ["803", "814.2", "37.2"]),
}
# The last outcome of an offence. "caution" becomes 2 (youth) or 3 (adult) by age; None: none yet.
FINAL_OUTCOMES = {
    "conviction_custody": 0.06, "conviction_suspended": 0.04, "conviction_community": 0.07,
    "conviction_fine": 0.12, "conviction_discharge": 0.03, "acquittal": 0.03, "caution": 0.08,
    "8": 0.08, "22": 0.02, "6": 0.02, "14": 0.05, "15": 0.10, "16": 0.16, "18": 0.03, "21": 0.02, None: 0.09,
}  # fmt: skip
SCHEMES = {"iom_fixed": 0.35, "iom_flex": 0.35, "turnaround": 0.2, "womens_centre": 0.1}
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def _choice(rng: np.random.Generator, weights: dict[Any, float], size: int) -> np.ndarray:
    """Indices into list(weights), drawn with those (normalised) weights."""
    p = np.array(list(weights.values()), dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum()).astype(np.int16)


def offence_counts(rng: np.random.Generator, people: int, total: int) -> np.ndarray:
    """Offences per person: heavy-tailed (Lomax), at least one each, summing exactly to `total`."""
    w = rng.pareto(1.2, size=people)
    cap = max(1, min(1500, total // 50))

    def counts(scale: float) -> np.ndarray:
        return np.minimum(1 + np.floor(w * scale), cap).astype(np.int64)

    lo, hi = 0.0, 1.0
    while counts(hi).sum() < total and hi < 1e9:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if counts(mid).sum() < total else (lo, mid)
    c = counts(lo)
    short = total - int(c.sum())  # a few left over: one more each for people picked at random
    if short > 0:
        extra = rng.choice(np.flatnonzero(c < cap), size=short, replace=False)
        c[extra] += 1
    return c


def generate(folder: Path, people: int, per_person: int, seed: int) -> dict[str, Any]:
    """Write the partner files into `folder`; returns row counts and the shape of the data."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    total = people * per_person
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")

    def copy(name: str, frames: dict[str, pd.DataFrame], select: str) -> None:
        for key, frame in frames.items():
            con.register(key, frame)
        target = folder / f"{name}.csv"
        con.execute(f"COPY ({select}) TO '{target}' (HEADER, DELIMITER ',', DATEFORMAT '%Y-%m-%d')")
        for key in frames:
            con.unregister(key)

    def lookup(name: str, values: list[Any]) -> None:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} (i SMALLINT, v VARCHAR)")
        con.executemany(f"INSERT INTO {name} VALUES (?, ?)", list(enumerate(values)))

    # People: ages at the middle of the decade skewed young; M/F/U/empty; census ethnicity codes;
    # a postcode in one of about 60 districts, a few in lower case or padded with spaces.
    middle = _days(dt.date(2019, 1, 1))
    age_days = ((10 + rng.gamma(2.0, 9.0, size=people)).clip(10, 85) * 365.25).astype(np.int64)
    dob = (middle - age_days).astype(np.int32)
    districts = [f"{a}{n}" for a in ("WX", "CB", "DN", "ST", "KB", "SH", "MB", "AV") for n in range(1, 9)]
    district_weights = {d: 1 / (i + 1) ** 0.8 for i, d in enumerate(districts)}
    lookup("sexes", ["M", "F", "U", None])
    lookup("ethnicities", list(ETHNICITY))
    lookup("districts", districts)
    people_frame = pd.DataFrame(
        {
            "i": np.arange(people, dtype=np.int32),
            "dob": dob,
            "no_dob": rng.random(people) < 0.005,
            "sex": _choice(rng, {"M": 0.81, "F": 0.17, "U": 0.01, None: 0.01}, people),
            "eth": _choice(rng, ETHNICITY, people),
            "district": _choice(rng, district_weights, people),
            "inward": rng.integers(0, 10 * 20 * 20, size=people, dtype=np.int32),
            "style": rng.choice(4, size=people, p=[0.975, 0.01, 0.005, 0.01]).astype(np.int8),
        }
    )
    postcode = (
        f"d.v || ' ' || CAST(f.inward // 400 AS VARCHAR) || substr('{INWARD_LETTERS}', (f.inward // 20) % 20 + 1, 1) "
        f"|| substr('{INWARD_LETTERS}', f.inward % 20 + 1, 1)"
    )
    copy(
        "people",
        {"people_frame": people_frame},
        f"""SELECT 'P' || lpad(CAST(f.i + 1 AS VARCHAR), 8, '0') AS person_id,
                   CASE WHEN f.no_dob THEN NULL ELSE DATE '1970-01-01' + f.dob END AS date_of_birth,
                   s.v AS sex, e.v AS ethnicity,
                   CASE f.style WHEN 0 THEN {postcode} WHEN 1 THEN lower({postcode})
                                WHEN 2 THEN '  ' || {postcode} || ' ' ELSE NULL END AS postcode
            FROM people_frame f JOIN sexes s ON s.i = f.sex JOIN ethnicities e ON e.i = f.eth
            JOIN districts d ON d.i = f.district ORDER BY f.i""",
    )
    del people_frame

    # Offences: a criminal career per person (a centre and a spread in time), dates wrapped into
    # the ten years and never before the tenth birthday.
    counts = offence_counts(rng, people, total)
    owner = np.repeat(np.arange(people, dtype=np.int32), counts)
    span = _days(DATA_END) - _days(DATA_START) + 1
    centre = rng.integers(0, span, size=people)
    spread = 60 + 1500 * rng.beta(1.2, 3.0, size=people)
    day = (centre[owner] + rng.normal(0, 1, size=total) * spread[owner]).astype(np.int64) % span
    offence_date = (_days(DATA_START) + day).astype(np.int32)
    tenth = dob[owner] + int(10 * 365.25) + 1
    young = offence_date < tenth
    offence_date[young] = np.minimum(tenth[young] + rng.integers(0, 365, size=int(young.sum())), _days(DATA_END))
    group = _choice(rng, {g: w for g, (w, _) in OFFENCE_GROUPS.items()}, total)
    code_lists = [codes for _, codes in OFFENCE_GROUPS.values()]
    code = np.zeros(total, dtype=np.int16)
    offset = 0
    codes_flat: list[str] = []
    for g, codes in enumerate(code_lists):
        mask = group == g
        code[mask] = offset + rng.integers(0, len(codes), size=int(mask.sum()))
        codes_flat += codes
        offset += len(codes)
    lookup("groups", list(OFFENCE_GROUPS))
    lookup("codes", codes_flat)
    offence_frame = pd.DataFrame(
        {"i": np.arange(total, dtype=np.int32), "p": owner, "d": offence_date, "g": group, "c": code}
    )
    offence_id = "'O' || lpad(CAST(f.i + 1 AS VARCHAR), 9, '0')"
    person_id = "'P' || lpad(CAST(f.p + 1 AS VARCHAR), 8, '0')"
    copy(
        "offences",
        {"offence_frame": offence_frame},
        f"""SELECT {offence_id} AS offence_id, {person_id} AS person_id,
                   DATE '1970-01-01' + f.d AS offence_date, c.v AS offence_code, g.v AS offence_group
            FROM offence_frame f JOIN groups g ON g.i = f.g JOIN codes c ON c.i = f.c ORDER BY f.i""",
    )
    del offence_frame

    # Outcomes: one final outcome per offence (or none yet), court results after a longer delay;
    # a charge (1) first for court cases; a few convictions varied later (a second result).
    final_codes = list(FINAL_OUTCOMES)
    final = _choice(rng, FINAL_OUTCOMES, total)
    court = np.isin(final, [final_codes.index(c) for c in final_codes if str(c).startswith(("conv", "acq"))])
    lag = np.where(court, 21 + rng.exponential(150, size=total), rng.exponential(40, size=total)).astype(np.int32)
    outcome_date = offence_date + lag
    age_at_offence = (offence_date - dob[owner]) / 365.25
    labels = [("caution_youth" if c == "caution" else c) for c in final_codes]
    labels.append("caution_adult")
    final = final.astype(np.int16)
    final[(final == final_codes.index("caution")) & (age_at_offence >= 18)] = len(final_codes)
    rows = [(np.arange(total, dtype=np.int32), outcome_date, final)]
    charged = np.flatnonzero(court)
    rows.append(
        (
            charged.astype(np.int32),
            offence_date[charged] + (lag[charged] * rng.random(charged.size) * 0.3).astype(np.int32),
            np.full(charged.size, len(labels), dtype=np.int16),
        )
    )
    labels.append("1")
    conviction_codes = [final_codes.index(c) for c in final_codes if str(c).startswith("conv")]
    varied = np.flatnonzero(np.isin(final, conviction_codes) & (rng.random(total) < 0.01))
    rows.append(
        (
            varied.astype(np.int32),
            outcome_date[varied] + rng.integers(30, 200, size=varied.size).astype(np.int32),
            rng.choice(conviction_codes, size=varied.size).astype(np.int16),
        )
    )
    outcome_frame = pd.DataFrame(
        {
            "o": np.concatenate([r[0] for r in rows]),
            "d": np.concatenate([r[1] for r in rows]),
            "x": np.concatenate([r[2] for r in rows]),
        }
    )
    del rows
    outcome_codes = ["2" if c == "caution_youth" else "3" if c == "caution_adult" else c for c in labels]
    lookup("outcome_codes", outcome_codes)
    copy(
        "outcomes",
        {"outcome_frame": outcome_frame},
        f"""SELECT 'O' || lpad(CAST(f.o + 1 AS VARCHAR), 9, '0') AS offence_id,
                   DATE '1970-01-01' + f.d AS outcome_date, x.v AS outcome
            FROM outcome_frame f JOIN outcome_codes x ON x.i = f.x
            WHERE x.v IS NOT NULL AND f.d <= {_days(EXTRACT)} ORDER BY f.o, f.d""",
    )
    del outcome_frame

    # Custody: every custodial sentence known by the extract date; released after a heavy-tailed
    # time inside, or still inside (no release date) at the extract date.
    custodial = np.flatnonzero((final == final_codes.index("conviction_custody")) & (outcome_date <= _days(EXTRACT)))
    inside = np.exp(rng.normal(np.log(120), 0.9, size=custodial.size)).clip(7, 3650).astype(np.int32)
    custody_frame = pd.DataFrame({"i": custodial.astype(np.int32), "p": owner[custodial], "s": outcome_date[custodial]})
    custody_frame["r"] = custody_frame["s"] + inside
    copy(
        "custody",
        {"custody_frame": custody_frame},
        f"""SELECT {person_id} AS person_id, {offence_id} AS offence_id, DATE '1970-01-01' + f.s AS sentence_date,
                   CASE WHEN f.r <= {_days(EXTRACT)} THEN DATE '1970-01-01' + f.r END AS release_date
            FROM custody_frame f ORDER BY f.i""",
    )
    del custody_frame

    # Schemes: about 3% of people (more of the prolific), a tenth of them in two.
    weight = np.minimum(counts, 50).astype(float)
    members = rng.choice(people, size=people * 3 // 100, replace=False, p=weight / weight.sum())
    twice = members[rng.random(members.size) < 0.1]
    lookup("scheme_names", list(SCHEMES))
    scheme_frame = pd.DataFrame(
        {
            "p": np.concatenate([members, twice]).astype(np.int32),
            "s": np.concatenate(
                [_choice(rng, SCHEMES, members.size), (_choice(rng, SCHEMES, twice.size) + 1) % len(SCHEMES)]
            ),
        }
    )
    copy(
        "schemes",
        {"scheme_frame": scheme_frame},
        """SELECT DISTINCT 'P' || lpad(CAST(f.p + 1 AS VARCHAR), 8, '0') AS person_id, s.v AS scheme
            FROM scheme_frame f JOIN scheme_names s ON s.i = f.s ORDER BY 1, 2""",
    )
    con.close()

    shape = {
        "people": people,
        "offences": total,
        "offences_per_person": {
            "1": int((counts == 1).sum()),
            "2": int((counts == 2).sum()),
            "median": float(np.median(counts)),
            "p90": float(np.percentile(counts, 90)),
            "p99": float(np.percentile(counts, 99)),
            "max": int(counts.max()),
        },
    }
    return shape


# --- 3b. the measure in plain pandas -------------------------------------------------------------


def _band(values: pd.Series, bands: list[tuple[int, int]], top: str) -> np.ndarray:
    """The same bands as measures._band: NULL and anything below the first band are 'unknown'."""
    conditions = [values.isna().to_numpy()]
    choices = ["unknown"]
    for lo, hi in bands:
        conditions.append(((values >= lo) & (values <= hi)).to_numpy())
        choices.append(f"{lo}-{hi}" if lo != hi else f"{lo}")
    conditions.append((values > bands[-1][1]).to_numpy())
    choices.append(top)
    return np.select(conditions, choices, default="unknown")


def pandas_person_level(tables: dict[str, pd.DataFrame], preset: Preset, start: dt.date, end: dt.date) -> pd.DataFrame:
    """One row per person in the cohort, the definition of measures.person_level_sql step by step."""
    people, offences, outcomes, custody = (tables[n] for n in ("people", "offences", "outcomes", "custody"))
    start_ts, end_ts = pd.Timestamp(start), pd.Timestamp(end)

    # Proven offences: the first conviction or caution of each offence.
    proof = outcomes[outcomes["outcome"].isin(preset.proof_outcomes)]
    proven = proof.merge(offences[["offence_id", "person_id", "offence_date"]], on="offence_id")
    proven = (
        proven.groupby(["offence_id", "person_id", "offence_date"], dropna=False, sort=False)["outcome_date"]
        .min()
        .rename("proven_date")
        .reset_index()
    )

    # Index events in the window: custody releases and the preset's outcomes; the first per person.
    candidates = []
    if preset.custody_release:
        released = custody[custody["release_date"].between(start_ts, end_ts)]
        candidates.append(
            pd.DataFrame(
                {
                    "person_id": released["person_id"],
                    "index_date": released["release_date"],
                    "index_disposal": "custody",
                    "disposal_rank": 1,
                    "index_offence_id": released["offence_id"],
                }
            )
        )
    index = outcomes[
        outcomes["outcome"].isin(preset.index_outcomes) & outcomes["outcome_date"].between(start_ts, end_ts)
    ]
    index = index.merge(offences[["offence_id", "person_id"]], on="offence_id")
    candidates.append(
        pd.DataFrame(
            {
                "person_id": index["person_id"],
                "index_date": index["outcome_date"],
                "index_disposal": index["outcome"].map({code: label for code, (label, _) in DISPOSALS.items()}),
                "disposal_rank": index["outcome"].map({code: rank for code, (_, rank) in DISPOSALS.items()}),
                "index_offence_id": index["offence_id"],
            }
        )
    )
    cohort = (
        pd.concat(candidates, ignore_index=True)
        .sort_values(["person_id", "index_date", "disposal_rank", "index_offence_id"], kind="stable")
        .drop_duplicates("person_id", keep="first")
    )

    # Who they are, and the offence behind the index event.
    cohort = cohort.merge(people, on="person_id", how="left")
    cohort = cohort.merge(
        offences[["offence_id", "offence_date", "offence_group"]].rename(
            columns={"offence_id": "index_offence_id", "offence_date": "index_offence_date"}
        ),
        on="index_offence_id",
        how="left",
    )
    cohort["offence_group"] = cohort["offence_group"].fillna("unknown")
    cohort["sex"] = cohort["sex"].fillna("U")
    cohort["ethnicity"] = cohort["ethnicity"].fillna("NS")
    area = cohort["postcode"].str.strip(" ").str.upper().str.split(" ").str[0]
    cohort["area"] = area.where(area != "").fillna("unknown")
    born, on = cohort["date_of_birth"], cohort["index_date"]
    age = on.dt.year - born.dt.year - ((on.dt.month * 100 + on.dt.day) < (born.dt.month * 100 + born.dt.day))
    cohort["age_band"] = _band(age.where(born.notna()), AGE_BANDS, "50+")
    if "schemes" in tables:
        first_scheme = tables["schemes"].groupby("person_id")["scheme"].min()
        cohort["scheme"] = cohort["person_id"].map(first_scheme).fillna("none")
    else:
        cohort["scheme"] = "none"
    cohort["follow_up_end"] = cohort["index_date"] + pd.DateOffset(months=preset.follow_up_months)
    cohort["proof_end"] = cohort["index_date"] + pd.DateOffset(months=preset.follow_up_months + preset.waiting_months)

    # Their proven offences before the index offence, and after the index date.
    history = cohort[["person_id", "index_date", "index_offence_date", "follow_up_end", "proof_end"]].merge(
        proven, on="person_id"
    )
    before = history[
        (history["offence_date"] < history["index_offence_date"]) & (history["proven_date"] <= history["index_date"])
    ]
    previous = before.groupby("person_id").size()
    after = history[
        (history["offence_date"] > history["index_date"])
        & (history["offence_date"] <= history["follow_up_end"])
        & (history["proven_date"] <= history["proof_end"])
    ]
    reoffences = after.groupby("person_id")["offence_date"].agg(["size", "min"])

    cohort["previous_offences"] = _band(
        cohort["person_id"].map(previous).fillna(0).astype(np.int64), PREVIOUS_BANDS, "11+"
    )
    cohort["reoffences"] = cohort["person_id"].map(reoffences["size"]).fillna(0).astype(np.int64)
    cohort["reoffended"] = (cohort["reoffences"] > 0).astype(np.int64)
    cohort["days_to_first_reoffence"] = (cohort["person_id"].map(reoffences["min"]) - cohort["index_date"]).dt.days
    return cohort


def pandas_reoffending(
    tables: dict[str, pd.DataFrame], preset: Preset, start: dt.date, end: dt.date, by: list[str]
) -> dict[str, Any]:
    """Overall figures and every breakdown, in the form `figures_of` gives DuckDB's."""
    cohort = pandas_person_level(tables, preset, start, end)

    def totals(frame: pd.DataFrame) -> list[int]:
        return [
            len(frame),
            int(frame["reoffended"].sum()),
            int(frame["reoffences"].sum()),
            int(frame["days_to_first_reoffence"].sum()),
        ]

    out: dict[str, Any] = {"overall": totals(cohort), "breakdowns": {}}
    for name in by:
        out["breakdowns"][name] = {str(group): totals(frame) for group, frame in cohort.groupby(name, sort=True)}
    return out


def check_hand_worked_cases() -> int:
    """Run the hand-worked cases of the definition's tests on DuckDB with every result also
    computed by `pandas_reoffending`; stops the run if any figure differs. Returns the number of
    results compared."""
    from pathways.analytics.tests import test_reoffending_definition as cases

    compared = 0

    class Checked(DuckDBEngine):
        def load_frames(self, frames: dict[str, pd.DataFrame]) -> None:
            super().load_frames(frames)
            self.frames = {
                name: frame.assign(**{c: pd.to_datetime(frame[c]) for c in frame if COLUMNS[name][c] == "DATE"})
                for name, frame in frames.items()
            }

        def reoffending(self, preset: Preset, *, start: dt.date, end: dt.date, **kwargs: Any) -> Any:
            nonlocal compared
            every = super().reoffending(preset, start=start, end=end, by=list(BREAKDOWNS))
            problems = compare(figures_of(every), pandas_reoffending(self.frames, preset, start, end, list(BREAKDOWNS)))
            if problems:
                raise SystemExit("the pandas port differs on a hand-worked case:\n  " + "\n  ".join(problems))
            compared += 1
            return super().reoffending(preset, start=start, end=end, **kwargs)

    for name, test in inspect.getmembers(cases, inspect.isfunction):
        if name.startswith("test_") and "engine" in inspect.signature(test).parameters:
            test(Checked())
    return compared


def figures_of(result: Any) -> dict[str, Any]:
    def row(f: Any) -> list[int]:
        return [f.cohort, f.reoffenders, f.reoffences, f.total_days_to_first]

    return {
        "overall": row(result.overall),
        "breakdowns": {name: {g: row(f) for g, f in groups} for name, groups in result.breakdowns.items()},
    }


# --- 2 and 3: the measured steps, each run in a fresh process -------------------------------------


def _peak() -> int:
    """This process's peak resident memory, in bytes. VmHWM belongs to the process's own address
    space; ru_maxrss would also count the parent's, which it inherits across fork and exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def child(mode: str, workdir: Path, start: dt.date, end: dt.date) -> dict[str, Any]:
    database = workdir / "reoffending.duckdb"
    baseline = _peak()
    if mode == "load":
        for leftover in (database, database.with_suffix(".duckdb.wal")):
            leftover.unlink(missing_ok=True)
        started = time.perf_counter()
        engine = DuckDBEngine(database=str(database))
        engine.load_folder(workdir / "csv")
        counts = {name: engine.sql(f"SELECT count(*) AS n FROM {name}")[0]["n"] for name in COLUMNS}
        engine.close()
        return {"seconds": time.perf_counter() - started, "peak": _peak(), "baseline": baseline, "rows": counts}
    if mode == "duckdb":
        started = time.perf_counter()
        engine = DuckDBEngine(database=str(database))
        result = engine.reoffending(PRESETS["moj"], start=start, end=end, by=list(BREAKDOWNS))
        seconds = time.perf_counter() - started
        engine.close()
        return {"seconds": seconds, "peak": _peak(), "baseline": baseline, "figures": figures_of(result)}
    if mode == "scan":
        import duckdb

        started = time.perf_counter()
        con = duckdb.connect(str(database))
        for table, columns in READ.items():
            aggregates = ", ".join(f"count({c}), min({c}), max({c})" for c in columns)
            con.execute(f"SELECT {aggregates} FROM {table}").fetchall()
        seconds = time.perf_counter() - started
        con.close()
        return {"seconds": seconds, "peak": _peak(), "baseline": baseline}
    if mode == "export":
        return {"seconds": export_for_pandas(workdir), "peak": _peak(), "baseline": baseline}
    if mode == "pandas":
        started = time.perf_counter()
        tables = {name: pd.read_pickle(workdir / "pandas" / f"{name}.pkl") for name in READ}
        read = time.perf_counter() - started
        figures = pandas_reoffending(tables, PRESETS["moj"], start, end, list(BREAKDOWNS))
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "read": read, "peak": _peak(), "baseline": baseline, "figures": figures}
    raise SystemExit(f"unknown step {mode}")


def run_child(mode: str, workdir: Path, start: dt.date, end: dt.date) -> dict[str, Any]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in [str(REPO / "src"), os.environ.get("PYTHONPATH")] if p),
    }
    command = [sys.executable, __file__, "--child", mode, "--workdir", str(workdir)]
    command += ["--start", start.isoformat(), "--end", end.isoformat()]
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"the {mode} step failed (exit {done.returncode})")
    line = next(x for x in reversed(done.stdout.splitlines()) if x.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def export_for_pandas(workdir: Path) -> float:
    """The columns the measure reads, from the DuckDB file into pickled DataFrames (one-off)."""
    import duckdb

    started = time.perf_counter()
    folder = workdir / "pandas"
    folder.mkdir(exist_ok=True)
    con = duckdb.connect(str(workdir / "reoffending.duckdb"), read_only=True)
    for table, columns in READ.items():
        con.execute(f"SELECT {', '.join(columns)} FROM {table}").df().to_pickle(folder / f"{table}.pkl")
    con.close()
    return time.perf_counter() - started


def compare(duck: dict[str, Any], plain: dict[str, Any]) -> list[str]:
    """Every difference between the two results (none, if the pandas port is right)."""
    problems = []
    if duck["overall"] != plain["overall"]:
        problems.append(f"overall: DuckDB {duck['overall']}, pandas {plain['overall']}")
    for name in sorted(set(duck["breakdowns"]) | set(plain["breakdowns"])):
        a, b = duck["breakdowns"].get(name, {}), plain["breakdowns"].get(name, {})
        for group in sorted(set(a) | set(b)):
            if a.get(group) != b.get(group):
                problems.append(f"{name}={group}: DuckDB {a.get(group)}, pandas {b.get(group)}")
    return problems


# --- 5. the report -------------------------------------------------------------------------------


def _gb(n: float) -> str:
    return f"{n / 1024**3:.2f} GB"


def _mb(n: float) -> str:
    return f"{n / 1024**2:,.0f} MB"


def _load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def machine(load_before: str) -> dict[str, str]:
    import duckdb

    cpu = platform.processor() or "unknown"
    memory = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kb = next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal"))
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass
    try:
        git = ["git", "-C", str(REPO)]
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        changed = subprocess.run(
            [*git, "status", "--porcelain", "--", "src", "benchmarks"], capture_output=True, text=True
        )
        commit_text = commit.stdout.strip() + (" with uncommitted changes" if changed.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        commit_text = "unknown"
    return {
        "CPU": cpu,
        "Cores (nproc)": str(os.cpu_count()),
        "Memory": memory,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "DuckDB / pandas / numpy": f"{duckdb.__version__} / {pd.__version__} / {np.__version__}",
        "Commit": commit_text,
        "Load average (1, 5, 15 min)": f"{load_before} before measuring; {_load_average()} after",
        "Date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _verdict(ok: bool) -> str:
    return "yes" if ok else "**no**"


def summarise(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Median time and the highest peak of each kind of run, the ratios and which targets are met."""
    med = {k: statistics.median(r["seconds"] for r in v) for k, v in runs.items()}
    peak = {k: max(r["peak"] for r in v) for k, v in runs.items()}
    compute = statistics.median(r["seconds"] - r["read"] for r in runs["pandas"])
    s = {
        "median": med,
        "peak": peak,
        "pandas_read": statistics.median(r["read"] for r in runs["pandas"]),
        "pandas_compute": compute,
        "vs_pandas": med["pandas"] / med["duckdb"],
        "vs_pandas_compute": compute / med["duckdb"],
        "vs_scan": med["duckdb"] / med["scan"],
    }
    s["met"] = {
        "time": med["duckdb"] < TARGET_SECONDS,
        "memory": peak["duckdb"] < TARGET_BYTES,
        "pandas": min(s["vs_pandas"], s["vs_pandas_compute"]) >= TARGET_VS_PANDAS,
        "scan": s["vs_scan"] <= TARGET_VS_SCAN,
    }
    return s


def report(
    s: dict[str, Any],
    runs: dict[str, list[dict[str, Any]]],
    load: dict[str, Any],
    facts: dict[str, Any],
    info: dict[str, str],
    command: str,
) -> str:
    shape = facts["shape"]
    opp = shape["offences_per_person"]
    rows = load["rows"]
    overall = facts["overall"]
    groups = facts["groups"]
    times = {k: ", ".join(f"{r['seconds']:.2f}" for r in v) for k, v in runs.items()}
    lines = [
        MARK_START,
        f"### Latest run: {info['Date']}",
        "",
        f"{rows['people']:,} people, {rows['offences']:,} offences, {rows['outcomes']:,} outcomes, "
        f"{rows['custody']:,} custody periods and {rows['schemes']:,} scheme memberships (seed {facts['seed']}; "
        f"offences per person: {opp['1']:,} people with one, {opp['2']:,} with two, median {opp['median']:g}, "
        f"90th percentile {opp['p90']:g}, 99th {opp['p99']:g}, most {opp['max']:,}). "
        f"CSV files {_mb(facts['csv_bytes'])}; DuckDB file {_mb(facts['database_bytes'])}. "
        f"MoJ preset, cohort {facts['start']} to {facts['end']}, all {len(BREAKDOWNS)} breakdowns: "
        f"{overall[0]:,} people in the cohort, {overall[1]:,} reoffended ({overall[1] / max(overall[0], 1):.1%}), "
        f"{overall[2]:,} proven reoffences. "
        f"**pandas and DuckDB agree exactly**: overall and all {groups} groups of the {len(BREAKDOWNS)} breakdowns "
        "(cohort, reoffenders, reoffences, days to first reoffence), as they do on the "
        f"{facts['hand_worked']} results of the hand-worked cases in `test_reoffending_definition.py`.",
        "",
        "| Step (each in a fresh process) | Wall time | Peak memory (RSS) | Target | Met |",
        "|---|---:|---:|---|:---:|",
        f"| One-off load of the CSV files into a DuckDB file (`DuckDBEngine.load_folder`) | {load['seconds']:.1f} s "
        f"| {_gb(load['peak'])} | reported separately | |",
        f'| **DuckDB**: `reoffending(PRESETS["moj"], by=BREAKDOWNS)` on the file | **{s["median"]["duckdb"]:.2f} s** '
        f"| **{_gb(s['peak']['duckdb'])}** | < {TARGET_SECONDS:.0f} s, < {TARGET_BYTES / 1024**3:.0f} GB "
        f"| {_verdict(s['met']['time'] and s['met']['memory'])} |",
        f"| pandas: the same definition, from pickled DataFrames | {s['median']['pandas']:.1f} s "
        f"(read {s['pandas_read']:.1f} + compute {s['pandas_compute']:.1f}) | {_gb(s['peak']['pandas'])} | | |",
        f"| DuckDB plain scan (count, min, max) of the {sum(len(c) for c in READ.values())} columns the measure reads "
        f"| {s['median']['scan']:.2f} s | {_gb(s['peak']['scan'])} | the floor | |",
        "",
        "| Ratio | Value | Target | Met |",
        "|---|---:|---|:---:|",
        f"| pandas ÷ DuckDB (pandas read + compute) | {s['vs_pandas']:.1f}× | ≥ {TARGET_VS_PANDAS:.0f}× "
        f"| {_verdict(s['vs_pandas'] >= TARGET_VS_PANDAS)} |",
        f"| pandas compute alone ÷ DuckDB | {s['vs_pandas_compute']:.1f}× | ≥ {TARGET_VS_PANDAS:.0f}× "
        f"| {_verdict(s['vs_pandas_compute'] >= TARGET_VS_PANDAS)} |",
        f"| DuckDB ÷ scan | {s['vs_scan']:.1f}× | ≤ {TARGET_VS_SCAN:.0f}× | {_verdict(s['met']['scan'])} |",
        "",
        f"Times are the median of {len(runs['duckdb'])} DuckDB, {len(runs['scan'])} scan and {len(runs['pandas'])} "
        f"pandas run(s) (DuckDB: {times['duckdb']} s; scan: {times['scan']} s; pandas: {times['pandas']} s), "
        "with the files in the operating system's cache, on a machine other work may share (see the load "
        "average); peak memory is the highest of the runs and includes "
        f"the Python interpreter and its imports ({_gb(runs['duckdb'][0]['baseline'])} before the work began). "
        f"Generating the CSV files took {facts['generate_seconds']:.0f} s"
        f"{' (in an earlier run: --reuse)' if facts['reused'] else ''}; exporting the pickles for pandas "
        f"{facts['export_seconds']:.0f} s.",
        "",
        "| Machine | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in info.items()],
        "",
        "Reproduce with:",
        "",
        "```sh",
        command,
        "```",
        MARK_END,
    ]
    return "\n".join(lines)


def write_doc(section: str) -> None:
    text = DOC.read_text()
    head = MARK_START.split(" (")[0]
    if head in text and MARK_END in text:
        text = text[: text.index(head)] + section + text[text.index(MARK_END) + len(MARK_END) :]
    else:
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n" + section + "\n"
    DOC.write_text(text)


# --- the command ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=2_000_000, help="people (default 2,000,000)")
    parser.add_argument("--offences-per-person", type=int, default=10, help="on average (default 10)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    parser.add_argument("--workdir", type=Path, default=REPO / "data" / "bench-national", help="where files go")
    parser.add_argument("--reuse", action="store_true", help="keep CSV files made earlier with the same size and seed")
    parser.add_argument("--repeat", type=int, default=3, help="DuckDB and scan runs; the median counts (default 3)")
    parser.add_argument("--pandas-repeat", type=int, default=1, help="pandas runs (default 1)")
    parser.add_argument("--start", type=dt.date.fromisoformat, default=COHORT_START, help="cohort start")
    parser.add_argument("--end", type=dt.date.fromisoformat, default=COHORT_END, help="cohort end")
    parser.add_argument("--no-write", action="store_true", help=f"do not update {DOC.relative_to(REPO)}")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    workdir: Path = args.workdir.resolve()

    if args.child:
        print("RESULT " + json.dumps(child(args.child, workdir, args.start, args.end)), flush=True)
        return 0

    hand_worked = check_hand_worked_cases()
    print(f"The pandas port agrees with DuckDB on {hand_worked} hand-worked results.", flush=True)
    csv = workdir / "csv"
    meta_path = workdir / "dataset.json"
    wanted = {"people": args.people, "offences_per_person": args.offences_per_person, "seed": args.seed}
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    reused = bool(args.reuse and meta.get("wanted") == wanted and all((csv / f"{n}.csv").exists() for n in COLUMNS))
    if reused:
        print(f"Reusing the files in {csv} (generated in {meta['generate_seconds']:.0f} s).", flush=True)
    else:
        total = args.people * args.offences_per_person
        print(f"Generating {args.people:,} people and {total:,} offences in {csv} …", flush=True)
        meta_path.unlink(missing_ok=True)
        started = time.perf_counter()
        shape = generate(csv, args.people, args.offences_per_person, args.seed)
        meta = {"wanted": wanted, "shape": shape, "generate_seconds": time.perf_counter() - started}
        meta_path.write_text(json.dumps(meta, indent=1))
        print(f"Generated in {meta['generate_seconds']:.0f} s.", flush=True)
    csv_bytes = sum((csv / f"{n}.csv").stat().st_size for n in COLUMNS)

    print("Loading the CSV files into a DuckDB file (one-off, timed) …", flush=True)
    load = run_child("load", workdir, args.start, args.end)
    database_bytes = (workdir / "reoffending.duckdb").stat().st_size
    print(f"Loaded in {load['seconds']:.1f} s, peak {_gb(load['peak'])}; rows {load['rows']}", flush=True)
    print("Exporting the columns the measure reads to pickles for pandas (one-off, not timed) …", flush=True)
    export_seconds = run_child("export", workdir, args.start, args.end)["seconds"]

    load_before = _load_average()
    runs: dict[str, list[dict[str, Any]]] = {"scan": [], "duckdb": [], "pandas": []}
    for i in range(args.repeat):
        for mode in ("scan", "duckdb"):
            runs[mode].append(run_child(mode, workdir, args.start, args.end))
            print(f"{mode} run {i + 1}: {runs[mode][-1]['seconds']:.2f} s, {_gb(runs[mode][-1]['peak'])}", flush=True)
    for i in range(args.pandas_repeat):
        runs["pandas"].append(run_child("pandas", workdir, args.start, args.end))
        r = runs["pandas"][-1]
        print(f"pandas run {i + 1}: {r['seconds']:.1f} s (read {r['read']:.1f} s), {_gb(r['peak'])}", flush=True)
    info = machine(load_before)

    reference = runs["duckdb"][0]["figures"]
    for label, r in [*((f"DuckDB run {i + 1}", r) for i, r in enumerate(runs["duckdb"])),
                     *((f"pandas run {i + 1}", r) for i, r in enumerate(runs["pandas"]))]:  # fmt: skip
        problems = compare(reference, r["figures"])
        if problems:
            sys.stderr.write(f"{label} differs from DuckDB run 1:\n  " + "\n  ".join(problems[:50]) + "\n")
            raise SystemExit("pandas and DuckDB disagree: the pandas port (or the measure) is wrong")
    groups = sum(len(g) for g in reference["breakdowns"].values())
    print(f"\npandas and DuckDB agree: overall {reference['overall']} and all {groups} breakdown groups.")

    s = summarise(runs)
    print(f"\n{'step':<34} {'median s':>9} {'peak':>10}")
    print(f"{'load CSV -> DuckDB (one-off)':<34} {load['seconds']:>9.2f} {_gb(load['peak']):>10}")
    for mode in ("duckdb", "pandas", "scan"):
        print(f"{mode:<34} {s['median'][mode]:>9.2f} {_gb(s['peak'][mode]):>10}")
    print(f"pandas read {s['pandas_read']:.1f} s, compute {s['pandas_compute']:.1f} s")
    print(
        f"pandas/DuckDB {s['vs_pandas']:.1f}x (compute alone {s['vs_pandas_compute']:.1f}x); "
        f"DuckDB/scan {s['vs_scan']:.1f}x"
    )
    print("targets met: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in s["met"].items()))
    for k, v in info.items():
        print(f"{k + ':':<30} {v}")

    parts = ["uv", "run", "python", "benchmarks/reoffending_national.py"]
    if args.people != 2_000_000:
        parts += ["--people", str(args.people)]
    if args.offences_per_person != 10:
        parts += ["--offences-per-person", str(args.offences_per_person)]
    for name, default in (("seed", 2026), ("repeat", 3), ("pandas_repeat", 1)):
        if getattr(args, name) != default:
            parts += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    if args.start != COHORT_START or args.end != COHORT_END:
        parts += ["--start", args.start.isoformat(), "--end", args.end.isoformat()]
    facts = {
        "shape": meta["shape"],
        "seed": args.seed,
        "csv_bytes": csv_bytes,
        "database_bytes": database_bytes,
        "start": args.start.isoformat(),
        "end": args.end.isoformat(),
        "overall": reference["overall"],
        "groups": groups,
        "generate_seconds": meta["generate_seconds"],
        "reused": reused,
        "hand_worked": hand_worked,
        "export_seconds": export_seconds,
    }
    if not args.no_write:
        write_doc(report(s, runs, load, facts, info, shlex.join(parts)))
        print(f"\nWrote {DOC.relative_to(REPO)}.")
    return 0 if all(s["met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
