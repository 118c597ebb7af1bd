"""Panels, one feature for two uses, and Level 3 referrals.

A panel of partners and members of the community sits on a date and hears the cases listed for
the sitting, only with the offender present (victims and witnesses come if they choose), and
agrees actions, often reparation the community has identified. Which cases it hears depends on
who runs it (`Panel.kind`, set by the agency, never chosen on a form):

- an agency that resolves offences runs a Level 2 case-conference panel: its Level 2
  resolutions are listed, and what is agreed becomes the resolution's actions;
- a restorative justice service runs a Neighbourhood Justice Panel: trained community
  volunteers hear its low-level cases, and what is agreed becomes the case's outcome agreement
  (with the panel recorded as the restorative intervention held).

Level 3 resolutions are referred to a restorative justice service as a real referral.

Every function here checks who is acting, validates, writes in one transaction and audits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.policies import people_visible_to
from pathways.access.services import audit_record
from pathways.accounts.models import Agency, AgencyKind, User
from pathways.resolutions import services
from pathways.resolutions.models import Panel, PanelCase, PanelMember, PanelSitting, Resolution
from pathways.resolutions.policies import can_record_resolutions, can_run_panels
from pathways.resolutions.reference import ActionKind, Route, Status
from pathways.restorative import cases as rj_cases
from pathways.restorative import referrals as rj_referrals
from pathways.restorative.models import Case, Meeting, Participant
from pathways.restorative.reference import (
    CaseStatus,
    CaseType,
    Intervention,
    MeetingStatus,
    ParticipantRole,
    Source,
    Stage,
)
from pathways.restorative.reference import Role as PartyRole
from pathways.restorative.selectors import cases_visible_to

LISTABLE = (Status.REFERRED, Status.AGREED)
MAX_OPTION = 200
# The steps at which an RJ case can go to a Neighbourhood Justice Panel: assessed as suitable
# and waiting for (or being prepared by) whoever will hear it.
RJ_LISTABLE = (CaseStatus.ALLOCATION, CaseStatus.PREPARATION)
# A panel of community volunteers hears low-level cases only: the complex and sensitive types
# need a facilitator trained for them (seed 002), never a panel.
COMPLEX = {CaseType.SEXUAL_VIOLENCE, CaseType.HATE_CRIME, CaseType.DOMESTIC_ABUSE}
# The kind of an action a Neighbourhood Justice Panel agrees in its own words: an RJ agreement's
# actions have no kind, so this never reaches a resolution (whose action kinds are checked).
AGREED_ACTION = "agreed"


@dataclass
class MemberInput:
    name: str
    agency: Agency | None = None
    community_member: bool = False
    role: str = ""
    trained_on: dt.date | None = None


def kind_for(agency: Agency) -> str:
    """The kind of panel an agency runs: a restorative justice service's panels are
    Neighbourhood Justice Panels, everyone else's are Level 2 case-conference panels."""
    if agency.kind == AgencyKind.RJ_SERVICE:
        return Panel.Kind.NEIGHBOURHOOD_JUSTICE
    return Panel.Kind.CASE_CONFERENCE


def _require_runner(by: User, agency_id: object) -> None:
    if not can_run_panels(by) or by.agency_id != agency_id:
        raise PermissionDenied("Only those who run the agency's panels may do this")


def _check_member(member: MemberInput, kind: str) -> dict[str, str]:
    if not member.name.strip():
        return {"name": "Enter the member's name"}
    if member.agency is None and not member.community_member:
        return {"agency": "Choose the member's agency, or say they are a member of the community"}
    if member.agency is not None and member.community_member:
        return {"agency": "A member of the community does not represent an agency"}
    if member.trained_on is not None and member.trained_on > timezone.localdate():
        return {"trained_on": "The training date cannot be in the future"}
    # A Neighbourhood Justice Panel is trained community volunteers hearing cases (seed 002),
    # with partners' representatives beside them: a volunteer sits only once trained.
    if kind == Panel.Kind.NEIGHBOURHOOD_JUSTICE and member.community_member and member.trained_on is None:
        return {"trained_on": "Enter the date they completed panel training: only trained volunteers sit on the panel"}
    return {}


def _clean_options(options: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for option in options:
        text = " ".join(option.split())
        if not text:
            continue
        if len(text) > MAX_OPTION:
            raise ValidationError({"restorative_options": f"Keep each option under {MAX_OPTION} characters"})
        if text.lower() not in {c.lower() for c in cleaned}:
            cleaned.append(text)
    return cleaned


def _member_detail(member: PanelMember) -> dict[str, object]:
    return {
        "name": member.name,
        "agency": member.agency.code if member.agency else "",
        "community_member": member.community_member,
        "role": member.role,
        "trained_on": member.trained_on.isoformat() if member.trained_on else "",
    }


@transaction.atomic
def panel_create(
    *,
    by: User,
    name: str,
    area: str = "",
    restorative_options: Sequence[str],
    members: Sequence[MemberInput] = (),
) -> Panel:
    """A panel run by the user's agency, with the reparation its community has identified. Its
    kind follows the agency (see `kind_for`)."""
    if not can_run_panels(by):
        raise PermissionDenied("Your role does not run panels")
    if not name.strip():
        raise ValidationError({"name": "Enter the panel's name"})
    if Panel.objects.filter(agency=by.agency, name__iexact=name.strip()).exists():
        raise ValidationError({"name": "Your agency already has a panel with this name"})
    options = _clean_options(restorative_options)
    kind = kind_for(by.agency)
    for member in members:
        errors = _check_member(member, kind)
        if errors:
            raise ValidationError({"members": f"{member.name.strip() or 'A member'}: {next(iter(errors.values()))}"})
    panel = Panel.objects.create(
        kind=kind, name=name.strip(), area=area.strip(), agency=by.agency, restorative_options=options
    )
    created = [_member(panel, m) for m in members]
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="resolution_panel",
        object_id=str(panel.pk),
        detail={
            "kind": panel.kind,
            "name": panel.name,
            "area": panel.area,
            "restorative_options": options,
            "members": [_member_detail(m) for m in created],
        },
    )
    return panel


def _member(panel: Panel, member: MemberInput) -> PanelMember:
    return PanelMember.objects.create(
        panel=panel,
        name=member.name.strip(),
        agency=member.agency,
        community_member=member.community_member,
        role=member.role.strip(),
        trained_on=member.trained_on,
    )


@transaction.atomic
def panel_member_add(*, panel: Panel, by: User, member: MemberInput) -> PanelMember:
    _require_runner(by, panel.agency_id)
    errors = _check_member(member, panel.kind)
    if errors:
        raise ValidationError(errors)
    created = _member(panel, member)
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="resolution_panel_member",
        object_id=str(created.pk),
        detail={"panel": str(panel.pk), **_member_detail(created)},
    )
    return created


@transaction.atomic
def panel_options_set(*, panel: Panel, by: User, restorative_options: Sequence[str]) -> Panel:
    """Change the reparation the community has identified (actions already agreed keep their words)."""
    _require_runner(by, panel.agency_id)
    before = list(panel.restorative_options)
    panel.restorative_options = _clean_options(restorative_options)
    panel.save()
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        object_type="resolution_panel",
        object_id=str(panel.pk),
        detail={"restorative_options": panel.restorative_options, "before": before},
    )
    return panel


@transaction.atomic
def sitting_create(*, panel: Panel, by: User, sits_on: dt.date, venue: str) -> PanelSitting:
    _require_runner(by, panel.agency_id)
    if not venue.strip():
        raise ValidationError({"venue": "Enter where the panel sits"})
    if panel.sittings.filter(sits_on=sits_on, venue__iexact=venue.strip()).exists():
        raise ValidationError({"sits_on": "The panel already sits there on that day"})
    sitting = PanelSitting.objects.create(panel=panel, sits_on=sits_on, venue=venue.strip())
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="resolution_panel_sitting",
        object_id=str(sitting.pk),
        detail={"panel": str(panel.pk), "sits_on": sits_on.isoformat(), "venue": sitting.venue},
    )
    return sitting


def waiting_for_panel(*, user: User) -> list[Resolution]:
    """The user's agency's Level 2 resolutions that a panel could hear, about people the user may see."""
    return list(
        Resolution.objects.filter(agency_id=user.agency_id, route=Route.LEVEL_2, status__in=LISTABLE)
        .filter(person__in=people_visible_to(user))
        .select_related("person")
        .order_by("decided_at")
    )


def complex_types(case: Case) -> list[str]:
    """The complex or sensitive case types the referral or any assessment marked."""
    marked = set(case.case_types or [])
    for assessment in case.assessments.all():  # prefetched when listing many
        marked |= set(assessment.case_types or [])
    return sorted(marked & COMPLEX)


def rj_waiting_for_panel(*, user: User) -> list[Case]:
    """The open cases of the user's own service that a Neighbourhood Justice Panel could hear:
    past assessment and not yet agreed, not already going to another kind of intervention, and
    low-level (no complex case type)."""
    found = (
        cases_visible_to(user)
        .filter(status__in=RJ_LISTABLE, service_id=user.agency_id)
        .filter(Q(intervention="") | Q(intervention=Intervention.PANEL))
        .prefetch_related("parties", "assessments")
        .order_by("referred_on", "reference")
    )
    return [case for case in found if not complex_types(case)]


def _check_rj_case(case: Case) -> None:
    if case.status not in RJ_LISTABLE:
        raise ValidationError(
            {"rj_case": f"Case {case.reference} is not waiting for a panel: it is at '{case.get_status_display()}'"}
        )
    if case.intervention not in ("", Intervention.PANEL):
        raise ValidationError(
            {"rj_case": f"Case {case.reference} is going to a {case.get_intervention_display().lower()}, not a panel"}
        )
    found = complex_types(case)
    if found:
        labels = ", ".join(CaseType(t).label.lower() for t in found)
        raise ValidationError(
            {
                "rj_case": f"Case {case.reference} is a complex case ({labels}): a Neighbourhood Justice Panel hears "
                "low-level cases only, so it needs a facilitator trained for it"
            }
        )
    if not case.parties.filter(role=PartyRole.OFFENDER).exists():
        raise ValidationError({"rj_case": f"Case {case.reference} names no offender: a panel hears the offender"})


@transaction.atomic
def case_list(
    *, sitting: PanelSitting, by: User, resolution: Resolution | None = None, rj_case: Case | None = None
) -> PanelCase:
    """List a case for a sitting (once at each sitting): a Level 2 resolution at a case-conference
    panel, an RJ case of the panel's own service at a Neighbourhood Justice Panel."""
    panel = sitting.panel
    _require_runner(by, panel.agency_id)
    if panel.kind == Panel.Kind.NEIGHBOURHOOD_JUSTICE:
        if rj_case is None or resolution is not None:
            raise ValidationError({"rj_case": "A Neighbourhood Justice Panel hears its service's cases: choose one"})
        return _rj_case_list(sitting, rj_case, by)
    if resolution is None or rj_case is not None:
        raise ValidationError({"resolution": "A case-conference panel hears Level 2 resolutions: choose one"})
    if resolution.agency_id != panel.agency_id:
        raise PermissionDenied("A panel hears only its own agency's resolutions")
    if not people_visible_to(by).filter(pk=resolution.person_id).exists():
        raise PermissionDenied("You may not see this person")
    if resolution.route != Route.LEVEL_2:
        raise ValidationError({"resolution": "Only Level 2 resolutions go to a case-conference panel"})
    if resolution.status not in LISTABLE:
        raise ValidationError({"resolution": "This resolution is not waiting for a panel"})
    if sitting.cases.filter(resolution=resolution).exists():
        raise ValidationError({"resolution": "This case is already listed for this sitting"})
    try:
        with transaction.atomic():
            listed = PanelCase.objects.create(sitting=sitting, resolution=resolution)
    except IntegrityError as exc:  # listed by someone else a moment ago
        raise ValidationError({"resolution": "This case is already listed for this sitting"}) from exc
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="resolution_panel_case",
        object_id=str(listed.pk),
        detail={"resolution": resolution.reference, "sitting": str(sitting.pk), "sits_on": sitting.sits_on.isoformat()},
    )
    return listed


def _rj_case_list(sitting: PanelSitting, rj_case: Case, by: User) -> PanelCase:
    if rj_case.service_id != sitting.panel.agency_id or not cases_visible_to(by).filter(pk=rj_case.pk).exists():
        raise PermissionDenied("A Neighbourhood Justice Panel hears only its own service's cases")
    case = rj_cases.require_case(by, rj_case)
    _check_rj_case(case)
    if sitting.cases.filter(rj_case=case).exists():
        raise ValidationError({"rj_case": "This case is already listed for this sitting"})
    try:
        with transaction.atomic():
            listed = PanelCase.objects.create(sitting=sitting, rj_case=case)
    except IntegrityError as exc:  # listed by someone else a moment ago
        raise ValidationError({"rj_case": "This case is already listed for this sitting"}) from exc
    before = case.intervention
    if before != Intervention.PANEL:
        case.intervention = Intervention.PANEL
        case.save(update_fields=["intervention", "updated_at"])
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="resolution_panel_case",
        object_id=str(listed.pk),
        detail={
            "rj_case": case.reference,
            "sitting": str(sitting.pk),
            "sits_on": sitting.sits_on.isoformat(),
            "intervention": {"to": Intervention.PANEL, "before": before},
        },
    )
    return listed


@transaction.atomic
def case_hear(
    *,
    panel_case: PanelCase,
    by: User,
    offender_attended: bool,
    victim_attended: bool,
    witnesses_attended: int = 0,
    notes: str = "",
    actions: Sequence[services.ActionInput] = (),
) -> PanelCase:
    """Record a hearing: who came and what was agreed. The offender is always present: without
    them the case is adjourned (recorded, not heard) and nothing is agreed.

    At a case-conference panel the actions are added to the resolution; at a Neighbourhood
    Justice Panel they become the RJ case's outcome agreement (the community's reparation
    options, or actions in the panel's own words, each with who sees it done and by when)."""
    panel_case = PanelCase.objects.select_for_update().select_related("sitting__panel").get(pk=panel_case.pk)
    panel = panel_case.sitting.panel
    _require_runner(by, panel.agency_id)
    resolution: Resolution | None = None
    rj_case: Case | None = None
    if panel_case.rj_case_id is not None:
        rj_case = rj_cases.require_case(by, Case.objects.get(pk=panel_case.rj_case_id))
    else:
        resolution = Resolution.objects.get(pk=panel_case.resolution_id)
        if not people_visible_to(by).filter(pk=resolution.person_id).exists():
            raise PermissionDenied("You may not see this person")
    if panel_case.heard:
        raise ValidationError({"offender_attended": "This case has already been heard"})
    if witnesses_attended < 0:
        raise ValidationError({"witnesses_attended": "The number of witnesses cannot be negative"})
    sits_on = panel_case.sitting.sits_on
    if rj_case is not None and sits_on > timezone.localdate():
        # The hearing becomes the case's restorative intervention, held on the sitting's day:
        # it cannot be recorded before that day comes.
        raise ValidationError(
            {"offender_attended": f"The panel sits on {sits_on:%-d %B %Y}: record the hearing on or after that day"}
        )
    panel_case.offender_attended = offender_attended
    panel_case.victim_attended = victim_attended
    panel_case.witnesses_attended = witnesses_attended
    if not offender_attended:
        if actions:
            raise ValidationError(
                {"actions": "Actions are agreed only with the offender present: the case is adjourned"}
            )
        panel_case.notes = ("Adjourned: the offender did not attend. " + notes.strip()).strip()
        panel_case.heard = False
        panel_case.save()
        _audit_hearing(by, panel_case, resolution, rj_case, [])
        return panel_case
    if not actions:
        raise ValidationError({"actions": "Record what the panel agreed"})
    options = {o.lower() for o in panel.restorative_options}
    for action in actions:
        if action.kind == ActionKind.REPARATION_COMMUNITY and action.description.strip().lower() not in options:
            raise ValidationError({"actions": f"'{action.description}' is not one of this panel's restorative options"})
    if rj_case is not None:
        _rj_agree(panel_case, rj_case, by, notes, actions)
    else:
        for action in actions:
            services.action_add(resolution=resolution, by=by, action=action)  # type: ignore[arg-type]
    panel_case.notes = notes.strip()
    panel_case.heard = True
    panel_case.save()
    _audit_hearing(by, panel_case, resolution, rj_case, actions)
    return panel_case


def _rj_agree(panel_case: PanelCase, case: Case, by: User, notes: str, actions: Sequence[services.ActionInput]) -> None:
    """The agreement, and the panel recorded as the case's restorative intervention, held (so the
    service's figures count it like a conference)."""
    sitting = panel_case.sitting
    rj_cases.agreement_record(
        case=case,
        by=by,
        actions=[rj_cases.AgreedAction(description=a.description, owner=a.owner, due_on=a.due_on) for a in actions],
        summary=notes,
        made_on=sitting.sits_on,
    )
    # A sitting has a day, not an hour: the meeting starts at the beginning of that day.
    starts_at = timezone.make_aware(dt.datetime.combine(sitting.sits_on, dt.time.min))
    meeting = Meeting.objects.create(
        case=case,
        intervention=Intervention.PANEL,
        starts_at=starts_at,
        venue=None,
        status=MeetingStatus.HELD,
        held_on=sitting.sits_on,
        notes=f"Neighbourhood Justice Panel: {sitting.panel.name}",
    )
    attended = {PartyRole.OFFENDER: panel_case.offender_attended, PartyRole.VICTIM: panel_case.victim_attended}
    for party in case.parties.all():
        Participant.objects.create(
            meeting=meeting,
            party=party,
            name=party.name,
            role=ParticipantRole.OFFENDER if party.role == PartyRole.OFFENDER else ParticipantRole.VICTIM,
            attended=attended[party.role],
        )
    if case.intervention != Intervention.PANEL:
        case.intervention = Intervention.PANEL
        case.save(update_fields=["intervention", "updated_at"])
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="rj_meeting",
        object_id=str(meeting.pk),
        detail={"case": case.reference, "intervention": Intervention.PANEL, "held_on": sitting.sits_on.isoformat()},
    )


def _audit_hearing(
    by: User,
    panel_case: PanelCase,
    resolution: Resolution | None,
    rj_case: Case | None,
    actions: Sequence[services.ActionInput],
) -> None:
    about = {"resolution": resolution.reference} if resolution is not None else {"rj_case": rj_case.reference}  # type: ignore[union-attr]
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        object_type="resolution_panel_case",
        object_id=str(panel_case.pk),
        detail={
            **about,
            "heard": panel_case.heard,
            "offender_attended": panel_case.offender_attended,
            "victim_attended": panel_case.victim_attended,
            "witnesses_attended": panel_case.witnesses_attended,
            "actions": [a.kind for a in actions],
        },
    )


def rj_services() -> list[Agency]:
    """The restorative justice services a Level 3 resolution can be referred to."""
    return list(Agency.objects.filter(kind=AgencyKind.RJ_SERVICE).order_by("name"))


@transaction.atomic
def level3_refer(*, resolution: Resolution, by: User, service: Agency) -> Case:
    """Refer a decided Level 3 resolution to a restorative justice service, as a referral in the
    service's queue like any other (the offender and any victim with a record are shared with the
    service). A resolution is referred once."""
    resolution = Resolution.objects.select_for_update().get(pk=resolution.pk)
    if not can_record_resolutions(by) or by.agency_id != resolution.agency_id:
        raise PermissionDenied("Only officers and supervisors of the agency that decided the resolution may refer it")
    if not people_visible_to(by).filter(pk=resolution.person_id).exists():
        raise PermissionDenied("You may not see this person")
    if resolution.route != Route.LEVEL_3 or resolution.status != Status.REFERRED:
        raise ValidationError(
            {"service": "Only a decided Level 3 resolution is referred to a restorative justice service"}
        )
    earlier = Case.objects.filter(resolution=resolution).select_related("service").first()
    if earlier is not None:
        raise ValidationError(
            {"service": f"This resolution was already referred to {earlier.service.name} ({earlier.reference})"}
        )
    if service.kind != AgencyKind.RJ_SERVICE:
        raise ValidationError({"service": f"{service.name} is not a restorative justice service"})
    parties = [rj_referrals.PartyInput(role=PartyRole.OFFENDER, name="", person=resolution.person)]
    parties += [
        rj_referrals.PartyInput(role=PartyRole.VICTIM, name=victim.name, person=victim.person)
        for victim in resolution.victims.select_related("person").order_by("created_at")
    ]
    offence = resolution.offence
    case = rj_referrals.referral_create(
        by=by,
        referral=rj_referrals.ReferralInput(
            service=service,
            source=Source.POLICE,
            stage=Stage.PRE_CHARGE,
            offence=offence,
            what_happened=resolution.circumstances.strip() or offence.description,
            why_referred=f"Level 3 out-of-court resolution {resolution.reference}: a specialist conference",
            parties=parties,
        ),
        resolution=resolution,
    )
    limit = Resolution._meta.get_field("referred_to").max_length
    suffix = f" ({case.reference})"
    before = resolution.referred_to
    resolution.referred_to = service.name[: limit - len(suffix)] + suffix
    resolution.save()
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        object_type="resolution",
        object_id=str(resolution.pk),
        detail={"referred_to": resolution.referred_to, "rj_case": case.reference, "before": before},
    )
    return case
