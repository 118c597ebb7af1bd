"""The review queue's pages: the waiting pairs, and one pair side by side with its decision.
Thin: the rules are in `linkage.review`; every read of a pair's records is audited there."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse

from pathways.access.decorators import requires
from pathways.linkage import review
from pathways.linkage.models import ReviewDecision, ReviewPair
from pathways.linkage.policies import can_review_links, sees_every_pair
from pathways.web.forms import GovukFormMixin, apply_service_errors

REVIEWERS_ONLY = "Only supervisors and administrators review pairs of records"


class DecisionForm(GovukFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label="Are these records the same person?",
        choices=ReviewDecision.Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether these records are the same person"},
    )
    note = forms.CharField(
        label="Note (needed for “not the same person”)",
        help_text="What made you decide. It is kept with the decision.",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _order(request: HttpRequest) -> str:
    order = request.GET.get("order") or request.POST.get("order") or "probability"
    return order if order in review.ORDERS else "probability"


@requires(can_review_links, REVIEWERS_ONLY)
def queue(request: HttpRequest) -> HttpResponse:
    review.withdraw_settled_pairs()
    order = _order(request)
    pairs = list(review.waiting_pairs(request.user, order=order)[:200])  # type: ignore[arg-type]
    skipped = set(
        ReviewDecision.objects.filter(
            by=request.user, decision=ReviewDecision.Decision.SKIP, pair__in=[p.pk for p in pairs]
        ).values_list("pair_id", flat=True)
    )
    return render(
        request,
        "linkage/review_queue.html",
        {
            "pairs": [(p, review.percentage(p.match_probability), p.pk in skipped) for p in pairs],
            "counts": review.queue_counts(request.user),  # type: ignore[arg-type]
            "order": order,
            "sees_every_pair": sees_every_pair(request.user),
        },
    )


@requires(can_review_links, REVIEWERS_ONLY)
def pair_detail(request: HttpRequest, pair_id: uuid.UUID) -> HttpResponse:
    review.withdraw_settled_pairs()
    pair = review.access_pair(user=request.user, pair_id=pair_id)  # type: ignore[arg-type]
    order = _order(request)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        decision = form.cleaned_data["decision"]
        try:
            review.review_decide(pair=pair, by=request.user, decision=decision, note=form.cleaned_data["note"])  # type: ignore[arg-type]
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except review.ReviewRefused as exc:
            messages.warning(request, str(exc))
            return redirect(f"{reverse('linkage:review')}?order={order}")
        else:
            messages.success(request, _said(decision))
            following = review.next_pair(request.user, order=order, after=pair)  # type: ignore[arg-type]
            if following is None:
                return redirect(f"{reverse('linkage:review')}?order={order}")
            return redirect(f"{reverse('linkage:review-pair', args=[following.pk])}?order={order}")
    return render(
        request,
        "linkage/review_pair.html",
        {
            "pair": pair,
            "waiting": pair.status == ReviewPair.Status.WAITING,
            "rows": review.side_by_side(pair),
            "evidence": review.evidence(pair),
            "probability": review.percentage(pair.match_probability),
            "review_at": review.percentage(pair.model.review_threshold) if pair.model else "",
            "link_at": review.percentage(pair.model.link_threshold) if pair.model else "",
            "form": form,
            "order": order,
            "decisions": pair.decisions.select_related("by").order_by("created_at"),
        },
    )


def _said(decision: str) -> str:
    return {
        ReviewDecision.Decision.LINK: "Linked: the two records are now one person.",
        ReviewDecision.Decision.NOT_SAME: "Kept apart: not the same person.",
        ReviewDecision.Decision.SKIP: "Skipped: the pair waits for someone else.",
    }[decision]


urlpatterns: list[URLPattern] = [
    path("review/", queue, name="review"),
    path("review/<uuid:pair_id>/", pair_detail, name="review-pair"),
]
