"""The OGRS3 panel on a person's page, in one line of the page's template:
``{% load risk_scores %}{% ogrs3_panel %}``."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils import timezone

from pathways.access.policies import request_purpose, sharing_view
from pathways.risk.judgement_forms import JudgementForm
from pathways.risk.models import ScoreKind
from pathways.risk.ogrs3 import SOURCE

register = template.Library()


@register.simple_tag(takes_context=True)
def ogrs3_panel(context: Any) -> str:
    """The person's OGRS3 score with its inputs and the latest judgements beside it, or why it is
    not shown. The page has already checked that the viewer may see the person."""
    from pathways.risk.history import person_ogrs3
    from pathways.risk.judgements import judgements_latest
    from pathways.risk.policies import can_judge_scores, offending_fully_visible

    request, person = context["request"], context["person"]
    user = request.user
    visible = offending_fully_visible(sharing_view(user, request_purpose(request)), person)
    panel: dict[str, Any] = {"person": person, "visible": visible, "source": SOURCE, "request": request}
    if visible:
        history, result = person_ogrs3(person.pk, timezone.localdate())
        panel.update(
            history=history,
            score=result,
            judgements=judgements_latest(person=person, score_kind=ScoreKind.OGRS3),
            can_judge=can_judge_scores(user) and result is not None,
            form=JudgementForm(),
        )
    return render_to_string("risk/ogrs3_panel.html", panel, request=request)


@register.simple_tag(takes_context=True)
def local_model_panel(context: Any) -> str:
    """The active version of the partnership's own model for the person, with the features it
    read and the latest judgements beside it, or why it is not shown; nothing at all while no
    version is active. The page has already checked that the viewer may see the person."""
    from pathways.risk.judgements import judgements_latest
    from pathways.risk.model_policies import can_read_models_and_audits
    from pathways.risk.model_services import active_model, person_model_score
    from pathways.risk.policies import can_judge_scores, offending_fully_visible

    model = active_model()
    if model is None:
        return ""
    request, person = context["request"], context["person"]
    user = request.user
    visible = offending_fully_visible(sharing_view(user, request_purpose(request)), person)
    panel: dict[str, Any] = {"person": person, "visible": visible, "request": request}
    if visible:
        score = person_model_score(person, timezone.localdate(), model)
        panel.update(
            model_score=score,
            may_read_card=can_read_models_and_audits(user),
            judgements=judgements_latest(person=person, score_kind=ScoreKind.LOCAL_MODEL),
            can_judge=can_judge_scores(user) and score is not None and score.probability is not None,
            # Its own ids: the OGRS3 panel's form is on the same page.
            form=JudgementForm(auto_id="local_model_%s"),
        )
    return render_to_string("risk/local_model_panel.html", panel, request=request)
