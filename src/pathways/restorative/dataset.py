"""The quarterly return of a restorative justice service: one standard definition of every figure,
so that the page, the CSV, the API and the commissioner all count the same things.

A quarter is a calendar quarter written `YYYY-Qn` (Q1 January–March … Q4 October–December);
"in the period" means on or after its first day and on or before its last. Every figure is about
the cases of one service (`Case.service`).

Measures (the `measure` column; `breakdown` is `all` or the code named):

- `referrals_received` (all), `referrals_by_source` (each `Source`), `referrals_by_stage` (each
  `Stage`): cases whose `referred_on` is in the period. Every source and stage is shown, zeros too.
- `victims_on_referrals`, `victims_offered`, `victims_offered_proportion` (all): victim parties of
  cases referred in the period; of them, those offered restorative justice — spoken to (a contact
  attempt whose result is "spoke", at any date) or with any consent record; offered / victims.
- `consent_given`, `consent_declined`, `consent_rate` (each party role): parties whose *first*
  consent decision was recorded in the period, given or declined; rate = given / (given +
  declined). `consent_withdrawn` (each role): parties with a withdrawal recorded in the period.
- `cases_accepted`, `accepted_with_meeting_held`, `conversion_rate` (all): cases accepted
  (`accepted_on`) in the period; of them, those with a meeting held (at any date); the proportion.
- `interventions_delivered` (all, and each `Intervention`): cases whose *first* held meeting
  (status held, earliest `held_on`) was held in the period, by that meeting's intervention.
- `days_referral_to_meeting_median`, `days_referral_to_meeting_mean` (all): days from
  `referred_on` to that first held meeting, for the same cases (the mean rounded to two
  places). Blank when there are none.
- `agreements_made`, `agreements_completed` (all): outcome agreements with `made_on`, and with
  `completed_on`, in the period. `actions_done`, `actions_not_done` (all): agreement actions
  finished (`finished_on`) in the period with that status.
- `surveys_completed`, `surveys_satisfied` (each party role): surveys completed in the period;
  of them, those rating satisfaction 4 or 5. `satisfied_proportion`, `felt_safe_proportion`,
  `would_recommend_proportion` (each role): out of those who answered that question.
- `cases_closed` (all, and each `ClosureReason`, plus `not_recorded` when a case closed without
  one): cases whose `closed_on` is in the period.

Rates and proportions are between 0 and 1 (rounded to four places), blank when nothing is
behind them. Nothing is suppressed: the return is for the service and its commissioner. Anyone
publishing it should suppress small numbers first.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import statistics
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from pathways.access.models import AuditEvent
from pathways.access.policies import Purpose, sharing_view
from pathways.access.services import audit_record
from pathways.accounts.models import Agency, AgencyKind, User
from pathways.accounts.models import Role as AccountRole
from pathways.restorative.models import (
    Agreement,
    AgreementAction,
    Case,
    ConsentRecord,
    ContactAttempt,
    Meeting,
    Party,
    Survey,
)
from pathways.restorative.policies import can_coordinate, can_see_rj_dataset
from pathways.restorative.reference import (
    ActionStatus,
    ClosureReason,
    ConsentStatus,
    ContactResult,
    Intervention,
    MeetingStatus,
    Role,
    Source,
    Stage,
)
from pathways.sharing.reference import Category

QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
ALL = "all"
Value = int | float | None
# The CSV contract (docs/restorative-justice.md): these columns, in this order.
CSV_COLUMNS = ["service", "quarter", "measure", "breakdown", "value"]


class QuarterError(ValueError):
    """A quarter not written as YYYY-Qn."""


def quarter_bounds(quarter: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a calendar quarter written `YYYY-Qn`, e.g. "2026-Q3"."""
    found = QUARTER.match(str(quarter).strip().upper())
    if not found:
        raise QuarterError(f"'{quarter}' is not a quarter: write it as the year, '-Q' and 1 to 4, e.g. 2026-Q3")
    year, number = int(found[1]), int(found[2])
    if year < 1900:
        raise QuarterError(f"'{quarter}': the year must be 1900 or later")
    start = dt.date(year, 3 * number - 2, 1)
    end = dt.date(year, 12, 31) if number == 4 else dt.date(year, 3 * number + 1, 1) - dt.timedelta(days=1)
    return start, end


def quarter_of(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def last_complete_quarter(today: dt.date) -> str:
    """The latest quarter that has ended by `today` (the one before today's)."""
    start, _ = quarter_bounds(quarter_of(today))
    return quarter_of(start - dt.timedelta(days=1))


def proportion(part: int, whole: int) -> float | None:
    return None if not whole else round(part / whole, 4)


@dataclass
class Return:
    """One service's figures for one period; `rows()` is the standard (measure, breakdown, value) form."""

    service: Agency
    start: dt.date
    end: dt.date
    referrals_by_source: dict[str, int] = field(default_factory=dict)
    referrals_by_stage: dict[str, int] = field(default_factory=dict)
    victims_on_referrals: int = 0
    victims_offered: int = 0
    consent: dict[str, dict[str, int]] = field(default_factory=dict)  # role -> given/declined/withdrawn
    cases_accepted: int = 0
    accepted_with_meeting_held: int = 0
    interventions: dict[str, int] = field(default_factory=dict)
    days_to_meeting: list[int] = field(default_factory=list)
    agreements_made: int = 0
    agreements_completed: int = 0
    actions_done: int = 0
    actions_not_done: int = 0
    surveys: dict[str, dict[str, int]] = field(default_factory=dict)  # role -> counts
    closures: dict[str, int] = field(default_factory=dict)

    @property
    def referrals_received(self) -> int:
        return sum(self.referrals_by_source.values())

    @property
    def victims_offered_proportion(self) -> float | None:
        return proportion(self.victims_offered, self.victims_on_referrals)

    @property
    def conversion_rate(self) -> float | None:
        return proportion(self.accepted_with_meeting_held, self.cases_accepted)

    @property
    def interventions_delivered(self) -> int:
        return sum(self.interventions.values())

    @property
    def days_median(self) -> float | None:
        return float(statistics.median(self.days_to_meeting)) if self.days_to_meeting else None

    @property
    def days_mean(self) -> float | None:
        return round(statistics.fmean(self.days_to_meeting), 2) if self.days_to_meeting else None

    @property
    def cases_closed(self) -> int:
        return sum(self.closures.values())

    def consent_rate(self, role: str) -> float | None:
        counts = self.consent[role]
        return proportion(counts["given"], counts["given"] + counts["declined"])

    def rows(self) -> list[tuple[str, str, Value]]:
        rows: list[tuple[str, str, Value]] = [("referrals_received", ALL, self.referrals_received)]
        rows += [("referrals_by_source", k, v) for k, v in self.referrals_by_source.items()]
        rows += [("referrals_by_stage", k, v) for k, v in self.referrals_by_stage.items()]
        rows += [
            ("victims_on_referrals", ALL, self.victims_on_referrals),
            ("victims_offered", ALL, self.victims_offered),
            ("victims_offered_proportion", ALL, self.victims_offered_proportion),
        ]
        for role, counts in self.consent.items():
            rows += [
                ("consent_given", role, counts["given"]),
                ("consent_declined", role, counts["declined"]),
                ("consent_rate", role, self.consent_rate(role)),
                ("consent_withdrawn", role, counts["withdrawn"]),
            ]
        rows += [
            ("cases_accepted", ALL, self.cases_accepted),
            ("accepted_with_meeting_held", ALL, self.accepted_with_meeting_held),
            ("conversion_rate", ALL, self.conversion_rate),
            ("interventions_delivered", ALL, self.interventions_delivered),
        ]
        rows += [("interventions_delivered", k, v) for k, v in self.interventions.items()]
        rows += [
            ("days_referral_to_meeting_median", ALL, self.days_median),
            ("days_referral_to_meeting_mean", ALL, self.days_mean),
            ("agreements_made", ALL, self.agreements_made),
            ("agreements_completed", ALL, self.agreements_completed),
            ("actions_done", ALL, self.actions_done),
            ("actions_not_done", ALL, self.actions_not_done),
        ]
        for role, s in self.surveys.items():
            rows += [
                ("surveys_completed", role, s["completed"]),
                ("surveys_satisfied", role, s["satisfied"]),
                ("satisfied_proportion", role, proportion(s["satisfied"], s["rated"])),
                ("felt_safe_proportion", role, proportion(s["safe"], s["safe_answered"])),
                ("would_recommend_proportion", role, proportion(s["recommend"], s["recommend_answered"])),
            ]
        rows.append(("cases_closed", ALL, self.cases_closed))
        rows += [("cases_closed", k, v) for k, v in self.closures.items()]
        return rows


def _counts(queryset, field_name: str, codes: list[str]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Counts by a field's value, every code shown (zeros too) in the order of its choices."""
    found = dict(queryset.order_by().values_list(field_name).annotate(n=Count("pk")).values_list(field_name, "n"))
    return {code: int(found.get(code, 0)) for code in codes}


def _first_held_meetings(cases):  # type: ignore[no-untyped-def]
    """Each case with the date and intervention of its first held meeting (None if it has none)."""
    first = Meeting.objects.filter(case=OuterRef("pk"), status=MeetingStatus.HELD, held_on__isnull=False).order_by(
        "held_on", "starts_at", "created_at"
    )
    return cases.annotate(
        first_held_on=Subquery(first.values("held_on")[:1]),
        first_intervention=Subquery(first.values("intervention")[:1]),
    )


def rj_return(service: Agency, start: dt.date, end: dt.date) -> Return:
    """The service's figures for the days from `start` to `end` inclusive (see the module's definitions)."""
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    cases = Case.objects.filter(service=service)
    referred = cases.filter(referred_on__range=(start, end))
    result = Return(service=service, start=start, end=end)
    result.referrals_by_source = _counts(referred, "source", Source.values)
    result.referrals_by_stage = _counts(referred, "stage", Stage.values)

    offered = Exists(ContactAttempt.objects.filter(party=OuterRef("pk"), result=ContactResult.SPOKE)) | Exists(
        ConsentRecord.objects.filter(party=OuterRef("pk"))
    )
    victims = Party.objects.filter(case__in=referred.values("pk"), role=Role.VICTIM)
    result.victims_on_referrals = victims.count()
    result.victims_offered = victims.filter(offered).count()

    parties = Party.objects.filter(case__service=service)
    first = ConsentRecord.objects.filter(party=OuterRef("pk"), status__in=[ConsentStatus.GIVEN, ConsentStatus.DECLINED])
    first = first.order_by("recorded_on", "created_at")
    decided = (
        parties.annotate(
            first_on=Subquery(first.values("recorded_on")[:1]), first_status=Subquery(first.values("status")[:1])
        )
        .filter(first_on__range=(start, end))
        .order_by()
        .values_list("role", "first_status")
        .annotate(n=Count("pk"))
    )
    decisions = {(role, status): n for role, status, n in decided}
    withdrawn = dict(
        parties.filter(consents__status=ConsentStatus.WITHDRAWN, consents__recorded_on__range=(start, end))
        .order_by()
        .values_list("role")
        .annotate(n=Count("pk", distinct=True))
        .values_list("role", "n")
    )
    result.consent = {
        role: {
            "given": decisions.get((role, ConsentStatus.GIVEN), 0),
            "declined": decisions.get((role, ConsentStatus.DECLINED), 0),
            "withdrawn": withdrawn.get(role, 0),
        }
        for role in Role.values
    }

    accepted = cases.filter(accepted_on__range=(start, end))
    result.cases_accepted = accepted.count()
    result.accepted_with_meeting_held = accepted.filter(
        Exists(Meeting.objects.filter(case=OuterRef("pk"), status=MeetingStatus.HELD))
    ).count()

    delivered = _first_held_meetings(cases).filter(first_held_on__range=(start, end))
    result.interventions = _counts(delivered, "first_intervention", Intervention.values)
    # The quarter's cases only: few enough to take the median here, the same on every database.
    result.days_to_meeting = [
        (held - referred_on).days for referred_on, held in delivered.values_list("referred_on", "first_held_on")
    ]

    agreements = Agreement.objects.filter(case__service=service)
    result.agreements_made = agreements.filter(made_on__range=(start, end)).count()
    result.agreements_completed = agreements.filter(completed_on__range=(start, end)).count()
    finished = AgreementAction.objects.filter(agreement__case__service=service, finished_on__range=(start, end))
    counted = finished.aggregate(
        done=Count("pk", filter=Q(status=ActionStatus.DONE)),
        not_done=Count("pk", filter=Q(status=ActionStatus.NOT_DONE)),
    )
    result.actions_done, result.actions_not_done = counted["done"], counted["not_done"]

    surveys = {
        row["party__role"]: row
        for row in Survey.objects.filter(case__service=service, completed_on__range=(start, end))
        .order_by()
        .values("party__role")
        .annotate(
            completed=Count("pk"),
            satisfied=Count("pk", filter=Q(satisfaction__gte=4)),
            rated=Count("pk", filter=Q(satisfaction__isnull=False)),
            safe=Count("pk", filter=Q(felt_safe=True)),
            safe_answered=Count("pk", filter=Q(felt_safe__isnull=False)),
            recommend=Count("pk", filter=Q(would_recommend=True)),
            recommend_answered=Count("pk", filter=Q(would_recommend__isnull=False)),
        )
    }
    keys = ["completed", "satisfied", "rated", "safe", "safe_answered", "recommend"]
    keys.append("recommend_answered")
    result.surveys = {role: {k: int(surveys.get(role, {}).get(k, 0)) for k in keys} for role in Role.values}

    closed = cases.filter(closed_on__range=(start, end))
    result.closures = _counts(closed, "closure_reason", ClosureReason.values)
    unrecorded = closed.filter(closure_reason="").count()
    if unrecorded:
        result.closures["not_recorded"] = unrecorded
    return result


def csv_text(result: Return, quarter: str) -> str:
    """The return in the CSV contract: `service,quarter,measure,breakdown,value`; blank for no value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for measure, breakdown, value in result.rows():
        writer.writerow([result.service.code, quarter, measure, breakdown, "" if value is None else value])
    return out.getvalue()


# How the page names each measure and breakdown code.
MEASURES: dict[str, str] = {
    "referrals_received": "Referrals received",
    "referrals_by_source": "Referrals by source",
    "referrals_by_stage": "Referrals by stage",
    "victims_on_referrals": "Victims on the referrals received",
    "victims_offered": "Victims offered restorative justice",
    "victims_offered_proportion": "Proportion of victims offered restorative justice",
    "consent_given": "Consent given (first decision)",
    "consent_declined": "Consent declined (first decision)",
    "consent_rate": "Consent rate",
    "consent_withdrawn": "Consent withdrawn",
    "cases_accepted": "Cases accepted",
    "accepted_with_meeting_held": "Accepted cases with a meeting held",
    "conversion_rate": "Conversion rate",
    "interventions_delivered": "Restorative interventions delivered",
    "days_referral_to_meeting_median": "Median days from referral to meeting",
    "days_referral_to_meeting_mean": "Mean days from referral to meeting",
    "agreements_made": "Outcome agreements made",
    "agreements_completed": "Outcome agreements completed",
    "actions_done": "Agreement actions done",
    "actions_not_done": "Agreement actions not done",
    "surveys_completed": "Satisfaction surveys completed",
    "surveys_satisfied": "Satisfied (4 or 5 out of 5)",
    "satisfied_proportion": "Proportion satisfied",
    "felt_safe_proportion": "Proportion who felt safe",
    "would_recommend_proportion": "Proportion who would recommend it",
    "cases_closed": "Cases closed",
}
_CODES: dict[str, dict[str, str]] = {
    "referrals_by_source": dict(Source.choices),
    "referrals_by_stage": dict(Stage.choices),
    "interventions_delivered": dict(Intervention.choices),
    "cases_closed": {**dict(ClosureReason.choices), "not_recorded": "No reason recorded"},
}


def breakdown_label(measure: str, code: str) -> str:
    if code == ALL:
        return "All"
    return _CODES.get(measure, dict(Role.choices)).get(code, code)


RATES = {m for m in MEASURES if m.endswith(("_proportion", "_rate"))}


def services_for(user: User) -> QuerySet[Agency]:
    """The services whose return this user may see: a co-ordinator, their own; an analyst, each
    RJ service whose outcomes the agreements share with their agency for performance analysis.
    A sharing that needs each person's consent does not open a whole service's figures."""
    if not can_see_rj_dataset(user):
        return Agency.objects.none()
    allowed = Q(pk=user.agency_id) if can_coordinate(user) else Q(pk__in=[])
    if user.has_role(AccountRole.ANALYST):
        shared = sharing_view(user, Purpose.PERFORMANCE_ANALYSIS).sources.get(Category.OUTCOMES, {})
        allowed |= Q(pk__in=[agency_id for agency_id, consent_only in shared.items() if not consent_only])
    return Agency.objects.filter(allowed, kind=AgencyKind.RJ_SERVICE).order_by("name")


def return_seen(*, user: User, service: Agency, quarter: str, export: bool, via: str = "web") -> None:
    """Audit a look at (or a download of) a service's return: aggregate, so no person is named."""
    audit_record(
        user=user,
        action=AuditEvent.Action.EXPORT if export else AuditEvent.Action.READ,
        object_type="rj_dataset",
        object_id=service.code,
        purpose=Purpose.PERFORMANCE_ANALYSIS,
        detail={"quarter": quarter},
        via=via,
    )


__all__ = [
    "CSV_COLUMNS",
    "QuarterError",
    "Return",
    "last_complete_quarter",
    "quarter_bounds",
    "return_seen",
    "rj_return",
    "services_for",
]
