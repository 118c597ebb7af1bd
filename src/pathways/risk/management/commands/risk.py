"""`pathways risk`: check a score against a partnership's own data, or train its own model.

    pathways risk audit --data FILE.csv --score COLUMN --outcome COLUMN --group COLUMN … --threshold T
    pathways risk train --data FILE.csv --outcome COLUMN --features A,B,C [--group COLUMN] [--justify F="…"]

Bad input ends with exit code 2 and one line per problem naming the file, row and column.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pathways.risk.fairness import METRICS, audit
from pathways.risk.tabular import TableError, read_table
from pathways.risk.training import RefusedFeature, TrainingError, train

BAD_INPUT = 2


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=BAD_INPUT)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _fail(f"{path}: cannot read the file ({exc.strerror or exc})") from exc


def _justification(text: str) -> tuple[str, str]:
    feature, separator, reason = text.partition("=")
    reason = reason.strip().strip("\"'").strip()
    if not separator or not feature.strip() or not reason:
        raise _fail(f'--justify takes FEATURE="reason", not {text!r}')
    return feature.strip(), reason


def _cell(value: Any, percent: bool = True) -> str:
    if value is None:
        return "–"
    return f"{value:.1%}" if percent else f"{value:.3f}"


class Command(BaseCommand):
    help = "Fairness audits of any score, and the partnership's own reoffending model, on a CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{audit,train}")
        audit_parser = actions.add_parser(
            "audit", help="audit a score against an observed outcome, overall and by group"
        )
        audit_parser.add_argument("--data", type=Path, required=True, help="CSV file, one row per person")
        audit_parser.add_argument("--score", required=True, help="column of scores (higher = more likely)")
        audit_parser.add_argument("--outcome", required=True, help="column of outcomes: 1 = reoffended, 0 = not")
        audit_parser.add_argument(
            "--group", action="append", default=[], help="column of a protected characteristic (repeatable)"
        )
        audit_parser.add_argument(
            "--threshold", type=float, required=True, help="a score at or above this counts as predicted to reoffend"
        )
        audit_parser.add_argument("--format", choices=["json", "text"], default="text")

        train_parser = actions.add_parser("train", help="train and cross-validate a local reoffending model")
        train_parser.add_argument("--data", type=Path, required=True, help="CSV file, one row per person")
        train_parser.add_argument("--outcome", required=True, help="column of outcomes: 1 = reoffended, 0 = not")
        train_parser.add_argument("--features", required=True, help="comma-separated columns for the model to use")
        train_parser.add_argument(
            "--group", action="append", default=[], help="column to audit the predictions by (repeatable)"
        )
        train_parser.add_argument(
            "--justify",
            action="append",
            default=[],
            metavar='FEATURE="reason"',
            help="use a refused-by-default feature, with the reason (kept for the model card)",
        )
        train_parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
        train_parser.add_argument("--seed", type=int, default=0)
        train_parser.add_argument(
            "--threshold", type=float, help="threshold for the fairness audit (default: the base rate)"
        )
        train_parser.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "audit":
            self._audit(options)
        else:
            self._train(options)

    def _audit(self, options: dict[str, Any]) -> None:
        path: Path = options["data"]
        score, outcome, groups = options["score"], options["outcome"], list(dict.fromkeys(options["group"]))
        try:
            frame = read_table(
                _read(path), str(path), required=[score, outcome, *groups], numeric=[score], binary=[outcome]
            )
            result = audit(
                frame[score].tolist(),
                frame[outcome].tolist(),
                {group: frame[group].tolist() for group in groups},
                options["threshold"],
            )
        except TableError as exc:
            raise _fail(str(exc)) from exc
        except ValueError as exc:
            raise _fail(f"{path}: {exc}") from exc
        if options["format"] == "json":
            self.stdout.write(json.dumps(result, indent=2))
            return
        self.stdout.write(
            f"Fairness audit of '{score}' against '{outcome}' in {path}, threshold {options['threshold']}"
        )
        self._table(result)

    def _table(self, result: dict[str, Any]) -> None:
        heading = ["", "", *METRICS]
        rows = [["overall", "", *self._figures(result["overall"])]]
        for column, values in result["groups"].items():
            for value, figures in values.items():
                small = " (small)" if result["small"][column][value] else ""
                rows.append([column, f"{value}{small}", *self._figures(figures)])
        widths = [max(len(str(row[i])) for row in [heading, *rows]) for i in range(len(heading))]
        for row in [heading, *rows]:
            self.stdout.write("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))
        for note in result.get("notes", []):
            self.stdout.write(f"Note: {note}")

    @staticmethod
    def _figures(figures: dict[str, Any]) -> list[str]:
        return [
            str(figures["n"]),
            _cell(figures["base_rate"]),
            _cell(figures["auc"], percent=False),
            *(_cell(figures[key]) for key in ("fpr", "fnr", "ppv", "accuracy")),
        ]

    def _train(self, options: dict[str, Any]) -> None:
        path: Path = options["data"]
        outcome = options["outcome"]
        features = [name.strip() for name in options["features"].split(",") if name.strip()]
        groups = list(dict.fromkeys(options["group"]))
        justifications = dict(_justification(text) for text in options["justify"])
        try:
            frame = read_table(_read(path), str(path), required=[outcome, *features, *groups], binary=[outcome])
            result = train(
                frame,
                outcome,
                features,
                groups=groups,
                justifications=justifications,
                folds=options["folds"],
                seed=options["seed"],
                threshold=options["threshold"],
            )
        except (TableError, RefusedFeature) as exc:
            raise _fail(str(exc)) from exc
        except (TrainingError, ValueError) as exc:
            raise _fail(f"{path}: {exc}") from exc
        out = result.as_dict()
        if options["format"] == "json":
            self.stdout.write(json.dumps(out, indent=2))
            return
        interval = out["auc_interval"]
        self.stdout.write(f"{result.model}; {out['n']} people, {_cell(out['base_rate'])} reoffended.")
        self.stdout.write(
            f"Out-of-fold AUC {out['auc']:.3f}"
            + (f" (95% CI {interval[0]:.3f}–{interval[1]:.3f})" if interval else "")
            + f"; Brier {out['brier']:.4f} (always predicting the base rate: {out['brier_baseline']:.4f})"
        )
        self.stdout.write("Fold AUCs: " + ", ".join(_cell(a, percent=False) for a in out["folds"]))
        self.stdout.write("Calibration (predicted → observed):")
        for bin_ in out["calibration"]:
            self.stdout.write(f"  {bin_['n']:>6} people  {_cell(bin_['mean_predicted'])} → {_cell(bin_['observed'])}")
        for feature, reason in out["justifications"].items():
            self.stdout.write(f"Justified feature {feature}: {reason}")
        for note in out["notes"]:
            self.stdout.write(f"Note: {note}")
        if result.fairness is not None:
            self.stdout.write(f"\nFairness of the out-of-fold predictions, threshold {out['threshold']}:")
            self._table(result.fairness)
