"""One evaluation in the demo partnership, through the real service: Second Chances' mentoring,
as the police sergeant would run it from the list the charity sent — people referred a month
after an offence was proven, about two years ago. The demo's mentees were picked at random, so
any difference the report finds is chance: a reminder to read the interval, the balance table
and the warnings, not only the headline."""

from __future__ import annotations

import datetime as dt
import random

from pathways.access.policies import people_visible_to
from pathways.accounts.models import User
from pathways.evaluation.models import Intervention
from pathways.evaluation.services import Upload, evaluation_run
from pathways.offending.models import OffenceOutcome
from pathways.offending.reference import PROVING_OUTCOMES
from pathways.people.models import PersonIdentifier

MENTEES = 100


def demo_evaluation_create(*, today: dt.date, seed: int) -> int:
    """Returns the number of evaluations run (0 when the demo is too small for one)."""
    rng = random.Random(seed + 9)
    sergeant = User.objects.get(username="supervisor")
    start, end = today - dt.timedelta(days=800), today - dt.timedelta(days=570)
    proven = dict(
        OffenceOutcome.objects.filter(
            outcome__in=PROVING_OUTCOMES,
            offence__offence_date__range=(start, end - dt.timedelta(days=30)),
            offence__person__in=people_visible_to(sergeant),
        )
        .order_by("offence__person_id", "outcome_date")
        .values_list("offence__person_id", "outcome_date")
    )
    refs = dict(
        PersonIdentifier.objects.filter(
            kind="agency_ref", agency=sergeant.agency, person_id__in=list(proven)
        ).values_list("person_id", "value")
    )
    eligible = sorted(
        (refs[p], day + dt.timedelta(days=30))
        for p, day in proven.items()
        if p in refs and day + dt.timedelta(days=30) <= end
    )
    # A hundred mentees, fewer in a small demo; the service refuses under ten.
    mentees = min(MENTEES, len(eligible) // 3)
    if mentees < 10:
        return 0
    chosen = rng.sample(eligible, mentees)
    content = "person_id,index_date\n" + "".join(f"{ref},{day.isoformat()}\n" for ref, day in sorted(chosen))
    evaluation_run(
        by=sergeant,
        title="Second Chances mentoring (referrals two years ago)",
        intervention=Intervention.UPLOADED_LIST,
        parameters={"start": start.isoformat(), "end": end.isoformat(), "as_of": today.isoformat()},
        upload=Upload("second-chances-mentees.csv", content.encode()),
    )
    return 1
