"""Pages (filled in by the work on this part of the capability)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
