"""Cohorts from Pathways' records, the service, the pages and the command."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from pathways.access.models import AuditEvent
from pathways.evaluation import cohorts
from pathways.evaluation.models import Evaluation
from pathways.evaluation.services import EvaluationRefused, Upload, evaluation_run
from pathways.evaluation.tests.test_matching import synthetic
from pathways.iom.testing import create_membership, create_offender
from pathways.testing import signed_in_client

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
START, END = TODAY - dt.timedelta(days=900), TODAY - dt.timedelta(days=600)


@pytest.fixture
def people(police, police_admin, iom_supervisor, ppo_scheme):
    """Two adopted in the period (one reoffended after), two with proven offences who were not."""
    adopted = create_offender(
        agency=police,
        by=police_admin,
        reference="T1",
        offences=[(1500, "46", "theft"), (800, "46", "theft"), (700, "28E", "theft")],
    )
    create_membership(by=iom_supervisor, person=adopted, scheme=ppo_scheme, on=TODAY - dt.timedelta(days=750))
    quiet = create_offender(
        agency=police,
        by=police_admin,
        reference="T2",
        offences=[(780, "8N", "violence")],
        given_name="Amy",
        date_of_birth="1990-01-01",
    )
    create_membership(by=iom_supervisor, person=quiet, scheme=ppo_scheme, on=TODAY - dt.timedelta(days=760))
    pool = create_offender(
        agency=police,
        by=police_admin,
        reference="C1",
        offences=[(850, "46", "theft"), (100, "46", "theft")],
        given_name="Ben",
    )
    create_offender(
        agency=police, by=police_admin, reference="C2", offences=[(2000, "92D", "drugs")], given_name="Cal"
    )  # outside the period
    return {"adopted": adopted, "quiet": quiet, "pool": pool}


def test_the_cohort_is_built_from_the_records(people, iom_supervisor):
    cohort = cohorts.build(cohorts.CohortSpec("iom_adoption", START, END, scheme="ppo"), user=iom_supervisor)
    frame = cohort.frame.set_index("person")
    assert cohort.counts["treated_found"] == 2
    assert cohort.counts["comparison_pool_found"] == 1
    adopted = frame.loc[str(people["adopted"].pk)]
    assert adopted.treated == 1
    assert adopted.index_date == (TODAY - dt.timedelta(days=750)).isoformat()
    assert adopted.previous_proven_offences == 1  # 1500 days ago; the one 800 days ago is the index offence
    assert adopted.index_offence_group == "theft" and adopted.index_disposal == "court_order"
    assert adopted.reoffended == 1 and adopted.reoffences == 1  # 700 days ago: within the year
    assert adopted.years_since_first_proven > 1.5
    pool = frame.loc[str(people["pool"].pk)]
    assert pool.treated == 0 and pool.reoffended == 0  # 100 days ago is long after the year
    assert frame.loc[str(people["quiet"].pk)].sex == "M"
    if "ogrs3_two_year" in cohorts.COVARIATES:
        assert 0 < adopted.ogrs3_two_year < 1


def test_only_people_the_user_may_see_are_counted(people, make_user, housing):
    from pathways.accounts.models import Role

    outsider = make_user("housing-analyst", housing, Role.ANALYST)
    cohort = cohorts.build(cohorts.CohortSpec("iom_adoption", START, END, scheme="ppo"), user=outsider)
    assert cohort.frame.empty


def test_an_uploaded_list_reports_bad_rows(people, iom_supervisor):
    analyst = iom_supervisor
    content = b"person_id,index_date\nT1,\nNOBODY,\nT2,not-a-date\n"
    with pytest.raises(cohorts.CohortError) as error:
        cohorts.read_people_csv(content, agency=analyst.agency, user=analyst, filename="list.csv")
    message = str(error.value)
    assert "list.csv, row 3, column person_id: 'NOBODY'" in message
    assert "list.csv, row 4, column index_date" in message
    with pytest.raises(cohorts.CohortError, match="no person_id column"):
        cohorts.read_people_csv(b"ref\nT1\n", agency=analyst.agency, user=analyst)


def test_too_few_people_are_refused_and_nothing_is_saved(people, iom_supervisor):
    analyst = iom_supervisor
    with pytest.raises(EvaluationRefused, match="at least 10"):
        evaluation_run(
            by=analyst,
            title="PPO",
            intervention="uploaded_list",
            parameters={"start": START.isoformat(), "end": END.isoformat()},
            upload=Upload("list.csv", b"person_id\nT1\nT2\n"),
        )
    assert not Evaluation.objects.exists()


def test_bad_settings_are_refused(analyst):
    with pytest.raises(EvaluationRefused, match="Choose the IOM scheme"):
        evaluation_run(
            by=analyst, title="x", intervention="iom_adoption", parameters={"start": "2024-01-01", "end": "2024-06-30"}
        )
    with pytest.raises(EvaluationRefused, match="Unknown covariate postcode"):
        evaluation_run(
            by=analyst,
            title="x",
            intervention="tag",
            parameters={"start": "2024-01-01", "end": "2024-06-30", "covariates": ["postcode"]},
        )


def test_an_officer_may_not_evaluate(officer):
    with pytest.raises(PermissionError):
        evaluation_run(
            by=officer, title="x", intervention="tag", parameters={"start": "2024-01-01", "end": "2024-06-30"}
        )


def test_the_pages(analyst, officer, iom_supervisor):
    evaluation = Evaluation.objects.create(
        title="Tags 2024",
        intervention="tag",
        parameters={"start": "2024-01-01", "end": "2024-12-31"},
        result=_result(),
        by=analyst,
        agency=analyst.agency,
    )
    client = signed_in_client(analyst)
    page = client.get("/evaluation/")
    assert page.status_code == 200 and "Tags 2024" in page.content.decode()
    report = client.get(f"/evaluation/{evaluation.pk}/")
    text = report.content.decode()
    assert report.status_code == 200
    assert "Only what was measured can be balanced" in text and "95% confidence interval" in text
    assert AuditEvent.objects.filter(action="evaluation.read", object_id=str(evaluation.pk)).exists()
    assert signed_in_client(officer).get("/evaluation/").status_code == 403
    assert signed_in_client(officer).get(f"/evaluation/{evaluation.pk}/").status_code == 403
    refused = client.post(
        "/evaluation/",
        {
            "title": "x",
            "intervention": "iom_adoption",
            "start": "2024-01-01",
            "end": "2024-06-30",
            "covariates": ["age"],
        },
    )
    assert refused.status_code == 400 and "Choose the IOM scheme" in refused.content.decode()


def _result() -> dict:
    from pathways.evaluation.matching import evaluate

    frame = synthetic(400, seed=1)
    return evaluate(
        frame, treated="treated", covariates=["age", "sex"], outcome="reoffended", frequency="reoffences"
    ).to_dict()


def test_the_command_evaluates_any_table(tmp_path, capsys):
    path = tmp_path / "table.csv"
    synthetic(500, seed=2).to_csv(path, index=False)
    call_command(
        "evaluate",
        "--data",
        str(path),
        "--treated",
        "treated",
        "--outcome",
        "reoffended",
        "--frequency",
        "reoffences",
        "--covariates",
        "age,previous,sex",
        "--format",
        "json",
    )
    result = json.loads(capsys.readouterr().out)
    assert result["n_treated"] > 0 and result["outcomes"]["frequency"] is not None
    call_command(
        "evaluate", "--data", str(path), "--treated", "treated", "--outcome", "reoffended", "--covariates", "age"
    )
    assert "Matched rate" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "--intervention"),
        (["--intervention", "tag", "--from", "2024-01-01", "--to", "2024-06-30"], "--user"),
        (["--intervention", "tag", "--user", "nobody", "--from", "2024-01-01", "--to", "2024-06-30"], "no active user"),
        (
            ["--intervention", "iom_adoption", "--user", "officer", "--from", "2024-01-01", "--to", "2024-06-30"],
            "analysts",
        ),
        (["--data", "missing.csv", "--treated", "t", "--outcome", "o", "--covariates", "a"], "cannot read"),
    ],
)
def test_the_command_refuses_bad_input(arguments, message, officer):
    with pytest.raises(CommandError, match=message) as error:
        call_command("evaluate", *arguments)
    assert error.value.returncode == 2
