"""The Offender Group Reconviction Scale, version 3 (OGRS3).

Howard, Francis, Soothill and Humphreys (2009), *OGRS 3: the revised Offender Group Reconviction
Scale*, Ministry of Justice Research Summary 7/09. OGRS3 gives the probability that a person is
proven to reoffend within one and two years of the start of follow-up (the sentence date for a
community sentence, the release date for custody), from five facts only: sex, age, the number of
sanctions, age at the first sanction, and the offence group of the current sanction.

    p = 1 / (1 + e^-y)
    y = intercept + age_sex + sanction_status + copas + offence
    copas = 1.251124464 * ln(S / (10 + age at current sanction - age at first sanction))

Only the intercept differs between the one- and two-year scores.

Where the public sources disagree, this module chooses as follows (see docs/risk.md):

- **Female aged 10 to 15.** HMPPS's ``hmpps-arns-risk-actuarial-api`` gives the female 10–11,
  12–13 and 14–15 terms a positive sign; the NOMS digital studio's rsr-calculator
  (``lib/data/coefficients.json``) and an independent implementation give them negative. We use
  negative: two independent copies agree, and a positive term would make a girl of 10 more likely
  to reoffend than a boy of the same age, which the published scale does not show.
- **Sexual (not against a child).** HMPPS's test data uses 0.0328; the rsr-calculator's
  coefficient is 0.003276327. We use 0.003276327, the value with full published precision.
- **Drink driving and other motoring.** The rsr-calculator's name lookup swaps the two; we follow
  the HMPPS mapping (drink driving −0.121439408, other motoring 0.262228428), the plausible one.
- **Validation AUC.** The published AUC (about 0.80) is not verified here and is not shown as a
  fact about this partnership; the fairness audit measures it on local data instead.

This module is pure: no database, no Django. ``pathways.risk.history`` builds the inputs from a
person's record.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from enum import StrEnum

VERSION = "OGRS3 (Howard et al. 2009)"
SOURCE = (
    "Howard, Francis, Soothill and Humphreys (2009), OGRS 3: the revised Offender Group "
    "Reconviction Scale, Ministry of Justice Research Summary 7/09; coefficients as published in "
    "the NOMS digital studio's rsr-calculator and HMPPS's hmpps-arns-risk-actuarial-api."
)

INTERCEPT = {1: 1.402562384, 2: 2.121705678}
COPAS_WEIGHT = 1.251124464
FIRST_SANCTION = 0.126142106
REPEAT_SANCTION = 0.463062792

# (lowest age, male, female); each band runs to the next band's lowest age.
AGE_SEX = (
    (10, 0.0, -0.785038489),
    (12, 0.083922902, -0.613852078),
    (14, 0.075775765, -0.669521331),
    (16, -0.061594199, -0.959179629),
    (18, -0.625103618, -0.897480934),
    (21, -1.051515067, -1.028488454),
    (25, -1.166679288, -1.052777806),
    (30, -1.325976554, -1.129127959),
    (35, -1.368045933, -1.42187494),
    (40, -1.499690953, -1.524652221),
    (50, -2.025261458, -2.44983716),
)
MIN_AGE = 10
MAX_AGE = 120


class Ogrs3Group(StrEnum):
    VIOLENCE = "violence"
    ROBBERY = "robbery"
    PUBLIC_ORDER = "public_order"
    SEXUAL_NOT_CHILD = "sexual_not_child"
    SEXUAL_CHILD = "sexual_child"
    SOLICITING = "soliciting"
    BURGLARY_DOMESTIC = "burglary_domestic"
    BURGLARY_OTHER = "burglary_other"
    THEFT = "theft"
    HANDLING = "handling"
    FRAUD = "fraud"
    ABSCONDING = "absconding"
    TAKING_DRIVING_AWAY = "taking_driving_away"
    THEFT_FROM_VEHICLES = "theft_from_vehicles"
    DRINK_DRIVING = "drink_driving"
    OTHER_MOTORING = "other_motoring"
    CRIMINAL_DAMAGE = "criminal_damage"
    DRUG_IMPORT_EXPORT_PRODUCTION = "drug_import_export_production"
    DRUG_POSSESSION_SUPPLY = "drug_possession_supply"
    OTHER = "other"

    @property
    def label(self) -> str:
        return GROUP_LABELS[self]


GROUP_LABELS: dict[Ogrs3Group, str] = {
    Ogrs3Group.VIOLENCE: "Violence",
    Ogrs3Group.ROBBERY: "Robbery",
    Ogrs3Group.PUBLIC_ORDER: "Public order",
    Ogrs3Group.SEXUAL_NOT_CHILD: "Sexual (not against a child)",
    Ogrs3Group.SEXUAL_CHILD: "Sexual (against a child)",
    Ogrs3Group.SOLICITING: "Soliciting or prostitution",
    Ogrs3Group.BURGLARY_DOMESTIC: "Burglary (domestic)",
    Ogrs3Group.BURGLARY_OTHER: "Burglary (other)",
    Ogrs3Group.THEFT: "Theft (non-motor)",
    Ogrs3Group.HANDLING: "Handling stolen goods",
    Ogrs3Group.FRAUD: "Fraud and forgery",
    Ogrs3Group.ABSCONDING: "Absconding or bail offences",
    Ogrs3Group.TAKING_DRIVING_AWAY: "Taking and driving away and related",
    Ogrs3Group.THEFT_FROM_VEHICLES: "Theft from vehicles",
    Ogrs3Group.DRINK_DRIVING: "Drink driving",
    Ogrs3Group.OTHER_MOTORING: "Other motoring",
    Ogrs3Group.CRIMINAL_DAMAGE: "Criminal damage",
    Ogrs3Group.DRUG_IMPORT_EXPORT_PRODUCTION: "Drug import, export or production",
    Ogrs3Group.DRUG_POSSESSION_SUPPLY: "Drug possession or supply",
    Ogrs3Group.OTHER: "Other",
}

OFFENCE = {
    Ogrs3Group.VIOLENCE: 0.0,
    Ogrs3Group.ROBBERY: -0.634795912,
    Ogrs3Group.PUBLIC_ORDER: 0.181917975,
    Ogrs3Group.SEXUAL_NOT_CHILD: 0.003276327,
    Ogrs3Group.SEXUAL_CHILD: -0.653434071,
    Ogrs3Group.SOLICITING: 0.760608858,
    Ogrs3Group.BURGLARY_DOMESTIC: -0.12394352,
    Ogrs3Group.BURGLARY_OTHER: 0.240604429,
    Ogrs3Group.THEFT: 0.661244321,
    Ogrs3Group.HANDLING: 0.351866973,
    Ogrs3Group.FRAUD: 0.159910192,
    Ogrs3Group.ABSCONDING: 0.733378677,
    Ogrs3Group.TAKING_DRIVING_AWAY: 0.380059431,
    Ogrs3Group.THEFT_FROM_VEHICLES: 0.427225615,
    Ogrs3Group.DRINK_DRIVING: -0.121439408,
    Ogrs3Group.OTHER_MOTORING: 0.262228428,
    Ogrs3Group.CRIMINAL_DAMAGE: 0.204960477,
    Ogrs3Group.DRUG_IMPORT_EXPORT_PRODUCTION: -0.795556373,
    Ogrs3Group.DRUG_POSSESSION_SUPPLY: 0.077165871,
    Ogrs3Group.OTHER: -0.060667525,
}

# HMPPS bands on the two-year percentage: (lowest percentage, band).
BANDS = ((90, "very high"), (75, "high"), (50, "medium"), (0, "low"))
BAND_NAMES = ("low", "medium", "high", "very high")


@dataclass(frozen=True)
class Ogrs3Inputs:
    """What OGRS3 needs. ``sanctions`` counts every sanction *including* the current one, so a
    first sanction is 1. ``age`` is the age at the start of follow-up, taken also as the age at the
    current sanction for the Copas rate (OGRS3's own simplification)."""

    sex: str
    age: int
    sanctions: int
    age_at_first_sanction: int
    offence_group: Ogrs3Group

    def __post_init__(self) -> None:
        if self.sex not in ("male", "female"):
            raise ValueError(f"sex: OGRS3 is published for male or female only, not {self.sex!r}")
        # Whole numbers of any integer type (NumPy's too, from a data frame), kept as plain ints.
        object.__setattr__(self, "age", _whole("age", self.age, MIN_AGE, MAX_AGE))
        object.__setattr__(self, "sanctions", _whole("sanctions", self.sanctions, 1, None))
        first = _whole("age_at_first_sanction", self.age_at_first_sanction, MIN_AGE, MAX_AGE)
        object.__setattr__(self, "age_at_first_sanction", first)
        if first > self.age:
            raise ValueError(f"age_at_first_sanction: {first} is after the age at the current sanction ({self.age})")
        try:
            group = Ogrs3Group(self.offence_group)
        except ValueError:
            raise ValueError(f"offence_group: {self.offence_group!r} is not an OGRS3 offence group") from None
        object.__setattr__(self, "offence_group", group)

    @property
    def first_sanction(self) -> bool:
        return self.sanctions == 1


@dataclass(frozen=True)
class Ogrs3Term:
    name: str
    explanation: str
    one_year: float
    two_year: float


@dataclass(frozen=True)
class Ogrs3Score:
    one_year: float
    two_year: float
    band: str
    terms: tuple[Ogrs3Term, ...] = field(default_factory=tuple)
    inputs: Ogrs3Inputs | None = None
    version: str = VERSION

    @property
    def one_year_percent(self) -> int:
        return round(self.one_year * 100)

    @property
    def two_year_percent(self) -> int:
        return round(self.two_year * 100)


def _whole(name: str, value: object, lowest: int, highest: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}: must be a whole number, not {value!r}")
    number = int(value)
    if number < lowest or (highest is not None and number > highest):
        if name == "sanctions":
            raise ValueError(f"sanctions: must be at least 1 (the current sanction counts), not {number}")
        raise ValueError(f"{name}: must be from {lowest} to {highest}, not {number}")
    return number


def age_sex_term(sex: str, age: int) -> float:
    column = 1 if sex == "male" else 2
    term = AGE_SEX[0][column]
    for row in AGE_SEX:
        if age >= row[0]:
            term = row[column]
    return term


def copas_rate(inputs: Ogrs3Inputs) -> float:
    """The Copas rate: sanctions per year of criminal career, with ten years added so that a
    young first offender is not given an extreme rate."""
    return math.log(inputs.sanctions / (10 + inputs.age - inputs.age_at_first_sanction))


def _terms(inputs: Ogrs3Inputs) -> list[tuple[str, str, float, float]]:
    age_sex = age_sex_term(inputs.sex, inputs.age)
    status = FIRST_SANCTION if inputs.first_sanction else REPEAT_SANCTION
    copas = COPAS_WEIGHT * copas_rate(inputs)
    offence = OFFENCE[inputs.offence_group]
    previous = inputs.sanctions - 1
    return [
        ("intercept", "Published constant", INTERCEPT[1], INTERCEPT[2]),
        ("age_sex", f"{inputs.sex.capitalize()}, aged {inputs.age} at the start of follow-up", age_sex, age_sex),
        (
            "sanction_status",
            "First sanction" if inputs.first_sanction else f"Repeat sanction ({previous} before this one)",
            status,
            status,
        ),
        (
            "copas",
            f"Copas rate: {inputs.sanctions} sanction{'s' if inputs.sanctions != 1 else ''} over "
            f"10 + {inputs.age} − {inputs.age_at_first_sanction} years",
            copas,
            copas,
        ),
        ("offence", f"Current offence: {inputs.offence_group.label}", offence, offence),
    ]


def _logistic(y: float) -> float:
    return 1.0 / (1.0 + math.exp(-y))


def probability(inputs: Ogrs3Inputs, years: int) -> float:
    """The probability of a proven reoffence within ``years`` (1 or 2) of the start of follow-up."""
    if years not in INTERCEPT:
        raise ValueError(f"years: OGRS3 is published for 1 or 2 years, not {years!r}")
    column = 2 if years == 1 else 3
    return _logistic(sum(term[column] for term in _terms(inputs)))


def band(two_year: float) -> str:
    """HMPPS's band for a two-year probability (0–1), on the whole percentage."""
    percent = two_year * 100
    for lowest, name in BANDS:
        if percent >= lowest:
            return name
    return "low"


def score(inputs: Ogrs3Inputs) -> Ogrs3Score:
    terms = tuple(Ogrs3Term(*term) for term in _terms(inputs))
    one = _logistic(sum(term.one_year for term in terms))
    two = _logistic(sum(term.two_year for term in terms))
    return Ogrs3Score(one_year=one, two_year=two, band=band(two), terms=terms, inputs=inputs)
