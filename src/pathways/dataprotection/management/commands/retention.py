"""`pathways retention run [--apply]`: what the retention rules will delete, and deleting it.

Without `--apply` nothing changes: the command reports, per rule, how many records it covers
and their ids. With `--apply` it deletes exactly what that report lists at that moment, in one
transaction, and writes one audit event per rule.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from pathways.access.policies import is_data_protection_lead
from pathways.accounts.models import User
from pathways.dataprotection.selectors import RetentionPlan, RetentionRefused, retention_plan, retention_rules
from pathways.dataprotection.services import retention_apply


class Command(BaseCommand):
    help = "Report what the retention rules cover (changing nothing), or apply them with --apply."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{run,rules}")
        run = sub.add_parser("run", help="report what the rules will do; --apply to do it")
        run.add_argument("--apply", action="store_true", help="delete what the report lists (default: report only)")
        run.add_argument("--report", type=Path, metavar="FILE.json", help="also write the full report as JSON here")
        run.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            default=None,
            metavar="YYYY-MM-DD",
            help="the day to measure periods from (default today; never in the future)",
        )
        run.add_argument("--user", help="username of the data protection lead running it (recorded in the audit)")
        run.add_argument("--quiet-ids", action="store_true", help="print counts only, not the ids")
        sub.add_parser("rules", help="list the retention rules")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rules":
            self._rules()
            return
        user = None
        if options.get("user"):
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user '{options['user']}'")
            if not is_data_protection_lead(user):
                raise CommandError(f"{user.username} is not a data protection lead")
        try:
            if options["apply"]:
                plan = retention_apply(as_of=options["as_of"], by=user, via="command")
            else:
                plan = retention_plan(as_of=options["as_of"])
        except RetentionRefused as refused:
            raise CommandError(
                "Retention refused, nothing changed:\n" + "\n".join(f"  - {p}" for p in refused.problems)
            ) from refused
        if options["report"]:
            options["report"].write_text(
                json.dumps(plan.as_dict(), indent=2, cls=DjangoJSONEncoder) + "\n", encoding="utf-8"
            )
        self._print(plan, ids=not options["quiet_ids"])
        if options["report"]:
            self.stdout.write(f"Full report written to {options['report']}")

    def _print(self, plan: RetentionPlan, *, ids: bool) -> None:
        if plan.applied:
            self.stdout.write(f"Retention applied as of {plan.as_of}.")
        else:
            self.stdout.write(
                f"Retention report as of {plan.as_of}: nothing has been changed. Run with --apply to do it."
            )
        if not plan.rules:
            self.stdout.write("No retention rules are set, so nothing is deleted or listed for review.")
        for rule in plan.rules:
            verb = {"delete": "will delete", "review": "lists for review"}[rule.action]
            if plan.applied:
                verb = {"delete": "deleted", "review": "listed for review"}[rule.action]
            self.stdout.write("")
            self.stdout.write(
                f"{rule.category} (version {rule.version}, {rule.action} after {rule.period}, "
                f"cut-off {rule.cutoff}): {verb} {rule.counted}"
            )
            related = rule.deleted if plan.applied and rule.action == "delete" else rule.related_counts
            for label, count in sorted((related or {}).items()):
                self.stdout.write(f"  {label}: {count}")
            history = rule.history_deleted if plan.applied and rule.action == "delete" else rule.history
            if history:
                self.stdout.write(
                    f"  history rows: {sum(history.values())} ({', '.join(f'{k}: {v}' for k, v in history.items())})"
                )
            if rule.held:
                self.stdout.write(f"  kept because of a legal hold: {len(rule.held)}")
            if ids:
                for pk in rule.ids:
                    self.stdout.write(f"    {pk}")
        if plan.without_rule:
            self.stdout.write("")
            self.stdout.write(f"No rule set (nothing happens) for: {', '.join(plan.without_rule)}")

    def _rules(self) -> None:
        for entry in retention_rules():
            rule = entry.rule
            if rule is None:
                self.stdout.write(f"{entry.category}: no rule (nothing is deleted or listed)")
            else:
                self.stdout.write(
                    f"{entry.category}: {rule.action} after {rule.period} (version {rule.version}; {rule.basis})"
                )
