"""The words of the community resolution framework: routes, admissions, victims' wishes, actions."""

from __future__ import annotations

from django.db import models


class Route(models.TextChoices):
    """The ways an offence can be resolved, lightest first. The order matters: the
    recommendation engine only ever moves a case *up* this list, never down."""

    NO_FURTHER_ACTION = "nfa", "No further action"
    STREET_CR = "street_cr", "Street community resolution"
    LEVEL_1 = "level_1", "Level 1 advanced community resolution"
    LEVEL_2 = "level_2", "Level 2 case conference"
    DIVERSION = "diversion", "Diversion contract"
    CAUTION = "caution", "Caution"
    LEVEL_3 = "level_3", "Level 3 specialist conference"
    CHARGE = "charge", "Charge"


ROUTE_ORDER: list[str] = [r.value for r in Route]


def route_rank(route: str) -> int:
    return ROUTE_ORDER.index(route)


# The community resolution tiers (Home Office outcome 8).
COMMUNITY_RESOLUTION_TIERS = {Route.STREET_CR, Route.LEVEL_1, Route.LEVEL_2, Route.LEVEL_3}
# Routes on which actions (an apology, reparation, a remedy) are agreed with the person.
ROUTES_WITH_ACTIONS = {Route.STREET_CR, Route.LEVEL_1, Route.LEVEL_2, Route.LEVEL_3}


def outcome_for(route: str, *, child: bool) -> str:
    """The Home Office outcome type a decision on this route is recorded as on the offence."""
    if route in COMMUNITY_RESOLUTION_TIERS:
        return "8"
    return {
        Route.NO_FURTHER_ACTION: "10",
        Route.DIVERSION: "22",
        Route.CAUTION: "2" if child else "3",
        Route.CHARGE: "1",
    }[Route(route)]


class Admission(models.TextChoices):
    ADMITS = "admits", "Admits the offence"
    DOES_NOT_DENY = "does_not_deny", "Does not admit, does not deny (for example, no comment)"
    DENIES = "denies", "Denies the offence"


class VictimWants(models.TextChoices):
    """What the victim says they want, in the framework's terms; their own words are kept too."""

    NOT_ASKED = "not_asked", "Not yet asked"
    RESOLUTION = "resolution", "Content for it to be resolved without court"
    MEETING = "meeting", "Wants to meet the person who harmed them"
    PROSECUTION = "prosecution", "Wants the person prosecuted"
    NO_ACTION = "no_action", "Wants no action taken"
    NO_VICTIM = "no_victim", "No individual victim"


class Status(models.TextChoices):
    DRAFT = "draft", "Recommendation made, awaiting the officer's decision"
    AWAITING_REVIEW = "awaiting_review", "Awaiting supervisor review"
    AGREED = "agreed", "Agreed, actions under way"
    REFERRED = "referred", "Referred"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Not completed"
    CLOSED = "closed", "Closed"


class ReviewStatus(models.TextChoices):
    NOT_NEEDED = "not_needed", "Not needed"
    PENDING = "pending", "Waiting for a supervisor"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned to the officer"


class ActionKind(models.TextChoices):
    APOLOGY_LETTER = "apology_letter", "Letter of apology"
    VERBAL_APOLOGY = "verbal_apology", "Apology in person"
    REPARATION_VICTIM = "reparation_victim", "Reparation to the victim"
    REPARATION_COMMUNITY = "reparation_community", "Reparation to the community"
    COMPENSATION = "compensation", "Compensation"
    WORDS_OF_ADVICE = "words_of_advice", "Words of advice"
    COMMUNITY_REMEDY = "community_remedy", "Community Remedy"
    CONDITION = "condition", "Contract condition"


class ActionStatus(models.TextChoices):
    AGREED = "agreed", "Agreed"
    DONE = "done", "Done"
    FAILED = "failed", "Not done"


class CaseFlag(models.TextChoices):
    """Kinds of case that eligibility rules can name."""

    DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse"
    HATE_CRIME = "hate_crime", "Hate crime"
    SEXUAL = "sexual", "Sexual offence"
    WEAPON = "weapon", "Weapon involved"
