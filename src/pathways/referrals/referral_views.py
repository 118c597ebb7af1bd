"""Pages: see docs/referrals.md."""

from __future__ import annotations

urlpatterns: list = []
