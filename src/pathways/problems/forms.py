"""Forms for a problem's definition, notes and evidence, the analysis, the people involved and
response actions. They turn what was typed into values; the rules are in `problems.services`."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import forms
from django.utils import timezone

from pathways.accounts.models import Agency
from pathways.problems.models import ActionStatus, Area, InvolvedPerson, Problem, ProblemKind, ProblemNote
from pathways.sharing.forms import DATE_FORMATS
from pathways.web.forms import GovukFormMixin

STATEMENT_HINT = (
    "Say specifically what is happening that the partnership needs to stop: who does what, where "
    "and when. Not “ASB at the shops” but “what are the youths doing at the shops that we need to "
    "stop happening?” (at least 8 words)."
)


def _date(label: str, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_FORMATS,
        help_text="For example, 2026-11-30",
        error_messages={
            "invalid": f"Enter the {label.lower()} as a date like 2026-11-30",
            "required": f"Enter the {label.lower()}",
        },
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
    )


def _text(label: str, *, rows: int = 3, required: bool = False, help_text: str = "", **kw: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": f"Enter {label[0].lower() + label[1:]}"},
        **kw,
    )


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.replace("\r", "").split("\n") if line.strip()]


class ProblemForm(GovukFormMixin, forms.Form):
    """The definition: what kind of problem, what is happening, where, when and with whom."""

    kind = forms.ChoiceField(
        label="What is the problem about?",
        choices=ProblemKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the problem is a place, a group or a theme"},
    )
    title = forms.CharField(
        label="Title",
        max_length=200,
        help_text="A few words the partners will know it by, like “Youths at the Market Place shops”.",
        error_messages={"required": "Enter a short title for the problem"},
    )
    statement = _text("What is happening", rows=4, required=True, help_text=STATEMENT_HINT)
    area_codes = forms.CharField(
        label="Areas",
        required=False,
        help_text="Area codes, separated by commas or spaces, like WX1, WX2.",
    )
    streets = _text("Streets", help_text="One street per line, as police.uk names them (“High Street”).")
    boundary = _text(
        "A boundary drawn on the map (GeoJSON)",
        rows=3,
        help_text="A GeoJSON Polygon in longitude and latitude, from the scanning map. Leave empty if none.",
    )
    group_description = _text("The group", help_text="For a group problem: who the group are.")
    theme = forms.CharField(label="The theme", required=False, max_length=200, help_text="For a theme problem.")
    period_from = _date("Start of the period")
    period_to = _date("End of the period")
    crime_types = forms.CharField(
        label="Crime types",
        required=False,
        help_text="Separated by commas, like Shoplifting, Public order. Leave empty for every type.",
    )
    partners = forms.ModelMultipleChoiceField(
        label="Partner agencies working the problem",
        queryset=Agency.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, owner_agency: Agency, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partners"].queryset = Agency.objects.exclude(pk=owner_agency.pk).order_by("name")
        areas = list(Area.objects.order_by("code").values_list("code", "name"))
        if areas:
            # With the areas known, choosing is easier (and surer) than typing their codes.
            self.fields["area_codes"] = forms.MultipleChoiceField(
                label="Areas",
                required=False,
                choices=[(code, f"{name} ({code})" if name != code else code) for code, name in areas],
                widget=forms.CheckboxSelectMultiple,
            )
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("period_from", today.replace(year=today.year - 1))
            self.initial.setdefault("period_to", today)

    def clean_area_codes(self) -> list[str]:
        value = self.cleaned_data.get("area_codes") or []
        if isinstance(value, str):
            value = value.replace(",", " ").split()
        return [v.strip().upper() for v in value if v.strip()]

    def clean_streets(self) -> list[str]:
        return _lines(self.cleaned_data.get("streets") or "")

    def clean_crime_types(self) -> list[str]:
        return [v.strip() for v in (self.cleaned_data.get("crime_types") or "").split(",") if v.strip()]

    def clean_boundary(self) -> dict[str, Any] | None:
        text = (self.cleaned_data.get("boundary") or "").strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError("The boundary is not GeoJSON: paste it as the map gives it") from exc
        # A Feature from the map: its geometry is the boundary.
        if isinstance(value, dict) and value.get("type") == "Feature":
            value = value.get("geometry")
        return value

    @staticmethod
    def initial_for(problem: Problem) -> dict[str, Any]:
        return {
            "kind": problem.kind,
            "title": problem.title,
            "statement": problem.statement,
            "area_codes": problem.area_codes if Area.objects.exists() else ", ".join(problem.area_codes),
            "streets": "\n".join(problem.streets),
            "boundary": json.dumps(problem.boundary) if problem.boundary else "",
            "group_description": problem.group_description,
            "theme": problem.theme,
            "period_from": problem.period_from,
            "period_to": problem.period_to,
            "crime_types": ", ".join(problem.crime_types),
            "partners": [p.agency for p in problem.partners.select_related("agency")],
            "scanning_summary": problem.scanning_summary,
        }


class ProblemEditForm(ProblemForm):
    scanning_summary = _text(
        "What scanning showed",
        rows=4,
        help_text="In your words: how many incidents, what kinds, when and where they cluster.",
    )


class PartnerForm(GovukFormMixin, forms.Form):
    """An agency joining the problem (after scanning too: a partner may be needed for a response)."""

    agency = forms.ModelChoiceField(
        label="Agency",
        queryset=Agency.objects.none(),
        empty_label="Choose an agency",
        error_messages={"required": "Choose the agency joining the problem"},
    )
    role = forms.CharField(
        label="What they bring", required=False, max_length=200, help_text="For example, “owns the garage blocks”."
    )

    def __init__(self, *args: Any, problem: Problem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        working = [problem.owner_agency_id, *problem.partners.values_list("agency_id", flat=True)]
        self.fields["agency"].queryset = Agency.objects.exclude(pk__in=working).order_by("name")


class AdvanceForm(forms.Form):
    """The stage the problem is to move to: posted, so a move to any other stage is refused."""

    to_stage = forms.CharField(max_length=12)
    note = forms.CharField(required=False, max_length=2000)


class NoteForm(GovukFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label="Is this a note or evidence?",
        choices=ProblemNote.Kind.choices,
        initial=ProblemNote.Kind.NOTE,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether this is a note or evidence"},
    )
    text = _text("Note or evidence", rows=3, required=True)
    source = forms.CharField(
        label="Where the evidence came from",
        required=False,
        max_length=300,
        help_text="For evidence: a survey, a site visit, a partner's figures.",
    )


class AnalysisForm(GovukFormMixin, forms.Form):
    """The problem analysis triangle: the inner three sides and who acts on each."""

    victims = _text("Victims (or targets)", help_text="Who or what is harmed, and why them.")
    offenders = _text("Offenders", help_text="Who is doing it, and what they get from it.")
    places = _text("Places", help_text="Where it happens, and what about the place lets it happen.")
    guardians = _text("Guardians", help_text="Who looks after the victims or targets.")
    handlers = _text("Handlers", help_text="Who has influence over the offenders: family, teachers, workers.")
    managers = _text("Managers", help_text="Who owns or runs the places.")
    summary = _text(
        "Why it is happening",
        rows=4,
        help_text="The hypothesis the response will test: what the three sides have in common.",
    )


class InvolveForm(GovukFormMixin, forms.Form):
    identifier = forms.CharField(
        label="PNC ID or Pathways id",
        max_length=64,
        help_text="Only people your agency may see can be added.",
        error_messages={"required": "Enter the person's PNC ID or Pathways id"},
    )
    role = forms.ChoiceField(
        label="How are they involved?",
        choices=InvolvedPerson.Role.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the person is involved"},
    )
    note = forms.CharField(label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ActionForm(GovukFormMixin, forms.Form):
    action = forms.CharField(
        label="What will be done",
        max_length=500,
        error_messages={"required": "Say what will be done"},
    )
    owner_agency = forms.ModelChoiceField(
        label="Agency that owns it",
        queryset=Agency.objects.none(),
        empty_label="Choose an agency",
        error_messages={"required": "Choose the agency that owns the action"},
    )
    owner_name = forms.CharField(label="Person responsible", required=False, max_length=200)
    starts_on = _date("Start date")
    due_on = _date("Due date")
    status = forms.ChoiceField(label="Status", choices=ActionStatus.choices, initial=ActionStatus.PLANNED)
    place = forms.CharField(
        label="Place", required=False, max_length=300, help_text="A street, an area code or a site, if it has one."
    )
    person = forms.CharField(
        label="Person it is about (PNC ID or Pathways id)",
        required=False,
        max_length=64,
        help_text="Optional: someone your agency may see, like an IOM member the action is part of.",
    )
    link_iom = forms.BooleanField(label="Part of the person's IOM plan", required=False)
    resolution_reference = forms.CharField(
        label="Their out-of-court resolution's reference", required=False, max_length=20
    )
    outcome = _text("Outcome", rows=2)

    def __init__(self, *args: Any, problem: Problem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        working = [problem.owner_agency_id, *problem.partners.values_list("agency_id", flat=True)]
        self.fields["owner_agency"].queryset = Agency.objects.filter(pk__in=working).order_by("name")
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("starts_on", today)
            self.initial.setdefault("due_on", today + dt.timedelta(days=28))


class ActionUpdateForm(GovukFormMixin, forms.Form):
    status = forms.ChoiceField(label="Status", choices=ActionStatus.choices)
    finished_on = _date("Date it finished", required=False)
    due_on = _date("Due date", required=False)
    outcome = _text("Outcome", rows=2)
