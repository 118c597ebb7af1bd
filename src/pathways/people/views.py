"""Finding a person and reading their record. Thin: the work is in selectors and access."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from pathways.access.policies import (
    can_record_consent,
    is_data_protection_lead,
    people_visible_to,
    request_purpose,
    sharing_view,
)
from pathways.access.services import access_person
from pathways.linkage.merging import merged_into_now
from pathways.people.forms import PersonSearchForm
from pathways.people.selectors import person_record, person_search
from pathways.resolutions.policies import can_record_resolutions
from pathways.sharing.selectors import consent_history


def search(request: HttpRequest) -> HttpResponse:
    form = PersonSearchForm(request.GET or None)
    results = None
    if form.is_bound and form.is_valid():
        results = person_search(
            user=request.user,
            name=form.cleaned_data["name"] or "",
            date_of_birth=form.cleaned_data["date_of_birth"],
            identifier=form.cleaned_data["identifier"] or "",
            purpose=request_purpose(request),
        )
    return render(request, "people/search.html", {"form": form, "results": results})


def person_detail(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    purpose = request_purpose(request)
    now = merged_into_now(person_id)
    if now is not None and people_visible_to(request.user).filter(pk=now.pk).exists():
        # An old link to someone merged away leads to the person their record is part of now.
        return redirect(reverse("people:detail", args=[now.pk]) + f"?merged_from={person_id}")
    person = access_person(user=request.user, person_id=person_id, purpose=purpose)
    view = sharing_view(request.user, purpose)
    return render(
        request,
        "people/person.html",
        {
            "record": person_record(person=person, view=view),
            "person": person,
            "consents": consent_history(person=person),
            "can_record_consent": can_record_consent(request.user),
            "is_dpo": is_data_protection_lead(request.user),
            "can_resolve": can_record_resolutions(request.user),
        },
    )
