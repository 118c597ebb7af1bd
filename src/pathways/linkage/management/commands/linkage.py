"""`pathways linkage`: keep the linkage model from the command line.

    pathways linkage train [--activate] [--user USERNAME] [--description TEXT]
    pathways linkage status [--format json|text]

`train` trains a new version on every source record held (inactive unless `--activate`);
`status` shows the active version, its thresholds and its accuracy on the pairs people decided.
A refusal ends with exit code 2 and says why.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pathways.accounts.models import User
from pathways.linkage import model_services
from pathways.linkage.policies import can_keep_linkage_model

BAD_INPUT = 2


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


class Command(BaseCommand):
    help = "Train the linkage model on the partnership's source records, or show the active version."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{train,status}")
        train = actions.add_parser("train", help="train a new version on every source record held")
        train.add_argument("--activate", action="store_true", help="make the new version the active one")
        train.add_argument("--user", help="username of the administrator training it (recorded in the audit)")
        train.add_argument("--description", default="", help="what this version is for")
        status = actions.add_parser("status", help="the active version, its thresholds and its label accuracy")
        status.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "train":
            self._train(options)
        else:
            self._status(options["format"])

    def _user(self, username: str | None) -> User | None:
        if not username:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"--user: no user '{username}'", returncode=BAD_INPUT)
        if not can_keep_linkage_model(user):
            raise CommandError(f"--user: {username} is not an administrator, who keep the linkage model", returncode=2)
        return user

    def _train(self, options: dict[str, Any]) -> None:
        user = self._user(options.get("user"))
        # Splink warns about every comparison level it saw no example of; the model page says
        # what matters (a level never seen counts for nothing either way).
        logging.getLogger("splink").setLevel(logging.ERROR)
        try:
            model = model_services.train_model(by=user, description=options["description"], via="command")
        except ValidationError as refused:
            raise CommandError(" ".join(refused.messages), returncode=BAD_INPUT) from refused
        self.stdout.write(f"Version {model.version} trained on {model.trained_on_records} source records.")
        if options["activate"]:
            model_services.activate(model, user, via="command")
            self.stdout.write(f"Version {model.version} is now the active model.")
        else:
            self.stdout.write(f"It is not in use: activate it with the page /linkage/models/{model.version}/.")

    def _status(self, output: str) -> None:
        model = model_services.active_model()
        report: dict[str, Any] = {"active": None, "label_accuracy": None}
        if model is not None:
            report["active"] = {
                "version": model.version,
                "link_threshold": model.link_threshold,
                "review_threshold": model.review_threshold,
                "trained_at": model.created_at.isoformat(),
                "trained_by": model.trained_by.username if model.trained_by else None,
                "trained_on_records": model.trained_on_records,
                "description": model.description,
            }
            report["label_accuracy"] = model_services.label_accuracy(model)
        if output == "json":
            self.stdout.write(json.dumps(report, indent=2))
            return
        if model is None:
            self.stdout.write("No version is active: linking uses the model shipped with Pathways.")
            return
        accuracy = report["label_accuracy"]
        self.stdout.write(
            f"Version {model.version} is active: links at {model.link_threshold}, "
            f"sends pairs from {model.review_threshold} to review; trained on {model.trained_on_records} records."
        )
        if not accuracy["labelled_pairs"]:
            self.stdout.write("No pair has been decided by a person yet, so its accuracy is not known.")
            return
        self.stdout.write(f"Labelled pairs: {accuracy['labelled_pairs']} ({accuracy['same_person']} the same person)")
        for key, words in (("at_link_threshold", "link"), ("at_review_threshold", "review")):
            row = accuracy[key]
            self.stdout.write(
                f"At the {words} threshold ({row['threshold']}): precision {_percent(row['precision'])}, "
                f"recall {_percent(row['recall'])} (true positives {row['true_positives']}, "
                f"false positives {row['false_positives']}, false negatives {row['false_negatives']})"
            )
        self.stdout.write(f"Labelled pairs it would now send to review: {accuracy['would_go_to_review']}")
