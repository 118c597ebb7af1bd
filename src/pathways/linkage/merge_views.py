"""Undoing a merge: what will go back, a reason, and a confirmation. Thin: the work is in
`linkage.merging`, the rule in `linkage.policies`."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from pathways.access.decorators import requires
from pathways.access.models import AuditEvent
from pathways.access.services import audit_record
from pathways.linkage.merging import (
    MergeRefused,
    merge_agency_ids,
    merge_in_force_after,
    rows_added_since,
    source_records_of_each_side,
    unmerge,
)
from pathways.linkage.models import Merge
from pathways.linkage.policies import can_review_links, can_unmerge


class UnmergeForm(forms.Form):
    reason = forms.CharField(
        label="Why is this merge being undone?",
        help_text="For example, what shows these are two different people. It is kept in the audit trail.",
        widget=forms.Textarea(attrs={"rows": 3, "class": "govuk-textarea"}),
        max_length=2000,
        error_messages={"required": "Say why this merge is being undone"},
    )


def _merge_for(request: HttpRequest, merge_id: uuid.UUID) -> Merge:
    """The merge, if this user may undo it; otherwise not found (a refusal does not reveal it exists)."""
    merge = Merge.objects.select_related("kept", "merged", "by").filter(pk=merge_id).first()
    if merge is None or not can_unmerge(request.user, merge_agency_ids(merge)):
        audit_record(user=request.user, action=AuditEvent.Action.REFUSED, object_type="merge", object_id=str(merge_id))
        raise Http404("No such merge")
    return merge


@require_http_methods(["GET", "POST"])
@requires(can_review_links, "Only supervisors and administrators undo a merge")
def merge_undo(request: HttpRequest, merge_id: uuid.UUID) -> HttpResponse:
    merge = _merge_for(request, merge_id)
    form = UnmergeForm(request.POST or None)
    refused = ""
    if merge.undone_at is None and request.method == "POST" and form.is_valid():
        try:
            unmerge(merge=merge, by=request.user, reason=form.cleaned_data["reason"])
        except MergeRefused as refusal:
            refused = str(refusal)
        else:
            messages.success(
                request,
                f"The merge was undone: {merge.kept.full_name} and {merge.merged.full_name} are two people again.",
            )
            return redirect(reverse("people:detail", args=[merge.kept_id]) + "#records-from-each-agency")
    audit_record(
        user=request.user,
        action=AuditEvent.Action.READ,
        object_type="merge",
        object_id=str(merge.pk),
        detail={"kept": str(merge.kept_id), "merged": str(merge.merged_id)},
    )
    stays, goes_back = source_records_of_each_side(merge)
    later = merge_in_force_after(merge) if merge.undone_at is None else None
    return render(
        request,
        "linkage/merge_undo.html",
        {
            "merge": merge,
            "form": form,
            "stays": stays,
            "goes_back": goes_back,
            "added_since": rows_added_since(merge) if merge.undone_at is None else 0,
            "later": later,
            "refused": refused,
        },
    )
