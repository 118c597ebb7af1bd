"""The demo partnership's service directory and the vulnerability portal's first four months.

About 260 services (seed 004: "over 250 third sector and statutory services") across the seven
pathways and the towns of the demo (districts WX1–WX20). Most are reached by phone, email, the
provider's own form, self-referral or drop-in; a few take referrals through Pathways: the
Linking People Service (Age UK Wessex, the portal's receiving end) and services of Wessex Homes,
the Second Chances Trust and Wessex Health. Some pathway and area combinations are left thin on
purpose — no drug and alcohol service in Shaston, Anglebury or Christminster, nothing on
attitudes, thinking and behaviour outside the three big towns, no family support in Anglebury —
so that the gaps page has gaps to show.

About 140 referrals from the police's neighbourhood officer to the linking service over the last
four months, made and moved through the real services (`referring`), then dated back to when
they happened: the older ones mostly closed with an outcome, some declined, some redirected to
Wessex Homes, Second Chances or Wessex Health, the newest waiting for triage. (The audit trail
keeps the time the demo was built: it is append-only.)
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from pathways.access.models import AgencyRecord
from pathways.access.policies import people_visible_to
from pathways.accounts.models import Agency, User
from pathways.demo.population import TOWNS
from pathways.referrals import referring
from pathways.referrals.models import ContactRecord, Referral, ReferralEvent, ReferralStatus, Service

S = ReferralStatus
ALL_PATHWAYS = ["accommodation", "ete", "health", "drugs_alcohol", "finance", "children_families", "attitudes"]
BIG_TOWNS = {"Casterbridge", "Budmouth", "Sandbourne"}
# Deliberately thin provision (see the module's docstring): (town, pathway) with no local service.
THIN = {
    ("Shaston", "drugs_alcohol"),
    ("Anglebury", "drugs_alcohol"),
    ("Christminster", "drugs_alcohol"),
    ("Anglebury", "children_families"),
    ("Port Bredy", "attitudes"),
    ("Shaston", "attitudes"),
    ("Anglebury", "attitudes"),
    ("Christminster", "attitudes"),
    ("Melchester", "attitudes"),
}


@dataclass(frozen=True)
class Kind:
    """One kind of local service, made for each town it suits."""

    name: str  # "{town}" is replaced
    provider: str
    pathways: tuple[str, ...]
    route: str
    description: str
    eligibility: str = ""
    ages: tuple[int | None, int | None] = (None, None)
    capacity: tuple[int, int] | None = (10, 40)
    big_towns_only: bool = False
    manager: str = "council"
    details: str = ""  # the contact details' pattern; phone numbers are made up below


LOCAL: list[Kind] = [
    Kind(
        "{town} Housing Options",
        "Casterbridge District Council",
        ("accommodation",),
        "phone",
        "Advice and help for anyone homeless or at risk of losing their home within 56 days.",
        "Anyone living in the district",
        capacity=(30, 80),
    ),
    Kind(
        "{town} Night Shelter",
        "{town} Churches Night Shelter",
        ("accommodation",),
        "drop_in",
        "Emergency beds from November to March; breakfast and a shower all year.",
        "Adults sleeping rough",
        ages=(18, None),
        capacity=(8, 20),
        manager="voluntary",
    ),
    Kind(
        "{town} YMCA supported housing",
        "YMCA Wessex",
        ("accommodation", "ete"),
        "form",
        "Rooms with a key worker for young people who cannot live at home.",
        "Young people with a local connection",
        ages=(16, 25),
        capacity=(3, 8),
        big_towns_only=True,
    ),
    Kind(
        "{town} Rough Sleeper Outreach",
        "Julian Trust",
        ("accommodation", "health"),
        "phone",
        "Street outreach at first light; links to the night shelter and GP.",
        "People sleeping rough",
        capacity=(10, 25),
        big_towns_only=True,
    ),
    Kind(
        "{town} Private Rented Access Scheme",
        "Casterbridge District Council",
        ("accommodation", "finance"),
        "email",
        "Deposit bonds and help finding a private tenancy.",
        "People the council owes a housing duty",
    ),
    Kind(
        "{town} Jobcentre Plus work coach",
        "Department for Work and Pensions",
        ("ete", "finance"),
        "phone",
        "A work coach for benefit claims, job search and training funding.",
        "People of working age",
        ages=(16, 66),
        capacity=None,
    ),
    Kind(
        "{town} Adult Learning",
        "Wessex County Adult Learning",
        ("ete",),
        "form",
        "English, maths and digital skills courses, free for most learners.",
        "Adults aged 19 and over",
        ages=(19, None),
        capacity=(20, 60),
    ),
    Kind(
        "{town} Works employment support",
        "Wessex Works",
        ("ete",),
        "email",
        "One-to-one help into work for people with convictions or long periods out of work.",
        "Unemployed adults, convictions welcome",
        ages=(18, None),
        capacity=(8, 20),
        manager="voluntary",
    ),
    Kind(
        "{town} Community Mental Health Team",
        "Wessex Health and Care Trust",
        ("health",),
        "form",
        "Assessment and care for adults with severe and enduring mental illness, referred by their GP.",
        "Adults registered with a local GP",
        ages=(18, 65),
        capacity=(10, 30),
        manager="health",
    ),
    Kind(
        "Steps2Wellbeing {town} talking therapies",
        "Wessex Health and Care Trust",
        ("health",),
        "self",
        "Talking therapies for anxiety and depression; people refer themselves online or by phone.",
        "Adults registered with a local GP",
        ages=(18, None),
        capacity=(40, 120),
        manager="health",
    ),
    Kind(
        "{town} Community Connectors",
        "Casterbridge District Council",
        ("health", "attitudes"),
        "phone",
        "Social prescribing: a connector helps people find groups and activities near them.",
        "Adults who are lonely or isolated",
        ages=(18, None),
    ),
    Kind(
        "Age UK {town} befriending",
        "Age UK Wessex",
        ("health",),
        "phone",
        "A weekly phone call or visit from a volunteer befriender.",
        "People aged 60 and over living alone",
        ages=(60, None),
        capacity=(10, 25),
        manager="linking",
    ),
    Kind(
        "Wessex Drug and Alcohol Service ({town} hub)",
        "Wessex Drug and Alcohol Service",
        ("drugs_alcohol",),
        "self",
        "Assessment, prescribing, key work and needle exchange; walk in or call.",
        "Adults worried about their drug or alcohol use",
        ages=(18, None),
        capacity=(20, 60),
        manager="health",
    ),
    Kind(
        "{town} Alcoholics Anonymous",
        "Alcoholics Anonymous",
        ("drugs_alcohol",),
        "drop_in",
        "Meetings twice a week.",
        "Anyone who wants to stop drinking",
        capacity=None,
        manager="voluntary",
    ),
    Kind(
        "{town} young people's substance misuse service",
        "Wessex Drug and Alcohol Service",
        ("drugs_alcohol", "children_families"),
        "phone",
        "Specialist workers for young people using drugs or alcohol, and their families.",
        "Young people under 18",
        ages=(10, 17),
        capacity=(5, 15),
        big_towns_only=True,
        manager="health",
    ),
    Kind(
        "{town} Foodbank",
        "{town} Foodbank (Trussell)",
        ("finance",),
        "form",
        "Three days' emergency food, with a voucher from a referring agency.",
        "Anyone in crisis",
        capacity=(60, 200),
        manager="voluntary",
    ),
    Kind(
        "{town} Citizens Advice debt clinic",
        "Citizens Advice Wessex",
        ("finance",),
        "phone",
        "Debt advice, benefit checks and help with priority bills.",
        "Anyone living locally",
        capacity=(20, 50),
        manager="voluntary",
    ),
    Kind(
        "{town} Welfare Benefits Team",
        "Casterbridge District Council",
        ("finance",),
        "email",
        "Help claiming benefits, council tax support and discretionary housing payments.",
        "Council residents",
    ),
    Kind(
        "{town} Family Hub",
        "Wessex County Council Children's Services",
        ("children_families",),
        "phone",
        "Early help for families: parenting support, health visitors and family workers in one place.",
        "Families with children under 19",
        capacity=(20, 60),
    ),
    Kind(
        "Home-Start {town}",
        "Home-Start Wessex",
        ("children_families",),
        "form",
        "Volunteers who visit families with young children through difficult times.",
        "Families with at least one child under 5",
        capacity=(5, 15),
        manager="voluntary",
    ),
    Kind(
        "{town} Domestic Abuse Outreach",
        "You First Wessex",
        ("children_families", "health"),
        "phone",
        "Outreach, safety planning and IDVA support for people harmed by domestic abuse.",
        "Anyone experiencing domestic abuse",
        ages=(16, None),
        capacity=(10, 30),
        manager="voluntary",
    ),
    Kind(
        "{town} Men's Shed",
        "{town} Men's Shed",
        ("attitudes", "health"),
        "drop_in",
        "A workshop where men meet, talk and make things together.",
        "Men aged 18 and over",
        ages=(18, None),
        capacity=None,
        manager="voluntary",
    ),
    Kind(
        "{town} anger management course",
        "Wessex Community Courses",
        ("attitudes",),
        "form",
        "A ten-week group course on managing anger and conflict.",
        "Adults, self-referral or referred",
        ages=(18, None),
        capacity=(8, 12),
        big_towns_only=True,
        manager="voluntary",
    ),
    Kind(
        "{town} youth club and mentoring",
        "Wessex Youth Trust",
        ("attitudes", "ete"),
        "drop_in",
        "Open evenings, sport and a mentor for young people at risk of getting into trouble.",
        "Young people aged 11 to 19",
        ages=(11, 19),
        capacity=(15, 40),
        manager="voluntary",
    ),
    Kind(
        "{town} Credit Union",
        "Wessex Credit Union",
        ("finance",),
        "self",
        "Savings accounts and affordable loans instead of doorstep lenders.",
        "Anyone living locally",
        capacity=None,
        big_towns_only=True,
        manager="voluntary",
    ),
    Kind(
        "{town} Recovery Café",
        "Wessex Recovery Network",
        ("drugs_alcohol", "attitudes"),
        "drop_in",
        "Peer support for people in recovery, every Saturday.",
        "People in or seeking recovery",
        capacity=None,
        big_towns_only=True,
        manager="voluntary",
    ),
    Kind(
        "{town} Carers' Centre",
        "Carers Wessex",
        ("health", "children_families"),
        "phone",
        "Support, breaks and advice for unpaid carers.",
        "Unpaid carers of any age",
        capacity=(10, 30),
        manager="voluntary",
    ),
    Kind(
        "{town} Housing Support Service",
        "Wessex Homes",
        ("accommodation",),
        "phone",
        "Floating support to keep a tenancy going: bills, repairs, neighbours.",
        "Tenants of any landlord",
        capacity=(10, 25),
        manager="housing",
    ),
    Kind(
        "{town} Library digital drop-in",
        "Wessex Libraries",
        ("ete",),
        "drop_in",
        "Help with computers, online forms and job applications.",
        "Anyone",
        capacity=None,
    ),
]

LOCAL += [
    Kind(
        "{town} Community Larder",
        "{town} Community Larder",
        ("finance",),
        "drop_in",
        "Low-cost groceries for members: £4 a week for a bag of food.",
        "Anyone on a low income",
        capacity=(30, 90),
        manager="voluntary",
    ),
    Kind(
        "{town} Job Club",
        "Wessex Works",
        ("ete",),
        "drop_in",
        "Weekly job club: CVs, applications and interview practice.",
        "Anyone looking for work",
        ages=(16, None),
        capacity=(10, 30),
        manager="voluntary",
    ),
    Kind(
        "{town} Volunteer Centre",
        "Wessex Volunteering",
        ("ete", "attitudes"),
        "email",
        "Finds volunteering placements that build confidence and experience.",
        "Anyone aged 16 and over",
        ages=(16, None),
        capacity=(10, 40),
        manager="voluntary",
    ),
    Kind(
        "{town} GP social prescribing",
        "{town} Primary Care Network",
        ("health",),
        "form",
        "A link worker at the surgery for people whose health is affected by loneliness, debt or housing.",
        "Patients of the town's surgeries",
        ages=(18, None),
        capacity=(15, 40),
        manager="health",
    ),
    Kind(
        "{town} Wellbeing Café",
        "Wessex Mind",
        ("health",),
        "drop_in",
        "An evening café for people struggling with their mental health.",
        "Adults",
        ages=(18, None),
        capacity=None,
        manager="voluntary",
    ),
    Kind(
        "{town} Parenting Programme",
        "Wessex County Council Children's Services",
        ("children_families",),
        "form",
        "Ten-week Triple P groups for parents of children aged 2 to 12.",
        "Parents and carers",
        capacity=(8, 16),
    ),
    Kind(
        "{town} Tenancy Relations",
        "Casterbridge District Council",
        ("accommodation",),
        "phone",
        "Help when a landlord threatens illegal eviction or will not do repairs.",
        "Private tenants",
        capacity=None,
    ),
    Kind(
        "{town} Good Neighbours",
        "{town} Good Neighbours",
        ("health", "accommodation"),
        "phone",
        "Volunteers who help with lifts, shopping and small jobs at home.",
        "Older and disabled people",
        ages=(60, None),
        capacity=(10, 30),
        manager="voluntary",
    ),
    Kind(
        "{town} Fuel Poverty Fund",
        "{town} Town Council",
        ("finance",),
        "email",
        "Grants towards heating bills in winter.",
        "Households in fuel poverty",
        capacity=(5, 20),
    ),
]

# Partnership-wide (or several towns'): name, provider, pathways, route, details, description,
# eligibility, ages, capacity, manager key, receiving agency key, areas (None: the whole partnership).
WIDE: list[tuple[Any, ...]] = [
    (
        "Linking People Service",
        "Age UK Wessex for Casterbridge District Council",
        ALL_PATHWAYS,
        "pathways",
        "",
        "Link workers who talk to the person, find out what matters to them and connect them to the right "
        "services: the receiving end of the vulnerability portal.",
        "Adults the police or a partner are worried about, who agree to be referred",
        (18, None),
        45,
        "linking",
        "linking",
        None,
    ),
    (
        "Wessex Homes tenancy sustainment",
        "Wessex Homes",
        ["accommodation", "finance"],
        "pathways",
        "",
        "A tenancy sustainment officer for tenants at risk of losing their home.",
        "Wessex Homes tenants, or people Wessex Homes is about to house",
        (18, None),
        20,
        "housing",
        "housing",
        "big",
    ),
    (
        "Wessex Homes young people's housing pathway",
        "Wessex Homes",
        ["accommodation"],
        "pathways",
        "",
        "Supported rooms and a move-on plan for young people who cannot live at home.",
        "Young people leaving care or homeless",
        (16, 25),
        6,
        "housing",
        "housing",
        "big",
    ),
    (
        "Second Chances employment mentoring",
        "Second Chances Trust",
        ["ete", "attitudes"],
        "pathways",
        "",
        "A mentor with lived experience, help with disclosure of convictions and with finding work.",
        "Adults with convictions",
        (18, None),
        12,
        "voluntary",
        "voluntary",
        "big",
    ),
    (
        "Second Chances peer mentoring",
        "Second Chances Trust",
        ["attitudes", "drugs_alcohol"],
        "pathways",
        "",
        "Weekly meetings with a peer mentor for people leaving prison or on licence.",
        "Adults released in the last year",
        (18, None),
        10,
        "voluntary",
        "voluntary",
        "big",
    ),
    (
        "Wessex Health alcohol liaison service",
        "Wessex Health and Care Trust",
        ["drugs_alcohol", "health"],
        "pathways",
        "",
        "Hospital-based alcohol nurses who follow up frequent attenders in the community.",
        "Adults attending hospital because of alcohol",
        (18, None),
        15,
        "health",
        "health",
        "hospitals",
    ),
    (
        "Wessex Health wellbeing and recovery",
        "Wessex Health and Care Trust",
        ["health"],
        "pathways",
        "",
        "Short-term support from a recovery worker after a mental health crisis.",
        "Adults known to mental health services",
        (18, None),
        12,
        "health",
        "health",
        "hospitals",
    ),
    (
        "StepChange Debt Charity",
        "StepChange",
        ["finance"],
        "phone",
        "0800 138 1111",
        "Free debt advice and debt management plans by phone and online.",
        "Anyone in debt",
        (18, None),
        None,
        "council",
        None,
        None,
    ),
    (
        "National Domestic Abuse Helpline",
        "Refuge",
        ["health"],
        "self",
        "0808 2000 247",
        "Free, confidential help 24 hours a day.",
        "Anyone experiencing domestic abuse",
        (None, None),
        None,
        "council",
        None,
        None,
    ),
    (
        "Samaritans",
        "Samaritans",
        ["health"],
        "self",
        "116 123",
        "Someone to talk to, day or night.",
        "Anyone",
        (None, None),
        None,
        "council",
        None,
        None,
    ),
    (
        "Wessex Community Rehabilitation Hub",
        "Wessex Probation Delivery Unit",
        ["attitudes", "ete"],
        "email",
        "cr-hub@probation.example",
        "Accredited programmes and structured interventions for people on probation.",
        "People on a community order or licence",
        (18, None),
        30,
        "probation",
        None,
        "big",
    ),
    (
        "Wessex Youth Justice prevention",
        "Wessex Youth Offending Service",
        ["attitudes", "children_families"],
        "email",
        "prevention@yos.example",
        "Voluntary support for children at risk of entering the justice system.",
        "Children aged 10 to 17",
        (10, 17),
        15,
        "yos",
        None,
        "big",  # prevention workers in the three big towns only
    ),
    (
        "Wessex Veterans' Hub",
        "Wessex Veterans' Hub",
        ["health", "accommodation", "ete"],
        "phone",
        "01305 555 010",
        "Support for veterans and their families.",
        "Anyone who has served in the armed forces",
        (18, None),
        10,
        "voluntary",
        None,
        None,
    ),
    (
        "Wessex Gambling Support",
        "GamCare",
        ["finance", "health"],
        "self",
        "0808 8020 133",
        "Treatment and support for gambling harm.",
        "Anyone affected by gambling",
        (18, None),
        None,
        "voluntary",
        None,
        None,
    ),
    (
        "Wessex Sexual Assault Referral Centre",
        "Wessex Health and Care Trust",
        ["health"],
        "phone",
        "01202 555 020",
        "Forensic and aftercare support after rape or sexual assault.",
        "Anyone",
        (None, None),
        None,
        "health",
        None,
        None,
    ),
    (
        "Adult Social Care front door",
        "Wessex County Council",
        ["health", "accommodation"],
        "form",
        "https://adultcare.example/refer",
        "Care needs assessments and safeguarding adults.",
        "Adults with care needs",
        (18, None),
        None,
        "council",
        None,
        None,
    ),
    (
        "Wessex Hoarding Support",
        "Wessex Mind",
        ["health", "accommodation"],
        "email",
        "hoarding@mind.example",
        "Practical and emotional support for people who hoard.",
        "Adults",
        (18, None),
        6,
        "voluntary",
        None,
        "big",
    ),
    (
        "Wessex Fire home safety visits",
        "Wessex Fire and Rescue",
        ["accommodation", "health"],
        "form",
        "https://fire.example/safe-and-well",
        "Safe and well visits: smoke alarms, fire risk, falls.",
        "Anyone, especially older or vulnerable people",
        (None, None),
        80,
        "council",
        None,
        None,
    ),
    (
        "Wessex Energy Advice",
        "Centre for Sustainable Energy",
        ["finance", "accommodation"],
        "phone",
        "0800 082 2234",
        "Help with energy bills, debt to suppliers and a cold home.",
        "Anyone",
        (None, None),
        None,
        "council",
        None,
        None,
    ),
    (
        "Wessex Scams Support",
        "Wessex Trading Standards",
        ["finance"],
        "phone",
        "01305 555 030",
        "Support for people targeted by scams and rogue traders.",
        "Anyone, especially older people",
        (None, None),
        None,
        "council",
        None,
        None,
    ),
]

REASONS: list[tuple[list[str], str]] = [
    (
        ["accommodation"],
        "Found sleeping in his car in the station car park after being evicted; agreed to help with housing",
    ),
    (
        ["health", "drugs_alcohol"],
        "Repeat calls from neighbours about shouting at night; lonely since his wife died and drinking every day",
    ),
    (["finance"], "Victim of a doorstep scam, lost most of her savings; worried about paying the bills"),
    (
        ["finance", "children_families"],
        "Mother of three with rent arrears since her partner left; the children are missing school",
    ),
    (["health"], "Reported missing four times this year; low mood, not seeing his GP, agreed to talk to someone"),
    (
        ["accommodation", "drugs_alcohol"],
        "Cuckooed: local dealers using his flat; wants help to keep his tenancy and stop using",
    ),
    (
        ["health", "attitudes"],
        "Frequent calls to the control room; isolated and anxious, would like company and something to do",
    ),
    (["accommodation", "health"], "Hoarding: the fire service are worried about the flat; he accepts he needs help"),
    (["children_families", "health"], "Domestic abuse victim who does not want a prosecution but would like support"),
    (
        ["ete", "attitudes"],
        "Young man on the edge of a group involved in antisocial behaviour; wants help finding work",
    ),
    (["finance", "health"], "Older man, confused at times, unpaid bills piling up; family live away"),
    (["drugs_alcohol"], "Arrested drunk and incapable three times in two months; says he wants to stop drinking"),
]
DECLINE_REASONS = [
    "Already has an allocated social worker: referred back to adult social care",
    "Lives in Wiltshire, outside the service's area: we have given him the Wiltshire service's number",
    "His needs are being met by his GP and the community mental health team",
]
REDIRECTS = [
    ("Wessex Homes tenancy sustainment", "Needs tenancy support only; no other needs found at triage"),
    ("Second Chances employment mentoring", "Wants work above all: Second Chances can start straight away"),
    ("Wessex Health alcohol liaison service", "Known to the alcohol nurses; they will pick him up again"),
]
NOTES = [
    ("phone", "Phoned and introduced the service; agreed to a home visit next week"),
    ("attempt", "Called twice, no answer; left a voicemail and sent a letter"),
    ("visit", "Home visit: talked through what matters to her; made a plan together"),
    ("office", "Came to the drop-in; helped with the benefit claim and a foodbank voucher"),
    ("letter", "Wrote to confirm the plan and the numbers of the services agreed"),
]
OUTCOMES = [("supported", 45), ("ongoing", 25), ("did_not_engage", 15), ("not_reached", 10), ("need_changed", 5)]
CLOSING_WORDS = {
    "supported": "Connected to the services agreed; nothing more needed from us",
    "ongoing": "Now supported by the drug and alcohol service, who will keep in touch",
    "did_not_engage": "Agreed to a plan but did not come to the two appointments made",
    "not_reached": "Could not reach him by phone, letter or visit",
    "need_changed": "Moved in with his daughter; the family are helping",
}


def _phone(rng: random.Random) -> str:
    return f"01{rng.randint(200, 999)} {rng.randint(100, 999)} {rng.randint(100, 999)}"


def _services(rng: random.Random, agencies: dict[str, Agency]) -> list[Service]:
    big = [d for town, districts, _ in TOWNS if town in BIG_TOWNS for d, _w in districts]
    hospitals = [
        d for town, districts, _ in TOWNS if town in {"Casterbridge", "Sandbourne", "Melchester"} for d, _w in districts
    ]
    rows: list[Service] = []
    for (
        name,
        provider,
        pathways,
        route,
        details,
        description,
        eligibility,
        ages,
        capacity,
        manager,
        receiving,
        areas,
    ) in WIDE:
        rows.append(
            Service(
                name=name,
                provider=provider,
                description=description,
                pathways=list(pathways),
                area_codes={"big": big, "hospitals": hospitals, None: []}[areas],
                eligibility=eligibility,
                min_age=ages[0],
                max_age=ages[1],
                monthly_capacity=capacity,
                contact_route=route,
                contact_details=details,
                is_linking_service=name == "Linking People Service",
                receiving_agency=agencies[receiving] if receiving else None,
                managed_by=agencies[manager],
            )
        )
    for town, districts, _centre in TOWNS:
        codes = [d for d, _w in districts]
        for kind in LOCAL:
            if kind.big_towns_only and town not in BIG_TOWNS:
                continue
            if any((town, p) in THIN for p in kind.pathways):
                continue
            if town not in BIG_TOWNS and rng.random() < 0.08:
                continue  # small towns miss the odd service too
            details = {
                "phone": _phone(rng),
                "email": f"referrals@{kind.provider.split()[0].lower()}-{town.lower().replace(' ', '')}.example",
                "form": f"https://{kind.provider.split()[0].lower()}.example/refer",
            }.get(kind.route, "")
            # A big town's service may serve only part of it (the districts it sits in).
            served = codes if len(codes) < 3 or rng.random() < 0.7 else rng.sample(codes, len(codes) - 1)
            rows.append(
                Service(
                    name=kind.name.format(town=town),
                    provider=kind.provider.format(town=town),
                    description=kind.description,
                    pathways=list(kind.pathways),
                    area_codes=sorted(served, key=lambda c: int(c[2:])),
                    eligibility=kind.eligibility,
                    min_age=kind.ages[0],
                    max_age=kind.ages[1],
                    monthly_capacity=rng.randint(*kind.capacity) if kind.capacity else None,
                    contact_route=kind.route,
                    contact_details=details,
                    managed_by=agencies.get(kind.manager, agencies["council"]),
                )
            )
    return bulk_create_with_history(rows, Service)


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.randint(0, 59))))


def _redate(referral: Referral, times: list[dt.datetime], contact_days: list[dt.date]) -> None:
    """Put the referral, its events and its contacts back on the days they happened."""
    events = list(ReferralEvent.objects.filter(referral=referral).order_by("created_at"))
    for event, when in zip(events, times, strict=False):
        ReferralEvent.objects.filter(pk=event.pk).update(created_at=when, updated_at=when)
    Referral.objects.filter(pk=referral.pk).update(created_at=times[0], status_since=times[len(events) - 1])
    for contact, on in zip(referral.contacts.order_by("created_at"), contact_days, strict=False):
        ContactRecord.objects.filter(pk=contact.pk).update(on=on, created_at=_at(on, random.Random(on.toordinal())))


def _referrals(rng: random.Random, today: dt.date, services: dict[str, Service]) -> dict[str, int]:
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["officer", "supervisor", "linking-worker", "housing-worker"])
    }
    officer, worker = users.get("officer"), users.get("linking-worker")
    if officer is None or worker is None:
        return {"referrals": 0, "redirects": 0}
    linking = services["Linking People Service"]
    held = list(
        people_visible_to(officer)
        .filter(addresses__is_current=True)
        .exclude(addresses__area="")
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()[:3000]
    )
    if not held:
        return {"referrals": 0, "redirects": 0}
    from pathways.people.models import Person

    chosen = rng.sample(held, min(len(held), 130))
    # A few people referred twice (a new worry months later).
    chosen += rng.sample(chosen, min(len(chosen), 10))
    made = redirects = 0
    for pk in chosen:
        person = Person.objects.get(pk=pk)
        sent_on = today - dt.timedelta(days=rng.randint(0, 120))
        pathways, reason = rng.choice(REASONS)
        by = officer if rng.random() < 0.8 else users.get("supervisor", officer)
        referral = referring.referral_make(
            by=by, person=person, service=linking, pathways=pathways, reason=reason, consent="given"
        )
        if rng.random() < 0.04:
            Referral.objects.filter(pk=referral.pk).update(
                consent="not_needed", consent_note="Found in a confused state in the street at night; at risk of harm"
            )
        Referral.objects.filter(pk=referral.pk).update(consent_recorded_on=sent_on)
        made += 1
        times = [_at(sent_on, rng)]
        contact_days: list[dt.date] = []
        age = (today - sent_on).days

        def after(when: dt.datetime, days: int) -> dt.datetime | None:
            day = when.date() + dt.timedelta(days=days)
            return _at(day, rng) if day <= today else None

        step = after(times[0], rng.randint(1, 6)) if age > 2 else None
        fate = rng.random()
        if step is None:
            _redate(referral, times, contact_days)
            continue
        if fate < 0.03:
            referring.referral_withdraw(referral=referral, by=by, reason="He has been remanded in custody")
            times.append(step)
        elif fate < 0.10:
            referring.referral_decline(referral=referral, by=worker, reason=rng.choice(DECLINE_REASONS))
            times.append(step)
        elif fate < 0.22:
            to_name, why = rng.choice(REDIRECTS)
            opened = referring.referral_redirect(referral=referral, by=worker, to_service=services[to_name], reason=why)
            times.append(step)
            redirects += 1
            _redate(opened, [step], [])
            housing = users.get("housing-worker")
            if housing is not None and opened.receiving_agency_id == housing.agency_id and age > 20:
                referring.referral_accept(referral=opened, by=housing)
                _redate(opened, [step, step + dt.timedelta(days=rng.randint(2, 7))], [])
        else:
            referring.referral_accept(referral=referral, by=worker)
            times.append(step)
            first = after(step, rng.randint(1, 8))
            if first is not None:
                method, note = rng.choice(NOTES[:2])
                referring.referral_contact(
                    referral=referral, by=worker, on=timezone.localdate(), method=method, note=note
                )
                times.append(first)  # the first contact moves it to "in contact"
                contact_days.append(first.date())
                cursor = first
                for _ in range(rng.randint(0, 2)):
                    more = after(cursor, rng.randint(3, 14))
                    if more is None:
                        break
                    method, note = rng.choice(NOTES[2:])
                    referring.referral_contact(
                        referral=referral, by=worker, on=timezone.localdate(), method=method, note=note
                    )
                    contact_days.append(more.date())
                    cursor = more
                closing = after(cursor, rng.randint(5, 30))
                if closing is not None:
                    outcome = _weighted(rng, OUTCOMES)
                    referring.referral_close(
                        referral=referral, by=worker, outcome=outcome, reason=CLOSING_WORDS[outcome]
                    )
                    times.append(closing)
        _redate(referral, times, contact_days)
    return {"referrals": made, "redirects": redirects}


def _renumber() -> None:
    """References in the order the referrals were made (dated back), numbered within each year;
    the receiving agencies' records of why they may see the person follow."""
    ordered = list(Referral.objects.order_by("created_at").values_list("pk", "created_at", "reference"))
    for pk, _created, _old in ordered:
        Referral.objects.filter(pk=pk).update(reference=f"TMP-{str(pk)[:16]}")
    counters: dict[int, int] = {}
    renamed: dict[str, str] = {}
    for pk, created, old in ordered:
        year = timezone.localtime(created).year
        counters[year] = counters.get(year, 0) + 1
        renamed[old] = f"RF-{year}-{counters[year]:05d}"
        Referral.objects.filter(pk=pk).update(reference=renamed[old])
    for record in AgencyRecord.objects.filter(reason__startswith="Referral RF-"):
        new = renamed.get(record.reason.removeprefix("Referral "))
        if new:
            AgencyRecord.objects.filter(pk=record.pk).update(reason=f"Referral {new}")


def demo_referrals_create(*, today: dt.date, seed: int) -> dict[str, int]:
    """The directory and the portal's referrals; returns how many of each were made."""
    rng = random.Random(seed + 4)
    agencies = {
        key: agency
        for key, code in [
            ("police", "wessex-police"),
            ("probation", "wessex-probation"),
            ("yos", "wessex-yos"),
            ("council", "casterbridge-council"),
            ("health", "wessex-health"),
            ("housing", "wessex-housing"),
            ("voluntary", "second-chances"),
            ("linking", "wessex-linking"),
        ]
        if (agency := Agency.objects.filter(code=code).first()) is not None
    }
    with transaction.atomic():
        services = {s.name: s for s in _services(rng, agencies)}
        counts = _referrals(rng, today, services)
        _renumber()
    return {"services": len(services), **counts}
