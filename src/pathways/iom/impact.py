"""Is IOM working? Each member's proven offending before and after adoption, the change in their
score, and the cost of that offending — for one member, and summed over a cohort.

The windows, for a membership adopted on day A and figures computed on day T (`as_of`):

- **before** = the 365 days [A − 365, A): the year before adoption (the adoption day is "after");
- **year k after** = [A + 365(k − 1), A + 365k), for k = 1, 2, … Year k is *complete* when
  A + 365k ≤ T; the year T falls in is the *current part-year*, shown as such and never
  compared with a whole year.

An offence counts in a window if it was committed in it and, by T, proven (an outcome in
`offending.reference.PROVING_OUTCOMES` dated on or before T). So an offence not yet proven — or
proven only after T — does not count, and figures for a past T do not change as courts catch up.
The windows run on after a member leaves the cohort: reoffending after exit is part of the answer.

Each offence is priced with the unit-cost table (`iom.unit_costs`); an offence with no published
unit cost adds to "not costed" and never to the pounds. The **cost of crime avoided** is the cost
of the year before minus the cost of the first year after, only for members adopted at least a
year ago. It is an estimate, not the effect of IOM: there is no comparison group, and people are
often adopted at a peak of their offending, so some fall would be expected anyway (regression to
the mean). The performance framework's `scheme` breakdown compares the cohort with everyone else.

Workers see the memberships of people they may see. Analysts see totals over every membership,
with counts from one to four suppressed, and never a name.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Min, Q
from django.utils import timezone

from pathways.accounts.models import User
from pathways.iom import scoring, unit_costs
from pathways.iom.cost_models import UnitCostTable
from pathways.iom.models import Membership, Scheme
from pathways.iom.policies import can_see_iom_figures, can_work_iom
from pathways.iom.selectors import memberships_visible_to
from pathways.offending.reference import PROVING_OUTCOMES

YEAR = dt.timedelta(days=365)
SMALL = 5  # counts from 1 to SMALL − 1 are suppressed for analysts
ZERO = Decimal("0")


@dataclass
class Window:
    """Proven offences committed in [start, end), and what they cost."""

    label: str
    start: dt.date
    end: dt.date
    complete: bool = True
    offences: int = 0
    cost: Decimal = ZERO
    not_costed: Counter[str] = field(default_factory=Counter)  # offence code → offences

    @property
    def not_costed_count(self) -> int:
        return sum(self.not_costed.values())

    def add(self, code: str, table: UnitCostTable) -> None:
        self.offences += 1
        price = unit_costs.cost_of(table, code)
        if price is None:
            self.not_costed[code] += 1
        else:
            self.cost += price


def windows(adopted_on: dt.date, as_of: dt.date) -> tuple[Window, list[Window]]:
    """The year before adoption and each year since (the last one a part-year unless complete)."""
    before = Window("The year before adoption", adopted_on - YEAR, adopted_on)
    after = []
    k = 1
    while adopted_on + YEAR * (k - 1) <= as_of:
        start, end = adopted_on + YEAR * (k - 1), adopted_on + YEAR * k
        complete = end <= as_of
        days = (as_of - start).days + 1
        label = f"Year {k} after adoption" if complete else f"Year {k} so far ({days} day{'s' if days != 1 else ''})"
        after.append(Window(label, start, end, complete))
        k += 1
    return before, after


def place(
    adopted_on: dt.date, as_of: dt.date, offences: list[tuple[dt.date, str]], table: Any
) -> tuple[Window, list[Window]]:
    """Count and price proven offences `(committed on, code)` into the windows; offences outside
    every window (older than a year before adoption, or after `as_of`) are left out."""
    before, after = windows(adopted_on, as_of)
    for date, code in offences:
        if date > as_of:
            continue
        for window in (before, *after):
            if window.start <= date < window.end:
                window.add(code, table)
                break
    return before, after


@dataclass
class MemberImpact:
    membership: Membership
    as_of: dt.date
    table: UnitCostTable
    before: Window
    after: list[Window]
    score_at_adoption: Decimal
    score_now: Decimal
    config_version: int

    @property
    def score_change(self) -> Decimal:
        return self.score_now - self.score_at_adoption

    @property
    def first_year(self) -> Window | None:
        return self.after[0] if self.after and self.after[0].complete else None

    @property
    def avoided(self) -> Decimal | None:
        """Cost before minus cost in the first year after; None until that year is complete."""
        first = self.first_year
        return None if first is None else self.before.cost - first.cost

    @property
    def not_costed(self) -> dict[str, int]:
        """Offences counted but not costed, by offence code (a plain dict, so templates can read it)."""
        total: Counter[str] = Counter(self.before.not_costed)
        for window in self.after:
            total.update(window.not_costed)
        return dict(sorted(total.items()))


def _proven_offences(person_ids: list[Any], since: dt.date, as_of: dt.date) -> dict[Any, list[tuple[dt.date, str]]]:
    """Each person's offences committed from `since` to `as_of` and proven by `as_of`."""
    from pathways.offending.models import Offence

    proving = Q(outcomes__outcome__in=sorted(PROVING_OUTCOMES), outcomes__outcome_date__lte=as_of)
    rows = (
        Offence.objects.filter(person_id__in=person_ids, offence_date__gte=since, offence_date__lte=as_of)
        .annotate(proven_on=Min("outcomes__outcome_date", filter=proving))
        .filter(proven_on__isnull=False)
        .order_by()
        .values_list("person_id", "offence_date", "offence_code")
    )
    found: dict[Any, list[tuple[dt.date, str]]] = {}
    for person_id, date, code in rows:
        found.setdefault(person_id, []).append((date, code))
    return found


def _scores_now(memberships: list[Membership], as_of: dt.date) -> dict[Any, Decimal]:
    """Each membership's score on `as_of` under the configuration version it was adopted with,
    so the change measures the person, not a change of configuration."""
    by_config: dict[Any, list[Membership]] = {}
    for m in memberships:
        by_config.setdefault(m.config_id, []).append(m)
    found: dict[Any, Decimal] = {}
    for group in by_config.values():
        config = group[0].config.config
        offences = scoring.offences_for_scoring({m.person_id for m in group}, config, as_of)
        for m in group:
            found[m.pk] = Decimal(str(scoring.score(config, offences.get(m.person_id, []), as_of).total))
    return found


def _impacts(memberships: list[Membership], as_of: dt.date, table: UnitCostTable) -> list[MemberImpact]:
    if not memberships:
        return []
    earliest = min(m.adopted_on for m in memberships) - YEAR
    offences = _proven_offences(list({m.person_id for m in memberships}), earliest, as_of)
    scores = _scores_now(memberships, as_of)
    found = []
    for m in memberships:
        before, after = place(m.adopted_on, as_of, offences.get(m.person_id, []), table)
        found.append(
            MemberImpact(
                membership=m,
                as_of=as_of,
                table=table,
                before=before,
                after=after,
                score_at_adoption=m.score_at_adoption,
                score_now=scores[m.pk],
                config_version=m.config.version,
            )
        )
    return found


def member_impact(membership: Membership, *, as_of: dt.date | None = None) -> MemberImpact | None:
    """One member's before and after; None if they were adopted after `as_of`. The caller has
    already checked (and audited) that the user may see the membership."""
    as_of = as_of or timezone.localdate()
    if membership.adopted_on > as_of:
        return None
    [found] = _impacts([membership], as_of, unit_costs.table_current())
    return found


# The cohort -----------------------------------------------------------------------------------


@dataclass
class YearRow:
    """Members with a complete year k after adoption: their offending the year before adoption
    against year k, so each row compares the same people."""

    year: int
    members: int | None = 0
    offences_before: int | None = 0
    offences_after: int | None = 0
    cost_before: Decimal | None = ZERO
    cost_after: Decimal | None = ZERO

    @property
    def cost_change(self) -> Decimal | None:
        """Cost before minus cost after: positive is less harm. For year 1, the cost avoided."""
        if self.cost_before is None or self.cost_after is None:
            return None
        return self.cost_before - self.cost_after


@dataclass
class Totals:
    label: str
    scheme: Scheme | None
    people_now: int | None = 0
    adopted_last_year: int | None = 0
    exited_last_year: int | None = 0
    memberships: int | None = 0
    offences_before: int | None = 0
    cost_before: Decimal | None = ZERO
    years: list[YearRow] = field(default_factory=list)
    part_year_members: int | None = 0
    part_year_offences: int | None = 0
    part_year_cost: Decimal | None = ZERO
    mean_score_at_adoption: Decimal | None = None
    mean_score_now: Decimal | None = None
    not_costed: dict[str, int | None] = field(default_factory=dict)

    @property
    def first_year(self) -> YearRow | None:
        return self.years[0] if self.years else None

    @property
    def avoided(self) -> Decimal | None:
        first = self.first_year
        return None if first is None else first.cost_change

    @property
    def mean_score_change(self) -> Decimal | None:
        if self.mean_score_at_adoption is None or self.mean_score_now is None:
            return None
        return self.mean_score_now - self.mean_score_at_adoption


@dataclass
class CohortImpact:
    as_of: dt.date
    table: UnitCostTable
    overall: Totals
    schemes: list[Totals]
    suppressed: bool  # analysts' view: small counts hidden, no names
    members: list[MemberImpact] = field(default_factory=list)  # empty for analysts


def _open_on(m: Membership, day: dt.date) -> bool:
    return m.adopted_on <= day and (m.ended_on is None or m.ended_on > day)


def _mean(values: list[Decimal]) -> Decimal | None:
    return (sum(values, ZERO) / len(values)).quantize(Decimal("0.01")) if values else None


def _totals(
    label: str, scheme: Scheme | None, members: list[MemberImpact], all_memberships: list[Membership], as_of: dt.date
) -> Totals:
    year_ago = as_of - YEAR
    totals = Totals(
        label=label,
        scheme=scheme,
        # People, not memberships: someone in two schemes is managed once.
        people_now=len({m.person_id for m in all_memberships if _open_on(m, as_of)}),
        adopted_last_year=sum(1 for m in all_memberships if year_ago < m.adopted_on <= as_of),
        exited_last_year=sum(1 for m in all_memberships if m.ended_on and year_ago < m.ended_on <= as_of),
        memberships=len(members),
    )
    not_costed: Counter[str] = Counter()
    rows: dict[int, YearRow] = {}
    for impact in members:
        totals.offences_before += impact.before.offences  # type: ignore[operator]
        totals.cost_before += impact.before.cost  # type: ignore[operator]
        not_costed.update(impact.not_costed)
        for k, window in enumerate(impact.after, start=1):
            if window.complete:
                row = rows.setdefault(k, YearRow(k))
                row.members += 1  # type: ignore[operator]
                row.offences_before += impact.before.offences  # type: ignore[operator]
                row.cost_before += impact.before.cost  # type: ignore[operator]
                row.offences_after += window.offences  # type: ignore[operator]
                row.cost_after += window.cost  # type: ignore[operator]
            else:
                totals.part_year_members += 1  # type: ignore[operator]
                totals.part_year_offences += window.offences  # type: ignore[operator]
                totals.part_year_cost += window.cost  # type: ignore[operator]
    totals.years = [rows[k] for k in sorted(rows)]
    totals.mean_score_at_adoption = _mean([i.score_at_adoption for i in members])
    totals.mean_score_now = _mean([i.score_now for i in members])
    totals.not_costed = dict(sorted(not_costed.items()))
    return totals


def _small(n: int | None) -> bool:
    return n is not None and 0 < n < SMALL


def _hide(n: int | None) -> int | None:
    return None if _small(n) else n


def suppress(totals: Totals) -> Totals:
    """The analysts' view: any count from 1 to 4 is hidden, and so is every figure made from it
    (a cost of few offences, a mean of few people), so no one can be picked out."""
    few_members = _small(totals.memberships)
    years = [
        replace(
            row,
            members=_hide(row.members),
            offences_before=_hide(row.offences_before),
            offences_after=_hide(row.offences_after),
            cost_before=None if _small(row.members) or _small(row.offences_before) else row.cost_before,
            cost_after=None if _small(row.members) or _small(row.offences_after) else row.cost_after,
        )
        for row in totals.years
    ]
    return replace(
        totals,
        people_now=_hide(totals.people_now),
        adopted_last_year=_hide(totals.adopted_last_year),
        exited_last_year=_hide(totals.exited_last_year),
        memberships=_hide(totals.memberships),
        offences_before=_hide(totals.offences_before),
        cost_before=None if few_members or _small(totals.offences_before) else totals.cost_before,
        years=years,
        part_year_members=_hide(totals.part_year_members),
        part_year_offences=_hide(totals.part_year_offences),
        part_year_cost=(
            None if _small(totals.part_year_members) or _small(totals.part_year_offences) else totals.part_year_cost
        ),
        mean_score_at_adoption=None if few_members else totals.mean_score_at_adoption,
        mean_score_now=None if few_members else totals.mean_score_now,
        not_costed={code: _hide(n) for code, n in totals.not_costed.items()},
    )


def cohort_impact(user: User, scheme: Scheme | None = None, as_of: dt.date | None = None) -> CohortImpact:
    """Before-and-after figures over the memberships (open and closed) the user may see: per
    scheme and overall. Analysts get totals over every membership, suppressed, without names."""
    if not can_see_iom_figures(user):
        raise PermissionDenied("Only the IOM partners and analysts see the cohort's figures")
    as_of = as_of or timezone.localdate()
    worker = can_work_iom(user)
    found = memberships_visible_to(user) if worker else Membership.objects.all()
    if scheme is not None:
        found = found.filter(scheme=scheme)
    memberships = list(
        found.filter(adopted_on__lte=as_of).select_related("scheme", "config", "person").order_by("adopted_on")
    )
    table = unit_costs.table_current()
    impacts = _impacts(memberships, as_of, table)
    schemes = sorted({m.scheme for m in memberships}, key=lambda s: s.name)
    per_scheme = [
        _totals(
            s.name,
            s,
            [i for i in impacts if i.membership.scheme_id == s.pk],
            [m for m in memberships if m.scheme_id == s.pk],
            as_of,
        )
        for s in schemes
    ]
    overall = _totals(scheme.name if scheme else "All schemes", scheme, impacts, memberships, as_of)
    if not worker:
        return CohortImpact(as_of, table, suppress(overall), [suppress(t) for t in per_scheme], True)
    return CohortImpact(as_of, table, overall, per_scheme, False, impacts)
