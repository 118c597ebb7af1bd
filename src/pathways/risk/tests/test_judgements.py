import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from pathways.access.models import AuditEvent
from pathways.accounts.models import Role
from pathways.risk.judgements import judgement_record, overrides_report
from pathways.risk.models import ScoreJudgement
from pathways.sharing.models import Agreement
from pathways.testing import signed_in_client


def record(by, person, **overrides):
    values = {
        "score_kind": "ogrs3",
        "score_version": "OGRS3",
        "score_value": 0.42,
        "score_band": "low",
        "shown_on": "person page",
        "judgement": "higher",
        "overridden": True,
        "judged_band": "medium",
        "reason": "Two breaches of his order this month, not yet proven.",
    }
    values.update(overrides)
    return judgement_record(by=by, person=person, **values)


def test_a_judgement_with_an_override_is_recorded_and_audited(officer, known_offender):
    judgement = record(officer, known_offender)
    assert judgement.agency == officer.agency
    assert judgement.judged_band == "medium"
    event = AuditEvent.objects.get(action="create", object_type="score_judgement")
    assert event.object_id == str(judgement.pk)
    assert event.detail["overridden"] is True


def test_agreeing_without_an_override_keeps_no_band(officer, known_offender):
    judgement = record(officer, known_offender, judgement="agree", overridden=False, judged_band="high")
    assert judgement.judged_band == ""
    assert not judgement.overridden


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reason": "  "}, "reason"),
        ({"reason": "too short"}, "reason"),
        ({"judgement": "maybe"}, "judgement"),
        ({"score_kind": "astrology"}, "score_kind"),
        ({"judged_band": ""}, "judged_band"),
        ({"judged_band": "extreme"}, "judged_band"),
        ({"judged_band": "low"}, "judged_band"),  # the score's own band is no override
        ({"judgement": "lower"}, "judgement"),  # a higher band is a judgement that it is higher
        ({"judgement": "agree"}, "judgement"),
        ({"shown_on": ""}, "shown_on"),
    ],
)
def test_a_wrong_judgement_is_refused_naming_the_field(officer, known_offender, overrides, field):
    with pytest.raises(ValidationError) as caught:
        record(officer, known_offender, **overrides)
    assert field in caught.value.message_dict
    assert not ScoreJudgement.objects.exists()


def test_someone_who_may_not_see_the_person_is_refused_and_it_is_audited(housing_worker, known_offender):
    with pytest.raises(PermissionDenied):
        record(housing_worker, known_offender)
    assert not ScoreJudgement.objects.exists()
    assert AuditEvent.objects.filter(action="refused", object_type="score_judgement").exists()


def test_an_analyst_may_not_record_a_judgement(analyst, known_offender):
    with pytest.raises(PermissionDenied):
        record(analyst, known_offender)


def test_the_person_page_shows_ogrs3_with_its_inputs_and_the_warning(officer, known_offender):
    page = signed_in_client(officer).get(reverse("people:detail", args=[known_offender.pk])).content.decode()
    assert 'id="ogrs3"' in page
    assert "A score never decides alone" in page
    assert "Age at first sanction" in page
    assert "Howard, Francis, Soothill and Humphreys" in page
    assert "Follow-up starts 1 December 2021" in page
    assert "Record your own judgement" in page


def test_the_person_page_says_why_someone_cannot_be_scored(officer, police, police_admin):
    from pathways.testing import create_person_row, load, person_by_reference

    load("people", [create_person_row(person_id="N1", sex="U")], agency=police, by=police_admin)
    person = person_by_reference(police, "N1")
    page = signed_in_client(officer).get(reverse("people:detail", args=[person.pk])).content.decode()
    assert "OGRS3 cannot be worked out for this person" in page
    assert "No proven offence" in page


def test_offending_not_shared_with_the_viewer_hides_the_score(known_offender, probation, make_user):
    from pathways.access.services import agency_record_ensure

    agency_record_ensure(person=known_offender, agency=probation)
    worker = make_user("probation-officer", probation, Role.CASEWORKER)
    client = signed_in_client(worker)
    page = client.get(reverse("people:detail", args=[known_offender.pk])).content.decode()
    assert "The OGRS3 score cannot be shown" in page
    assert "Age at first sanction" not in page
    response = client.post(
        reverse("risk:ogrs3-judgement", args=[known_offender.pk]),
        {"judgement": "agree", "reason": "Knows him well from supervision."},
    )
    assert response.status_code == 403
    assert not ScoreJudgement.objects.exists()
    assert not Agreement.objects.exists()


def test_an_officer_records_a_judgement_from_the_person_page(officer, known_offender):
    client = signed_in_client(officer)
    url = reverse("risk:ogrs3-judgement", args=[known_offender.pk])
    response = client.post(
        url, {"judgement": "higher", "overridden": "on", "judged_band": "high", "reason": "Threats to his ex-partner."}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#ogrs3")
    saved = ScoreJudgement.objects.get()
    # The score is worked out on the server, never taken from the form.
    assert saved.score_band == "low" and 0 < saved.score_value < 0.5
    assert saved.shown_on == "person page"
    page = client.get(reverse("people:detail", args=[known_offender.pk])).content.decode()
    assert "Threats to his ex-partner." in page
    assert "band overridden from low to <strong>high</strong>" in page


def test_a_judgement_with_no_reason_is_shown_again_with_the_error(officer, known_offender):
    response = signed_in_client(officer).post(
        reverse("risk:ogrs3-judgement", args=[known_offender.pk]),
        {"judgement": "lower", "overridden": "on", "judged_band": "medium", "reason": "Settled now."},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "judgement that the likelihood is higher" in page
    assert "Give your reason, in at least" not in page
    assert not ScoreJudgement.objects.exists()


@pytest.fixture
def judged(officer, known_offender, police, make_user):
    colleague = make_user("colleague", police, Role.CASEWORKER)
    record(officer, known_offender)
    record(colleague, known_offender, judgement="agree", overridden=False, reason="Fits what we know of him.")
    record(colleague, known_offender, judgement="lower", overridden=False, reason="Has stable work since March.")
    return known_offender


def test_a_supervisor_sees_their_agencys_judgements_with_names_and_reasons(judged, police, make_user):
    supervisor = make_user("sergeant", police, Role.SUPERVISOR)
    page = signed_in_client(supervisor).get(reverse("risk:overrides")).content.decode()
    assert "Two breaches of his order this month" in page
    assert "Officer" in page and "Colleague" in page
    assert judged.full_name in page
    assert "33%" in page  # one override in three judgements
    assert AuditEvent.objects.filter(action="read", object_type="overrides_report").exists()


def test_an_analyst_sees_partnership_counts_naming_nobody(judged, analyst):
    report = overrides_report(user=analyst)
    assert (report.total.judged, report.total.agree, report.total.higher, report.total.lower) == (3, 1, 1, 1)
    assert report.total.overridden == 1
    assert report.moves == [("low", "medium", 1)]
    assert report.judgements == []
    page = signed_in_client(analyst).get(reverse("risk:overrides")).content.decode()
    assert judged.full_name not in page
    assert "Two breaches" not in page
    assert "Colleague" not in page


def test_another_agencys_supervisor_sees_none_of_it(judged, probation, make_user):
    supervisor = make_user("probation-sergeant", probation, Role.SUPERVISOR)
    assert overrides_report(user=supervisor).total.judged == 0


def test_officers_may_not_read_the_overrides_report(officer):
    assert signed_in_client(officer).get(reverse("risk:overrides")).status_code == 403
