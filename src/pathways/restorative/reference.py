"""The words of restorative justice practice: where referrals come from, the stages of a case,
consent, assessment, the kinds of intervention, and facilitators' training and vetting."""

from __future__ import annotations

from django.db import models


class Source(models.TextChoices):
    """Who referred the case."""

    POLICE = "police", "Police"
    PROBATION = "probation", "Probation"
    YOUTH_OFFENDING = "yos", "Youth offending service"
    PRISON = "prison", "Prison"
    COURT = "court", "Court"
    VICTIM_SERVICE = "victim_service", "Victim services"
    SELF = "self", "The victim themself"
    OTHER = "other", "Another partner"


class Stage(models.TextChoices):
    """Where in the criminal justice process the case is: RJ can happen at any stage."""

    PRE_CHARGE = "pre_charge", "Pre-charge (including out-of-court resolutions)"
    PRE_SENTENCE = "pre_sentence", "Pre-sentence"
    POST_SENTENCE = "post_sentence", "Post-sentence"
    ASB = "asb", "Anti-social behaviour"


class CaseStatus(models.TextChoices):
    """The steps of a case, in order. A case moves forward, or closes."""

    REFERRED = "referred", "New referral"
    INFO_REQUESTED = "info_requested", "More information asked for"
    DECLINED = "declined", "Referral declined"
    CONTACT = "contact", "Contacting the parties"
    ASSESSMENT = "assessment", "Risk and suitability assessment"
    ALLOCATION = "allocation", "Waiting for a facilitator"
    PREPARATION = "preparation", "Preparation"
    AGREEMENT = "agreement", "Agreement in progress"
    FOLLOW_UP = "follow_up", "Follow-up"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = [
    CaseStatus.REFERRED,
    CaseStatus.INFO_REQUESTED,
    CaseStatus.CONTACT,
    CaseStatus.ASSESSMENT,
    CaseStatus.ALLOCATION,
    CaseStatus.PREPARATION,
    CaseStatus.AGREEMENT,
    CaseStatus.FOLLOW_UP,
]


class ClosureReason(models.TextChoices):
    COMPLETED = "completed", "Completed"
    VICTIM_WITHDREW = "victim_withdrew", "The victim chose to stop"
    OFFENDER_WITHDREW = "offender_withdrew", "The offender withdrew"
    CONSENT_DECLINED = "consent_declined", "A party did not consent"
    NOT_SUITABLE = "not_suitable", "Assessed as not suitable"
    NO_CONTACT = "no_contact", "A party could not be contacted"
    OTHER = "other", "Other"


class Role(models.TextChoices):
    """A party's part in the case."""

    VICTIM = "victim", "Victim"
    OFFENDER = "offender", "Offender"


class ConsentStatus(models.TextChoices):
    GIVEN = "given", "Given"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ContactMethod(models.TextChoices):
    PHONE = "phone", "Telephone"
    LETTER = "letter", "Letter"
    EMAIL = "email", "Email"
    VISIT = "visit", "Home visit"
    IN_PERSON = "in_person", "In person elsewhere"


class ContactResult(models.TextChoices):
    SPOKE = "spoke", "Spoke to them"
    NO_ANSWER = "no_answer", "No answer"
    MESSAGE_LEFT = "message_left", "Left a message"
    SENT = "sent", "Sent"
    WRONG_DETAILS = "wrong_details", "Contact details wrong"


class TaskKind(models.TextChoices):
    FIRST_CONTACT = "first_contact", "First contact"
    CONTACT = "contact", "Contact"
    FOLLOW_UP = "follow_up", "Follow-up contact"
    SURVEY = "survey", "Satisfaction survey"


class TaskStatus(models.TextChoices):
    OPEN = "open", "To do"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class CaseType(models.TextChoices):
    """Complex and sensitive case types: only a facilitator trained for the type may take them."""

    SEXUAL_VIOLENCE = "sexual_violence", "Sexual violence"
    HATE_CRIME = "hate_crime", "Hate crime"
    DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse"


class Rating(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


# The questions of the risk and suitability assessment, each rated low / medium / high.
ASSESSMENT_FACTORS: dict[str, str] = {
    "risk_of_harm": "Risk of harm to either party",
    "revictimisation": "Risk of re-victimisation",
    "power_imbalance": "Power imbalance between the parties",
    "capacity": "Concern about a party's capacity to take part",
    "safeguarding": "Safeguarding concern",
    "readiness": "Concern about a party's readiness",
}


class AssessmentDecision(models.TextChoices):
    SUITABLE = "suitable", "Suitable"
    SUITABLE_WITH_CONDITIONS = "conditions", "Suitable with conditions"
    NOT_SUITABLE = "not_suitable", "Not suitable"


class Intervention(models.TextChoices):
    CONFERENCE = "conference", "Face-to-face conference"
    SHUTTLE = "shuttle", "Shuttle (indirect) communication"
    LETTER = "letter", "Letter of explanation or apology"
    PANEL = "panel", "Neighbourhood Justice Panel"


class MeetingStatus(models.TextChoices):
    ARRANGED = "arranged", "Arranged"
    HELD = "held", "Held"
    POSTPONED = "postponed", "Postponed"
    CANCELLED = "cancelled", "Cancelled"


class ParticipantRole(models.TextChoices):
    VICTIM = "victim", "Victim"
    OFFENDER = "offender", "Offender"
    SUPPORTER = "supporter", "Supporter"
    FACILITATOR = "facilitator", "Facilitator"
    PROFESSIONAL = "professional", "Professional"


class ActionStatus(models.TextChoices):
    AGREED = "agreed", "Agreed"
    DONE = "done", "Done"
    NOT_DONE = "not_done", "Not done"


class FacilitatorKind(models.TextChoices):
    STAFF = "staff", "Staff"
    VOLUNTEER = "volunteer", "Volunteer"


class VettingLevel(models.TextChoices):
    """Non-Police Personnel Vetting levels."""

    NPPV1 = "nppv1", "NPPV level 1"
    NPPV2 = "nppv2", "NPPV level 2"
    NPPV3 = "nppv3", "NPPV level 3"


class Course(models.TextChoices):
    """Training a facilitator can hold. The three complex-case courses match `CaseType`."""

    FOUNDATION = "foundation", "Restorative justice facilitator (foundation)"
    SEXUAL_VIOLENCE = "sexual_violence", "Complex cases: sexual violence"
    HATE_CRIME = "hate_crime", "Complex cases: hate crime"
    DOMESTIC_ABUSE = "domestic_abuse", "Complex cases: domestic abuse"
    PANEL = "panel", "Neighbourhood Justice Panel member"
    SAFEGUARDING = "safeguarding", "Safeguarding"


class SurveyMethod(models.TextChoices):
    LINK = "link", "Online link"
    PAPER = "paper", "Paper form entered by staff"
    PHONE = "phone", "By telephone"
