"""Offence groups, Home Office offence codes and outcome types.

Offence groups are the Ministry of Justice proven-reoffending groups. The offence code
list is the subset of the Home Office counting-rules classification the demo uses; an
import accepts any code of that shape, because forces record codes this list lacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import models


class OffenceGroup(models.TextChoices):
    VIOLENCE = "violence", "Violence against the person"
    SEXUAL = "sexual", "Sexual offences"
    ROBBERY = "robbery", "Robbery"
    THEFT = "theft", "Theft offences"
    CRIMINAL_DAMAGE = "criminal_damage", "Criminal damage and arson"
    DRUGS = "drugs", "Drug offences"
    WEAPONS = "weapons", "Possession of weapons"
    PUBLIC_ORDER = "public_order", "Public order offences"
    MISCELLANEOUS = "miscellaneous", "Miscellaneous crimes against society"
    FRAUD = "fraud", "Fraud offences"
    SUMMARY_NON_MOTORING = "summary_non_motoring", "Summary non-motoring"
    SUMMARY_MOTORING = "summary_motoring", "Summary motoring"


@dataclass(frozen=True)
class OffenceType:
    code: str
    description: str
    group: str
    gravity: int  # 1 (low) to 4 (high), as in the adult gravity matrix
    has_victim: bool


OFFENCE_TYPES: list[OffenceType] = [
    OffenceType("1", "Murder", OffenceGroup.VIOLENCE, 4, True),
    OffenceType("5D", "Assault with intent to cause serious harm", OffenceGroup.VIOLENCE, 4, True),
    OffenceType("8N", "Assault with injury", OffenceGroup.VIOLENCE, 3, True),
    OffenceType("105A", "Assault without injury", OffenceGroup.VIOLENCE, 2, True),
    OffenceType("104", "Assault without injury on a constable", OffenceGroup.VIOLENCE, 3, True),
    OffenceType("8L", "Harassment", OffenceGroup.VIOLENCE, 2, True),
    OffenceType("8Q", "Stalking", OffenceGroup.VIOLENCE, 3, True),
    OffenceType("8R", "Malicious communications", OffenceGroup.VIOLENCE, 2, True),
    OffenceType("19C", "Rape of a female aged 16 and over", OffenceGroup.SEXUAL, 4, True),
    OffenceType("17A", "Sexual assault on a female aged 13 and over", OffenceGroup.SEXUAL, 4, True),
    OffenceType("34B", "Robbery of personal property", OffenceGroup.ROBBERY, 4, True),
    OffenceType("28E", "Burglary – residential", OffenceGroup.THEFT, 3, True),
    OffenceType("30C", "Burglary – business and community", OffenceGroup.THEFT, 3, True),
    OffenceType("46", "Shoplifting", OffenceGroup.THEFT, 1, False),
    OffenceType("39", "Theft from the person", OffenceGroup.THEFT, 2, True),
    OffenceType("44", "Bicycle theft", OffenceGroup.THEFT, 1, True),
    OffenceType("45", "Theft from a vehicle", OffenceGroup.THEFT, 2, True),
    OffenceType("48", "Theft or unauthorised taking of a motor vehicle", OffenceGroup.THEFT, 2, True),
    OffenceType("49", "Other theft", OffenceGroup.THEFT, 1, True),
    OffenceType("58A", "Criminal damage to a dwelling", OffenceGroup.CRIMINAL_DAMAGE, 2, True),
    OffenceType("58C", "Criminal damage to a vehicle", OffenceGroup.CRIMINAL_DAMAGE, 1, True),
    OffenceType("56B", "Arson not endangering life", OffenceGroup.CRIMINAL_DAMAGE, 3, True),
    OffenceType("92A", "Trafficking in controlled drugs", OffenceGroup.DRUGS, 3, False),
    OffenceType("92D", "Possession of cannabis", OffenceGroup.DRUGS, 1, False),
    OffenceType("92E", "Possession of controlled drugs (excluding cannabis)", OffenceGroup.DRUGS, 2, False),
    OffenceType("10D", "Possession of article with blade or point", OffenceGroup.WEAPONS, 3, False),
    OffenceType("8M", "Possession of other weapons", OffenceGroup.WEAPONS, 3, False),
    OffenceType("9A", "Public fear, alarm or distress", OffenceGroup.PUBLIC_ORDER, 2, True),
    OffenceType(
        "66",
        "Other offences against the state or public order",
        OffenceGroup.PUBLIC_ORDER,
        2,
        False,
    ),
    OffenceType("53H", "Fraud by false representation", OffenceGroup.FRAUD, 2, True),
    OffenceType("802", "Dangerous driving", OffenceGroup.MISCELLANEOUS, 3, False),
    OffenceType("149", "Drunk and disorderly", OffenceGroup.SUMMARY_NON_MOTORING, 1, False),
    OffenceType("195", "Breach of a court order", OffenceGroup.SUMMARY_NON_MOTORING, 2, False),
    OffenceType("805", "Driving while disqualified", OffenceGroup.SUMMARY_MOTORING, 2, False),
]
OFFENCE_TYPES_BY_CODE = {t.code: t for t in OFFENCE_TYPES}

# Home Office offence codes: digits with an optional letter suffix, or dotted sub-codes.
OFFENCE_CODE_PATTERN = re.compile(r"^\d{1,3}(\.\d{1,2})?[A-Z]?$")


def offence_description(code: str) -> str:
    known = OFFENCE_TYPES_BY_CODE.get(code)
    return known.description if known else f"Offence code {code}"


class Outcome(models.TextChoices):
    """Home Office crime outcome types 1–22 and court results, as they appear in partner files."""

    CHARGED = "1", "1 Charged or summonsed"
    CAUTION_YOUTH = "2", "2 Caution – youth"
    CAUTION_ADULT = "3", "3 Caution – adult"
    TIC = "4", "4 Taken into consideration"
    OFFENDER_DIED = "5", "5 Offender died"
    PND = "6", "6 Penalty notice for disorder"
    CANNABIS_WARNING = "7", "7 Cannabis or khat warning"
    COMMUNITY_RESOLUTION = "8", "8 Community resolution"
    CPS_NOT_PUBLIC_INTEREST = "9", "9 Prosecution not in the public interest (CPS)"
    POLICE_NOT_PUBLIC_INTEREST = "10", "10 Formal action not in the public interest (police)"
    UNDER_AGE = "11", "11 Prosecution prevented – suspect under age"
    SUSPECT_TOO_ILL = "12", "12 Prosecution prevented – suspect too ill"
    VICTIM_DEAD_OR_ILL = "13", "13 Prosecution prevented – victim or key witness dead or too ill"
    EVIDENTIAL_NOT_IDENTIFIED = (
        "14",
        "14 Evidential difficulties – suspect not identified; victim does not support action",
    )
    EVIDENTIAL_VICTIM_SUPPORTS = (
        "15",
        "15 Evidential difficulties – suspect identified; victim supports action",
    )
    EVIDENTIAL_VICTIM_WITHDRAWS = (
        "16",
        "16 Evidential difficulties – victim does not support further action",
    )
    TIME_LIMIT = "17", "17 Prosecution time limit expired"
    NO_SUSPECT = "18", "18 Investigation complete – no suspect identified"
    NFIB = "19", "19 National Fraud Intelligence Bureau filed"
    OTHER_BODY = "20", "20 Further action undertaken by another body or agency"
    FURTHER_INVESTIGATION = "21", "21 Further investigation not in the public interest (police)"
    DIVERSIONARY = "22", "22 Diversionary, educational or intervention activity"
    CONVICTION_CUSTODY = "conviction_custody", "Convicted: custodial sentence"
    CONVICTION_SUSPENDED = "conviction_suspended", "Convicted: suspended sentence"
    CONVICTION_COMMUNITY = "conviction_community", "Convicted: community order"
    CONVICTION_FINE = "conviction_fine", "Convicted: fine"
    CONVICTION_DISCHARGE = "conviction_discharge", "Convicted: discharge"
    ACQUITTAL = "acquittal", "Acquitted"


COURT_RESULTS = {o.value for o in Outcome if not o.value.isdigit()}
CONVICTIONS = {o for o in COURT_RESULTS if o.startswith("conviction_")}
# Outcomes that prove an offence for proven-reoffending purposes (MoJ definition).
PROVING_OUTCOMES = CONVICTIONS | {Outcome.CAUTION_YOUTH.value, Outcome.CAUTION_ADULT.value}
