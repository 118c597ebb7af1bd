"""Case-conference panels (Level 2) and Level 3 referrals.

A panel of partners and members of the community sits on a date; Level 2 resolutions are listed
for the sitting; the panel hears a case only with the offender present (victims and witnesses
come if they choose) and agrees actions, often reparation the community has identified. Level 3
resolutions go to the specialist co-ordinator instead.

Every function here checks who is acting, validates, writes in one transaction and audits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from pathways.access.models import AuditEvent
from pathways.access.policies import people_visible_to
from pathways.access.services import audit_record
from pathways.accounts.models import Agency, User
from pathways.resolutions import services
from pathways.resolutions.models import Panel, PanelCase, PanelMember, PanelSitting, Resolution
from pathways.resolutions.policies import can_run_panels
from pathways.resolutions.reference import ActionKind, Route, Status

LISTABLE = (Status.REFERRED, Status.AGREED)
MAX_OPTION = 200


@dataclass
class MemberInput:
    name: str
    agency: Agency | None = None
    community_member: bool = False
    role: str = ""


def _require_runner(by: User, agency_id: object) -> None:
    if not can_run_panels(by) or by.agency_id != agency_id:
        raise PermissionDenied("Only officers and supervisors of the agency that runs the panel may do this")


def _check_member(member: MemberInput) -> dict[str, str]:
    if not member.name.strip():
        return {"name": "Enter the member's name"}
    if member.agency is None and not member.community_member:
        return {"agency": "Choose the member's agency, or say they are a member of the community"}
    if member.agency is not None and member.community_member:
        return {"agency": "A member of the community does not represent an agency"}
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
    """A panel run by the user's agency, with the reparation its community has identified."""
    if not can_run_panels(by):
        raise PermissionDenied("Your role does not run case-conference panels")
    if not name.strip():
        raise ValidationError({"name": "Enter the panel's name"})
    if Panel.objects.filter(agency=by.agency, name__iexact=name.strip()).exists():
        raise ValidationError({"name": "Your agency already has a panel with this name"})
    options = _clean_options(restorative_options)
    for member in members:
        errors = _check_member(member)
        if errors:
            raise ValidationError({"members": next(iter(errors.values()))})
    panel = Panel.objects.create(name=name.strip(), area=area.strip(), agency=by.agency, restorative_options=options)
    created = [_member(panel, m) for m in members]
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="resolution_panel",
        object_id=str(panel.pk),
        detail={
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
    )


@transaction.atomic
def panel_member_add(*, panel: Panel, by: User, member: MemberInput) -> PanelMember:
    _require_runner(by, panel.agency_id)
    errors = _check_member(member)
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


@transaction.atomic
def case_list(*, sitting: PanelSitting, resolution: Resolution, by: User) -> PanelCase:
    """List a Level 2 resolution for a sitting (once at each sitting)."""
    panel = sitting.panel
    _require_runner(by, panel.agency_id)
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
    them the case is adjourned (recorded, not heard) and nothing is agreed."""
    panel_case = PanelCase.objects.select_for_update().select_related("sitting__panel").get(pk=panel_case.pk)
    panel = panel_case.sitting.panel
    _require_runner(by, panel.agency_id)
    resolution = Resolution.objects.get(pk=panel_case.resolution_id)
    if not people_visible_to(by).filter(pk=resolution.person_id).exists():
        raise PermissionDenied("You may not see this person")
    if panel_case.heard:
        raise ValidationError({"offender_attended": "This case has already been heard"})
    if witnesses_attended < 0:
        raise ValidationError({"witnesses_attended": "The number of witnesses cannot be negative"})
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
        _audit_hearing(by, panel_case, resolution, [])
        return panel_case
    if not actions:
        raise ValidationError({"actions": "Record what the panel agreed"})
    options = {o.lower() for o in panel.restorative_options}
    for action in actions:
        if action.kind == ActionKind.REPARATION_COMMUNITY and action.description.strip().lower() not in options:
            raise ValidationError({"actions": f"'{action.description}' is not one of this panel's restorative options"})
    for action in actions:
        services.action_add(resolution=resolution, by=by, action=action)
    panel_case.notes = notes.strip()
    panel_case.heard = True
    panel_case.save()
    _audit_hearing(by, panel_case, resolution, actions)
    return panel_case


def _audit_hearing(
    by: User, panel_case: PanelCase, resolution: Resolution, actions: Sequence[services.ActionInput]
) -> None:
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        object_type="resolution_panel_case",
        object_id=str(panel_case.pk),
        detail={
            "resolution": resolution.reference,
            "heard": panel_case.heard,
            "offender_attended": panel_case.offender_attended,
            "victim_attended": panel_case.victim_attended,
            "witnesses_attended": panel_case.witnesses_attended,
            "actions": [a.kind for a in actions],
        },
    )


@transaction.atomic
def level3_refer(*, resolution: Resolution, by: User, coordinator: str) -> Resolution:
    """Refer a decided Level 3 resolution to the specialist co-ordinator (a later change is recorded too)."""
    resolution = Resolution.objects.select_for_update().get(pk=resolution.pk)
    _require_runner(by, resolution.agency_id)
    if not people_visible_to(by).filter(pk=resolution.person_id).exists():
        raise PermissionDenied("You may not see this person")
    if resolution.route != Route.LEVEL_3 or resolution.status != Status.REFERRED:
        raise ValidationError({"coordinator": "Only a decided Level 3 resolution is referred to the co-ordinator"})
    name = " ".join(coordinator.split())
    if not name:
        raise ValidationError({"coordinator": "Enter the specialist co-ordinator's name"})
    if len(name) > Resolution._meta.get_field("referred_to").max_length:
        raise ValidationError({"coordinator": "Keep the name under 200 characters"})
    before = resolution.referred_to
    resolution.referred_to = name
    resolution.save()
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        object_type="resolution",
        object_id=str(resolution.pk),
        detail={"referred_to": name, "before": before},
    )
    return resolution
