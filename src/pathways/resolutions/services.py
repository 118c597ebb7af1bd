"""Writing resolutions: starting one with its recommendation, the officer's decision, the
supervisor's review, agreed actions, telling the victim, and the rule sets themselves.

Every function here checks who is acting, validates, writes in one transaction and audits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from pathways.access.models import AgencyRecord, AuditEvent
from pathways.access.policies import SharingView, people_visible_to
from pathways.access.services import agency_record_ensure, audit_record
from pathways.accounts.models import User
from pathways.common.dates import add_months
from pathways.offending.models import Offence, OffenceOutcome
from pathways.offending.reference import OFFENCE_CODE_PATTERN, PROVING_OUTCOMES, OffenceGroup
from pathways.people.models import Person
from pathways.resolutions import engine
from pathways.resolutions.models import Resolution, ResolutionAction, ResolutionVictim, RuleSet
from pathways.resolutions.policies import can_edit_resolution_rules, can_record_resolutions, can_review_resolutions
from pathways.resolutions.reference import (
    ROUTES_WITH_ACTIONS,
    ActionKind,
    ActionStatus,
    ReviewStatus,
    Route,
    Status,
    VictimWants,
    outcome_for,
)
from pathways.resolutions.rules import DEFAULT_RULES, RulesInvalid, validate_rules
from pathways.sharing.reference import Category

MIN_OVERRIDE_REASON = 10


# --- Rule sets -------------------------------------------------------------------------


def rule_set_current() -> RuleSet:
    """The rules in force: the newest version (the partnership's starting rules, on first use)."""
    current = RuleSet.objects.order_by("-version").first()
    if current is not None:
        return current
    try:
        with transaction.atomic():
            return RuleSet.objects.create(version=1, rules=DEFAULT_RULES, note="The partnership's starting rules")
    except IntegrityError:  # someone else made it first
        return RuleSet.objects.get(version=1)


@transaction.atomic
def rule_set_save(*, by: User, rules: dict[str, Any], note: str) -> RuleSet:
    """A new version of the rules. Earlier versions stay as they were, for the decisions made under them."""
    if not can_edit_resolution_rules(by):
        raise PermissionDenied("Your role does not change the resolution rules")
    errors = validate_rules(rules)
    if errors:
        raise RulesInvalid(errors)
    if len(note.strip()) < 5:
        raise ValidationError({"note": "Say what changed and why"})
    current = rule_set_current()
    version = (RuleSet.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    rule_set = RuleSet.objects.create(version=version, rules=rules, note=note.strip(), created_by=by)
    changed = sorted(k for k in rules if rules[k] != current.rules.get(k))
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="resolution_rule_set",
        object_id=str(version),
        detail={"changed_sections": changed, "note": note.strip()},
    )
    return rule_set


# --- The person's history, as the engine sees it ----------------------------------------


def person_history(*, person: Person, view: SharingView, before: dt.date, rules: dict[str, Any]) -> dict[str, Any]:
    """Previous proven offences (that this user may see) and previous out-of-court resolutions."""
    offences = view.visible(
        Category.OFFENDING_HISTORY,
        Offence.objects.filter(person=person, offence_date__lt=before).prefetch_related("outcomes"),
        person,
    )
    proven = [
        o
        for o in offences
        if any(
            x.outcome in PROVING_OUTCOMES and view.can_see(Category.OUTCOMES, x.agency_id, person)
            for x in o.outcomes.all()
        )
    ]
    months = rules["history"]["recent_resolution_months"]
    since = add_months(before, -months)
    earlier = Resolution.objects.filter(person=person, offence__offence_date__lt=before).exclude(
        route__in=["", Route.NO_FURTHER_ACTION, Route.CHARGE]
    )
    return {
        "previous_offences": len(proven),
        "previous_resolutions": earlier.count(),
        "previous_resolutions_failed": earlier.filter(status=Status.FAILED).count()
        + earlier.filter(contract__status__in=["breached", "prosecuted"]).count(),
        "recent_resolution": earlier.filter(decided_at__date__gte=since).exists(),
    }


def age_on(person: Person, day: dt.date) -> int | None:
    born = person.date_of_birth
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


# --- Starting a resolution -------------------------------------------------------------


@dataclass
class VictimInput:
    name: str
    wants: str
    wishes: str = ""
    person: Person | None = None


@dataclass
class NewIncident:
    """An offence not yet on the system, recorded by the officer's own agency."""

    reference: str
    offence_date: dt.date
    offence_code: str
    offence_group: str
    area: str = ""


def _next_reference(today: dt.date) -> str:
    prefix = f"OOC-{today:%Y}-"
    last = Resolution.objects.filter(reference__startswith=prefix).aggregate(m=Max("reference"))["m"]
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:05d}"


def _incident_offence(*, by: User, person: Person, incident: NewIncident) -> Offence:
    errors: dict[str, str] = {}
    if not incident.reference.strip():
        errors["reference"] = "Enter the crime or incident reference"
    elif Offence.objects.filter(agency=by.agency, reference=incident.reference.strip()).exists():
        errors["reference"] = f"Your agency already has an offence with reference {incident.reference.strip()}"
    if not OFFENCE_CODE_PATTERN.match(incident.offence_code):
        errors["offence_code"] = "Enter a Home Office offence code like 46 or 105A"
    if incident.offence_group not in OffenceGroup.values:
        errors["offence_group"] = "Select the offence group"
    if incident.offence_date > timezone.localdate():
        errors["offence_date"] = "The offence date cannot be in the future"
    if errors:
        raise ValidationError(errors)
    offence = Offence.objects.create(
        person=person,
        agency=by.agency,
        reference=incident.reference.strip(),
        offence_date=incident.offence_date,
        offence_code=incident.offence_code,
        offence_group=incident.offence_group,
        area=incident.area.strip(),
    )
    agency_record_ensure(person=person, agency=by.agency, basis=AgencyRecord.Basis.HOLDS_RECORD)
    return offence


@transaction.atomic
def resolution_start(
    *,
    by: User,
    person: Person,
    view: SharingView,
    offence: Offence | None = None,
    incident: NewIncident | None = None,
    admission: str,
    victims: list[VictimInput],
    aggravating: list[str] = (),  # type: ignore[assignment]
    mitigating: list[str] = (),  # type: ignore[assignment]
    flags: list[str] = (),  # type: ignore[assignment]
    on_bail: bool = False,
    under_supervision: bool = False,
    lives_locally: bool = True,
    circumstances: str = "",
) -> Resolution:
    """Record the facts of a case and the engine's recommendation (status: draft, awaiting the
    officer's decision). The offence is an existing one of the person's, or a new incident."""
    if not can_record_resolutions(by):
        raise PermissionDenied("Your role does not resolve offences")
    if not people_visible_to(by).filter(pk=person.pk).exists():
        raise PermissionDenied("You may not see this person")
    if (offence is None) == (incident is None):
        raise ValidationError({"offence": "Choose the offence, or record a new incident"})
    if offence is not None:
        if offence.person_id != person.pk:
            raise ValidationError({"offence": "That offence is not this person's"})
        if not view.can_see(Category.OFFENDING_HISTORY, offence.agency_id, person):
            raise ValidationError({"offence": "You may not see that offence"})
        if (
            offence.resolutions.exclude(status__in=[Status.CLOSED])
            .exclude(review_status=ReviewStatus.RETURNED)
            .exists()
        ):
            raise ValidationError({"offence": "This offence already has a resolution under way"})
    else:
        offence = _incident_offence(by=by, person=person, incident=incident)  # type: ignore[arg-type]
    rule_set = rule_set_current()
    rules = rule_set.rules
    factor_codes = {kind: {f["code"] for f in rules["factors"][kind]} for kind in ("aggravating", "mitigating")}
    errors: dict[str, str] = {}
    if not victims:
        errors["victims"] = "Say who the victim is, or that there is no individual victim"
    for v in victims:
        if v.wants not in VictimWants.values:
            errors["victims"] = f"{v.wants!r} is not a victim's wish the service knows"
        if v.wants != VictimWants.NO_VICTIM and not v.name.strip():
            errors["victims"] = "Give the victim's name (or the business's)"
    unknown = (set(aggravating) - factor_codes["aggravating"]) | (set(mitigating) - factor_codes["mitigating"])
    if unknown:
        errors["factors"] = f"Not factors in the rules: {', '.join(sorted(unknown))}"
    if errors:
        raise ValidationError(errors)
    age = age_on(person, offence.offence_date)
    history = person_history(person=person, view=view, before=offence.offence_date, rules=rules)
    flags = sorted({*flags, *(["sexual"] if offence.offence_group == OffenceGroup.SEXUAL else [])})
    # The heaviest wish among the victims decides (one who wants prosecution is not overridden).
    wish_order = [
        VictimWants.NO_VICTIM,
        VictimWants.NOT_ASKED,
        VictimWants.NO_ACTION,
        VictimWants.RESOLUTION,
        VictimWants.MEETING,
        VictimWants.PROSECUTION,
    ]
    wants = max((v.wants for v in victims), key=wish_order.index)
    case = engine.Case(
        offence_code=offence.offence_code,
        offence_group=offence.offence_group,
        age=age,
        admission=admission,
        victim_wants=wants,
        aggravating=tuple(aggravating),
        mitigating=tuple(mitigating),
        flags=tuple(flags),
        on_bail=on_bail,
        under_supervision=under_supervision,
        lives_locally=lives_locally,
        **history,
    )
    recommendation = engine.recommend(rules, case)
    resolution = Resolution(
        reference=_next_reference(timezone.localdate()),
        person=person,
        offence=offence,
        agency=by.agency,
        officer=by,
        admission=admission,
        aggravating=list(aggravating),
        mitigating=list(mitigating),
        flags=flags,
        on_bail=on_bail,
        under_supervision=under_supervision,
        lives_locally=lives_locally,
        circumstances=circumstances.strip(),
        age_at_offence=age,
        history=history,
        rule_set=rule_set,
        recommendation=recommendation.as_dict(),
        recommended_route=recommendation.route,
    )
    resolution.full_clean()
    resolution.save()
    for v in victims:
        ResolutionVictim.objects.create(
            resolution=resolution, person=v.person, name=v.name.strip(), wants=v.wants, wishes=v.wishes.strip()
        )
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="resolution",
        object_id=str(resolution.pk),
        purpose=view.purpose,
        detail={
            "person": str(person.pk),
            "offence": offence.reference,
            "recommended": recommendation.route,
            "rule_set_version": rule_set.version,
            "victim_wishes": [{"name": v.name, "wants": v.wants, "wishes": v.wishes} for v in victims],
        },
    )
    return resolution


def recommendation_of(resolution: Resolution) -> engine.Recommendation:
    return engine.Recommendation(**resolution.recommendation)


# --- Deciding --------------------------------------------------------------------------


@dataclass
class ActionInput:
    kind: str
    description: str
    owner: str
    due_on: dt.date
    code: str = ""
    pathway: str = ""
    amount: Decimal | None = None


def _check_actions(actions: list[ActionInput], rules: dict[str, Any], *, today: dt.date) -> dict[str, str]:
    remedies = {r["code"] for r in rules["community_remedy"]}
    conditions = {c["code"] for c in rules["diversion"]["conditions"]}
    for a in actions:
        if a.kind not in ActionKind.values:
            return {"actions": f"{a.kind!r} is not a kind of action"}
        if a.kind == ActionKind.COMMUNITY_REMEDY and a.code not in remedies:
            return {"actions": "Choose a remedy from the partnership's Community Remedy menu"}
        if a.kind == ActionKind.CONDITION and a.code not in conditions:
            return {"actions": "Choose a condition from the partnership's list"}
        if a.kind == ActionKind.COMPENSATION and (a.amount is None or a.amount <= 0):
            return {"actions": "Give the amount of compensation in pounds"}
        if not a.owner.strip():
            return {"actions": f"Say who sees '{a.description}' done"}
        if a.due_on < today:
            return {"actions": f"The date '{a.description}' is due cannot be in the past"}
    return {}


def _create_actions(resolution: Resolution, actions: list[ActionInput]) -> list[ResolutionAction]:
    return [
        ResolutionAction.objects.create(
            resolution=resolution,
            kind=a.kind,
            code=a.code,
            description=a.description.strip(),
            pathway=a.pathway,
            owner=a.owner.strip(),
            due_on=a.due_on,
            amount=a.amount,
            # Words of advice are given there and then.
            status=ActionStatus.DONE if a.kind == ActionKind.WORDS_OF_ADVICE else ActionStatus.AGREED,
            finished_on=timezone.localdate() if a.kind == ActionKind.WORDS_OF_ADVICE else None,
        )
        for a in actions
    ]


@transaction.atomic
def resolution_decide(
    *,
    resolution: Resolution,
    by: User,
    route: str,
    override_reason: str = "",
    actions: list[ActionInput] = (),  # type: ignore[assignment]
) -> Resolution:
    """The officer's decision. One that differs from the recommendation needs a reason; one the
    rules say a supervisor must see waits in the review queue; otherwise it takes effect now."""
    resolution = Resolution.objects.select_for_update().get(pk=resolution.pk)
    if not can_record_resolutions(by) or by.agency_id != resolution.agency_id:
        raise PermissionDenied("Only an officer of the recording agency decides this resolution")
    if resolution.status != Status.DRAFT:
        raise ValidationError({"route": "This resolution has already been decided"})
    if route not in Route.values:
        raise ValidationError({"route": "Choose how the offence is resolved"})
    recommendation = recommendation_of(resolution)
    refused = engine.decision_refused(recommendation, route)
    if refused:
        raise ValidationError({"route": f"{Route(route).label} is not open for this case: {refused}"})
    if route != recommendation.route and len(override_reason.strip()) < MIN_OVERRIDE_REASON:
        raise ValidationError(
            {
                "override_reason": f"Say why you decided differently from the recommendation ({recommendation.route_label})"
            }
        )
    rules = resolution.rule_set.rules
    if actions and route not in ROUTES_WITH_ACTIONS:
        raise ValidationError({"actions": f"Actions are not agreed on a {Route(route).label.lower()}"})
    errors = _check_actions(actions, rules, today=timezone.localdate())
    if errors:
        raise ValidationError(errors)
    resolution.route = route
    resolution.override_reason = override_reason.strip() if route != recommendation.route else ""
    resolution.decided_at = timezone.now()
    resolution.review_reasons = engine.review_reasons(rules, recommendation, route)
    resolution.review_note = ""
    _create_actions(resolution, actions)
    if resolution.review_reasons:
        resolution.status = Status.AWAITING_REVIEW
        resolution.review_status = ReviewStatus.PENDING
        resolution.save()
    else:
        resolution.review_status = ReviewStatus.NOT_NEEDED
        _take_effect(resolution)
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        object_type="resolution",
        object_id=str(resolution.pk),
        detail={
            "decided": route,
            "recommended": recommendation.route,
            "override_reason": resolution.override_reason,
            "review_reasons": resolution.review_reasons,
            "actions": [a.kind for a in actions],
        },
    )
    return resolution


def _take_effect(resolution: Resolution) -> None:
    """Record the Home Office outcome on the offence and set the resolution going."""
    today = timezone.localdate()
    child = "child" in resolution.recommendation.get("facts", [])
    code = outcome_for(resolution.route, child=child)
    outcome, _ = OffenceOutcome.objects.get_or_create(
        offence=resolution.offence,
        outcome=code,
        outcome_date=today,
        defaults={"agency": resolution.agency},
    )
    resolution.outcome = outcome
    if resolution.route in (Route.NO_FURTHER_ACTION, Route.CHARGE, Route.CAUTION):
        resolution.status = Status.CLOSED
    elif resolution.route in (Route.LEVEL_2, Route.LEVEL_3):
        resolution.status = Status.REFERRED
    else:
        resolution.status = Status.AGREED
    resolution.save()
    _settle(resolution)


def _settle(resolution: Resolution) -> None:
    """A resolution whose actions are all finished is completed (or not completed, if any failed)."""
    if resolution.status != Status.AGREED or resolution.route == Route.DIVERSION:
        return
    actions = list(resolution.actions.all())
    if not actions or any(a.status == ActionStatus.AGREED for a in actions):
        return
    resolution.status = Status.FAILED if any(a.status == ActionStatus.FAILED for a in actions) else Status.COMPLETED
    resolution.completed_on = max(a.finished_on for a in actions if a.finished_on)
    resolution.save()


# --- Supervisor review -----------------------------------------------------------------


@transaction.atomic
def resolution_review(*, resolution: Resolution, by: User, approve: bool, note: str = "") -> Resolution:
    resolution = Resolution.objects.select_for_update().get(pk=resolution.pk)
    if not can_review_resolutions(by) or by.agency_id != resolution.agency_id:
        raise PermissionDenied("Only a supervisor of the recording agency reviews this resolution")
    if resolution.officer_id == by.pk:
        raise PermissionDenied("A supervisor does not review their own decision")
    if resolution.review_status != ReviewStatus.PENDING:
        raise ValidationError({"review": "This resolution is not waiting for review"})
    if not approve and len(note.strip()) < MIN_OVERRIDE_REASON:
        raise ValidationError({"note": "Say what the officer should look at again"})
    resolution.reviewed_by = by
    resolution.reviewed_at = timezone.now()
    resolution.review_note = note.strip()
    if approve:
        resolution.review_status = ReviewStatus.APPROVED
        _take_effect(resolution)
    else:
        # Back to the officer to decide again; what was agreed with the person is withdrawn with it.
        resolution.review_status = ReviewStatus.RETURNED
        resolution.status = Status.DRAFT
        resolution.route = ""
        resolution.actions.all().delete()
        resolution.save()
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        object_type="resolution",
        object_id=str(resolution.pk),
        detail={"review": "approved" if approve else "returned", "note": note.strip()},
    )
    return resolution


# --- Actions and the victim ------------------------------------------------------------


def _require_recorder(resolution: Resolution, by: User) -> None:
    if not can_record_resolutions(by) or by.agency_id != resolution.agency_id:
        raise PermissionDenied("Only the recording agency's officers update this resolution")


@transaction.atomic
def action_add(*, resolution: Resolution, by: User, action: ActionInput) -> ResolutionAction:
    _require_recorder(resolution, by)
    if resolution.status not in (Status.AGREED, Status.REFERRED) or resolution.route not in ROUTES_WITH_ACTIONS:
        raise ValidationError({"kind": "Actions are added to an agreed community resolution"})
    errors = _check_actions([action], resolution.rule_set.rules, today=timezone.localdate())
    if errors:
        raise ValidationError({"kind": errors["actions"]})
    (created,) = _create_actions(resolution, [action])
    if resolution.status == Status.REFERRED and resolution.route == Route.LEVEL_2:
        resolution.status = Status.AGREED  # the panel has agreed what happens
        resolution.save()
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="resolution_action",
        object_id=str(created.pk),
        detail={"resolution": resolution.reference, "kind": action.kind, "due_on": action.due_on.isoformat()},
    )
    return created


@transaction.atomic
def action_finish(*, action: ResolutionAction, by: User, done: bool, on: dt.date, note: str = "") -> ResolutionAction:
    """Mark an agreed action done or not done; the resolution completes when all are finished."""
    resolution = Resolution.objects.select_for_update().get(pk=action.resolution_id)
    _require_recorder(resolution, by)
    if action.status != ActionStatus.AGREED:
        raise ValidationError({"status": "This action is already finished"})
    if on > timezone.localdate():
        raise ValidationError({"on": "The date cannot be in the future"})
    if on < resolution.offence.offence_date:
        raise ValidationError({"on": "The date cannot be before the offence"})
    if not done and len(note.strip()) < 5:
        raise ValidationError({"note": "Say what happened"})
    action.status = ActionStatus.DONE if done else ActionStatus.FAILED
    action.finished_on = on
    action.note = note.strip()
    action.save()
    _settle(resolution)
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        object_type="resolution_action",
        object_id=str(action.pk),
        detail={"resolution": resolution.reference, "status": action.status, "on": on.isoformat()},
    )
    return action


@transaction.atomic
def victim_told(
    *,
    victim: ResolutionVictim,
    by: User,
    on: dt.date,
    satisfaction: int | None = None,
    comment: str = "",
) -> ResolutionVictim:
    """The victim has been told the outcome (and, if they said, how satisfied they are)."""
    resolution = Resolution.objects.get(pk=victim.resolution_id)
    _require_recorder(resolution, by)
    if not resolution.route or resolution.status in (Status.DRAFT, Status.AWAITING_REVIEW):
        raise ValidationError({"on": "Tell the victim once the outcome is decided"})
    if on > timezone.localdate():
        raise ValidationError({"on": "The date cannot be in the future"})
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise ValidationError({"satisfaction": "Satisfaction is from 1 (very dissatisfied) to 5 (very satisfied)"})
    victim.told_outcome_on = on
    victim.told_by = by
    victim.satisfaction = satisfaction
    victim.satisfaction_comment = comment.strip()
    victim.save()
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        object_type="resolution_victim",
        object_id=str(victim.pk),
        detail={"resolution": resolution.reference, "told_on": on.isoformat(), "satisfaction": satisfaction},
    )
    return victim
