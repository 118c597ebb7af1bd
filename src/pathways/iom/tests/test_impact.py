"""Is IOM working: before-and-after figures, the cost of crime, the unit-cost table, the pages, and
the IOM cohort in the performance framework."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.access.models import AuditEvent
from pathways.accounts.models import Role
from pathways.iom import cohort, impact, unit_costs
from pathways.iom.cost_models import UnitCostTable
from pathways.iom.testing import create_membership, create_offender
from pathways.offending.reference import PROVING_OUTCOMES
from pathways.testing import signed_in_client

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def ago(days: int) -> dt.date:
    return TODAY() - dt.timedelta(days=days)


@pytest.fixture
def hccu_scheme(police: Any, iom_supervisor: Any) -> Any:
    return cohort.scheme_save(
        by=iom_supervisor,
        data=cohort.SchemeInput(
            code="hccu",
            name="High Crime Causers",
            entry_criteria="Adults whose acquisitive offending drives neighbourhood crime",
            lead_agency=police,
        ),
    )


@pytest.fixture
def cohort_members(police: Any, police_admin: Any, iom_supervisor: Any, ppo_scheme: Any, hccu_scheme: Any) -> dict:
    """Five memberships adopted at different times, with offences before and after adoption,
    some not yet proven, some with no published unit cost; one has left; one person is in two
    schemes."""
    people = {
        "archer": create_offender(
            agency=police,
            by=police_admin,
            reference="IA",
            date_of_birth="1990-01-01",
            surname="Archer",
            # The last is not yet proven.
            offences=[
                *[(520, "28E", "theft"), (450, "8N", "violence"), (420, "46", "theft"), (380, "48", "theft")],
                *[(100, "46", "theft"), (20, "28E", "theft")],
            ],
        ),
        "baker": create_offender(
            agency=police,
            by=police_admin,
            reference="IB",
            date_of_birth="1991-02-02",
            surname="Baker",
            offences=[
                (300, "34B", "robbery"),
                (250, "92A", "drugs"),
                (150, "58A", "criminal_damage"),
                (60, "39", "theft"),
            ],
        ),
        "carter": create_offender(
            agency=police,
            by=police_admin,
            reference="IC",
            date_of_birth="1992-03-03",
            surname="Carter",
            offences=[
                (900, "5D", "violence"),
                (700, "8L", "violence"),
                (300, "28E", "theft"),
                (45, "56B", "criminal_damage"),
            ],
        ),
        "dyer": create_offender(
            agency=police,
            by=police_admin,
            reference="ID",
            date_of_birth="1993-04-04",
            surname="Dyer",
            offences=[(200, "45", "theft"), (100, "805", "summary_motoring")],
        ),
    }
    made = {
        "archer": create_membership(by=iom_supervisor, person=people["archer"], scheme=ppo_scheme, on=ago(400)),
        "archer_hccu": create_membership(by=iom_supervisor, person=people["archer"], scheme=hccu_scheme, on=ago(300)),
        "baker": create_membership(by=iom_supervisor, person=people["baker"], scheme=ppo_scheme, on=ago(200)),
        "carter": create_membership(by=iom_supervisor, person=people["carter"], scheme=ppo_scheme, on=ago(800)),
        "dyer": create_membership(by=iom_supervisor, person=people["dyer"], scheme=hccu_scheme, on=ago(30)),
    }
    cohort.deselect(by=iom_supervisor, membership=made["carter"], reason="Moved out of the area", on=ago(100))
    return {"people": people, "memberships": made}


# A direct query of the database, written without the ORM or `impact`: the windows are computed
# from the adoption date and the day of the figures, then counted in SQL with date parameters.


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _sql_windows(adopted_on: dt.date, as_of: dt.date) -> list[tuple[str, dt.date, dt.date, bool]]:
    found = [("before", adopted_on - dt.timedelta(days=365), adopted_on, True)]
    k = 1
    while adopted_on + dt.timedelta(days=365 * (k - 1)) <= as_of:
        end = adopted_on + dt.timedelta(days=365 * k)
        found.append((f"year{k}", adopted_on + dt.timedelta(days=365 * (k - 1)), end, end <= as_of))
        k += 1
    return found


def _sql_offences(cursor: Any, person_id: Any, start: dt.date, end: dt.date, as_of: dt.date) -> list[str]:
    """Codes of the person's offences committed in [start, end), not after as_of, proven by as_of."""
    outcomes = sorted(PROVING_OUTCOMES)
    marks = ", ".join(["%s"] * len(outcomes))
    cursor.execute(
        f"""SELECT o.offence_code FROM offending_offence o
            WHERE o.person_id = %s AND o.offence_date >= %s AND o.offence_date < %s AND o.offence_date <= %s
              AND EXISTS (SELECT 1 FROM offending_offenceoutcome r
                          WHERE r.offence_id = o.id AND r.outcome IN ({marks}) AND r.outcome_date <= %s)""",  # noqa: S608 (placeholders only)
        [person_id, start, end, as_of, *outcomes, as_of],
    )
    return [row[0] for row in cursor.fetchall()]


def _sql_costs(cursor: Any) -> dict[str, Any]:
    cursor.execute("SELECT costs FROM iom_unitcosttable ORDER BY version DESC")
    costs = cursor.fetchone()[0]
    return json.loads(costs) if isinstance(costs, str) else costs


def _price(codes: list[str], costs: dict[str, Any]) -> Decimal:
    return sum(
        (
            Decimal(str(costs[unit_costs.OFFENCE_CATEGORIES[c]]))
            for c in codes
            if unit_costs.OFFENCE_CATEGORIES.get(c) in costs
        ),
        Decimal(0),
    )


def _direct(as_of: dt.date, scheme_code: str | None = None) -> dict[str, Any]:
    with connection.cursor() as cursor:
        costs = _sql_costs(cursor)
        sql = """SELECT m.person_id, m.adopted_on, m.ended_on FROM iom_membership m
                 JOIN iom_scheme s ON s.id = m.scheme_id WHERE m.adopted_on <= %s"""
        params: list[Any] = [as_of]
        if scheme_code:
            sql += " AND s.code = %s"
            params.append(scheme_code)
        cursor.execute(sql, params)
        members = cursor.fetchall()
        year_ago = as_of - dt.timedelta(days=365)
        totals: dict[str, Any] = {
            "memberships": len(members),
            "people_now": len({p for p, a, e in members if _date(a) <= as_of and (e is None or _date(e) > as_of)}),
            "adopted": sum(1 for _, a, _ in members if year_ago < _date(a) <= as_of),
            "exited": sum(1 for _, _, e in members if e is not None and year_ago < _date(e) <= as_of),
            "before": 0,
            "before_cost": Decimal(0),
            "years": {},
            "part_members": 0,
            "part_offences": 0,
            "not_costed": 0,
        }
        for person_id, adopted_on, _ in members:
            windows = _sql_windows(_date(adopted_on), as_of)
            before_codes = _sql_offences(cursor, person_id, windows[0][1], windows[0][2], as_of)
            totals["before"] += len(before_codes)
            totals["before_cost"] += _price(before_codes, costs)
            every = list(before_codes)
            for k, (_, start, end, complete) in enumerate(windows[1:], start=1):
                codes = _sql_offences(cursor, person_id, start, end, as_of)
                every += codes
                if complete:
                    row = totals["years"].setdefault(k, [0, 0, 0, Decimal(0), Decimal(0)])
                    row[0] += 1
                    row[1] += len(before_codes)
                    row[2] += len(codes)
                    row[3] += _price(before_codes, costs)
                    row[4] += _price(codes, costs)
                else:
                    totals["part_members"] += 1
                    totals["part_offences"] += len(codes)
            totals["not_costed"] += sum(1 for c in every if unit_costs.OFFENCE_CATEGORIES.get(c) not in costs)
    return totals


def _assert_matches(totals: impact.Totals, direct: dict[str, Any]) -> None:
    assert totals.memberships == direct["memberships"]
    assert totals.people_now == direct["people_now"]
    assert totals.adopted_last_year == direct["adopted"]
    assert totals.exited_last_year == direct["exited"]
    assert totals.offences_before == direct["before"]
    assert totals.cost_before == direct["before_cost"]
    assert {
        r.year: [r.members, r.offences_before, r.offences_after, r.cost_before, r.cost_after] for r in totals.years
    } == direct["years"]
    assert totals.part_year_members == direct["part_members"]
    assert totals.part_year_offences == direct["part_offences"]
    assert sum(totals.not_costed.values()) == direct["not_costed"]  # type: ignore[arg-type]
    if direct["years"]:
        first = direct["years"][1]
        assert totals.avoided == first[3] - first[4]


def test_the_before_and_after_figures_for_a_cohort_match_a_direct_query(
    iom_supervisor: Any, cohort_members: dict, ppo_scheme: Any
) -> None:
    result = impact.cohort_impact(iom_supervisor)
    direct = _direct(TODAY())
    _assert_matches(result.overall, direct)
    # The cohort is not trivial: offences on both sides, complete years, a part-year, uncosted ones.
    assert direct["before"] > 0 and direct["years"] and direct["part_members"] > 0 and direct["not_costed"] > 0
    assert {t.scheme.code: t.memberships for t in result.schemes} == {"hccu": 2, "ppo": 3}
    for totals in result.schemes:
        _assert_matches(totals, _direct(TODAY(), totals.scheme.code))
    # Archer is in two schemes but managed once.
    assert result.overall.people_now == 3
    # And on an earlier day, when less had happened and been proven.
    earlier = TODAY() - dt.timedelta(days=90)
    _assert_matches(impact.cohort_impact(iom_supervisor, as_of=earlier).overall, _direct(earlier))
    only_ppo = impact.cohort_impact(iom_supervisor, scheme=ppo_scheme)
    _assert_matches(only_ppo.overall, _direct(TODAY(), "ppo"))


def test_the_score_change_compares_the_same_configuration_version(iom_supervisor: Any, cohort_members: dict) -> None:
    membership = cohort_members["memberships"]["baker"]
    # A new configuration that weighs everything far more does not move the change.
    config = dict(membership.config.config, points_per_offence=500)
    cohort.config_save(by=iom_supervisor, config=config, note="Frequency matters more")
    found = impact.member_impact(membership)
    assert found is not None and found.config_version == 1
    expected = cohort.person_score(membership.person, config=membership.config)
    assert found.score_now == Decimal(str(expected.total))
    assert found.score_change == found.score_now - membership.score_at_adoption


def test_unproven_offences_and_those_proven_after_the_day_do_not_count(
    police: Any, police_admin: Any, iom_supervisor: Any, ppo_scheme: Any
) -> None:
    person = create_offender(
        agency=police,
        by=police_admin,
        reference="U1",
        offences=[(300, "8N", "violence"), (200, "8N", "violence"), (20, "8N", "violence")],
        proven_after_days=60,
    )
    membership = create_membership(by=iom_supervisor, person=person, scheme=ppo_scheme, on=ago(250))
    now = impact.member_impact(membership)
    assert now is not None
    # 300 days ago is before adoption; 200 days ago after (proven 140 days ago); 20 days ago not yet proven.
    assert (now.before.offences, now.after[0].offences) == (1, 1)
    # 150 days ago, the offence of 200 days ago was committed but not proven until 10 days later.
    then = impact.member_impact(membership, as_of=ago(150))
    assert then is not None and (then.before.offences, then.after[0].offences) == (1, 0)
    assert then.after[0].label.startswith("Year 1 so far") and not then.after[0].complete
    # Adopted after the day of the figures: nothing to show.
    assert impact.member_impact(membership, as_of=ago(260)) is None


def test_costs_use_the_table_and_uncosted_offences_never_add_pounds(
    police: Any, police_admin: Any, iom_supervisor: Any, ppo_scheme: Any
) -> None:
    person = create_offender(
        agency=police,
        by=police_admin,
        reference="C1",
        offences=[(500, "28E", "theft"), (480, "46", "theft"), (470, "46", "theft"), (460, "92D", "drugs")],
    )
    membership = create_membership(by=iom_supervisor, person=person, scheme=ppo_scheme, on=ago(400))
    found = impact.member_impact(membership)
    assert found is not None
    table = unit_costs.table_current()
    assert found.before.offences == 4
    assert found.before.cost == Decimal(str(table.costs["domestic_burglary"]))
    assert dict(found.not_costed) == {"46": 2, "92D": 1}
    assert found.avoided == found.before.cost - found.after[0].cost == found.before.cost
    html = Template("{% load iom_impact %}{% member_impact membership %}").render(
        Context({"membership": membership, "request": None})
    )
    assert "Is it working?" in html and "46 Shoplifting (2)" in html and "version 1" in html


def test_a_new_unit_cost_version_changes_the_cost_and_is_recorded(
    police: Any, police_admin: Any, iom_supervisor: Any, ppo_scheme: Any
) -> None:
    person = create_offender(agency=police, by=police_admin, reference="V1", offences=[(500, "28E", "theft")])
    create_membership(by=iom_supervisor, person=person, scheme=ppo_scheme, on=ago(400))
    first = impact.cohort_impact(iom_supervisor)
    assert first.table.version == 1 and first.overall.cost_before == unit_costs.DEFAULT_COSTS["domestic_burglary"]
    costs = dict(unit_costs.table_current().costs, domestic_burglary=6500.50)
    saved = unit_costs.table_save(by=iom_supervisor, costs=costs, source="Uprated to 2024/25 prices", note="Uprated")
    second = impact.cohort_impact(iom_supervisor)
    assert second.table.version == saved.version == 2
    assert second.overall.cost_before == Decimal("6500.5")
    assert AuditEvent.objects.filter(object_type="iom_unit_costs", object_id=str(saved.pk), action="create").exists()
    # Leaving a category out leaves its offences not costed.
    costs.pop("domestic_burglary")
    unit_costs.table_save(by=iom_supervisor, costs=costs, source="Local", note="Burglary under review")
    third = impact.cohort_impact(iom_supervisor)
    assert third.overall.cost_before == 0 and third.overall.not_costed == {"28E": 1}


@pytest.mark.parametrize(
    ("costs", "field"),
    [
        ({"robbery": -1}, "robbery"),
        ({"burglary_of_a_castle": 10}, "burglary_of_a_castle"),
        ({"robbery": True}, "robbery"),
        ({"robbery": "lots"}, "robbery"),
        ({}, "costs"),
    ],
)
def test_a_bad_unit_cost_table_is_refused_naming_the_category(iom_supervisor: Any, costs: dict, field: str) -> None:
    unit_costs.table_current()
    with pytest.raises(ValidationError) as error:
        unit_costs.table_save(by=iom_supervisor, costs=costs, source="x", note="y")
    assert any(p.startswith(f"{field}:") for p in error.value.message_dict["costs"])
    assert UnitCostTable.objects.count() == 1


def test_only_supervisors_and_administrators_keep_the_unit_costs(officer: Any, police_admin: Any) -> None:
    with pytest.raises(PermissionDenied):
        unit_costs.table_save(by=officer, costs={"robbery": 1}, source="x", note="y")
    assert unit_costs.table_save(by=police_admin, costs={"robbery": 1}, source="x", note="y").version == 2


def test_every_mapped_offence_code_has_a_published_category() -> None:
    assert set(unit_costs.OFFENCE_CATEGORIES.values()) <= set(unit_costs.DEFAULT_COSTS)
    assert "46 Shoplifting" in unit_costs.not_costed_offence_types()


def test_an_analyst_sees_suppressed_totals_and_never_a_name(
    analyst: Any, iom_supervisor: Any, cohort_members: dict
) -> None:
    result = impact.cohort_impact(analyst)
    assert result.suppressed and result.members == []
    # Five memberships: shown; three people now: fewer than five, hidden.
    assert result.overall.memberships == 5 and result.overall.people_now is None
    hccu = next(t for t in result.schemes if t.scheme.code == "hccu")
    assert hccu.memberships is None and hccu.mean_score_at_adoption is None
    response = signed_in_client(analyst).get(reverse("iom:figures"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "fewer than 5" in page and 'id="suppressed"' in page
    # The performance framework compares the cohort with everyone else, by scheme.
    assert 'id="framework-link"' in page and "by=scheme" in page
    for surname in ("Archer", "Baker", "Carter", "Dyer"):
        assert surname not in page
    assert AuditEvent.objects.filter(username=analyst.username, object_type="iom_figures").exists()


def test_a_worker_sees_the_figures_and_the_members_they_may_see(
    iom_supervisor: Any, housing_worker: Any, cohort_members: dict, hccu_scheme: Any
) -> None:
    page = signed_in_client(iom_supervisor).get(reverse("iom:figures")).content.decode()
    assert "Archer" in page and "Estimated cost of crime avoided" in page and "not the effect of IOM" in page
    only = signed_in_client(iom_supervisor).get(reverse("iom:figures"), {"scheme": "hccu"}).content.decode()
    assert "Dyer" in only and "Baker" not in only
    # A worker at an agency that knows none of them sees no one.
    elsewhere = impact.cohort_impact(housing_worker)
    assert elsewhere.overall.memberships == 0 and elsewhere.members == []


def test_someone_who_neither_works_iom_nor_analyses_is_refused(opcc: Any, make_user: Any) -> None:
    clerk = make_user("clerk", opcc, Role.CASEWORKER)
    assert signed_in_client(clerk).get(reverse("iom:figures")).status_code == 403
    assert signed_in_client(clerk).get(reverse("iom:unit-costs")).status_code == 403
    with pytest.raises(PermissionDenied):
        impact.cohort_impact(clerk)


def test_the_unit_costs_page_shows_the_table_and_a_supervisor_saves_a_version(
    iom_supervisor: Any, officer: Any
) -> None:
    client = signed_in_client(iom_supervisor)
    page = client.get(reverse("iom:unit-costs")).content.decode()
    assert "£3,217,740" in page and "To be checked against the report" in page and "46 Shoplifting" in page
    data = {c.code: str(c.published) for c in unit_costs.CATEGORIES}
    bad = client.post(reverse("iom:unit-costs"), {**data, "robbery": "-5", "source": "RR99", "note": "Check"})
    assert bad.status_code == 400 and "The cost of robbery cannot be negative" in bad.content.decode()
    assert UnitCostTable.objects.count() == 1
    data.pop("cyber_crime")
    response = client.post(
        reverse("iom:unit-costs"), {**data, "cyber_crime": "", "robbery": "12000", "source": "RR99", "note": "Local"}
    )
    assert response.status_code == 302
    saved = unit_costs.table_current()
    assert saved.version == 2 and saved.costs["robbery"] == 12000 and "cyber_crime" not in saved.costs
    # An officer reads the table but cannot change it.
    constable = signed_in_client(officer)
    assert "Save a new version" not in constable.get(reverse("iom:unit-costs")).content.decode()
    assert constable.post(reverse("iom:unit-costs"), {**data, "source": "x", "note": "y"}).status_code == 403


def test_the_iom_cohort_is_a_scheme_in_the_performance_framework(
    reoffending_cohort: Any, iom_supervisor: Any, ppo_scheme: Any, analyst: Any
) -> None:
    from pathways.analytics.engines import DuckDBEngine
    from pathways.analytics.measures import PRESETS
    from pathways.analytics.selectors import _signature
    from pathways.analytics.sources import service_extract
    from pathways.people.models import Person

    before = _signature(analyst, "performance_analysis")
    member = Person.objects.get(surname="Carter")
    create_membership(by=iom_supervisor, person=member, scheme=ppo_scheme)
    assert _signature(analyst, "performance_analysis") != before
    extract = service_extract(analyst)
    assert list(extract.frames["schemes"].itertuples(index=False, name=None)) == [(str(member.pk), "iom_ppo")]
    engine = DuckDBEngine()
    engine.load_frames(extract.frames)
    result = engine.reoffending(PRESETS["moj"], start=dt.date(2023, 1, 1), end=dt.date(2023, 3, 31), by=["scheme"])
    assert {group: f.cohort for group, f in result.breakdowns["scheme"]} == {"iom_ppo": 1, "none": 11}


# Properties of the windows and the cost avoided ------------------------------------------------

TABLE = SimpleNamespace(costs=unit_costs.DEFAULT_COSTS, version=1)
CODES = st.sampled_from(["28E", "8N", "46", "92A", "34B", "58A", "1"])
OFFENCES = st.lists(st.tuples(st.integers(min_value=0, max_value=1500), CODES), max_size=12)


@settings(max_examples=200, deadline=None)
@given(
    adopted_days_ago=st.integers(min_value=0, max_value=1200),
    offences=OFFENCES,
    extra_days_after=st.integers(min_value=0, max_value=1200),
    extra_code=CODES,
)
def test_a_proven_offence_after_adoption_never_lowers_the_after_count_nor_raises_the_cost_avoided(
    adopted_days_ago: int, offences: list[tuple[int, str]], extra_days_after: int, extra_code: str
) -> None:
    as_of = dt.date(2026, 6, 30)
    adopted = as_of - dt.timedelta(days=adopted_days_ago)
    dated = [(as_of - dt.timedelta(days=d), code) for d, code in offences]
    extra = min(adopted + dt.timedelta(days=extra_days_after), as_of)
    before, after = impact.place(adopted, as_of, dated, TABLE)
    before2, after2 = impact.place(adopted, as_of, [*dated, (extra, extra_code)], TABLE)
    assert before2.offences == before.offences and before2.cost == before.cost
    assert sum(w.offences for w in after2) == sum(w.offences for w in after) + 1
    assert all(w2.offences >= w.offences and w2.cost >= w.cost for w, w2 in zip(after, after2, strict=True))
    if after and after[0].complete:
        assert before2.cost - after2[0].cost <= before.cost - after[0].cost
    # Every offence from a year before adoption to the day is in exactly one window.
    counted = sum(1 for d, _ in dated if adopted - dt.timedelta(days=365) <= d <= as_of)
    assert before.offences + sum(w.offences for w in after) == counted
