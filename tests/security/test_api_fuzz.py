"""Schemathesis against the whole API: generated requests never cause a server error, never
break the schema, and never return a person outside the caller's scope."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from pathways.access.models import AgencyRecord
from pathways.accounts.models import Role
from pathways.accounts.services import api_token_create
from pathways.config.wsgi import application

# Loaded in-process through the WSGI application: the same schema `pathways openapi` prints.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def fuzzing_callers(known_offender, police, housing, make_user):  # type: ignore[no-untyped-def]
    """An administrator at the police (who may use every endpoint) and the housing worker, whose
    agency holds nobody: whatever the fuzzer asks, the latter must never see Jonathan Smith."""
    admin = make_user("fuzz-admin", police, Role.ADMINISTRATOR, Role.SUPERVISOR)
    outsider = make_user("fuzz-outsider", housing, Role.CASEWORKER)
    assert not AgencyRecord.objects.filter(agency=housing).exists()
    return {
        "admin": api_token_create(user=admin, name="fuzz")[1],
        "outsider": api_token_create(user=outsider, name="fuzz")[1],
    }


@pytest.fixture
def keep_test_connection() -> Any:
    """Requests go straight into the WSGI application, whose start- and end-of-request signals would close
    the test's database connection mid-transaction; Django's own test client unhooks it too."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_never_fails_and_never_leaks(
    case: Any, fuzzing_callers: dict[str, str], known_offender: Any, keep_test_connection: Any
) -> None:
    admin = case.call(headers={"Authorization": f"Bearer {fuzzing_callers['admin']}"})
    case.validate_response(admin, checks=[not_a_server_error])
    outsider = case.call(headers={"Authorization": f"Bearer {fuzzing_callers['outsider']}"})
    case.validate_response(outsider, checks=[not_a_server_error])
    assert known_offender.surname not in outsider.text
    assert str(known_offender.pk) not in outsider.text or outsider.status_code >= 400
