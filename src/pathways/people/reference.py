"""Reference lists for people: sex, ethnicity, identifier kinds, warning markers."""

from __future__ import annotations

import re

from django.db import models


class Sex(models.TextChoices):
    MALE = "M", "Male"
    FEMALE = "F", "Female"
    NOT_KNOWN = "U", "Not known"


class Ethnicity(models.TextChoices):
    """The 2021 Census (ONS) categories, coded as the police self-defined ethnicity 18+1 codes."""

    ASIAN_INDIAN = "A1", "Asian or Asian British: Indian"
    ASIAN_PAKISTANI = "A2", "Asian or Asian British: Pakistani"
    ASIAN_BANGLADESHI = "A3", "Asian or Asian British: Bangladeshi"
    ASIAN_CHINESE = "A4", "Asian or Asian British: Chinese"
    ASIAN_OTHER = "A9", "Asian or Asian British: any other Asian background"
    BLACK_CARIBBEAN = "B1", "Black, Black British, Caribbean or African: Caribbean"
    BLACK_AFRICAN = "B2", "Black, Black British, Caribbean or African: African"
    BLACK_OTHER = "B9", "Black, Black British, Caribbean or African: any other Black background"
    MIXED_WHITE_BLACK_CARIBBEAN = "M1", "Mixed or multiple: White and Black Caribbean"
    MIXED_WHITE_BLACK_AFRICAN = "M2", "Mixed or multiple: White and Black African"
    MIXED_WHITE_ASIAN = "M3", "Mixed or multiple: White and Asian"
    MIXED_OTHER = "M9", "Mixed or multiple: any other mixed background"
    WHITE_BRITISH = "W1", "White: English, Welsh, Scottish, Northern Irish or British"
    WHITE_IRISH = "W2", "White: Irish"
    WHITE_GYPSY_TRAVELLER = "W3", "White: Gypsy or Irish Traveller"
    WHITE_ROMA = "W4", "White: Roma"
    WHITE_OTHER = "W9", "White: any other White background"
    OTHER_ARAB = "O1", "Other ethnic group: Arab"
    OTHER = "O9", "Other ethnic group: any other ethnic group"
    NOT_STATED = "NS", "Not stated"


class IdentifierKind(models.TextChoices):
    PNC = "pnc", "PNC ID"
    AGENCY_REFERENCE = "agency_ref", "Agency reference"
    OTHER = "other", "Other reference"


class MarkerKind(models.TextChoices):
    VIOLENCE = "violence", "Violence"
    WEAPONS = "weapons", "Weapons"
    SELF_HARM = "self_harm", "Self-harm"
    SUICIDE_RISK = "suicide", "Suicide risk"
    VULNERABLE_ADULT = "vulnerable_adult", "Vulnerable adult"
    DRUGS = "drugs", "Drugs"
    MENTAL_HEALTH = "mental_health", "Mental health"
    ESCAPE_RISK = "escape", "Escape risk"
    DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse"
    ALLEGES = "alleges", "Makes allegations against staff"


# A PNC ID is a two- or four-digit year, a serial number and a check letter: 2019/0123456A.
PNC_PATTERN = re.compile(r"^(\d{2}|\d{4})/\d{1,7}[A-Z]$")
# The UK postcode shape (outward code, space optional, inward code).
POSTCODE_PATTERN = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?) ?(\d[A-Z]{2})$")


def normalise_pnc(value: str) -> str:
    return value.strip().upper()


def normalise_postcode(value: str) -> str | None:
    """`'wy1 2ab'` → `'WY1 2AB'`, or None when it is not a postcode."""
    match = POSTCODE_PATTERN.match(value.strip().upper().replace("  ", " "))
    if not match:
        return None
    return f"{match.group(1)} {match.group(2)}"


def postcode_area(postcode: str) -> str:
    """The postcode district (outward code): the area figures are broken down by."""
    return postcode.split(" ")[0]
