"""How well and how fast `pathways dedupe` finds the same person in partner files.

Generates synthetic partner people files with known true matches and realistic errors
(`pathways.linkage.synthetic`: typos, nicknames, swapped names and dates, missing values, old
addresses, police duplicates; siblings, twins and namesakes as hard non-matches), writes them as
one people file (docs/data-formats.md) and, for each size, runs the deduplication end to end in a
fresh process — read the CSV, prepare, train on the file itself (the command's default), score,
cluster, write clusters.csv — exactly as `pathways dedupe --input … --output …` does. It reports:

* pairwise **precision, recall and F1** of the clusters against the true people (every pair of
  records put in one cluster is a predicted match);
* **wall time** per stage and in all (the whole process, Python and Django start-up included);
* **peak memory**: the child process's `resource.getrusage(RUSAGE_SELF).ru_maxrss` (DuckDB runs
  inside it, so its memory counts).

The targets (issue 9): F1 ≥ 0.99 at 10,000 records; 1,000,000 records deduplicated end to end in
under 5 minutes within 8 GB on this 2-core machine. It prints a table and writes it with the
machine into docs/performance.md between the linkage-benchmark markers (`--no-write` leaves the
file alone); it exits non-zero when a target is missed.

    uv run python benchmarks/linkage.py                      # 10,000 and 1,000,000 records
    uv run python benchmarks/linkage.py --records 10000      # one size
    uv run python benchmarks/linkage.py --reuse              # keep the files generated last time
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "performance.md"
MARK_START = "<!-- linkage-benchmark:start (written by benchmarks/linkage.py) -->"
MARK_END = "<!-- linkage-benchmark:end -->"
SECTION = "## Record linkage: `pathways dedupe`"

SIZES = (10_000, 1_000_000)
TARGET_F1 = 0.99
TARGET_F1_RECORDS = 10_000
TARGET_SECONDS = 300.0
TARGET_BYTES = 8 * 1024**3
TARGET_SECONDS_RECORDS = 1_000_000
# synthetic.partner_records makes about 1.93 records per true person; a few more people than
# needed, then the first N records, gives exactly N.
RECORDS_PER_PERSON = 1.9


# --- the data ------------------------------------------------------------------------------------


def generate(records: int, seed: int, workdir: Path, reuse: bool) -> tuple[Path, Path]:
    """A people file of `records` records and the truth (person_id → true person) beside it."""
    people_csv = workdir / f"people-{records}-seed{seed}.csv"
    truth_csv = workdir / f"truth-{records}-seed{seed}.csv"
    if reuse and people_csv.exists() and truth_csv.exists():
        return people_csv, truth_csv
    from pathways.linkage.synthetic import partner_records, write_people_csv

    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    partner = partner_records(people=int(records / RECORDS_PER_PERSON) + 10, seed=seed).head(records)
    write_people_csv(partner, people_csv)
    partner[["person_id", "true_person"]].to_csv(truth_csv, index=False)
    print(f"generated {len(partner):,} records in {time.perf_counter() - started:.0f}s → {people_csv}", flush=True)
    return people_csv, truth_csv


def pairwise_score(truth_csv: Path, clusters_csv: Path) -> dict[str, float | int]:
    """Pairwise precision, recall and F1 of clusters against the true people, counted without
    listing the pairs (a wrong giant cluster would otherwise need millions of them in memory)."""
    import pandas as pd

    truth = pd.read_csv(truth_csv, dtype=str, keep_default_na=False)
    clusters = pd.read_csv(clusters_csv, dtype=str, keep_default_na=False)
    if set(clusters.columns) != {"person_id", "cluster_id"}:
        raise SystemExit(f"{clusters_csv} has the columns {list(clusters.columns)}, not person_id,cluster_id")
    both = truth.merge(clusters, on="person_id", how="outer", indicator=True)
    if not (both["_merge"] == "both").all():
        raise SystemExit(f"{clusters_csv} does not hold exactly the records of the people file")

    def pairs(sizes: Any) -> int:
        return int((sizes * (sizes - 1) // 2).sum())

    true_pairs = pairs(both.groupby("true_person").size())
    predicted = pairs(both.groupby("cluster_id").size())
    correct = pairs(both.groupby(["cluster_id", "true_person"]).size())
    precision = correct / predicted if predicted else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "true_pairs": true_pairs,
        "predicted_pairs": predicted,
        "correct_pairs": correct,
    }


# --- one run, in a process of its own -----------------------------------------------------------


def child(args: argparse.Namespace) -> int:
    """Run the deduplication as `pathways dedupe` does and print what happened as JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pathways.config.settings")
    import django

    django.setup()
    from pathways.linkage.batch import run_dedupe

    started = time.perf_counter()
    summary = run_dedupe(
        input_path=Path(args.child_input),
        output=Path(args.child_output),
        engine=args.engine,
        model=args.model,
        threshold=args.threshold,
        on_stage=lambda stage: print(
            f"  {stage} … ({time.perf_counter() - started:.0f}s)", file=sys.stderr, flush=True
        ),
    )
    out = summary.as_dict()
    out["run_seconds"] = time.perf_counter() - started
    # On Linux ru_maxrss is in kilobytes.
    out["peak_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print("RESULT " + json.dumps(out), flush=True)
    return 0


def measure(records: int, args: argparse.Namespace) -> dict[str, Any]:
    people_csv, truth_csv = generate(records, args.seed, args.workdir, args.reuse)
    clusters_csv = args.workdir / f"clusters-{records}.csv"
    clusters_csv.unlink(missing_ok=True)
    command = [
        sys.executable, __file__, "--child-input", str(people_csv), "--child-output", str(clusters_csv),
        "--engine", args.engine, "--model", args.model,
    ]  # fmt: skip
    if args.threshold is not None:
        command += ["--threshold", str(args.threshold)]
    print(f"deduplicating {records:,} records …", flush=True)
    started = time.perf_counter()
    # The child's stages and any error go straight to our stderr; its result comes on stdout.
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False, cwd=REPO)
    wall = time.perf_counter() - started
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        raise SystemExit(f"the run on {records:,} records failed (exit {done.returncode})")
    result = json.loads(lines[-1].removeprefix("RESULT "))
    result["records"] = records
    result["wall_seconds"] = wall
    result["score"] = pairwise_score(truth_csv, clusters_csv)
    return result


# --- the report ----------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    import duckdb
    import splink

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
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO, check=False
    ).stdout.strip()
    return {
        "CPU": cpu,
        "Cores (nproc)": str(os.cpu_count()),
        "Memory": memory,
        "Architecture (uname -m)": platform.machine(),
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "DuckDB / Splink": f"{duckdb.__version__} / {splink.__version__}",
        "Commit": commit or "unknown",
        "Load average (1, 5, 15 min)": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "Date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _gb(n: float) -> str:
    return f"{n / 1024**3:.2f} GB"


def table(results: list[dict[str, Any]]) -> list[str]:
    stages = ["reading", "preparing", "training", "scoring", "clustering", "writing"]
    head = ["Records", "Precision", "Recall", "F1", *[s.capitalize() for s in stages], "Run", "Process", "Peak memory"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for r in results:
        s = r["score"]
        cells = [
            f"{r['records']:,}",
            f"{s['precision']:.4f}",
            f"{s['recall']:.4f}",
            f"{s['f1']:.4f}",
            *[f"{r['seconds'].get(stage, 0):.1f} s" for stage in stages],
            f"{r['run_seconds']:.1f} s",
            f"{r['wall_seconds']:.1f} s",
            _gb(r["peak_bytes"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def verdicts(results: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    out = []
    for r in results:
        if r["records"] == TARGET_F1_RECORDS:
            out.append(
                (
                    f"F1 ≥ {TARGET_F1} at {TARGET_F1_RECORDS:,} records: {r['score']['f1']:.4f}",
                    r["score"]["f1"] >= TARGET_F1,
                )
            )
        if r["records"] == TARGET_SECONDS_RECORDS:
            out.append(
                (
                    f"{TARGET_SECONDS_RECORDS:,} records end to end under {TARGET_SECONDS:.0f} s: {r['wall_seconds']:.0f} s",
                    r["wall_seconds"] < TARGET_SECONDS,
                )
            )
            out.append((f"… within 8 GB: {_gb(r['peak_bytes'])}", r["peak_bytes"] < TARGET_BYTES))
    return out


def section(results: list[dict[str, Any]], info: dict[str, str], args: argparse.Namespace) -> str:
    found = "; ".join(
        f"{r['records']:,} records → {r['found']['clusters']:,} people, {r['found']['pairs']:,} pairs scored at or above "
        f"{r['threshold']:g} ({r['score']['true_pairs']:,} true pairs, {r['score']['predicted_pairs']:,} predicted, "
        f"{r['score']['correct_pairs']:,} correct)"
        for r in results
    )
    lines = [
        MARK_START,
        f"### Latest run: {info['Date']}",
        "",
        f"Synthetic partner records (seed {args.seed}) in one people file; `pathways dedupe` with "
        f"`--model {args.model} --engine {args.engine}`, threshold {results[0]['threshold']:g}, each size in a fresh "
        f"process. {found}. *Run* is read CSV → clusters.csv inside the process; *Process* adds Python and Django "
        "start-up. Peak memory is the process's `ru_maxrss`.",
        "",
        *table(results),
        "",
        *[f"- {'met' if ok else '**missed**'}: {text}" for text, ok in verdicts(results)],
        "",
        "| Machine | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in info.items()],
        "",
        "Reproduce with:",
        "",
        "```sh",
        "make benchmark-linkage    # = uv run python benchmarks/linkage.py",
        "```",
        MARK_END,
    ]
    return "\n".join(lines)


def write_doc(text: str) -> None:
    doc = DOC.read_text()
    head = MARK_START.split(" (")[0]
    if head in doc and MARK_END in doc:
        doc = doc[: doc.index(head)] + text + doc[doc.index(MARK_END) + len(MARK_END) :]
    else:
        doc = doc.rstrip("\n") + f"\n\n{SECTION}\n\n" + text + "\n"
    DOC.write_text(doc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, action="append", help="run this size only (repeatable)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workdir", type=Path, default=REPO / "data" / "bench-linkage")
    parser.add_argument("--reuse", action="store_true", help="keep the people files generated last time")
    parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
    parser.add_argument("--model", choices=["train", "default"], default="train")
    parser.add_argument("--threshold", type=float)
    parser.add_argument("--no-write", action="store_true", help="leave docs/performance.md alone")
    parser.add_argument("--child-input", help=argparse.SUPPRESS)
    parser.add_argument("--child-output", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO / "src"))
    if args.child_input:
        return child(args)

    results = [measure(records, args) for records in (args.records or SIZES)]
    for line in table(results):
        print(line)
    checks = verdicts(results)
    for text, ok in checks:
        print(f"{'met   ' if ok else 'MISSED'}  {text}")
    if not args.no_write:
        write_doc(section(results, machine(), args))
        print(f"wrote {DOC.relative_to(REPO)}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
