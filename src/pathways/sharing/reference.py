"""The words information-sharing agreements are written in: purposes, categories, lawful bases."""

from __future__ import annotations

from django.db import models


class Purpose(models.TextChoices):
    CASEWORK = "casework", "Case work"
    OFFENDER_MANAGEMENT = "offender_management", "Integrated offender management"
    COMMUNITY_RESOLUTION = "community_resolution", "Community resolution"
    RESTORATIVE_JUSTICE = "restorative_justice", "Restorative justice"
    PERFORMANCE_ANALYSIS = "performance_analysis", "Performance analysis"
    DATA_PROTECTION = "data_protection", "Data protection"


class Category(models.TextChoices):
    """Kinds of information about a person, as agreements name them."""

    IDENTITY = "identity", "Identity"
    OFFENDING_HISTORY = "offending_history", "Offending history"
    OUTCOMES = "outcomes", "Outcomes and sentences"
    VICTIM_DETAILS = "victim_details", "Victim details"
    HEALTH = "health", "Health"
    SUBSTANCE_MISUSE = "substance_misuse", "Substance misuse"
    ACCOMMODATION = "accommodation", "Accommodation"
    CHILDREN_FAMILY = "children_family", "Children and family"
    RISK_MARKERS = "risk_markers", "Risk and warning markers"
    CASE_NOTES = "case_notes", "Case notes"


class LawfulBasis(models.TextChoices):
    LAW_ENFORCEMENT = "dpa2018_part3", "Data Protection Act 2018 Part 3 (law enforcement processing)"
    PUBLIC_TASK = "ukgdpr_6_1_e", "UK GDPR Art. 6(1)(e) public task, with Art. 9/10 conditions"
    LEGAL_OBLIGATION = "ukgdpr_6_1_c", "UK GDPR Art. 6(1)(c) legal obligation"
    VITAL_INTERESTS = "ukgdpr_6_1_d", "UK GDPR Art. 6(1)(d) vital interests"
    CONSENT = "ukgdpr_6_1_a", "UK GDPR Art. 6(1)(a) consent"
