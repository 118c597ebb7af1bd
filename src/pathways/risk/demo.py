"""The demo partnership's risk work, made through the real services: the OPCC analyst's first
local reoffending model (active) and a fairness audit of OGRS3 on the partnership's history, and
workers' judgements beside people's OGRS3 scores — most agreeing, some overriding with reasons."""

from __future__ import annotations

import datetime as dt
import random

from django.core.exceptions import ValidationError

from pathways.access.policies import people_visible_to
from pathways.accounts.models import User
from pathways.risk import dataset, model_services
from pathways.risk.history import ogrs3_inputs
from pathways.risk.judgement_views import SHOWN_ON_PERSON_PAGE
from pathways.risk.judgements import judgement_record
from pathways.risk.models import Judgement, ScoreKind
from pathways.risk.ogrs3 import BAND_NAMES, VERSION, score

# Features of the first model: offending history only. Sex, ethnicity and area stay out (they are
# refused without a written reason); they are audited instead.
_FEATURES_LEFT_OUT = {"sex", "ethnicity", "area"}
_REASONS = {
    Judgement.AGREE: ["Matches what we see: steady offending, no change in circumstances"],
    Judgement.HIGHER: [
        "Lost his tenancy last week and is using again; the score cannot know that",
        "New partner is a co-defendant; offending has picked up since the summer",
    ],
    Judgement.LOWER: [
        "In full-time work for six months and engaging with the drug service",
        "Most of the sanctions were one spree four years ago; nothing proven since",
    ],
}


def demo_risk_create(*, today: dt.date, seed: int) -> int:
    """Returns the number of judgements recorded."""
    rng = random.Random(seed + 8)
    analyst = User.objects.get(username="analyst")
    end = dataset.latest_complete_end(today)
    start = end.replace(year=end.year - 2)
    features = [f for f in dataset.features_offered() if f not in _FEATURES_LEFT_OUT]
    try:
        model = model_services.local_model_train(
            by=analyst,
            period_start=start,
            period_end=end,
            features=features,
            name="Wessex proven reoffending model",
        )
    except ValidationError:
        pass  # a demo of a few people has too little history to train on: no model, as in life
    else:
        model_services.local_model_activate(by=analyst, model=model)
        model_services.fairness_audit_of_ogrs3(by=analyst, period_start=start, period_end=end, threshold=0.5)
    return _judgements(rng, today)


def _judgements(rng: random.Random, today: dt.date) -> int:
    recorded = 0
    for username in ("officer", "caseworker"):
        worker = User.objects.get(username=username)
        candidates = list(
            people_visible_to(worker).filter(offences__isnull=False).distinct().values_list("pk", flat=True)[:400]
        )
        rng.shuffle(candidates)
        inputs = ogrs3_inputs(candidates[:60], today)
        for person_id, person_inputs in inputs.items():
            if person_inputs is None or recorded >= (12 if username == "officer" else 24):
                continue
            result = score(person_inputs)
            judgement = rng.choices(list(Judgement), weights=[6, 2, 2])[0]
            position = BAND_NAMES.index(result.band)
            step = {Judgement.HIGHER: 1, Judgement.LOWER: -1}.get(judgement, 0)
            overridden = step != 0 and 0 <= position + step < len(BAND_NAMES) and rng.random() < 0.6
            judgement_record(
                by=worker,
                person=people_visible_to(worker).get(pk=person_id),
                score_kind=ScoreKind.OGRS3,
                score_version=VERSION,
                score_value=round(result.two_year, 4),
                score_band=result.band,
                shown_on=SHOWN_ON_PERSON_PAGE,
                judgement=judgement,
                overridden=overridden,
                judged_band=BAND_NAMES[position + step] if overridden else "",
                reason=rng.choice(_REASONS[judgement]),
            )
            recorded += 1
    return recorded
