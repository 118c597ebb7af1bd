"""`pathways evaluate`: an impact evaluation against a matched comparison group.

Either from Pathways' records as a named user (`--intervention …`), or from any table
(`--data FILE.csv --treated COL --outcome COL …`). Bad input exits with status 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pathways.accounts.models import User
from pathways.evaluation.matching import EvaluationError, evaluate
from pathways.evaluation.models import Intervention
from pathways.evaluation.services import EvaluationRefused, Upload, evaluation_run


def _refuse(message: str) -> CommandError:
    return CommandError(message, returncode=2)


class Command(BaseCommand):
    help = "Evaluate an intervention's effect on proven reoffending against a matched comparison group."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--intervention", choices=Intervention.values)
        parser.add_argument("--scheme", default="", help="IOM scheme code (iom_adoption)")
        parser.add_argument("--tier", default="", help="resolution route (resolution_tier)")
        parser.add_argument("--from", dest="start", help="start of the period, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", help="end of the period, YYYY-MM-DD")
        parser.add_argument("--as-of", dest="as_of", help="the day the records are read as of (default today)")
        parser.add_argument("--people", type=Path, help="CSV of person references (uploaded_list)")
        parser.add_argument("--agency", help="agency code whose references --people holds (default the user's)")
        parser.add_argument(
            "--user", help="run as this user, so their access rules apply (required with --intervention)"
        )
        parser.add_argument("--title", default="", help="a title to keep the evaluation under")
        parser.add_argument("--data", type=Path, help="evaluate any CSV table instead")
        parser.add_argument("--treated", help="with --data: the 0/1 column of who received it")
        parser.add_argument("--outcome", help="with --data: the 0/1 column of who reoffended")
        parser.add_argument("--frequency", help="with --data: the count of reoffences per person")
        parser.add_argument("--covariates", default="", help="comma-separated covariates to match on")
        parser.add_argument("--caliper", type=float, default=0.2)
        parser.add_argument("--ratio", type=int, default=1)
        parser.add_argument("--replace", action="store_true", help="match with replacement")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        covariates = [c.strip() for c in options["covariates"].split(",") if c.strip()]
        if options["data"]:
            result = self._table(options, covariates)
        elif options["intervention"]:
            result = self._records(options, covariates)
        else:
            raise _refuse("give --intervention (with --user) or --data")
        if options["format"] == "json":
            self.stdout.write(json.dumps(result, indent=2))
        else:
            self.stdout.write(as_text(result))

    def _table(self, options: dict[str, Any], covariates: list[str]) -> dict[str, Any]:
        for needed in ("treated", "outcome"):
            if not options[needed]:
                raise _refuse(f"--data needs --{needed}")
        if not covariates:
            raise _refuse("--data needs --covariates A,B,…")
        try:
            frame = pd.read_csv(options["data"])
        except (OSError, ValueError) as exc:
            raise _refuse(f"{options['data']}: cannot read it as CSV ({exc})") from None
        try:
            return evaluate(
                frame,
                treated=options["treated"],
                covariates=covariates,
                outcome=options["outcome"],
                frequency=options["frequency"],
                caliper=options["caliper"],
                ratio=options["ratio"],
                replace=options["replace"],
                seed=options["seed"],
            ).to_dict()
        except EvaluationError as exc:
            raise _refuse(f"{options['data']}: {exc}") from None

    def _records(self, options: dict[str, Any], covariates: list[str]) -> dict[str, Any]:
        if not options["user"]:
            raise _refuse("--user USERNAME is required, so that the user's access rules apply")
        user = User.objects.filter(username=options["user"], is_active=True).select_related("agency").first()
        if user is None:
            raise _refuse(f"no active user {options['user']!r}")
        for needed in ("start", "end"):
            if not options[needed]:
                raise _refuse(f"--{'from' if needed == 'start' else 'to'} YYYY-MM-DD is required")
        upload = None
        if options["intervention"] == Intervention.UPLOADED_LIST:
            if not options["people"]:
                raise _refuse("--intervention uploaded_list needs --people FILE.csv")
            if options["agency"] and options["agency"] != user.agency.code:
                # The list is read as the user's own agency's references: they see those people.
                raise _refuse(f"--agency {options['agency']} is not {user.username}'s agency ({user.agency.code})")
            try:
                upload = Upload(filename=str(options["people"]), content=options["people"].read_bytes())
            except OSError as exc:
                raise _refuse(f"{options['people']}: cannot read it ({exc.strerror})") from None
        parameters = {
            "start": options["start"],
            "end": options["end"],
            "scheme": options["scheme"],
            "tier": options["tier"],
            "covariates": covariates,
            "caliper": options["caliper"],
            "ratio": options["ratio"],
            "replace": options["replace"],
            "seed": options["seed"],
        }
        if options["as_of"]:
            parameters["as_of"] = options["as_of"]
        title = (
            options["title"] or f"{Intervention(options['intervention']).label} {options['start']} to {options['end']}"
        )
        try:
            evaluation = evaluation_run(
                by=user, title=title, intervention=options["intervention"], parameters=parameters, upload=upload
            )
        except PermissionError as exc:
            raise _refuse(str(exc)) from None
        except EvaluationRefused as exc:
            raise _refuse(str(exc)) from None
        return {
            "id": str(evaluation.pk),
            "title": evaluation.title,
            "parameters": evaluation.parameters,
            **evaluation.result,
        }


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x * 100:.1f}%"


def as_text(result: dict[str, Any]) -> str:
    lines = []
    if result.get("title"):
        lines.append(result["title"])
    lines.append(
        f"Treated: {result['n_treated']}, matched {result['n_matched_treated']}, unmatched "
        f"{result['n_unmatched_treated']}; comparison pool {result['n_comparison_pool']}, "
        f"used {result['n_matched_comparison']}"
    )
    lines.append("")
    lines.append(f"{'Covariate':40} {'SMD before':>11} {'SMD after':>10}")
    for row in result["balance"]:
        flag = "  imbalanced" if row["imbalanced_after"] else ""
        lines.append(f"{row['label'][:40]:40} {row['smd_before']:>11.3f} {row['smd_after']:>10.3f}{flag}")
    lines.append("")
    for title, group in (("Matched", result["outcomes"]), ("Naive (unmatched)", result["naive"])):
        for name, e in group.items():
            if e is None:
                continue
            fmt = _pct if name == "rate" else (lambda x: f"{x:.2f}")
            lines.append(
                f"{title} {name}: treated {fmt(e['treated'])}, comparison {fmt(e['comparison'])}, "
                f"difference {fmt(e['difference'])} (95% CI {fmt(e['ci_low'])} to {fmt(e['ci_high'])}, "
                f"p = {e['p_value']:.3f})"
            )
    for warning in result["warnings"]:
        lines.append(f"Warning: {warning}")
    return "\n".join(lines)
