"""Gaps in provision (seeds 001 and 003: "understanding where gaps in service provision are").

For each area of the partnership and each of the seven pathways: how many people have an
assessed need, which services take people from that area for that pathway and how many they
can take a month, and what became of the referrals made from there in the last year — with a
flag, in words, where the provision looks short.

Counts only. Nobody is named, and any count of people from 1 to 4 is hidden ("fewer than 5",
the same threshold the IOM figures use, `iom.impact.SMALL`), because a small count in a small
area can point at someone. The flags are worked out on the true counts before they are hidden.

Need is counted once per person and pathway, whatever the number of assessments or actions
behind it, in one aggregate query per call (not one per person): the page must answer at
20,000 people.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Value, Window
from django.db.models.functions import Coalesce, RowNumber

from pathways.common.reference import Pathway
from pathways.iom.impact import SMALL
from pathways.iom.models import NeedsAssessment, PathwayNeed
from pathways.iom.reference import MembershipStatus, NeedLevel
from pathways.people.models import Address, Person
from pathways.problems.models import Area
from pathways.referrals.models import Referral, ReferralEvent, ReferralStatus, Service
from pathways.resolutions.models import ResolutionAction
from pathways.resolutions.reference import ActionStatus

NOT_KNOWN = ""  # the area code under which people (and referrals) with no known area are counted
NOT_KNOWN_LABEL = "Area not known"
TAKE_UP_DAYS = 365
NEED_LEVELS = (NeedLevel.MEDIUM, NeedLevel.HIGH)
# A decline rate is only worth flagging once enough referrals have been decided to mean something.
DECLINES_MIN_REFERRALS = SMALL

NO_SERVICE = "Need with no service"
ABOVE_CAPACITY = "Need above capacity"
DECLINING = "Services declining most referrals"


def shown(n: int) -> int | None:
    """The count as it may be shown: None (read "fewer than 5") for 1 to 4."""
    return None if 0 < n < SMALL else n


def words(n: int | None) -> str:
    return f"fewer than {SMALL}" if n is None else f"{n:,}"


@dataclass(frozen=True)
class Cell:
    """One area and one pathway. People counts (`need`, `referrals`, `accepted`, `declined`) are
    already suppressed: None means 1 to 4. Service counts and capacity are not about people."""

    area: str
    pathway: str
    need: int | None
    services: int
    capacity: int
    capacity_unknown: int  # services on this cell with no capacity recorded
    referrals: int | None
    accepted: int | None
    declined: int | None
    gaps: tuple[str, ...]
    reason: str

    @property
    def is_gap(self) -> bool:
        return bool(self.gaps)

    @property
    def pathway_label(self) -> str:
        return Pathway(self.pathway).label


@dataclass(frozen=True)
class AreaRow:
    code: str  # NOT_KNOWN for people and referrals with no known area
    name: str
    town: str
    cells: list[Cell]

    @property
    def label(self) -> str:
        if self.code == NOT_KNOWN:
            return NOT_KNOWN_LABEL
        return f"{self.name} ({self.code})" if self.name and self.name != self.code else self.code


@dataclass
class Gaps:
    today: dt.date
    since: dt.date  # take-up counts referrals made on or after this day
    rows: list[AreaRow] = field(default_factory=list)

    @property
    def no_service(self) -> list[tuple[AreaRow, Cell]]:
        """Where people have a need and no service takes them: listed first on the page."""
        return [(r, c) for r in self.rows for c in r.cells if NO_SERVICE in c.gaps]

    def only(self, area_codes: list[str]) -> Gaps:
        wanted = set(area_codes)
        return Gaps(today=self.today, since=self.since, rows=[r for r in self.rows if r.code in wanted])

    @property
    def gap_count(self) -> int:
        return sum(c.is_gap for r in self.rows for c in r.cells)


# --- The counts ------------------------------------------------------------------------------


def _current_area() -> Subquery:
    """A person's area: that of their current address (the latest changed, when partners hold
    more than one)."""
    return Subquery(
        Address.objects.filter(person=OuterRef("pk"), is_current=True)
        .exclude(area="")
        .order_by("-updated_at", "-created_at")
        .values("area")[:1]
    )


def _need_counts() -> dict[tuple[str, str], int]:
    """(area, pathway) → people with a need on the pathway: a medium or high need in the latest
    assessment of an open IOM membership, or an unfinished resolution action on the pathway."""
    # The latest assessment of each open membership, ranked in one pass rather than looked up
    # once per assessment.
    latest = (
        NeedsAssessment.objects.filter(membership__status=MembershipStatus.ADOPTED)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("membership_id")],
                order_by=[F("assessed_on").desc(), F("created_at").desc()],
            )
        )
        .filter(rank=1)
    )
    assessed = PathwayNeed.objects.filter(assessment__in=latest.values("pk"), level__in=NEED_LEVELS)
    actions = ResolutionAction.objects.filter(status=ActionStatus.AGREED).exclude(pathway="")

    # Uncorrelated `IN (SELECT person …)` sets: the database works each out once, not once per
    # person (a correlated EXISTS per person took minutes at 20,000 people on SQLite).
    def has_need(pathway: str | None = None) -> Q:
        on = {"pathway": pathway} if pathway else {}
        return Q(pk__in=assessed.filter(**on).values("assessment__membership__person_id")) | Q(
            pk__in=actions.filter(**on).values("resolution__person_id")
        )

    # One row per area, one Count per pathway: each person is one row, so counted once.
    rows = (
        Person.objects.filter(has_need(), merged_into__isnull=True)
        .annotate(gap_area=Coalesce(_current_area(), Value(NOT_KNOWN)))
        .values("gap_area")
        .annotate(**{f"n_{code}": Count("pk", filter=has_need(code)) for code in Pathway.values})
    )
    return {(row["gap_area"], code): row[f"n_{code}"] for row in rows for code in Pathway.values}


def _take_up(since: dt.date) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    """(area, pathway) → referrals made since `since`, accepted, declined. A referral redirected
    to another service is counted once, as the referral it became."""
    ever_accepted = ReferralEvent.objects.filter(referral=OuterRef("pk"), to_status=ReferralStatus.ACCEPTED)
    referrals = (
        Referral.objects.filter(created_at__date__gte=since)
        .exclude(status=ReferralStatus.REDIRECTED)
        .annotate(was_accepted=Exists(ever_accepted))
        .values_list("area_code", "pathways", "status", "was_accepted")
    )
    made: Counter[tuple[str, str]] = Counter()
    accepted: Counter[tuple[str, str]] = Counter()
    declined: Counter[tuple[str, str]] = Counter()
    accepted_statuses = {ReferralStatus.ACCEPTED, ReferralStatus.IN_CONTACT, ReferralStatus.CLOSED}
    # Referrals are a few thousand a year at most; their pathways are a JSON list, read here.
    for area, pathways, status, was_accepted in referrals.iterator():
        for pathway in set(pathways or []):
            key = (area or NOT_KNOWN, pathway)
            made[key] += 1
            accepted[key] += bool(was_accepted or status in accepted_statuses)
            declined[key] += status == ReferralStatus.DECLINED
    return made, accepted, declined


def _areas() -> tuple[list[str], dict[str, str], bool]:
    """The partnership's area codes with their names, and whether they come from `Area` rows."""
    named = dict(Area.objects.values_list("code", "name"))
    if named:
        return sorted(named, key=_area_order), named, True
    found = Address.objects.filter(is_current=True).exclude(area="").values_list("area", flat=True).distinct()
    return sorted(set(found), key=_area_order), {}, False


def _area_order(code: str) -> tuple[str, int, str]:
    """WX2 before WX10: letters, then the number, then the rest."""
    letters = code.rstrip("0123456789")
    digits = code[len(letters) :]
    return (letters, int(digits) if digits.isdigit() else 0, code)


def area_towns() -> dict[str, str]:
    """Each area's town: the town most current addresses in the area give."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    rows = (
        Address.objects.filter(is_current=True)
        .exclude(area="")
        .exclude(town="")
        .values("area", "town")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        counts[row["area"]][row["town"].strip().title()] += row["n"]
    return {area: towns.most_common(1)[0][0] for area, towns in counts.items()}


def areas_chosen(*, town: str = "", area: str = "", towns: dict[str, str] | None = None) -> list[str] | None:
    """The area codes a filter by town and/or area leaves; None when neither is given (every
    area). An unknown town or area leaves none."""
    town, area = town.strip().lower(), area.strip().upper()
    codes: list[str] | None = None
    if town:
        towns = area_towns() if towns is None else towns
        codes = [code for code, t in towns.items() if t.lower() == town]
    if area:
        codes = [area] if codes is None or area in codes else []
    return codes


def _reason(gaps: list[str], need: int, services: int, capacity: int, referrals: int, declined: int) -> str:
    parts = []
    if NO_SERVICE in gaps:
        parts.append(f"{words(shown(need))} people with a need and no service taking people from here")
    if ABOVE_CAPACITY in gaps:
        parts.append(
            f"{words(shown(need))} people with a need; the {services} service{'s' if services != 1 else ''} "
            f"here can take {capacity} a month between them"
        )
    if DECLINING in gaps:
        parts.append(f"{words(shown(declined))} of {words(shown(referrals))} referrals in the last year declined")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def gaps(*, today: dt.date, area_codes: list[str] | None = None) -> Gaps:
    """The gaps table: one row per area (and one for "area not known" when anyone has no known
    area), one cell per pathway. `area_codes` limits the rows to those areas."""
    since = today - dt.timedelta(days=TAKE_UP_DAYS)
    codes, names, from_area_rows = _areas()
    towns = area_towns()
    need = _need_counts()
    made, accepted, declined = _take_up(since)
    # The linking service triages and connects people to services on every pathway everywhere;
    # counting it as provision would hide every gap it exists to work around.
    services = list(
        Service.objects.filter(is_active=True, is_linking_service=False).values_list(
            "pathways", "area_codes", "monthly_capacity"
        )
    )
    known = set(codes)

    def placed(code: str) -> str:
        # With the partnership's areas set up, anyone elsewhere is counted as "not known".
        return code if code in known else NOT_KNOWN

    need_by: Counter[tuple[str, str]] = Counter()
    for (area, pathway), n in need.items():
        need_by[(placed(area), pathway)] += n
    made_by, accepted_by, declined_by = Counter(), Counter(), Counter()
    for source, target in ((made, made_by), (accepted, accepted_by), (declined, declined_by)):
        for (area, pathway), n in source.items():
            target[(placed(area), pathway)] += n

    rows_codes = list(codes)
    if any(k[0] == NOT_KNOWN and n for k, n in (*need_by.items(), *made_by.items())):
        rows_codes.append(NOT_KNOWN)
    if area_codes is not None:
        wanted = set(area_codes)
        rows_codes = [c for c in rows_codes if c in wanted]

    result = Gaps(today=today, since=since)
    for code in rows_codes:
        cells = []
        for pathway in Pathway.values:
            # People with no known area may live anywhere: only services for everywhere serve them.
            here = [
                s for s in services if pathway in (s[0] or []) and (not s[1] or (code != NOT_KNOWN and code in s[1]))
            ]
            capacity = sum(s[2] for s in here if s[2] is not None)
            unknown = sum(s[2] is None for s in here)
            n_need, n_made = need_by[(code, pathway)], made_by[(code, pathway)]
            n_accepted, n_declined = accepted_by[(code, pathway)], declined_by[(code, pathway)]
            flags = []
            if n_need and not here:
                flags.append(NO_SERVICE)
            # Capacity is a month's intake and need is everyone waiting now: a cell whose services
            # could not take everyone in a month is short. Unknown capacity is not assumed short.
            elif n_need and not unknown and n_need > capacity:
                flags.append(ABOVE_CAPACITY)
            if n_made >= DECLINES_MIN_REFERRALS and n_declined * 2 > n_made:
                flags.append(DECLINING)
            cells.append(
                Cell(
                    area=code,
                    pathway=pathway,
                    need=shown(n_need),
                    services=len(here),
                    capacity=capacity,
                    capacity_unknown=unknown,
                    referrals=shown(n_made),
                    accepted=shown(n_accepted),
                    declined=shown(n_declined),
                    gaps=tuple(flags),
                    reason=_reason(flags, n_need, len(here), capacity, n_made, n_declined),
                )
            )
        result.rows.append(
            AreaRow(
                code=code, name=names.get(code, "") if from_area_rows else "", town=towns.get(code, ""), cells=cells
            )
        )
    return result


def towns_of(result: Gaps) -> list[str]:
    return sorted({r.town for r in result.rows if r.town})


def csv_text(result: Gaps) -> str:
    """One line per area and pathway, hidden counts written as "<5" (never the number)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "area_code",
            "area",
            "town",
            "pathway",
            "people_with_need",
            "services",
            "monthly_capacity",
            "services_capacity_unknown",
            "referrals_12_months",
            "referrals_accepted",
            "referrals_declined",
            "gap",
            "reason",
        ]
    )

    def cell(n: int | None) -> str:
        return f"<{SMALL}" if n is None else str(n)

    for row in result.rows:
        for c in row.cells:
            writer.writerow(
                [
                    row.code,
                    row.label,
                    row.town,
                    c.pathway_label,
                    cell(c.need),
                    c.services,
                    c.capacity,
                    c.capacity_unknown,
                    cell(c.referrals),
                    cell(c.accepted),
                    cell(c.declined),
                    "; ".join(c.gaps),
                    c.reason,
                ]
            )
    return out.getvalue()
