"""The facilitator register: keeping it, and its warnings before vetting or training runs out."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.restorative import facilitators
from pathways.restorative.facilitators import FacilitatorInput, expiry_reminders
from pathways.restorative.models import Facilitator, Training
from pathways.restorative.reference import Course
from pathways.testing import signed_in_client

TODAY = timezone.localdate()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def test_vetting_expiry_must_follow_vetting_and_the_sign_in_must_be_a_facilitator_of_the_service(
    coordinator, officer, facilitator_user
):
    data = FacilitatorInput(
        given_name="Fay",
        surname="Cole",
        kind="volunteer",
        vetting_level="nppv2",
        vetted_on=days(-1),
        vetting_expires_on=days(-2),
    )
    with pytest.raises(ValidationError) as error:
        facilitators.facilitator_save(by=coordinator, data=data)
    assert "vetting_expires_on" in error.value.message_dict
    data.vetting_expires_on, data.user = days(700), officer
    with pytest.raises(ValidationError) as error:
        facilitators.facilitator_save(by=coordinator, data=data)
    assert "user" in error.value.message_dict
    data.user = facilitator_user
    saved = facilitators.facilitator_save(by=coordinator, data=data)
    assert saved.user == facilitator_user and not Facilitator.objects.exclude(pk=saved.pk).exists()
    with pytest.raises(PermissionDenied):
        facilitators.facilitator_save(by=facilitator_user, data=data, facilitator=saved)


def test_reminders_warn_sixty_days_ahead_and_ignore_a_renewed_course(rj_service, coordinator):
    fay = Facilitator.objects.create(
        service=rj_service,
        given_name="Fay",
        surname="Cole",
        kind="staff",
        vetting_level="nppv2",
        vetted_on=days(-900),
        vetting_expires_on=days(59),
    )
    Training.objects.create(facilitator=fay, course=Course.FOUNDATION, completed_on=days(-800), expires_on=days(-30))
    Training.objects.create(facilitator=fay, course=Course.FOUNDATION, completed_on=days(-40), expires_on=days(700))
    Training.objects.create(facilitator=fay, course=Course.HATE_CRIME, completed_on=days(-400), expires_on=days(-1))
    Training.objects.create(facilitator=fay, course=Course.SAFEGUARDING, completed_on=days(-400), expires_on=days(61))
    rows = [(r.what, r.date, r.expired) for r in expiry_reminders(rj_service, TODAY)]
    assert rows == [
        ("Training: Complex cases: hate crime", days(-1), True),
        ("Vetting (NPPV level 2)", days(59), False),
    ]


def test_a_conflict_names_someone_the_service_can_see_or_a_name(rj_service, coordinator, known_offender):
    fay = Facilitator.objects.create(service=rj_service, given_name="Fay", surname="Cole", kind="staff")
    with pytest.raises(ValidationError) as error:
        facilitators.conflict_declare(by=coordinator, facilitator=fay, person=known_offender, description="Neighbour")
    assert "person" in error.value.message_dict  # no referral yet: the service cannot see them
    with pytest.raises(ValidationError):
        facilitators.conflict_declare(by=coordinator, facilitator=fay, description="Neighbour")
    conflict = facilitators.conflict_declare(
        by=coordinator, facilitator=fay, name="The Crown  pub", description="Works there"
    )
    assert conflict.name == "The Crown pub"


def test_the_register_pages(coordinator, facilitator_user, rj_service, make_user):
    client = signed_in_client(coordinator)
    form = {
        "given_name": "Fay",
        "surname": "Cole",
        "kind": "volunteer",
        "areas": "wx3, WX4",
        "capacity": "2",
        "available": "on",
        "vetting_level": "nppv2",
        "vetted_on": days(-10).isoformat(),
        "vetting_expires_on": days(30).isoformat(),
        "user": facilitator_user.pk,
    }
    bad = client.post(reverse("restorative:facilitator-new"), form | {"vetting_expires_on": days(-20).isoformat()})
    assert bad.status_code == 400 and "must be after the date of vetting" in bad.content.decode()
    assert client.post(reverse("restorative:facilitator-new"), form).status_code == 302
    fay = Facilitator.objects.get()
    assert fay.areas == ["WX3", "WX4"]
    training = {"course": "foundation", "completed_on": days(-5).isoformat(), "expires_on": days(-6).isoformat()}
    url = reverse("restorative:facilitator-training", kwargs={"facilitator_id": fay.pk})
    assert client.post(url, training).status_code == 400
    assert client.post(url, training | {"expires_on": days(20).isoformat()}).status_code == 302
    session = {"held_on": TODAY.isoformat(), "notes": "Went well"}
    assert (
        client.post(
            reverse("restorative:facilitator-supervision", kwargs={"facilitator_id": fay.pk}), session
        ).status_code
        == 302
    )
    assert fay.supervision_sessions.get().supervisor == coordinator
    register = client.get(reverse("restorative:facilitators")).content.decode()
    assert "Fay Cole" in register and "Vetting (NPPV level 2)" in register and "Reminder" in register
    page = client.get(reverse("restorative:facilitator", kwargs={"facilitator_id": fay.pk})).content.decode()
    assert "Went well" in page
    # A facilitator does not keep the register; another service finds no one.
    assert signed_in_client(facilitator_user).get(reverse("restorative:facilitators")).status_code == 403
    from pathways.accounts.models import Agency, AgencyKind

    other = Agency.objects.create(code="other-rj", name="Other", kind=AgencyKind.RJ_SERVICE)
    outsider = signed_in_client(make_user("other-co", other, Role.RJ_COORDINATOR))
    assert outsider.get(reverse("restorative:facilitator", kwargs={"facilitator_id": fay.pk})).status_code == 404
