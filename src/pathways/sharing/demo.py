"""The demo partnership's information-sharing agreements: enough to show each rule at work."""

from __future__ import annotations

import datetime as dt

from pathways.accounts.models import Agency, User
from pathways.sharing.models import Agreement, Signatory
from pathways.sharing.reference import Category, LawfulBasis, Purpose

C, P = Category, Purpose

# reference, title, party keys, purposes, categories, lawful basis, conditions
DEMO_AGREEMENTS = [
    (
        "wessex-reducing-reoffending-isa",
        "Wessex Reducing Reoffending Information Sharing Agreement",
        ["police", "probation", "yos"],
        [P.CASEWORK, P.OFFENDER_MANAGEMENT, P.COMMUNITY_RESOLUTION],
        [
            C.IDENTITY,
            C.OFFENDING_HISTORY,
            C.OUTCOMES,
            C.RISK_MARKERS,
            C.SUBSTANCE_MISUSE,
            C.ACCOMMODATION,
            C.CASE_NOTES,
        ],
        LawfulBasis.LAW_ENFORCEMENT,
        "DPA 2018 s.35 and Sch. 8 para 1 (statutory purposes); Crime and Disorder Act 1998 s.115",
    ),
    (
        "wessex-csp-housing-isa",
        "Wessex Community Safety Partnership Agreement (housing, council, health)",
        ["police", "probation", "housing", "council", "health"],
        [P.CASEWORK],
        [C.IDENTITY, C.RISK_MARKERS, C.ACCOMMODATION],
        LawfulBasis.PUBLIC_TASK,
        "Art. 9(2)(g) and Art. 10 with DPA 2018 Sch. 1 paras 6 and 10",
    ),
    (
        "wessex-rj-isa",
        "Wessex Restorative Justice Information Sharing Agreement",
        ["police", "probation", "yos", "rj"],
        [P.RESTORATIVE_JUSTICE],
        [C.IDENTITY, C.OFFENDING_HISTORY, C.OUTCOMES, C.VICTIM_DETAILS, C.RISK_MARKERS],
        LawfulBasis.PUBLIC_TASK,
        "Victims' Code right 7 (restorative justice); Art. 10 with DPA 2018 Sch. 1 para 10",
    ),
    (
        "wessex-performance-isa",
        "Wessex Reducing Reoffending Performance Agreement",
        ["police", "probation", "yos", "opcc", "council", "rj"],
        [P.PERFORMANCE_ANALYSIS],
        [C.OFFENDING_HISTORY, C.OUTCOMES],
        LawfulBasis.PUBLIC_TASK,
        "Police Reform and Social Responsibility Act 2011 s.7; figures published only with small numbers suppressed",
    ),
    (
        "second-chances-mentoring",
        "Second Chances Trust Mentoring (with consent)",
        ["probation", "voluntary"],
        [P.CASEWORK],
        [C.IDENTITY, C.ACCOMMODATION, C.SUBSTANCE_MISUSE],
        LawfulBasis.CONSENT,
        "Explicit consent recorded by the probation practitioner before referral",
    ),
    (
        "wessex-vulnerability-portal",
        "Wessex Vulnerability Portal: referrals to the Linking People Service (with consent)",
        ["police", "probation", "yos", "housing", "council", "linking"],
        [P.CASEWORK],
        [C.IDENTITY, C.ACCOMMODATION, C.HEALTH, C.CHILDREN_FAMILY],
        LawfulBasis.CONSENT,
        "The person's consent, recorded by the referring worker; without it only where their vital interests need it",
    ),
]


def demo_agreements_create(*, agencies: dict[str, Agency], by: User | None, today: dt.date) -> list[Agreement]:
    start = today.replace(year=today.year - 3, month=4, day=1)
    made = []
    for reference, title, parties, purposes, categories, basis, detail in DEMO_AGREEMENTS:
        agreement = Agreement.objects.create(
            reference=reference,
            title=title,
            purposes=[str(p) for p in purposes],
            categories=[str(c) for c in categories],
            lawful_basis=basis,
            lawful_basis_detail=detail,
            start_date=start,
            review_date=today.replace(year=today.year + 1, month=3, day=31),
            created_by=by,
        )
        agreement.parties.set([agencies[k] for k in parties])
        for key in parties:
            Signatory.objects.create(
                agreement=agreement,
                agency=agencies[key],
                name=f"Caldicott or SIRO, {agencies[key].name}",
                job_title="Senior Information Risk Owner",
                signed_on=start,
            )
        made.append(agreement)
    return made
