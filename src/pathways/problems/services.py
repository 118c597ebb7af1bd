"""Opening and working a problem: its definition, partners, notes and evidence, the people
involved, the analysis of each cycle and the response actions. Each function checks who may do
it (`problems.policies`), validates at the boundary (a `ValidationError` naming the field) and
writes an audit event: a problem's record is the partnership's shared account of what it did.

Moving between stages is `problems.stages`; this module never changes a problem's stage.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from shapely.geometry import shape

from pathways.access.models import AuditEvent
from pathways.access.policies import people_visible_to
from pathways.access.services import PersonNotFound, access_person, audit_record
from pathways.accounts.models import Agency, User
from pathways.people.models import Person, PersonIdentifier
from pathways.people.reference import PNC_PATTERN, normalise_pnc
from pathways.problems.models import (
    FINISHED_ACTION_STATUSES,
    ActionStatus,
    Analysis,
    Area,
    InvolvedPerson,
    Problem,
    ProblemKind,
    ProblemNote,
    ProblemPartner,
    ResponseAction,
    Stage,
)
from pathways.problems.policies import can_move_stage, can_open_problem, can_work_problem
from pathways.sharing.reference import Purpose

# The fields of a problem's definition: editable while it is being scanned, fixed after, so
# that the analysis and the assessment are of the problem the partners agreed to work.
DEFINITION_FIELDS = (
    "title",
    "kind",
    "statement",
    "group_description",
    "theme",
    "area_codes",
    "streets",
    "boundary",
    "period_from",
    "period_to",
    "crime_types",
    "scanning_summary",
)
TRIANGLE_FIELDS = ("victims", "offenders", "places", "guardians", "handlers", "managers", "summary")


def _audit(by: User, action: str, problem: Problem, **detail: Any) -> None:
    audit_record(user=by, action=action, object_type="problem", object_id=str(problem.pk), detail=detail)


def _clean_list(values: Iterable[str] | None) -> list[str]:
    """Trimmed, without blanks or repeats, in the order given."""
    seen: list[str] = []
    for value in values or ():
        value = str(value).strip()
        if value and value not in seen:
            seen.append(value)
    return seen


def _check_boundary(boundary: Any) -> str | None:
    """Why a drawn boundary is not usable, or None. A GeoJSON Polygon (or MultiPolygon, as an
    area's own boundary may be) with a valid outline: scanning tests points against it."""
    if not isinstance(boundary, dict) or boundary.get("type") not in ("Polygon", "MultiPolygon"):
        return 'The boundary must be a GeoJSON Polygon, like {"type": "Polygon", "coordinates": [...]}'
    try:
        outline = shape(boundary)
    except Exception:  # shapely raises several kinds for malformed coordinates
        return "The boundary's coordinates are not a closed ring of longitude and latitude pairs"
    if outline.is_empty or not outline.is_valid:
        return "The boundary crosses itself or encloses nothing: draw it again"
    minx, miny, maxx, maxy = outline.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        return "The boundary's coordinates must be longitude and latitude (WGS84)"
    return None


def _validate_definition(values: dict[str, Any], errors: dict[str, list[str]]) -> None:
    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not values["title"].strip():
        fail("title", "Enter a short title for the problem")
    if values["kind"] not in ProblemKind.values:
        fail("kind", "Choose whether the problem is a place, a group or a theme")
    if not values["statement"].strip():
        fail("statement", "Say what is happening that the partnership needs to stop")
    codes = values["area_codes"]
    if codes and Area.objects.exists():
        known = set(Area.objects.filter(code__in=codes).values_list("code", flat=True))
        unknown = [c for c in codes if c not in known]
        if unknown:
            fail("area_codes", f"No area has the code {', '.join(unknown)}")
    if values["boundary"] is not None:
        problem = _check_boundary(values["boundary"])
        if problem:
            fail("boundary", problem)
    if values["kind"] == ProblemKind.PLACE and not (codes or values["streets"] or values["boundary"]):
        fail("area_codes", "A place problem needs its place: choose areas, list streets or draw a boundary")
    if values["kind"] == ProblemKind.GROUP and not values["group_description"].strip():
        fail("group_description", "Describe the group the problem is about")
    if values["kind"] == ProblemKind.THEME and not values["theme"].strip():
        fail("theme", "Name the theme the problem is about")
    start, end = values["period_from"], values["period_to"]
    if start is None:
        fail("period_from", "Enter the date the period starts")
    if end is None:
        fail("period_to", "Enter the date the period ends")
    if start is not None and end is not None and start > end:
        fail("period_to", "The period must end on or after the date it starts")


def _definition(**raw: Any) -> dict[str, Any]:
    return {
        "title": (raw.get("title") or "").strip(),
        "kind": raw.get("kind") or "",
        "statement": (raw.get("statement") or "").strip(),
        "group_description": (raw.get("group_description") or "").strip(),
        "theme": (raw.get("theme") or "").strip(),
        "area_codes": [c.upper() for c in _clean_list(raw.get("area_codes"))],
        "streets": _clean_list(raw.get("streets")),
        "boundary": raw.get("boundary") or None,
        "period_from": raw.get("period_from"),
        "period_to": raw.get("period_to"),
        "crime_types": _clean_list(raw.get("crime_types")),
        "scanning_summary": (raw.get("scanning_summary") or "").strip(),
    }


def _next_reference(year: int) -> str:
    prefix = f"PS-{year}-"
    last = (
        Problem.objects.filter(reference__startswith=prefix).order_by("-reference").values_list("reference", flat=True)
    ).first()
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:04d}"


def problem_open(
    *,
    by: User,
    title: str,
    kind: str,
    statement: str,
    period_from: dt.date | None,
    period_to: dt.date | None,
    group_description: str = "",
    theme: str = "",
    area_codes: Iterable[str] = (),
    streets: Iterable[str] = (),
    boundary: dict[str, Any] | None = None,
    crime_types: Iterable[str] = (),
    scanning_summary: str = "",
    partners: Iterable[Agency] = (),
) -> Problem:
    """Open a problem in scanning, owned by `by` (their agency is the owner agency)."""
    if not can_open_problem(by):
        raise PermissionDenied("Only officers, supervisors, caseworkers and analysts open problems")
    values = _definition(
        title=title,
        kind=kind,
        statement=statement,
        group_description=group_description,
        theme=theme,
        area_codes=area_codes,
        streets=streets,
        boundary=boundary,
        period_from=period_from,
        period_to=period_to,
        crime_types=crime_types,
        scanning_summary=scanning_summary,
    )
    errors: dict[str, list[str]] = {}
    _validate_definition(values, errors)
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate()
    # Two problems opened at once may pick the same number; the unique reference refuses the
    # second, which then takes the next.
    for _ in range(5):
        try:
            with transaction.atomic():
                problem = Problem.objects.create(
                    reference=_next_reference(today.year),
                    owner=by,
                    owner_agency=by.agency,
                    stage=Stage.SCANNING,
                    stage_since=timezone.now(),
                    opened_on=today,
                    created_by=by,
                    **values,
                )
                break
        except IntegrityError:
            continue
    else:  # pragma: no cover - five collisions in a row
        raise ValidationError({"title": ["The problem could not be given a reference: try again"]})
    for agency in partners:
        if agency.pk != problem.owner_agency_id:
            ProblemPartner.objects.get_or_create(problem=problem, agency=agency)
    _audit(by, AuditEvent.Action.CREATE, problem, change="opened", reference=problem.reference)
    return problem


def problem_update(*, problem: Problem, by: User, **changes: Any) -> Problem:
    """Change the definition (and what scanning showed). Only while the problem is in scanning:
    after that its definition is what the partnership analysed; notes record what changed."""
    if not can_work_problem(by, problem):
        raise PermissionDenied("Only the owner's and partners' staff change a problem")
    if problem.stage != Stage.SCANNING:
        raise ValidationError(
            {"statement": ["The definition is fixed once scanning is finished: add a note to say what has changed"]}
        )
    unknown = set(changes) - set(DEFINITION_FIELDS)
    if unknown:
        raise ValueError(f"not part of a problem's definition: {sorted(unknown)}")
    current = {f: getattr(problem, f) for f in DEFINITION_FIELDS}
    values = _definition(**{**current, **changes})
    errors: dict[str, list[str]] = {}
    _validate_definition(values, errors)
    if errors:
        raise ValidationError(errors)
    changed = sorted(f for f in DEFINITION_FIELDS if values[f] != current[f])
    for field in changed:
        setattr(problem, field, values[field])
    if changed:
        problem.save()
        _audit(by, AuditEvent.Action.UPDATE, problem, change="definition", fields=changed)
    return problem


def _may_manage_partners(by: User, problem: Problem) -> None:
    if not can_move_stage(by, problem):
        raise PermissionDenied("Only the owner, or a supervisor of the owner's agency, changes the partners")


def partner_add(*, problem: Problem, by: User, agency: Agency, role: str = "") -> ProblemPartner:
    _may_manage_partners(by, problem)
    if agency.pk == problem.owner_agency_id:
        raise ValidationError({"agency": ["The owner's agency already works the problem"]})
    if problem.stage == Stage.CLOSED:
        raise ValidationError({"agency": ["The problem is closed"]})
    partner, created = ProblemPartner.objects.get_or_create(
        problem=problem, agency=agency, defaults={"role": role.strip()}
    )
    if created:
        _audit(by, AuditEvent.Action.UPDATE, problem, change="partner_added", agency=agency.code)
    return partner


def partner_remove(*, problem: Problem, by: User, agency: Agency) -> None:
    """A partner that leaves keeps the actions it owned (they are its record); it no longer sees
    the problem's page."""
    _may_manage_partners(by, problem)
    removed, _ = ProblemPartner.objects.filter(problem=problem, agency=agency).delete()
    if removed:
        _audit(by, AuditEvent.Action.UPDATE, problem, change="partner_removed", agency=agency.code)


@transaction.atomic
def partners_set(*, problem: Problem, by: User, agencies: Iterable[Agency]) -> None:
    """Make the partners exactly `agencies`: those missing added, those not chosen removed."""
    wanted = {a.pk: a for a in agencies}
    current = {p.agency_id: p.agency for p in problem.partners.select_related("agency")}
    for pk, agency in wanted.items():
        if pk not in current:
            partner_add(problem=problem, by=by, agency=agency)
    for pk, agency in current.items():
        if pk not in wanted:
            partner_remove(problem=problem, by=by, agency=agency)


def _may_work(by: User, problem: Problem) -> None:
    if not can_work_problem(by, problem):
        raise PermissionDenied("Only the staff of the owner and partner agencies work a problem")


def note_add(
    *, problem: Problem, by: User, text: str, kind: str = ProblemNote.Kind.NOTE, source: str = ""
) -> ProblemNote:
    """A note, or a piece of evidence with where it came from, at the problem's current stage."""
    _may_work(by, problem)
    errors: dict[str, list[str]] = {}
    if not text.strip():
        errors["text"] = ["Write the note"]
    if kind not in ProblemNote.Kind.values:
        errors["kind"] = ["Choose whether this is a note or evidence"]
    if kind == ProblemNote.Kind.EVIDENCE and not source.strip():
        errors["source"] = ["Say where the evidence came from"]
    if errors:
        raise ValidationError(errors)
    note = ProblemNote.objects.create(
        problem=problem,
        cycle=problem.cycle,
        stage=problem.stage,
        kind=kind,
        text=text.strip(),
        source=source.strip(),
        by=by,
        agency=by.agency,
    )
    _audit(by, AuditEvent.Action.UPDATE, problem, change="note_added", kind=kind)
    return note


def person_find(*, by: User, identifier: str) -> uuid.UUID | None:
    """The id of the person with this Pathways id or PNC ID, among the people `by` may see;
    None otherwise (a person they may not see is not found)."""
    value = identifier.strip()
    if not value:
        return None
    try:
        wanted = uuid.UUID(value)
    except ValueError:
        pnc = normalise_pnc(value)
        if not PNC_PATTERN.match(pnc):
            return None
        held = PersonIdentifier.objects.filter(value__in={value, pnc}).values("person_id")
        found = people_visible_to(by).filter(pk__in=held).values_list("pk", flat=True).first()
        return found
    return people_visible_to(by).filter(pk=wanted).values_list("pk", flat=True).first()


def _visible_person(by: User, person_id: uuid.UUID | str, field: str) -> Person:
    try:
        return access_person(user=by, person_id=person_id, purpose=Purpose.CASEWORK)
    except PersonNotFound as exc:
        # Not "you may not see them": a refusal must not reveal that the record exists.
        raise ValidationError({field: ["No one you may see has that id"]}) from exc


def person_involve(
    *, problem: Problem, by: User, person_id: uuid.UUID | str, role: str, note: str = ""
) -> InvolvedPerson:
    """Record that a person is involved. The person must be one `by` may see (the read is
    audited); others working the problem see them only if they may see the person too."""
    _may_work(by, problem)
    if role not in InvolvedPerson.Role.values:
        raise ValidationError({"role": ["Choose how the person is involved"]})
    person = _visible_person(by, person_id, "person")
    involved, created = InvolvedPerson.objects.get_or_create(
        problem=problem, person=person, role=role, defaults={"note": note.strip(), "added_by": by}
    )
    if not created:
        raise ValidationError({"person": ["That person is already recorded in that role"]})
    _audit(by, AuditEvent.Action.UPDATE, problem, change="person_involved", person=str(person.pk), role=role)
    return involved


def analysis_save(*, problem: Problem, by: User, **triangle: str) -> Analysis:
    """The problem analysis triangle and the hypothesis for the current cycle. Written in the
    analysis stage only: once the problem moves to response, the analysis is what the response
    was built on, and a later cycle writes its own."""
    _may_work(by, problem)
    unknown = set(triangle) - set(TRIANGLE_FIELDS)
    if unknown:
        raise ValueError(f"not part of the analysis: {sorted(unknown)}")
    if problem.stage != Stage.ANALYSIS:
        raise ValidationError({"summary": ["The analysis is written while the problem is in the analysis stage"]})
    analysis, created = Analysis.objects.get_or_create(problem=problem, cycle=problem.cycle)
    changed = []
    for field in TRIANGLE_FIELDS:
        if field in triangle:
            value = (triangle[field] or "").strip()
            if getattr(analysis, field) != value:
                setattr(analysis, field, value)
                changed.append(field)
    if changed:
        analysis.save()
    if changed or created:
        _audit(by, AuditEvent.Action.UPDATE, problem, change="analysis", cycle=problem.cycle, fields=changed)
    return analysis


# Actions are agreed in the response stage; their progress is still recorded while the
# partnership assesses them.
ACTION_ADD_STAGES = {Stage.RESPONSE}
ACTION_UPDATE_STAGES = {Stage.RESPONSE, Stage.ASSESSMENT}


def _action_links(
    by: User,
    person_id: uuid.UUID | str | None,
    iom_membership_id: uuid.UUID | str | None,
    resolution_id: uuid.UUID | str | None,
    errors: dict[str, list[str]],
) -> dict[str, Any]:
    """The person (visible to `by`; the read audited) and their IOM membership or resolution."""
    from pathways.iom.models import Membership
    from pathways.resolutions.models import Resolution

    links: dict[str, Any] = {"person": None, "iom_membership": None, "resolution": None}
    if not person_id:
        if iom_membership_id or resolution_id:
            errors.setdefault("person", []).append("Choose the person the IOM membership or resolution is about")
        return links
    try:
        person = _visible_person(by, person_id, "person")
    except ValidationError as exc:
        errors.setdefault("person", []).extend(exc.message_dict["person"])
        return links
    links["person"] = person
    if iom_membership_id:
        membership = Membership.objects.filter(pk=iom_membership_id, person=person).first()
        if membership is None:
            errors.setdefault("iom_membership", []).append("That IOM membership is not this person's")
        links["iom_membership"] = membership
    if resolution_id:
        resolution = Resolution.objects.filter(pk=resolution_id, person=person).first()
        if resolution is None:
            errors.setdefault("resolution", []).append("That resolution is not this person's")
        links["resolution"] = resolution
    return links


def _partner_agencies(problem: Problem) -> set[Any]:
    return {problem.owner_agency_id, *problem.partners.values_list("agency_id", flat=True)}


def _status_dates(
    status: str, starts_on: dt.date | None, finished_on: dt.date | None, errors: dict[str, list[str]]
) -> dt.date | None:
    """A finished action has the date it finished (today unless given); an unfinished one none."""
    if status not in ActionStatus.values:
        errors.setdefault("status", []).append("Choose the action's status")
        return None
    if status not in FINISHED_ACTION_STATUSES:
        return None
    finished_on = finished_on or timezone.localdate()
    if starts_on is not None and finished_on < starts_on:
        errors.setdefault("finished_on", []).append("The action cannot finish before it starts")
    return finished_on


def action_add(
    *,
    problem: Problem,
    by: User,
    action: str,
    owner_agency: Agency,
    starts_on: dt.date | None,
    due_on: dt.date | None,
    owner_name: str = "",
    status: str = ActionStatus.PLANNED,
    finished_on: dt.date | None = None,
    outcome: str = "",
    person_id: uuid.UUID | str | None = None,
    iom_membership_id: uuid.UUID | str | None = None,
    resolution_id: uuid.UUID | str | None = None,
    place: str = "",
) -> ResponseAction:
    """A response action for the current cycle, owned by the owner's or a partner's agency."""
    _may_work(by, problem)
    if problem.stage not in ACTION_ADD_STAGES:
        raise ValidationError({"action": ["Response actions are agreed once the analysis is complete"]})
    errors: dict[str, list[str]] = {}
    if not action.strip():
        errors["action"] = ["Say what will be done"]
    if owner_agency is None or owner_agency.pk not in _partner_agencies(problem):
        errors["owner_agency"] = ["The action's owner must be an agency working the problem"]
    if starts_on is None:
        errors["starts_on"] = ["Enter the date the action starts"]
    if due_on is None:
        errors["due_on"] = ["Enter the date the action is due"]
    if starts_on and due_on and due_on < starts_on:
        errors["due_on"] = ["The action must be due on or after the date it starts"]
    finished = _status_dates(status, starts_on, finished_on, errors)
    links = _action_links(by, person_id, iom_membership_id, resolution_id, errors)
    if errors:
        raise ValidationError(errors)
    saved = ResponseAction.objects.create(
        problem=problem,
        cycle=problem.cycle,
        action=action.strip(),
        owner_agency=owner_agency,
        owner_name=owner_name.strip(),
        starts_on=starts_on,
        due_on=due_on,
        status=status,
        finished_on=finished,
        outcome=outcome.strip(),
        place=place.strip(),
        created_by=by,
        **links,
    )
    _audit(by, AuditEvent.Action.UPDATE, problem, change="action_added", action_id=str(saved.pk), status=status)
    return saved


def action_update(
    *,
    action: ResponseAction,
    by: User,
    status: str,
    finished_on: dt.date | None = None,
    outcome: str | None = None,
    due_on: dt.date | None = None,
) -> ResponseAction:
    """Record an action's progress: its status (a finished one with the date it finished), its
    outcome, a new due date. Earlier cycles' actions are their cycles' record: not changed."""
    problem = action.problem
    _may_work(by, problem)
    if action.cycle != problem.cycle or problem.stage not in ACTION_UPDATE_STAGES:
        raise ValidationError({"status": ["This action belongs to a finished stage or cycle and is not changed"]})
    errors: dict[str, list[str]] = {}
    finished = _status_dates(status, action.starts_on, finished_on, errors)
    if due_on is not None and due_on < action.starts_on:
        errors["due_on"] = ["The action must be due on or after the date it starts"]
    if errors:
        raise ValidationError(errors)
    before = action.status
    action.status, action.finished_on = status, finished
    if outcome is not None:
        action.outcome = outcome.strip()
    if due_on is not None:
        action.due_on = due_on
    action.save()
    _audit(
        by,
        AuditEvent.Action.UPDATE,
        problem,
        change="action_updated",
        action_id=str(action.pk),
        before=before,
        after=status,
    )
    return action


def action_overdue(action: ResponseAction, today: dt.date | None = None) -> bool:
    """Not finished and past its due date."""
    today = today or timezone.localdate()
    return action.status not in FINISHED_ACTION_STATUSES and action.due_on < today


# The board ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardRow:
    problem: Problem
    partners: list[str]  # partner agencies' names
    age_days: int  # since the problem was opened
    stage_days: int  # in its current stage
    may_open: bool  # the user may open the problem's page


@dataclass(frozen=True)
class Board:
    rows: list[BoardRow]
    counts: dict[str, int]  # per stage, over every problem (before the filters)
    total: int


def problem_board(
    user: User, *, stage: str = "", agency_code: str = "", mine: bool = False, today: dt.date | None = None
) -> Board:
    """Every problem: the board is the partnership's, so each is listed with its title and
    stage; only the ones the user may open are linked (`problem_visible`)."""
    from pathways.problems.policies import problem_visible

    today = today or timezone.localdate()
    everything = Problem.objects.all()
    counts = {s: 0 for s in Stage.values}
    for value, n in everything.values_list("stage").annotate(n=Count("pk")).values_list("stage", "n"):
        counts[value] = n
    rows = everything.select_related("owner", "owner_agency").prefetch_related("partners__agency")
    if stage in Stage.values:
        rows = rows.filter(stage=stage)
    if agency_code:
        rows = rows.filter(Q(owner_agency__code=agency_code) | Q(partners__agency__code=agency_code)).distinct()
    if mine:
        rows = rows.filter(owner=user)
    now = timezone.now()
    board = [
        BoardRow(
            problem=p,
            partners=sorted(pp.agency.name for pp in p.partners.all()),
            age_days=(today - p.opened_on).days,
            stage_days=(now - p.stage_since).days,
            may_open=problem_visible(user, p),
        )
        for p in rows.order_by("-opened_on", "reference")
    ]
    return Board(rows=board, counts=counts, total=sum(counts.values()))
