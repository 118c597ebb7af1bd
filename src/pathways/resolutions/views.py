"""Pages for recording and deciding resolutions (being written)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def _todo(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404("Not yet")


resolution_list = resolution_new = resolution_detail = resolution_decide = action_new = action_finish = _todo
victim_told = review_queue = review = rules = rules_version = rules_edit = _todo
