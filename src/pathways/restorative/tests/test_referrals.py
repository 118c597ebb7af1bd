import pytest
from django.core.exceptions import ValidationError

from pathways.access.models import AuditEvent
from pathways.access.policies import people_visible_to
from pathways.restorative import referrals
from pathways.restorative.reference import CaseStatus, Source
from pathways.restorative.testing import create_case


def test_a_referral_shares_the_offender_with_the_service_and_waits_in_its_queue(
    officer, rj_service, coordinator, known_offender
):
    assert not people_visible_to(coordinator).filter(pk=known_offender.pk).exists()
    case = create_case(by=officer, service=rj_service, offender=known_offender)
    assert case.status == CaseStatus.REFERRED
    assert case.reference.startswith("RJ-")
    assert people_visible_to(coordinator).filter(pk=known_offender.pk).exists()
    assert AuditEvent.objects.filter(action="create", object_type="rj_case", object_id=str(case.pk)).exists()


def test_only_the_service_enters_a_victims_own_referral(officer, rj_service, coordinator):
    with pytest.raises(ValidationError) as error:
        create_case(by=officer, service=rj_service, source=Source.SELF)
    assert "co-ordinators" in str(error.value)
    assert create_case(by=coordinator, service=rj_service, source=Source.SELF).source == Source.SELF


def test_a_referral_to_an_agency_that_is_not_an_rj_service_is_refused(officer, probation):
    with pytest.raises(ValidationError) as error:
        create_case(by=officer, service=probation)
    assert "not a restorative justice service" in str(error.value)
    assert referrals.Case.objects.count() == 0
