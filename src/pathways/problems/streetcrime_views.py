"""Pages: see docs/problem-solving.md."""

from __future__ import annotations

urlpatterns: list = []
