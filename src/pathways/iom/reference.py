"""The words of integrated offender management: schemes, tiers, the seven pathways, tags."""

from __future__ import annotations

from django.db import models


class MembershipStatus(models.TextChoices):
    ADOPTED = "adopted", "In the cohort"
    DESELECTED = "deselected", "De-selected"


class EventKind(models.TextChoices):
    ADOPTED = "adopted", "Adopted"
    REVIEWED = "reviewed", "Reviewed"
    TIER_CHANGED = "tier_changed", "Risk tier changed"
    LEAD_CHANGED = "lead_changed", "Lead changed"
    DESELECTED = "deselected", "De-selected"


class CandidateDecisionKind(models.TextChoices):
    ADOPTED = "adopted", "Adopted"
    DECLINED = "declined", "Declined"


class Tier(models.TextChoices):
    """The risk tier decides who manages the person day to day."""

    HIGH = "high", "High (red)"
    MEDIUM = "medium", "Medium (amber)"
    LOW = "low", "Low (green)"


class ManagedBy(models.TextChoices):
    SPECIALIST = "specialist", "Specialist IOM team"
    NEIGHBOURHOOD = "neighbourhood", "Neighbourhood officer"
    PARTNER = "partner", "Partner agency, with police oversight"


# High-risk people are managed by the specialist team and medium-risk by neighbourhood
# officers (seed 002); low-risk people by the lead partner agency.
MANAGED_BY_TIER: dict[str, str] = {
    Tier.HIGH: ManagedBy.SPECIALIST,
    Tier.MEDIUM: ManagedBy.NEIGHBOURHOOD,
    Tier.LOW: ManagedBy.PARTNER,
}


class Pathway(models.TextChoices):
    """The seven resettlement pathways of the Reducing Reoffending Action Plan."""

    ACCOMMODATION = "accommodation", "Accommodation"
    ETE = "ete", "Education, training and employment"
    HEALTH = "health", "Health"
    DRUGS_ALCOHOL = "drugs_alcohol", "Drugs and alcohol"
    FINANCE = "finance", "Finance, benefit and debt"
    CHILDREN_FAMILIES = "children_families", "Children and families"
    ATTITUDES = "attitudes", "Attitudes, thinking and behaviour"


class NeedLevel(models.TextChoices):
    NONE = "none", "No need"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class ActionStatus(models.TextChoices):
    OPEN = "open", "In progress"
    DONE = "done", "Done"
    NOT_DONE = "not_done", "Not achieved"
    CANCELLED = "cancelled", "No longer needed"


class BoardDecision(models.TextChoices):
    NOTED = "noted", "Noted, no change"
    PARTNER_ACTION = "partner_action", "Partner action agreed"
    INCREASE_CONTACT = "increase_contact", "More contact"
    ENFORCEMENT = "enforcement", "Enforcement or recall considered"
    TIER_REVIEW = "tier_review", "Tier to be reviewed"
    EXIT_REVIEW = "exit_review", "Exit to be considered"


class TagType(models.TextChoices):
    GPS = "gps", "GPS location tag"
    RADIO_FREQUENCY = "rf", "Radio frequency (curfew) tag"
    ALCOHOL = "alcohol", "Alcohol monitoring tag"


class TagBasis(models.TextChoices):
    VOLUNTARY = "voluntary", "Worn voluntarily"
    CONDITION = "condition", "A licence, bail or court condition"


class TagEventKind(models.TextChoices):
    """The events a tag supplier reports; the first group are alerts for the board."""

    EXCLUSION_ZONE = "exclusion_zone", "Entered an exclusion zone"
    CURFEW_BREACH = "curfew_breach", "Curfew breached"
    STRAP_TAMPER = "strap_tamper", "Strap tampered with"
    NO_SIGNAL = "no_signal", "No signal"
    BATTERY_FLAT = "battery_flat", "Battery flat"
    ALCOHOL_DETECTED = "alcohol_detected", "Alcohol detected"
    BATTERY_CHARGED = "battery_charged", "Battery charged"
    SIGNAL_RESTORED = "signal_restored", "Signal restored"
    COMPLIANT_DAY = "compliant_day", "A compliant day"


TAG_ALERTS = frozenset(
    {
        TagEventKind.EXCLUSION_ZONE,
        TagEventKind.CURFEW_BREACH,
        TagEventKind.STRAP_TAMPER,
        TagEventKind.NO_SIGNAL,
        TagEventKind.BATTERY_FLAT,
        TagEventKind.ALCOHOL_DETECTED,
    }
)
