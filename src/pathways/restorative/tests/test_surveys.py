import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.restorative import meetings, surveys
from pathways.restorative.models import Survey, Task
from pathways.restorative.reference import SurveyMethod, TaskKind, TaskStatus
from pathways.restorative.tests.test_meetings import case, held_conference, venue  # noqa: F401
from pathways.testing import signed_in_client

ANSWERS = surveys.Answers(satisfaction=5, felt_safe=True, felt_heard=True, would_recommend=True, comments="Good")


@pytest.fixture
def held(case, coordinator, venue):  # noqa: F811
    held_conference(case, coordinator, venue)
    meetings.no_agreement_needed(case=case, by=coordinator, reason="They shook hands; nothing more wanted")
    return case


def test_no_survey_before_the_meeting_is_held(case, coordinator):  # noqa: F811
    with pytest.raises(ValidationError) as error:
        surveys.survey_link_create(case, case.parties.first(), coordinator)
    assert "after the meeting" in str(error.value)
    assert not Survey.objects.exists()


def test_a_link_stores_only_the_hash_of_its_token(held, coordinator):
    survey, token = surveys.survey_link_create(held, held.parties.first(), coordinator)
    assert survey.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in survey.token_hash
    assert survey.sent_on is not None


def test_a_link_works_once(held, coordinator):
    _, token = surveys.survey_link_create(held, held.parties.first(), coordinator)
    survey = surveys.survey_complete_by_link(token, ANSWERS)
    assert survey.satisfaction == 5 and survey.token_hash == ""
    with pytest.raises(surveys.SurveyLinkNotValid):
        surveys.survey_complete_by_link(token, ANSWERS)
    assert AuditEvent.objects.filter(object_id=str(survey.pk), user=None, action="update").exists()


def test_a_new_link_replaces_an_unused_one(held, coordinator):
    party = held.parties.first()
    _, old = surveys.survey_link_create(held, party, coordinator)
    _, new = surveys.survey_link_create(held, party, coordinator)
    with pytest.raises(surveys.SurveyLinkNotValid):
        surveys.survey_for_token(old)
    assert surveys.survey_for_token(new).party == party
    assert Survey.objects.filter(party=party).count() == 1


def test_the_last_survey_finishes_the_survey_task(held, coordinator):
    victim, offender = held.parties.get(role="victim"), held.parties.get(role="offender")
    _, token = surveys.survey_link_create(held, victim, coordinator)
    surveys.survey_enter(case=held, party=offender, by=coordinator, method=SurveyMethod.PHONE, answers=ANSWERS)
    task = Task.objects.get(case=held, kind=TaskKind.SURVEY)
    assert task.status == TaskStatus.OPEN
    surveys.survey_complete_by_link(token, ANSWERS)
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    with pytest.raises(ValidationError):
        surveys.survey_enter(case=held, party=offender, by=coordinator, method=SurveyMethod.PAPER, answers=ANSWERS)


def test_entering_a_paper_survey_stops_the_link_working(held, coordinator):
    party = held.parties.first()
    _, token = surveys.survey_link_create(held, party, coordinator)
    surveys.survey_enter(case=held, party=party, by=coordinator, method=SurveyMethod.PAPER, answers=ANSWERS)
    with pytest.raises(surveys.SurveyLinkNotValid):
        surveys.survey_for_token(token)


def test_the_public_page_names_no_one_and_takes_one_answer(held, coordinator, known_offender):
    _, token = surveys.survey_link_create(held, held.parties.get(role="victim"), coordinator)
    client = Client()  # not signed in
    url = f"/restorative/survey/{token}/"
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    for secret in ("Priya", "Shah", known_offender.surname, held.reference):
        assert secret not in text
    assert client.post(url, {"comments": "x"}).status_code == 400
    thanks = client.post(url, {"satisfaction": "4", "felt_safe": "yes", "felt_heard": "no", "would_recommend": ""})
    assert thanks.status_code == 200 and "Thank you" in thanks.content.decode()
    survey = Survey.objects.get()
    assert (survey.satisfaction, survey.felt_safe, survey.felt_heard, survey.would_recommend) == (4, True, False, None)
    again = client.get(url)
    assert again.status_code == 404 and "already been used or is not valid" in again.content.decode()
    assert client.post(url, {"satisfaction": "1"}).status_code == 404
    assert Client().get("/restorative/survey/made-up/").status_code == 404


def test_the_staff_survey_page(held, coordinator):
    party = held.parties.first()
    client = signed_in_client(coordinator)
    url = f"/restorative/cases/{held.pk}/surveys/{party.pk}/"
    assert client.get(url).status_code == 200
    made = client.post(url, {"do": "link"})
    assert made.status_code == 200 and "/restorative/survey/" in made.content.decode()
    assert client.post(url, {"do": "enter", "method": "phone"}).status_code == 400
    before = {"do": "enter", "method": "phone", "completed_on": "2020-01-01", "satisfaction": "3", "felt_safe": "yes"}
    assert "after the meeting, not before" in client.post(url, before).content.decode()
    response = client.post(url, {**before, "completed_on": timezone.localdate().isoformat()})
    assert response.status_code == 302
    assert "satisfaction 3 of 5" in client.get(f"/restorative/cases/{held.pk}/").content.decode()
