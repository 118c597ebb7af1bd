"""How long the IOM team waits for its pages on the demo partnership.

Builds the demo partnership (default 20,000 people on the embedded SQLite database, as `make demo`
does), then, signed in as the demo `supervisor` (the IOM panel's sergeant), times:

* **the candidates page** for each scheme: every person the sergeant may see scored from their
  proven offending, ranked and explained (`/iom/candidates/?scheme=…`);
* **today's review board**: everything new about the cohort since yesterday's board
  (`/iom/board/`, opened first and not timed);
* **the figures**: the cohort's proven offending before and after adoption (`/iom/figures/`);
* **the tags page**: people tagged and who reoffended while tagged (`/iom/tags/`).

Each page is requested `--repeat` times through Django's test client in this process (no network,
but the whole view: session, access rules, audit, queries and the template). It prints the median
and the slowest of each, and writes them with the machine into docs/performance.md between the
iom-benchmark markers (`--no-write` leaves the file alone).

    uv run python benchmarks/iom_panel_and_board.py                 # build 20,000 people, then measure
    uv run python benchmarks/iom_panel_and_board.py --reuse         # measure the last build again
    uv run python benchmarks/iom_panel_and_board.py --people 100000 --database-url postgres://postgres@127.0.0.1:5432/pathways_bench_iom
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "performance.md"
MARK_START = "<!-- iom-benchmark:start (written by benchmarks/iom_panel_and_board.py) -->"
MARK_END = "<!-- iom-benchmark:end -->"
SECTION = "## The IOM panel and the morning board"
DEFAULT_URL = f"sqlite:///{REPO / 'data' / 'bench-iom.sqlite3'}"


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


def measure(url: str, repeat: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pathways.config.settings")
    import django

    django.setup()
    from django.test import Client
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from pathways.accounts.models import User
    from pathways.iom import board
    from pathways.iom.models import Membership, Scheme, TagPeriod
    from pathways.iom.reference import MembershipStatus
    from pathways.people.models import Person

    sergeant = User.objects.get(username="supervisor")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(sergeant)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.filter(user=sergeant).first().persistent_id
    session.save()
    board.board_open(sergeant)

    pages = [
        (f"Candidates: {s.name}", f"/iom/candidates/?scheme={s.code}")
        for s in Scheme.objects.filter(active=True).order_by("code")
    ]
    pages += [
        ("Today's review board", "/iom/board/"),
        ("Is IOM working? (figures)", "/iom/figures/"),
        ("Tags and who reoffended while tagged", "/iom/tags/"),
    ]
    rows = []
    for label, path in pages:
        assert client.get(path).status_code == 200, path  # warm-up, and proof the page works
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, path
        rows.append({"page": label, "path": path, "median": statistics.median(times), "max": max(times)})
        print(f"  {label:<55} median {rows[-1]['median']:8.1f} ms   max {rows[-1]['max']:8.1f} ms")
    facts = {
        "people": Person.objects.count(),
        "cohort": Membership.objects.filter(status=MembershipStatus.ADOPTED).count(),
        "memberships": Membership.objects.count(),
        "tags": TagPeriod.objects.count(),
        "today": timezone.localdate().isoformat(),
        "database": "PostgreSQL" if url.startswith("postgres") else "SQLite",
    }
    return rows, facts


def machine() -> dict[str, str]:
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
        "Load average (1, 5, 15 min)": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "Date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def report(rows: list[dict[str, Any]], facts: dict[str, Any], build_seconds: float | None, repeat: int) -> str:
    lines = [
        MARK_START,
        f"### Latest run: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"{facts['people']:,} people on {facts['database']} (the demo partnership, seed 2026), "
        f"{facts['cohort']} people in the IOM cohort now ({facts['memberships']} memberships in two years), "
        f"{facts['tags']} tags. Signed in as `supervisor` (the panel's sergeant, Wessex Police); each page "
        f"requested {repeat} times through Django's test client after one unmeasured request "
        "(the whole view and template; no network). Milliseconds.",
        "",
        "| Page | Median | Slowest |",
        "|---|---:|---:|",
        *[f"| {r['page']} (`{r['path']}`) | {r['median']:.1f} | {r['max']:.1f} |" for r in rows],
        "",
        "| Machine | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in machine().items()],
    ]
    if build_seconds is not None:
        lines.append(f"| Build (`pathways demo`, whole partnership) | {build_seconds:.0f} s |")
    lines += ["", "Reproduce with:", "", "```sh", "uv run python benchmarks/iom_panel_and_board.py", "```", MARK_END]
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
    parser.add_argument("--database-url", default=DEFAULT_URL, help="dropped and rebuilt unless --reuse")
    parser.add_argument("--reuse", action="store_true", help="measure the last build again")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-write", action="store_true", help="leave docs/performance.md alone")
    args = parser.parse_args(argv)
    build_seconds = None
    if not args.reuse:
        print(f"Building the demo partnership with {args.people:,} people…")
        build_seconds = build(args.database_url, args.people, args.seed)
        print(f"  built in {build_seconds:.0f} s")
    rows, facts = measure(args.database_url, args.repeat)
    section = report(rows, facts, build_seconds, args.repeat)
    if not args.no_write:
        write_doc(section)
        print(f"Written to {DOC.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
