"""Person page and person search response times, over HTTP, at scale on PostgreSQL.

    uv run python benchmarks/person_page_and_search.py             # build 1,000,000 people, then measure
    uv run python benchmarks/person_page_and_search.py --reuse     # measure the database built last time

Unless --reuse is given, the database named by --database-url is dropped and created afresh,
migrated, and filled with `pathways demo --people N`. Then `pathways serve` is started on a free
local port, the benchmark signs in as the demo `officer` with a real session (sign-in form, CSRF
token, session cookie) and makes sequential requests, after a warm-up:

* the person page of random people the officer may see (the police hold a record of everyone);
* person searches: given name and surname of a random person; the same with their date of
  birth; a PNC ID.

It prints median, p95 and max per kind, stops the server, and writes the figures, the machine and
the command into docs/performance.md (between the benchmark markers; the rest is left alone).
Only the standard library and psycopg (a dependency of Pathways) are used.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import hmac
import html
import http.cookiejar
import os
import platform
import random
import re
import shlex
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "performance.md"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pathways_bench"
USERNAME = "officer"
PASSWORD = "wessex-demo-2026"
TARGET_MS = 150.0
START = "<!-- benchmark:start (written by benchmarks/person_page_and_search.py) -->"
END = "<!-- benchmark:end -->"

KINDS = {
    "page": "Person page",
    "search_name": "Search: given name + surname",
    "search_name_dob": "Search: name + date of birth",
    "search_pnc": "Search: PNC ID",
}


# --- the database ------------------------------------------------------------------------------


def _maintenance_url(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        sys.exit(f"--database-url needs a database name: {url}")
    return urllib.parse.urlunsplit(parts._replace(path="/postgres")), name


def _pathways(*args: str, env: dict[str, str], **kwargs) -> subprocess.Popen | subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    command = [sys.executable, "-m", "pathways.cli", *args]
    if kwargs.pop("background", False):
        return subprocess.Popen(command, env=env, cwd=REPO, **kwargs)
    return subprocess.run(command, env=env, cwd=REPO, check=True, **kwargs)


def build(url: str, people: int, seed: int, env: dict[str, str]) -> float:
    admin_url, name = _maintenance_url(url)
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        sys.exit(f"Refusing to drop a database with an unusual name: {name!r}")
    print(f"Dropping and creating database {name} …", flush=True)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    started = time.monotonic()
    _pathways("migrate", "--no-input", "--verbosity", "0", env=env)
    print(f"Building {people:,} people (seed {seed}); on 2 cores 1,000,000 takes about half an hour …", flush=True)
    _pathways("demo", "--people", str(people), "--seed", str(seed), env=env, stdout=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    print(f"Built in {seconds / 60:.1f} min; vacuuming …", flush=True)
    # What autovacuum does to a database some time after a bulk load (visibility maps, so that
    # index-only scans work). The demo only analyses, and autovacuum may be off or not yet round.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return seconds


@dataclass
class Sample:
    pages: list[tuple[str, str]]  # id, the name the page shows
    names: list[tuple[str, str, str, dt.date | None]]  # id, given, surname, date of birth
    pncs: list[tuple[str, str]]  # id, value


def sample(url: str, count: int, seed: int) -> tuple[Sample, dict[str, str]]:
    police = "(select id from accounts_agency where code = 'wessex-police')"
    with psycopg.connect(url) as conn:
        # The same people each time for the same seed and database: a seeded random(), read in
        # one process (parallel workers would each have their own).
        conn.execute("set max_parallel_workers_per_gather = 0")
        conn.execute("select setseed(%s)", (seed % 1000 / 1000,))
        pages = [
            (str(r[0]), f"{r[1]} {r[2]}")
            for r in conn.execute(
                "select p.id, p.given_name, p.surname from people_person p where p.id in ("
                f"select person_id from access_agencyrecord where agency_id = {police} "
                "order by random() limit %s) order by random()",
                (count,),
            )
        ]
        names = [
            (str(r[0]), r[1], r[2], r[3])
            for r in conn.execute(
                "select p.id, p.given_name, p.surname, p.date_of_birth from people_person p "
                f"join access_agencyrecord r on r.person_id = p.id and r.agency_id = {police} "
                "where p.date_of_birth is not null order by random() limit %s",
                (count,),
            )
        ]
        pncs = [
            (str(r[0]), r[1])
            for r in conn.execute(
                "select i.person_id, i.value from people_personidentifier i "
                f"join access_agencyrecord r on r.person_id = i.person_id and r.agency_id = {police} "
                "where i.kind = 'pnc' order by random() limit %s",
                (count,),
            )
        ]
        facts = {
            "people": f"{conn.execute('select count(*) from people_person').fetchone()[0]:,}",
            "postgres": conn.execute("show server_version").fetchone()[0],
            "shared_buffers": conn.execute("show shared_buffers").fetchone()[0],
            "work_mem": conn.execute("show work_mem").fetchone()[0],
            "autovacuum": conn.execute("show autovacuum").fetchone()[0],
            "database_size": conn.execute("select pg_size_pretty(pg_database_size(current_database()))").fetchone()[0],
        }
    if not pages or not names or not pncs:
        sys.exit("The database holds no demo people; build it first (leave out --reuse).")
    return Sample(pages, names, pncs), facts


# --- the server --------------------------------------------------------------------------------


def free_port(preferred: int) -> int:
    for port in range(preferred, preferred + 100):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    sys.exit(f"No free port near {preferred}")


def wait_until_healthy(base: str, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"pathways serve stopped (exit {server.returncode}); see its log.")
        try:
            with urllib.request.urlopen(base + "/health/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    sys.exit(f"{base}/health/ did not answer within {timeout:.0f} s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)  # gunicorn's master and its workers
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


# --- the client --------------------------------------------------------------------------------


class Client:
    """A browser, as far as Django is concerned: cookies, a session, the CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str, float]:
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, timeout=60) as response:
                body = response.read().decode()
                status = response.status
        except urllib.error.HTTPError as exc:
            body, status = exc.read().decode(errors="replace"), exc.code
        return status, body, (time.perf_counter() - started) * 1000

    def post(self, path: str, fields: dict[str, str]) -> tuple[int, str, str]:
        """POST a form (with the CSRF token of the page it came from); (status, body, final path)."""
        request = urllib.request.Request(
            self.base + path, data=urllib.parse.urlencode(fields).encode(), headers={"Referer": self.base + path}
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode(), urllib.parse.urlsplit(response.url).path
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace"), path

    def sign_in(self, username: str, password: str, database_url: str) -> None:
        """The password, and then, where the service asks for one, a code from an authenticator
        app: computed here from the key the set-up page shows, or from the user's device."""
        status, body, _ = self.get("/sign-in/")
        if status != 200 or not _csrf(body):
            sys.exit(f"The sign-in page did not offer a form (HTTP {status}).")
        fields = {"csrfmiddlewaretoken": _csrf(body), "username": username, "password": password, "next": ""}
        status, body, landed = self.post("/sign-in/", fields)
        for _ in range(3):
            if status != 200 or not landed.startswith("/sign-in/") or 'name="code"' not in body:
                break
            secret = re.search(r'id="secret-key"><code>([A-Z2-7 ]+)</code>', body)
            if secret:
                key, step, t0, digits = base64.b32decode(secret.group(1).replace(" ", "")), 30, 0, 6
            else:
                key, step, t0, digits = _device_key(database_url, username)
            code = _totp(key, step, t0, digits)
            status, body, landed = self.post(landed, {"csrfmiddlewaretoken": _csrf(body), "code": code})
            if landed.startswith("/sign-in/") and 'name="code"' in body:
                time.sleep(step - (time.time() - t0) % step + 1)  # each code works once: wait for the next
        if status != 200 or landed.startswith("/sign-in/") or not any("sessionid" in c.name for c in self.jar):
            sys.exit(f"Signing in as {username} failed (HTTP {status} at {landed}; see the server's log).")


def _csrf(body: str) -> str:
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    return token.group(1) if token else ""


def _totp(key: bytes, step: int = 30, t0: int = 0, digits: int = 6) -> str:
    """RFC 6238, as django-otp and authenticator apps compute it."""
    digest = hmac.new(key, struct.pack(">Q", int((time.time() - t0) // step)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def _device_key(database_url: str, username: str) -> tuple[bytes, int, int, int]:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "select d.key, d.step, d.t0, d.digits from otp_totp_totpdevice d "
            "join accounts_user u on u.id = d.user_id where u.username = %s and d.confirmed order by d.id limit 1",
            (username,),
        ).fetchone()
    if row is None:
        sys.exit(f"The service asks {username} for an authenticator code, but they have no authenticator.")
    return bytes.fromhex(row[0]), row[1], row[2], row[3]


@dataclass
class Results:
    times: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    found: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))


def plan(s: Sample, start: int, requests: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """(kind, path, text the response should hold): `requests` person pages and `requests` searches,
    a third of each kind, using the sampled people from `start` on, in random order."""
    tasks = []
    for i in range(start, start + requests):
        pid, name = s.pages[i % len(s.pages)]
        tasks.append(("page", f"/people/{pid}/", f">{html.escape(name)}</h1>"))
    for i in range(start, start + requests):
        kind = ("search_name", "search_name_dob", "search_pnc")[i % 3]
        if kind == "search_pnc":
            pid, value = s.pncs[i % len(s.pncs)]
            query = {"identifier": value}
        else:
            pid, given, surname, dob = s.names[i % len(s.names)]
            query = {"name": f"{given} {surname}"}
            if kind == "search_name_dob":
                query["date_of_birth"] = dob.isoformat()
        tasks.append((kind, "/people/?" + urllib.parse.urlencode(query), f"/people/{pid}/"))
    rng.shuffle(tasks)
    return tasks


def run(client: Client, tasks: list[tuple[str, str, str]], results: Results | None) -> None:
    for kind, path, expected in tasks:
        status, body, ms = client.get(path)
        if results is None:
            continue
        if status != 200:
            results.errors[kind] += 1
            continue
        results.times[kind].append(ms)
        if expected in body:  # the page is that person's, or the search found them
            results.found[kind] += 1


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summarise(results: Results) -> list[dict]:
    rows = []
    groups = [(k, [k]) for k in KINDS] + [("search_all", ["search_name", "search_name_dob", "search_pnc"])]
    for key, kinds in groups:
        times = [t for k in kinds for t in results.times[k]]
        if not times:
            continue
        rows.append(
            {
                "kind": KINDS.get(key, "Search: all kinds"),
                "requests": len(times),
                "errors": sum(results.errors[k] for k in kinds),
                "found": sum(results.found[k] for k in kinds),
                "median": statistics.median(times),
                "p95": percentile(times, 95),
                "max": max(times),
            }
        )
    return rows


# --- the machine and the report ----------------------------------------------------------------


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine(facts: dict[str, str], load_before: str) -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        memory = "unknown"
    try:
        git = ["git", "-C", str(REPO)]
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        changed = subprocess.run([*git, "status", "--porcelain", "--", "src"], capture_output=True, text=True)
        commit = commit.stdout.strip() + (" with uncommitted changes in src/" if changed.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {
        "CPU": cpu,
        "Cores (nproc)": str(os.cpu_count()),
        "Memory": memory,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "PostgreSQL": f"{facts['postgres']} (shared_buffers {facts['shared_buffers']}, work_mem {facts['work_mem']}, "
        f"autovacuum {facts['autovacuum']})",
        "Commit": commit,
        "Load average (1, 5, 15 min)": f"{load_before} before measuring; {_load()} after",
        "Date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def report(
    rows: list[dict],
    info: dict[str, str],
    facts: dict[str, str],
    args: argparse.Namespace,
    build_seconds: float | None,
    command: str,
) -> str:
    lines = [
        START,
        f"### Latest run: {info['Date']}",
        "",
        f"{facts['people']} people on PostgreSQL ({facts['database_size']} database, built by `pathways demo` "
        f"with seed {args.seed}{'' if build_seconds is None else ', then vacuumed'}); "
        f"`pathways serve --workers {args.workers} --threads {args.threads}` on the same machine; "
        f"signed in as `{USERNAME}` (Wessex Police, who may see everyone); "
        f"{args.requests} person-page and {args.requests} search requests, one at a time, "
        f"in random order, after {2 * args.warmup} unmeasured warm-up requests. "
        "Times are the whole HTTP request as the client saw it (milliseconds).",
        "",
        f"| Request | Requests | Median | p95 | Max | p95 ≤ {TARGET_MS:.0f} ms | Errors | Shows / finds the person |",
        "|---|---:|---:|---:|---:|:---:|---:|---:|",
    ]
    for r in rows:
        ok = "yes" if r["p95"] <= TARGET_MS else "**no**"
        lines.append(
            f"| {r['kind']} | {r['requests']} | {r['median']:.1f} | {r['p95']:.1f} | {r['max']:.1f} | {ok} "
            f"| {r['errors']} | {r['found']}/{r['requests']} |"
        )
    lines += ["", "| Machine | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in info.items()]
    if build_seconds is not None:
        lines.append(f"| Build (drop, create, migrate, `pathways demo`) | {build_seconds / 60:.1f} min |")
    lines += [
        "",
        "Reproduce with:",
        "",
        "```sh",
        command,
        "```",
        END,
    ]
    return "\n".join(lines)


def write_doc(section: str) -> None:
    text = DOC.read_text() if DOC.exists() else "# Performance\n\n## Person page and search at scale\n\n"
    if START.split(" (")[0] in text and END in text:
        before = text[: text.index(START.split(" (")[0])]
        after = text[text.index(END) + len(END) :]
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=1_000_000, help="people to build (default 1,000,000)")
    parser.add_argument("--reuse", action="store_true", help="measure the database as it is; do not rebuild it")
    parser.add_argument(
        "--requests", type=int, default=500, help="person-page requests, and search requests (default 500 each)"
    )
    parser.add_argument(
        "--warmup", type=int, default=60, help="unmeasured person pages, and searches, first (default 60 each)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL),
        help=f"PostgreSQL database to (re)build and measure (default {DEFAULT_URL})",
    )
    parser.add_argument("--seed", type=int, default=2026, help="demo seed, and the choice of people (default 2026)")
    parser.add_argument("--port", type=int, default=8077, help="first port to try for the server (default 8077)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker (default 2)")
    parser.add_argument("--no-write", action="store_true", help=f"do not update {DOC.relative_to(REPO)}")
    args = parser.parse_args(argv)

    if not args.database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("This benchmark is for PostgreSQL: pass a postgres:// --database-url.")
    env = {
        **os.environ,
        # The pathways of this checkout, whichever checkout the virtual environment was made for.
        "PYTHONPATH": os.pathsep.join(p for p in [str(REPO / "src"), os.environ.get("PYTHONPATH", "")] if p),
        "DATABASE_URL": args.database_url,
        "PATHWAYS_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PATHWAYS_DEBUG", None)  # DEBUG keeps every query in memory: not what we measure

    build_seconds = None if args.reuse else build(args.database_url, args.people, args.seed, env)
    if args.reuse:  # the code may have moved on since the build: bring the schema (and indexes) up to date
        _pathways("migrate", "--no-input", "--verbosity", "0", env=env)

    rng = random.Random(args.seed)
    need = args.requests + args.warmup
    s, facts = sample(args.database_url, need, args.seed)
    print(f"{facts['people']} people in the database; PostgreSQL {facts['postgres']}.", flush=True)
    warmup = plan(s, args.requests, args.warmup, rng)  # people not in the measured requests
    measured = plan(s, 0, args.requests, rng)

    port = free_port(args.port)
    base = f"http://127.0.0.1:{port}"
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"pathways-bench-serve-{port}.log"
    with open(log_path, "w") as log:
        server = _pathways(
            "serve", "--port", str(port), "--workers", str(args.workers), "--threads", str(args.threads), "--no-migrate",
            env=env, background=True, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            wait_until_healthy(base, server)
            print(f"Serving at {base} (log: {log_path}).", flush=True)
            client = Client(base)
            client.sign_in(USERNAME, PASSWORD, args.database_url)
            print(f"Signed in as {USERNAME}; {len(warmup)} warm-up requests …", flush=True)
            run(client, warmup, None)
            print(f"Measuring {len(measured)} requests, one at a time …", flush=True)
            results = Results()
            load_before = _load()
            started = time.monotonic()
            run(client, measured, results)
            print(f"Done in {time.monotonic() - started:.0f} s.", flush=True)
        finally:
            stop(server)

    rows = summarise(results)
    print()
    print(f"{'request':<32} {'n':>5} {'median':>8} {'p95':>8} {'max':>8} {'errors':>6} {'found':>9}")
    for r in rows:
        print(
            f"{r['kind']:<32} {r['requests']:>5} {r['median']:>7.1f}ms {r['p95']:>7.1f}ms {r['max']:>7.1f}ms "
            f"{r['errors']:>6} {r['found']:>4}/{r['requests']:<4}"
        )
    info = machine(facts, load_before)
    print()
    for k, v in info.items():
        print(f"{k + ':':<16} {v}")

    default_url = args.database_url == DEFAULT_URL
    parts = ["uv", "run", "python", "benchmarks/person_page_and_search.py"]
    if args.reuse:
        parts.append("--reuse")
    if args.people != 1_000_000 and not args.reuse:
        parts += ["--people", str(args.people)]
    if args.requests != 500:
        parts += ["--requests", str(args.requests)]
    if not default_url:
        parts += ["--database-url", args.database_url]
    for name, default in (("warmup", 60), ("seed", 2026), ("workers", 2), ("threads", 2)):
        if getattr(args, name) != default:
            parts += [f"--{name}", str(getattr(args, name))]
    command = shlex.join(parts)
    if not args.no_write:
        write_doc(report(rows, info, facts, args, build_seconds, command))
        print(f"\nWrote {DOC.relative_to(REPO)}.")
    worst = max(r["p95"] for r in rows)
    errors = sum(r["errors"] for r in rows)
    return 0 if worst <= TARGET_MS and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
