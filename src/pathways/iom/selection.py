"""Who the panel should consider for a scheme: the people a user may see, ranked by the
recency–frequency–gravity score, who meet the scheme's entry criteria the service can check.

A candidate is someone who
- is not in the scheme's cohort now;
- is old enough (and young enough) on the day of scoring, if the scheme says so;
- has at least one counted offence in the scheme's offence groups, if it names any;
- scores at least the scheme's minimum score, if it sets one; and
- was not declined for this scheme, unless they committed a proven offence after that decision
  (the panel looks again only when something has changed).

Scores are computed in bulk from `scoring.offences_for_scoring`, so a list over tens of
thousands of people takes a handful of queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.policies import people_visible_to
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.iom import scoring
from pathways.iom.cohort import config_current
from pathways.iom.models import CandidateDecision, Membership, Scheme, ScoreConfig
from pathways.iom.reference import CandidateDecisionKind, MembershipStatus
from pathways.people.models import Person
from pathways.risk.history import ogrs3_history


@dataclass
class Candidate:
    person: Person
    score: scoring.Score
    explanation: list[str]
    age: int | None
    latest_decision: CandidateDecision | None = None
    # Why a previously declined person is back on the list, for the panel.
    back_because: list[scoring.ScoredOffence] = field(default_factory=list)
    # OGRS3 beside the local score, so the panel weighs a published scale too (None: cannot be scored).
    ogrs3: Any = None


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day `years` earlier; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_on(date_of_birth: dt.date | None, day: dt.date) -> int | None:
    if date_of_birth is None:
        return None
    return day.year - date_of_birth.year - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))


def eligible_people(user: User, scheme: Scheme, as_of: dt.date) -> Any:
    """The people the user may see, outside the scheme's open cohort, of the scheme's ages.
    People without a date of birth cannot show they meet an age criterion, so are left out
    only when the scheme has one."""
    people = people_visible_to(user).exclude(
        pk__in=Membership.objects.filter(scheme=scheme, status=MembershipStatus.ADOPTED).values("person_id")
    )
    if scheme.minimum_age is not None:
        people = people.filter(date_of_birth__lte=years_before(as_of, scheme.minimum_age))
    if scheme.maximum_age is not None:
        # Still `maximum_age` until the day before their next birthday.
        people = people.filter(date_of_birth__gt=years_before(as_of, scheme.maximum_age + 1))
    return people


def _ogrs3_score(history: Any) -> Any:
    from pathways.risk.ogrs3 import score

    return score(history.inputs) if history is not None and history.inputs is not None else None


def _meets_offence_groups(scheme: Scheme, result: scoring.Score) -> bool:
    if not scheme.offence_groups:
        return True
    return any(w.offence.offence_group in scheme.offence_groups for w in result.offences)


def candidates(
    user: User,
    scheme: Scheme,
    *,
    as_of: dt.date | None = None,
    config: ScoreConfig | None = None,
    limit: int | None = 100,
    via: str = "web",
    purpose: str = "",
) -> list[Candidate]:
    """The scheme's candidates the user may see, highest score first (then the most recent
    offending, then by name, so the order is stable). Reading the list is audited once."""
    as_of = as_of or timezone.localdate()
    config = config or config_current()
    settings = config.config
    people = eligible_people(user, scheme, as_of)
    offences = scoring.offences_for_scoring(people, settings, as_of)

    scored: dict[Any, scoring.Score] = {}
    minimum = float(scheme.minimum_score) if scheme.minimum_score is not None else None
    for person_id, history in offences.items():
        result = scoring.score(settings, history, as_of)
        if not result.offences or not _meets_offence_groups(scheme, result):
            continue
        if minimum is not None and result.total < minimum:
            continue
        scored[person_id] = result

    # The latest decline per person: they stay off the list until a proven offence committed after it.
    declined = dict(
        CandidateDecision.objects.filter(
            scheme=scheme, decision=CandidateDecisionKind.DECLINED, person_id__in=list(scored)
        )
        .values("person_id")
        .annotate(last=Max("decided_on"))
        .values_list("person_id", "last")
    )
    back: dict[Any, list[scoring.ScoredOffence]] = {}
    for person_id, declined_on in declined.items():
        newer = [w.offence for w in scored[person_id].offences if w.offence.offence_date > declined_on]
        if newer:
            back[person_id] = newer
        else:
            del scored[person_id]

    ranked = sorted(scored.items(), key=lambda item: (-item[1].total, item[1].days_since_latest or 0, str(item[0])))
    if limit is not None:
        ranked = ranked[:limit]
    ids = [person_id for person_id, _ in ranked]
    found = Person.objects.in_bulk(ids)
    latest: dict[Any, CandidateDecision] = {}
    for decision in (
        CandidateDecision.objects.filter(scheme=scheme, person_id__in=ids)
        .select_related("decided_by")
        .order_by("-decided_on", "-created_at")
    ):
        latest.setdefault(decision.person_id, decision)

    ogrs3_histories = ogrs3_history(ids, as_of)
    result = [
        Candidate(
            person=found[person_id],
            score=score,
            explanation=score.explanation(settings),
            age=age_on(found[person_id].date_of_birth, as_of),
            latest_decision=latest.get(person_id),
            back_because=back.get(person_id, []),
            ogrs3=_ogrs3_score(ogrs3_histories.get(person_id)),
        )
        for person_id, score in ranked
    ]
    result.sort(key=lambda c: (-c.score.total, c.score.days_since_latest or 0, c.person.surname, c.person.given_name))
    audit_record(
        user=user,
        action=AuditEvent.Action.SEARCH,
        object_type="iom_candidates",
        object_id=scheme.code,
        purpose=purpose,
        detail={
            "scheme": scheme.code,
            "count": len(result),
            "config_version": config.version,
            "as_of": as_of.isoformat(),
        },
        via=via,
    )
    return result
