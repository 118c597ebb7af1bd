"""The demo partnership's integrated offender management, made through the real services where
they exist: seven schemes, two versions of the score's configuration, monthly IOM panels over
the last two years that adopted the highest-scoring people (and declined a few, with reasons),
exits, tiers and leads, supporting workers, needs across the seven pathways with plans, weekly
appointments (some missed), daily review boards on the last two weeks' working days, and tags.

Yesterday's board is the last one held, so today's board fills with what arrived since: the
partner files that came in overnight, tag alerts and missed appointments.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from pathways.access.policies import people_visible_to
from pathways.accounts.models import Agency, User
from pathways.imports.formats import csv_bytes
from pathways.imports.services import import_file
from pathways.iom import cohort, scoring
from pathways.iom.models import (
    ActionUpdate,
    Appointment,
    BoardEntry,
    BoardMeeting,
    Membership,
    NeedsAssessment,
    PathwayNeed,
    PlanAction,
    Scheme,
)
from pathways.iom.reference import (
    ActionStatus,
    BoardDecision,
    MembershipStatus,
    NeedLevel,
    Pathway,
    TagBasis,
    TagEventKind,
    TagType,
    Tier,
)
from pathways.offending.reference import OffenceGroup
from pathways.people.models import PersonIdentifier

# code, name, lead agency key, entry criteria, minimum score, minimum age, maximum age, groups, share of the cohort
_SCHEMES = [
    (
        "ppo",
        "Prolific and other Priority Offenders",
        "police",
        "Adults whose proven offending in the last two years causes the community most harm: "
        "acquisitive crime above all, chosen by the panel from the highest scores",
        40,
        18,
        None,
        [],
        0.42,
    ),
    (
        "hccu",
        "High Crime Causing Users",
        "probation",
        "Adults whose acquisitive offending is driven by heroin or crack cocaine use and who are not yet in treatment",
        25,
        18,
        None,
        [OffenceGroup.THEFT, OffenceGroup.ROBBERY, OffenceGroup.DRUGS],
        0.16,
    ),
    (
        "drr-atr",
        "Drug and alcohol treatment requirements",
        "probation",
        "Adults on a community order with a Drug Rehabilitation or Alcohol Treatment Requirement",
        20,
        18,
        None,
        [],
        0.12,
    ),
    (
        "da",
        "Domestic abuse perpetrators",
        "police",
        "Serial or high-harm perpetrators of domestic abuse (under consideration: a pilot in Casterbridge)",
        20,
        18,
        None,
        [OffenceGroup.VIOLENCE],
        0.1,
    ),
    (
        "ldm",
        "Local diversionary management (young people)",
        "yos",
        "Young people aged 10 to 17 whose offending is escalating, managed with the youth offending "
        "service (under consideration)",
        15,
        10,
        17,
        [],
        0.08,
    ),
    (
        "short-custody",
        "Short-custody prisoners",
        "probation",
        "Adults released from sentences under 12 months, with 3 or more proven offences (under consideration)",
        20,
        18,
        None,
        [],
        0.08,
    ),
    (
        "mappa",
        "MAPPA cases",
        "probation",
        "MAPPA level 2 or 3 cases whose offending is also prolific, managed jointly with the "
        "National Probation Service (under consideration)",
        30,
        18,
        None,
        [OffenceGroup.VIOLENCE, OffenceGroup.SEXUAL, OffenceGroup.ROBBERY],
        0.04,
    ),
]
# Memberships' own ids are random: the random draws made for each member follow this order, so
# that the same seed and date build the same cohort.
_SAME_ORDER_EVERY_BUILD = ("adopted_on", "scheme__code", "person_id")
_DECLINES = [
    "Already managed under MAPPA level 3; IOM would duplicate it",
    "Offending is linked to a mental health crisis now being treated; review in three months",
    "Moving out of the area to live with family in Scotland",
    "Score driven by one incident with several charges; not a pattern of offending",
]
_EXITS = [
    "No proven offending for twelve months; engaged with employment support",
    "Sentenced to four years in custody; case passes to the prison offender manager",
    "Moved out of the force area; handed over to the receiving IOM team",
    "Completed treatment and stable in accommodation; the panel agreed to step down",
]
_ACTIONS = {
    Pathway.ACCOMMODATION: [("Secure a supported housing place", "wessex-housing", "Wessex Homes Pathway 3")],
    Pathway.ETE: [("Enrol on a CSCS card course", "second-chances", "")],
    Pathway.HEALTH: [("Register with a GP and book a health check", "wessex-health", "")],
    Pathway.DRUGS_ALCOHOL: [("Assessment with the drug and alcohol service", "wessex-health", "Wessex Recovery")],
    Pathway.FINANCE: [("Open a bank account and claim Universal Credit", "second-chances", "")],
    Pathway.CHILDREN_FAMILIES: [
        ("Supervised contact with his children, through children's services", "casterbridge-council", "")
    ],
    Pathway.ATTITUDES: [("Start the Thinking Skills programme", "wessex-probation", "")],
}


def _panel_dates(today: dt.date, months: int) -> list[dt.date]:
    """The first Tuesday of each of the last `months` months, oldest first."""
    dates = []
    for back in range(months, 0, -1):
        year, month = today.year, today.month - back
        while month <= 0:
            month += 12
            year -= 1
        first = dt.date(year, month, 1)
        dates.append(first + dt.timedelta(days=(1 - first.weekday()) % 7))
    return dates


def _age(dob: dt.date | None, on: dt.date) -> int | None:
    if dob is None:
        return None
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def demo_iom_create(*, today: dt.date, seed: int, people: int) -> int:
    """Build the IOM schemes and cohort; returns the number of memberships."""
    rng = random.Random(seed + 7)
    agencies = {a.code: a for a in Agency.objects.all()}
    key_to_code = {
        "police": "wessex-police",
        "probation": "wessex-probation",
        "yos": "wessex-yos",
    }
    sergeant = User.objects.get(username="supervisor")
    leads = {
        "wessex-police": [User.objects.get(username="supervisor"), User.objects.get(username="officer")],
        "wessex-probation": [User.objects.get(username="caseworker")],
        "wessex-yos": [User.objects.get(username="yos-worker")],
    }
    # The whole cohort, about 45 per 20,000 people (Dorset: 50 PPOs in a county of 770,000,
    # with a far lower share of people known to the police than the demo's).
    size = max(12, round(people * 45 / 20_000))
    with transaction.atomic():
        cohort.config_current()
        schemes = [
            cohort.scheme_save(
                by=sergeant,
                data=cohort.SchemeInput(
                    code=code,
                    name=name,
                    entry_criteria=criteria,
                    lead_agency=agencies[key_to_code[lead]],
                    minimum_score=Decimal(minimum),
                    minimum_age=min_age,
                    maximum_age=max_age,
                    offence_groups=tuple(groups),
                ),
            )
            for code, name, lead, criteria, minimum, min_age, max_age, groups, _ in _SCHEMES
        ]
    targets = {s.code: max(1, round(size * share)) for s, share in zip(schemes, [r[-1] for r in _SCHEMES], strict=True)}
    visible = people_visible_to(sergeant)
    dobs = dict(visible.values_list("pk", "date_of_birth"))
    dates = _panel_dates(today, 24)
    for n, panel_on in enumerate(dates):
        if n == 12:
            # A year ago the panel started counting victims harmed: version 2 of the score.
            config = dict(scoring.DEFAULT_CONFIG, include_victims=True)
            cohort.config_save(by=sergeant, config=config, note="Count victims harmed, as the PCC's plan asks")
        config = cohort.config_current().config
        if n in (0, 12):
            # Read everyone's offences once per configuration, over all the panels' windows:
            # `scoring.score` keeps only those committed in each panel's window and proven by then.
            wide = dict(config, lookback_months=config["lookback_months"] + 25)
            history = scoring.offences_for_scoring(visible, wide, today)
            # The panel's analyst brings people with three or more offences: nobody else scores high.
            history = {pid: offences for pid, offences in history.items() if len(offences) >= 3}
        found = history
        scores = sorted(
            ((scoring.score(config, offences, panel_on), pid) for pid, offences in found.items()),
            key=lambda item: -item[0].total,
        )
        in_cohort = set(
            Membership.objects.filter(status=MembershipStatus.ADOPTED).values_list("person_id", "scheme_id")
        )
        busy = {p for p, _ in in_cohort}
        with transaction.atomic():
            for scheme in schemes:
                open_now = sum(1 for _, s in in_cohort if s == scheme.pk)
                # Fill towards the target over the first year, then replace those who leave.
                wanted = min(targets[scheme.code], round(targets[scheme.code] * (n + 1) / 12)) - open_now
                declined_here = scheme.code != "ppo" or n % 5 != 3
                for result, pid in scores:
                    if wanted <= 0 and declined_here:
                        break
                    if pid in busy or not _fits(scheme, result, dobs.get(pid), panel_on):
                        continue
                    busy.add(pid)
                    person = visible.get(pk=pid)
                    # Every few months the panel declines the top PPO candidate, for a reason.
                    if not declined_here:
                        declined_here = True
                        cohort.decline(
                            by=sergeant, person=person, scheme=scheme, reason=_DECLINES[n % len(_DECLINES)], on=panel_on
                        )
                        continue
                    rank_tier = Tier.HIGH if result.total >= 60 else Tier.MEDIUM if result.total >= 50 else Tier.LOW
                    lead_agency = scheme.lead_agency
                    cohort.adopt(
                        by=sergeant,
                        person=person,
                        scheme=scheme,
                        data=cohort.Adoption(
                            tier=rank_tier,
                            lead_agency=lead_agency,
                            lead_worker=rng.choice(leads[lead_agency.code]),
                            reason=f"Score {result.total:.0f}; {len(result.offences)} proven offences in two years",
                            on=panel_on,
                        ),
                    )
                    wanted -= 1
            # Some leave at each panel after six months in the cohort.
            for membership in Membership.objects.filter(
                status=MembershipStatus.ADOPTED, adopted_on__lte=panel_on - dt.timedelta(days=180)
            ).order_by(*_SAME_ORDER_EVERY_BUILD):
                if rng.random() < 0.07:
                    cohort.deselect(by=sergeant, membership=membership, reason=rng.choice(_EXITS), on=panel_on)
    _after_adoption(rng, today, agencies, sergeant)
    _tags(rng, today, agencies["wessex-police"], sergeant)
    return Membership.objects.count()


def _fits(scheme: Scheme, result: scoring.Score, dob: dt.date | None, on: dt.date) -> bool:
    if scheme.minimum_score is not None and result.total < float(scheme.minimum_score):
        return False
    age = _age(dob, on)
    if age is None:
        return False
    if (scheme.minimum_age and age < scheme.minimum_age) or (scheme.maximum_age and age > scheme.maximum_age):
        return False
    return not scheme.offence_groups or any(w.offence.offence_group in scheme.offence_groups for w in result.offences)


def _after_adoption(rng: random.Random, today: dt.date, agencies: dict[str, Agency], sergeant: User) -> None:
    """Supporting workers, needs, plans, appointments and board entries for the open cohort.
    Written directly, dated when they happened (synthetic data only)."""
    caseworker = User.objects.get(username="caseworker")
    now = dt.datetime.combine(today, dt.time(10, 0), tzinfo=timezone.get_current_timezone())
    open_members = list(
        Membership.objects.filter(status=MembershipStatus.ADOPTED)
        .select_related("lead_agency")
        .order_by(*_SAME_ORDER_EVERY_BUILD)
    )
    with transaction.atomic():
        for m in open_members:
            for agency_code, name, role in rng.sample(
                [
                    ("wessex-housing", "Hannah Hughes", "Tenancy sustainment officer"),
                    ("wessex-health", "Dev Mistry", "Drug and alcohol recovery worker"),
                    ("second-chances", "Leon Carter", "Peer mentor"),
                    ("wessex-probation", "Priya Patel", "Probation practitioner"),
                ],
                k=rng.randint(1, 2),
            ):
                m.supporting_workers.create(
                    agency=agencies[agency_code], name=name, role=role, since=m.adopted_on + dt.timedelta(days=7)
                )
            assessed = NeedsAssessment.objects.create(
                membership=m, assessed_on=m.adopted_on + dt.timedelta(days=14), by=caseworker
            )
            levels = {}
            for pathway in Pathway.values:
                level = rng.choices(NeedLevel.values, weights=[2, 3, 3, 2])[0]
                levels[pathway] = level
                PathwayNeed.objects.create(
                    assessment=assessed,
                    pathway=pathway,
                    level=level,
                    notes="Sofa-surfing with a cousin; no tenancy"
                    if pathway == Pathway.ACCOMMODATION and level == NeedLevel.HIGH
                    else "",
                )
            for pathway, level in levels.items():
                if level not in (NeedLevel.MEDIUM, NeedLevel.HIGH):
                    continue
                action, owner, referred = _ACTIONS[pathway][0]
                due = assessed.assessed_on + dt.timedelta(days=rng.randint(14, 120))
                status = ActionStatus.OPEN
                finished = None
                if due < today and rng.random() < 0.7:
                    status = rng.choices([ActionStatus.DONE, ActionStatus.NOT_DONE], weights=[4, 1])[0]
                    finished = due - dt.timedelta(days=rng.randint(0, 10))
                plan_action = PlanAction.objects.create(
                    membership=m,
                    pathway=pathway,
                    action=action,
                    owner_agency=agencies[owner],
                    due_on=due,
                    referred_to=referred,
                    status=status,
                    finished_on=finished,
                    outcome="Did not attend three appointments" if status == ActionStatus.NOT_DONE else "",
                    created_by=caseworker,
                )
                ActionUpdate.objects.create(
                    action=plan_action,
                    on=min(today, assessed.assessed_on + dt.timedelta(days=7)),
                    note="Referral made; first appointment booked",
                    by=caseworker,
                )
            # Weekly appointments over the last three weeks; yesterday's missed by some.
            for days_ago in (20, 13, 6, 1):
                due_at = now - dt.timedelta(days=days_ago, hours=-1)
                if due_at.date() < m.adopted_on:
                    continue
                attended = None if days_ago == 1 and rng.random() < 0.3 else rng.random() > 0.12
                Appointment.objects.create(
                    membership=m,
                    agency=m.lead_agency,
                    due_at=due_at,
                    what="Weekly supervision appointment",
                    attended=False if attended is None else attended,
                    recorded_by=caseworker,
                )
    _boards(rng, today, open_members, sergeant)


# An alert and the event that ends it, as the supplier reports them.
_ALERTS = {
    TagType.GPS: [
        (TagEventKind.EXCLUSION_ZONE, None, "Entered the town-centre exclusion zone"),
        (TagEventKind.NO_SIGNAL, TagEventKind.SIGNAL_RESTORED, "No GPS fix for 40 minutes"),
        (TagEventKind.BATTERY_FLAT, TagEventKind.BATTERY_CHARGED, "Battery below 5%"),
    ],
    TagType.RADIO_FREQUENCY: [
        (TagEventKind.CURFEW_BREACH, None, "Out of the curfew address"),
        (TagEventKind.STRAP_TAMPER, None, "Strap tamper detected; visit booked"),
    ],
    TagType.ALCOHOL: [(TagEventKind.ALCOHOL_DETECTED, None, "Alcohol detected overnight")],
}


_TAG_MIX = [
    *[(TagType.GPS, TagBasis.VOLUNTARY)] * 4,
    (TagType.RADIO_FREQUENCY, TagBasis.CONDITION),
    *[(TagType.GPS, TagBasis.VOLUNTARY)] * 3,
    (TagType.ALCOHOL, TagBasis.CONDITION),
    (TagType.RADIO_FREQUENCY, TagBasis.CONDITION),
]


def _tags(rng: random.Random, today: dt.date, police: Agency, sergeant: User) -> None:
    """The tag supplier's two files for the police, loaded through the partner-file importer as a
    real supplier's would be: tags fitted after adoption (most worn voluntarily, as in Dorset),
    their alerts, and overnight alerts since yesterday's board for today's."""
    tz = timezone.get_current_timezone()
    refs = dict(PersonIdentifier.objects.filter(kind="agency_ref", agency=police).values_list("person_id", "value"))
    tags, events = [], []
    for m in Membership.objects.order_by(*_SAME_ORDER_EVERY_BUILD):
        fitted = m.adopted_on + dt.timedelta(days=rng.randint(7, 45))
        if m.person_id not in refs or rng.random() > 0.5 or fitted >= today:
            continue
        # Seven in ten GPS tags worn by agreement; the rest curfew or alcohol tags by condition.
        tag_type, basis = _TAG_MIX[len(tags) % len(_TAG_MIX)]
        removed: dt.date | None = fitted + dt.timedelta(days=rng.randint(60, 240))
        if m.ended_on is not None:
            removed = min(removed, max(fitted, m.ended_on))
        elif rng.random() < 0.6:
            removed = None
        if removed is not None and removed >= today:
            removed = None
        reference = f"WX{len(tags) + 1:05d}"
        tags.append(
            {
                "supplier": "Buddi",
                "tag_reference": reference,
                "person_id": refs[m.person_id],
                "tag_type": tag_type,
                "basis": basis,
                "fitted_on": fitted.isoformat(),
                "removed_on": removed.isoformat() if removed else "",
            }
        )
        worn_days = ((removed or today - dt.timedelta(days=1)) - fitted).days
        alert_days = sorted(rng.sample(range(worn_days + 1), k=min(worn_days + 1, rng.randint(0, 4))))
        for day in alert_days:
            at = dt.datetime.combine(
                fitted + dt.timedelta(days=day), dt.time(rng.randint(0, 22), rng.randint(0, 59)), tzinfo=tz
            )
            _tag_alert(rng, events, reference, tag_type, at)
        if removed is None and rng.random() < 0.5:
            # Last night, after yesterday's board: on today's board.
            at = dt.datetime.combine(
                today - dt.timedelta(days=1), dt.time(rng.randint(19, 22), rng.randint(0, 59)), tzinfo=tz
            )
            _tag_alert(rng, events, reference, tag_type, at)
    for kind, rows in (("tags", tags), ("tag_events", events)):
        if not rows:  # a very small demo may have nobody tagged: a supplier sends no empty file
            continue
        report = import_file(
            kind=kind,
            agency=police,
            filename=f"buddi-{kind}-{today:%Y%m%d}.csv",
            content=csv_bytes(kind, rows),
            by=sergeant,
        )
        if report.error_count:
            raise RuntimeError(f"The demo's {kind} file was refused: {report.errors[:3]}")


def _tag_alert(
    rng: random.Random, events: list[dict[str, str]], reference: str, tag_type: str, at: dt.datetime
) -> None:
    kind, ends_with, detail = rng.choice(_ALERTS[tag_type])
    for n, (event_kind, when, words) in enumerate(
        [(kind, at, detail), *([(ends_with, at + dt.timedelta(minutes=40), "")] if ends_with else [])]
    ):
        events.append(
            {
                "supplier": "Buddi",
                "tag_reference": reference,
                "event_reference": f"{reference}-{at:%Y%m%d%H%M}-{n}",
                "occurred_at": when.isoformat(timespec="seconds"),
                "event_type": event_kind,
                "detail": words,
            }
        )


def _boards(rng: random.Random, today: dt.date, members: list[Membership], sergeant: User) -> None:
    """A daily review board on each working day of the last two weeks, up to yesterday."""
    police = sergeant.agency
    days = [today - dt.timedelta(days=d) for d in range(14, 0, -1)]
    days = [d for d in days if d.weekday() < 5]
    tz = timezone.get_current_timezone()
    previous = None
    with transaction.atomic():
        for day in days:
            opened = dt.datetime.combine(day, dt.time(9, 0), tzinfo=tz)
            meeting = BoardMeeting.objects.create(
                held_on=day,
                host=police,
                chair=sergeant,
                covers_from=previous or opened - dt.timedelta(hours=72),
                opened_at=opened,
            )
            previous = opened
            for m in rng.sample(members, k=min(len(members), rng.randint(2, 5))):
                decision = rng.choice(BoardDecision.values)
                BoardEntry.objects.create(
                    meeting=meeting,
                    membership=m,
                    decision=decision,
                    partner_actions=""
                    if decision == BoardDecision.NOTED
                    else rng.choice(
                        [
                            "Neighbourhood team to make a home visit today",
                            "Probation to bring the next appointment forward",
                            "Housing to check the tenancy after the report of a disturbance",
                            "Drug worker to see him at the hub this afternoon",
                        ]
                    ),
                    by=sergeant,
                )
