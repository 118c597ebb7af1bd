"""The home page offers IOM work to those who do it: the cohort and the board to the partners'
officers, supervisors and caseworkers, the candidates to the panel, the figures to analysts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pathways.accounts.models import Agency, Role, User
from pathways.testing import signed_in_client


def _task_links(user: User) -> set[str]:
    html = signed_in_client(user).get("/").content.decode()
    return {path for path in ("/iom/", "/iom/board/", "/iom/candidates/", "/iom/figures/") if f'href="{path}"' in html}


@pytest.mark.django_db
def test_the_panel_sergeant_is_offered_the_cohort_board_and_candidates(iom_supervisor: User) -> None:
    assert _task_links(iom_supervisor) == {"/iom/", "/iom/board/", "/iom/candidates/"}


@pytest.mark.django_db
def test_a_probation_caseworker_works_the_cohort_but_does_not_sit_on_the_panel(probation_caseworker: User) -> None:
    assert _task_links(probation_caseworker) == {"/iom/", "/iom/board/"}


@pytest.mark.django_db
def test_an_analyst_sees_the_figures_only(analyst: User) -> None:
    assert _task_links(analyst) == {"/iom/figures/"}


@pytest.mark.django_db
def test_a_caseworker_at_an_agency_outside_iom_is_offered_none(make_user: Callable[..., User], opcc: Agency) -> None:
    outsider = make_user("pcc-caseworker", opcc, Role.CASEWORKER)
    assert _task_links(outsider) == set()
