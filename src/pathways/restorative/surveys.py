"""Satisfaction surveys: each party is asked, after the meeting, how it went. By a link they
open without signing in, or on paper or by phone with staff entering the answers.

A link carries a random single-use token. Only its SHA-256 is stored, so the table alone cannot
be turned back into working links; the page behind the link names no one and shows nothing of
the case, so a link that reaches the wrong person gives nothing away.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.accounts.models import User
from pathways.restorative import cases
from pathways.restorative.meetings import held_meeting
from pathways.restorative.models import Case, Party, Survey, Task
from pathways.restorative.reference import SurveyMethod, TaskKind, TaskStatus

# 32 random bytes: guessing a live token is hopeless however many requests are made, which is
# what keeps the public survey page safe without a rate limit of its own.
TOKEN_BYTES = 32


class SurveyLinkNotValid(Exception):
    """The link is unknown, or has been used: the visitor is told kindly, and nothing more."""


@dataclass
class Answers:
    satisfaction: int
    felt_safe: bool | None
    felt_heard: bool | None
    would_recommend: bool | None
    comments: str = ""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_can_survey(case: Case, party: Party) -> None:
    if party.case_id != case.pk:
        raise ValidationError({"party": "Choose a party of this case"})
    if held_meeting(case) is None:
        raise ValidationError({"__all__": "A party is surveyed after the meeting has been held"})
    if Survey.objects.filter(party=party, completed_on__isnull=False).exists():
        raise ValidationError({"__all__": f"{party} has already completed the survey"})


def _validate(answers: Answers) -> None:
    if answers.satisfaction not in range(1, 6):
        raise ValidationError({"satisfaction": "Choose how satisfied, from 1 to 5"})


@transaction.atomic
def survey_link_create(case: Case, party: Party, by: User) -> tuple[Survey, str]:
    """A new link for a party to complete the survey. The token is returned once, for staff to
    send; a link sent before and not used stops working."""
    case = cases.require_case(by, case)
    _check_can_survey(case, party)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    survey = Survey.objects.select_for_update().filter(party=party, completed_on__isnull=True).first()
    if survey is None:
        survey = Survey(case=case, party=party)
    survey.method = SurveyMethod.LINK
    survey.token_hash = token_hash(token)
    survey.sent_on = timezone.localdate()
    survey.save()
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="rj_survey",
        object_id=str(survey.pk),
        detail={"case": case.reference, "method": SurveyMethod.LINK},
    )
    return survey, token


def survey_for_token(token: str) -> Survey:
    """The unused survey behind a link, or SurveyLinkNotValid."""
    survey = Survey.objects.filter(token_hash=token_hash(token), completed_on__isnull=True).exclude(token_hash="")
    found = survey.first()
    if found is None:
        raise SurveyLinkNotValid
    return found


def _finish_survey_task(case: Case, by: User | None, on: dt.date) -> None:
    """When every party has answered, the case's survey task is done."""
    parties = case.parties.count()
    answered = Survey.objects.filter(case=case, completed_on__isnull=False).values("party").distinct().count()
    if answered < parties:
        return
    for task in Task.objects.select_for_update().filter(case=case, kind=TaskKind.SURVEY, status=TaskStatus.OPEN):
        if by is not None and case.is_open:
            cases.task_finish(task=task, by=by, on=on)
        else:
            # The last answer came by link, with no one signed in (or after the case closed):
            # the task is finished in the service's name, and audited as such.
            task.status = TaskStatus.DONE
            task.finished_on = on
            task.save(update_fields=["status", "finished_on", "updated_at"])
            audit_record(
                user=None,
                username="survey link",
                action=AuditEvent.Action.UPDATE,
                object_type="rj_task",
                object_id=str(task.pk),
                detail={"case": case.reference, "done": on.isoformat()},
            )


@transaction.atomic
def survey_complete_by_link(token: str, answers: Answers) -> Survey:
    """The party's own answers, through their link: accepted once."""
    _validate(answers)
    try:
        survey = Survey.objects.select_for_update().get(
            token_hash=token_hash(token), completed_on__isnull=True, method=SurveyMethod.LINK
        )
    except Survey.DoesNotExist:
        raise SurveyLinkNotValid from None
    today = timezone.localdate()
    _fill(survey, answers, today)
    survey.save()
    audit_record(
        user=None,
        username="survey link",
        action=AuditEvent.Action.UPDATE,
        object_type="rj_survey",
        object_id=str(survey.pk),
        detail={"completed": today.isoformat()},
    )
    _finish_survey_task(survey.case, None, today)
    return survey


def _fill(survey: Survey, answers: Answers, on: dt.date) -> None:
    survey.completed_on = on
    survey.satisfaction = answers.satisfaction
    survey.felt_safe = answers.felt_safe
    survey.felt_heard = answers.felt_heard
    survey.would_recommend = answers.would_recommend
    survey.comments = answers.comments.strip()
    # Used: the hash goes, so the link can never match again.
    survey.token_hash = ""


@transaction.atomic
def survey_enter(
    *, case: Case, party: Party, by: User, method: str, answers: Answers, on: dt.date | None = None
) -> Survey:
    """Staff enter a survey a party answered on paper or by phone. Any link sent to them stops working."""
    case = cases.require_case(by, case)
    _check_can_survey(case, party)
    if method not in (SurveyMethod.PAPER, SurveyMethod.PHONE):
        raise ValidationError({"method": "Choose whether they answered on paper or by phone"})
    _validate(answers)
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({"completed_on": "The date cannot be in the future"})
    meeting = held_meeting(case)
    if meeting is not None and meeting.held_on and on < meeting.held_on:
        raise ValidationError({"completed_on": "The survey is answered after the meeting, not before"})
    survey = Survey.objects.select_for_update().filter(party=party, completed_on__isnull=True).first()
    if survey is None:
        survey = Survey(case=case, party=party)
    survey.method = method
    survey.entered_by = by
    _fill(survey, answers, on)
    survey.save()
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        object_type="rj_survey",
        object_id=str(survey.pk),
        detail={"case": case.reference, "method": method},
    )
    _finish_survey_task(case, by, on)
    return survey
