"""How long problem solving and referrals take on the demo partnership.

Builds the demo partnership (default 20,000 people, on SQLite in a temporary directory removed
afterwards), then times, in this process:

* **loading a police.uk file**: one month of the whole force (about 20,000 rows, from
  `problems.demo_geography.synthetic_street_crime_csv` with `per_area` raised to a county
  force's size), the month the demo leaves for a user to load, through
  `problems.streetcrime.street_crime_import` — the first load (the month's rows deleted before
  each repeat) and the same file again, unchanged;
* **scanning** a demo problem's place over its year (`problems.scanning.scan`, the partnership's
  offences and police.uk), and the scanning page as the problem's owner;
* **the assessment**: `problems.assessment.assess(...)` for the demo problem, and its page;
* **the problem board** and the **analysis page**;
* **gaps in provision**: `referrals.gaps.gaps()` and `/services/gaps/` (as the police analyst);
* **the directory search** `/services/?need=debt` (as the officer).

Pages are requested through Django's test client (no network, but the whole view: session,
access rules, audit, queries and the template), once unmeasured and then `--repeat` times;
functions are called once unmeasured and then `--repeat` times (the file loads `--load-repeat`
times). It prints the median and the slowest of each, and writes them with the machine into
docs/performance.md between the problems-benchmark markers (`--no-write` leaves the file alone).

    uv run python benchmarks/problems_and_referrals.py                  # build 20,000 people, then measure
    uv run python benchmarks/problems_and_referrals.py --people 2000 --no-write   # a quick try
    uv run python benchmarks/problems_and_referrals.py --database-url postgres://postgres@127.0.0.1:5432/pathways_bench_problems
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "performance.md"
MARK_START = "<!-- problems-benchmark:start (written by benchmarks/problems_and_referrals.py) -->"
MARK_END = "<!-- problems-benchmark:end -->"
SECTION = "## Problem solving and referrals"
# The demo problem measured: a place problem (a district and two streets), closed after one
# cycle, so it has a year's period, an analysis, a response and worked-out assessment figures.
PROBLEM_TITLE = "Youths at the Market Place shops"
# A county force's month on police.uk is about 20,000 rows; the demo's 60 LSOAs have a summed
# deprivation weight of 68.7, so 290 crimes per unit of weight gives about that many.
PER_AREA = 290.0


def build(url: str, people: int, seed: int) -> float:
    """A fresh database holding the demo partnership; returns the seconds `pathways demo` took."""
    env = {**os.environ, "DATABASE_URL": url, "PATHWAYS_DEMO_MODE": "1"}
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        import psycopg

        base, name = url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    started = time.perf_counter()
    subprocess.run(
        ["uv", "run", "pathways", "demo", "--people", str(people), "--seed", str(seed)],
        env=env,
        cwd=REPO,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def timed(label: str, call: Callable[[], Any], repeat: int, *, warm: bool = True, what: str = "") -> dict[str, Any]:
    """Median and slowest of `repeat` calls (after one unmeasured call when `warm`), in ms."""
    if warm:
        call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    row = {"label": label, "what": what, "median": statistics.median(times), "max": max(times), "n": repeat}
    print(f"  {label:<62} median {row['median']:9.1f} ms   max {row['max']:9.1f} ms")
    return row


def signed_in(username: str) -> Any:
    """A test client signed in as a demo user, with the second factor already given."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from pathways.accounts.models import User

    user = User.objects.get(username=username)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.filter(user=user).first().persistent_id
    session.save()
    return client


def page(client: Any, path: str) -> Callable[[], Any]:
    def get() -> Any:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert b"govuk-error-summary" not in response.content, path
        return response

    return get


def measure(url: str, repeat: int, load_repeat: int, seed: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pathways.config.settings")
    import django

    django.setup()
    from django.utils import timezone

    from pathways.accounts.models import Agency, User
    from pathways.imports.models import ImportBatch
    from pathways.people.models import Person
    from pathways.problems.assessment import assess
    from pathways.problems.demo_geography import synthetic_street_crime_csv
    from pathways.problems.models import Area, Assessment, Problem, Stage, StreetCrime
    from pathways.problems.places import OFFENCES, STREET_CRIME, Place
    from pathways.problems.scanning import scan
    from pathways.problems.streetcrime import street_crime_import
    from pathways.referrals.gaps import gaps
    from pathways.referrals.models import Referral, Service

    rows: list[dict[str, Any]] = []
    today = timezone.localdate()
    problem = Problem.objects.select_related("owner").get(title=PROBLEM_TITLE)
    owner = problem.owner.username
    place = Place.of_problem(problem)
    start, end = problem.period_from, problem.period_to

    # The police.uk file: last month, which the demo leaves for a user to load.
    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    label = month.strftime("%Y-%m")
    text = synthetic_street_crime_csv(month=label, seed=seed, per_area=PER_AREA)
    data = text.encode()
    file_rows = text.count("\n") - 1
    police = Agency.objects.get(code="wessex-police")
    analyst = User.objects.get(username="police-analyst")
    print(f"police.uk file for {label}: {file_rows:,} rows, {len(data) / 1e6:.1f} MB")
    results: dict[str, ImportBatch] = {}

    def first_load() -> None:
        # Each repeat a true first load: the month's rows are deleted (their batches stay).
        StreetCrime.objects.filter(month=month).delete()
        started = time.perf_counter()
        results["first"] = street_crime_import(
            data=data, filename=f"{label}-wessex-street.csv", agency=police, by=analyst
        )
        first_times.append((time.perf_counter() - started) * 1000)

    first_times: list[float] = []
    for _ in range(load_repeat):
        first_load()
    rows.append(
        {
            "label": "police.uk file, first load (`street_crime_import`)",
            "what": "function",
            "median": statistics.median(first_times),
            "max": max(first_times),
            "n": load_repeat,
        }
    )
    print(f"  {rows[-1]['label']:<62} median {rows[-1]['median']:9.1f} ms   max {rows[-1]['max']:9.1f} ms")

    def again() -> None:
        results["again"] = street_crime_import(
            data=data, filename=f"{label}-wessex-street.csv", agency=police, by=analyst
        )

    rows.append(
        timed("police.uk file, the same file again (unchanged)", again, load_repeat, warm=False, what="function")
    )
    first, second = results["first"], results["again"]
    assert first.status == ImportBatch.Status.IMPORTED and first.created_count == file_rows, first.errors[:3]
    assert second.unchanged_count == file_rows and second.created_count == second.updated_count == 0

    counts: dict[str, int] = {}

    def scan_source(source: str) -> Callable[[], None]:
        def run() -> None:
            counts[source] = scan(place, start, end, source=source).total

        return run

    rows.append(timed("`scan`: the place over a year, the partnership's offences", scan_source(OFFENCES), repeat))
    rows.append(timed("`scan`: the place over a year, police.uk street crime", scan_source(STREET_CRIME), repeat))
    as_owner = signed_in(owner)
    scanning = f"/problems/{problem.pk}/scanning/"
    rows.append(
        timed("Scanning page (`/problems/<id>/scanning/`), offences", page(as_owner, scanning), repeat, what="page")
    )
    query = f"?source={STREET_CRIME}&start={start.isoformat()}&end={end.isoformat()}"
    rows.append(
        timed(
            f"Scanning page (`/problems/<id>/scanning/{query}`)", page(as_owner, scanning + query), repeat, what="page"
        )
    )

    assessment = Assessment.objects.filter(problem=problem).order_by("-cycle").first()
    figures: dict[str, dict[str, Any]] = {}

    def assess_on(source: str) -> Callable[[], None]:
        def run() -> None:
            figures[source] = assess(
                problem=problem,
                comparison_area_codes=assessment.comparison_area_codes,
                buffer_area_codes=assessment.buffer_area_codes,
                before=(assessment.before_from, assessment.before_to),
                after=(assessment.after_from, assessment.after_to),
                source=source,
            )

        return run

    rows.append(
        timed("`assess(...)`: place, comparison and buffer, the partnership's offences", assess_on(OFFENCES), repeat)
    )
    rows.append(
        timed("`assess(...)`: place, comparison and buffer, police.uk street crime", assess_on(STREET_CRIME), repeat)
    )
    path_assessment = f"/problems/{problem.pk}/assessment/"
    rows.append(
        timed(
            "Assessment page (`/problems/<id>/assessment/`), closed: the verdict read-only",
            page(as_owner, path_assessment),
            repeat,
            what="page",
        )
    )
    rows.append(timed("Problem board (`/problems/`)", page(as_owner, "/problems/"), repeat, what="page"))
    path = f"/problems/{problem.pk}/analysis/"
    rows.append(timed("Analysis page (`/problems/<id>/analysis/`)", page(as_owner, path), repeat, what="page"))

    # No demo problem is at the assessment stage now (the closed problem's page shows its
    # verdict read-only). To time the page as a partner works it — the figures form with the
    # areas around the place, the verdict form, the chart — and the "Work out" button, the
    # closed problem is put back to the assessment stage in this throwaway database.
    Problem.objects.filter(pk=problem.pk).update(stage=Stage.ASSESSMENT, closed_on=None)
    rows.append(
        timed(
            "Assessment page at the assessment stage (figures and verdict forms)",
            page(as_owner, path_assessment),
            repeat,
            what="page",
        )
    )
    posted = {
        "action": "figures",
        "comparison_area_codes": assessment.comparison_area_codes,
        "buffer_area_codes": assessment.buffer_area_codes,
        "before_from": assessment.before_from.isoformat(),
        "before_to": assessment.before_to.isoformat(),
        "after_from": assessment.after_from.isoformat(),
        "after_to": assessment.after_to.isoformat(),
        "source": STREET_CRIME,
    }

    def work_out() -> None:
        response = as_owner.post(path_assessment, posted)
        assert response.status_code == 302, (response.status_code, response.content[:2000])

    rows.append(
        timed("“Work out the figures” (POST, `work_out` on police.uk, then redirect)", work_out, repeat, what="page")
    )

    gap_rows: dict[str, int] = {}

    def count_gaps() -> None:
        result = gaps(today=today)
        gap_rows["rows"], gap_rows["gaps"] = len(result.rows), result.gap_count

    rows.append(timed("`referrals.gaps.gaps()`", count_gaps, repeat))
    as_analyst = signed_in("police-analyst")
    rows.append(
        timed("Gaps in provision page (`/services/gaps/`)", page(as_analyst, "/services/gaps/"), repeat, what="page")
    )
    as_officer = signed_in("officer")
    rows.append(
        timed(
            "Directory search (`/services/?need=debt`)", page(as_officer, "/services/?need=debt"), repeat, what="page"
        )
    )

    c = counts
    facts = {
        "people": Person.objects.count(),
        "problems": Problem.objects.count(),
        "areas": Area.objects.count(),
        "street_crimes": StreetCrime.objects.count(),
        "file_rows": file_rows,
        "file_mb": len(data) / 1e6,
        "month": label,
        "problem": problem,
        "owner": owner,
        "start": start,
        "end": end,
        "offences_in_place": c[OFFENCES],
        "street_crime_in_place": c[STREET_CRIME],
        "assessment_counts": figures[STREET_CRIME]["counts"],
        "offence_counts": figures[OFFENCES]["counts"],
        "comparison": assessment.comparison_area_codes,
        "buffer": assessment.buffer_area_codes,
        "services": Service.objects.count(),
        "referrals": Referral.objects.count(),
        "gap_rows": gap_rows["rows"],
        "gaps": gap_rows["gaps"],
        "database": "PostgreSQL" if url.startswith("postgres") else "SQLite",
    }
    return rows, facts


def machine(load_before: str) -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    memory = "unknown"
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        kb = next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal"))
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return {
        "CPU": cpu,
        "Cores (nproc)": str(os.cpu_count()),
        "Memory": memory,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "Commit": commit.stdout.strip() or "unknown",
        "Load average (1, 5, 15 min)": f"{load_before} before measuring; "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
        + " after",
        "Date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def report(
    rows: list[dict[str, Any]], facts: dict[str, Any], build_seconds: float | None, load_before: str, command: str
) -> str:
    f = facts
    counts = f["assessment_counts"]
    buffer = counts.get("buffer") or {"before": 0, "after": 0}
    lines = [
        MARK_START,
        f"### Latest run: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"{f['people']:,} people on {f['database']} (the demo partnership, seed 2026): {f['areas']} areas, "
        f"{f['street_crimes']:,} police.uk crimes held after the load, {f['problems']} problems, "
        f"{f['services']} services, {f['referrals']:,} referrals. "
        f"The police.uk file is {f['month']} for the whole force: {f['file_rows']:,} rows, {f['file_mb']:.1f} MB "
        f"(`synthetic_street_crime_csv(per_area={PER_AREA:g})`), loaded by the police analyst; each first load "
        "starts with the month's rows deleted. "
        f"The problem is “{f['problem'].title}” ({f['problem'].reference}: WX1 and two streets), scanned over "
        f"{f['start']:%d %B %Y} to {f['end']:%d %B %Y} ({f['offences_in_place']:,} offences, "
        f"{f['street_crime_in_place']:,} police.uk crimes in the place); its assessment compares "
        f"{', '.join(f['comparison'])} with {len(f['buffer'])} areas around it "
        f"(police.uk crimes of its types before → after: place {counts['treated']['before']} → "
        f"{counts['treated']['after']}, comparison {counts['comparison']['before']} → {counts['comparison']['after']}, "
        f"around {buffer['before']} → {buffer['after']}; the partnership's offences: "
        f"{f['offence_counts']['treated']['before']} → {f['offence_counts']['treated']['after']} in the place, as its "
        "crime types are police.uk's). The “Work out” POST counts police.uk street crime. "
        f"Pages as the problem's owner (`{f['owner']}`), the gaps page as `police-analyst` "
        f"({f['gap_rows']} area rows, {f['gaps']} gaps flagged), the directory as `officer`, through Django's "
        "test client after one unmeasured request (the whole view and template; no network). Functions "
        "called in the same process after one unmeasured call (the file loads: none). Milliseconds.",
        "",
        "| What | Times | Median | Slowest |",
        "|---|---:|---:|---:|",
        *[f"| {r['label']} | {r['n']} | {r['median']:.1f} | {r['max']:.1f} |" for r in rows],
        "",
        "| Machine | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in machine(load_before).items()],
    ]
    if build_seconds is not None:
        lines.append(f"| Build (`pathways demo`, whole partnership) | {build_seconds:.0f} s |")
    lines += ["", "Reproduce with:", "", "```sh", command, "```", MARK_END]
    return "\n".join(lines)


def write_doc(section: str) -> None:
    text = DOC.read_text()
    head = MARK_START.split(" (")[0]
    if head in text and MARK_END in text:
        text = text[: text.index(head)] + section + text[text.index(MARK_END) + len(MARK_END) :]
    else:
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n" + section + "\n"
    DOC.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--database-url", default="", help="dropped and rebuilt; default: SQLite in a temporary directory"
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--load-repeat", type=int, default=3, help="times each police.uk load is made")
    parser.add_argument("--no-write", action="store_true", help="leave docs/performance.md alone")
    args = parser.parse_args(argv)
    workdir = None if args.database_url else Path(tempfile.mkdtemp(prefix="pathways-bench-problems-"))
    url = args.database_url or f"sqlite:///{workdir / 'demo.sqlite3'}"
    try:
        print(f"Building the demo partnership with {args.people:,} people…")
        build_seconds = build(url, args.people, args.seed)
        print(f"  built in {build_seconds:.0f} s")
        load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
        rows, facts = measure(url, args.repeat, args.load_repeat, args.seed)
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    command = "uv run python benchmarks/problems_and_referrals.py" + (
        f" --people {args.people}" if args.people != 20_000 else ""
    )
    section = report(rows, facts, build_seconds, load_before, command)
    if not args.no_write:
        write_doc(section)
        print(f"Written to {DOC.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
