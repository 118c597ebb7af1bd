"""Shared test set-up: personas of the partnership, made through the real services."""

from __future__ import annotations

import os

import pytest

# Playwright's synchronous API runs an event loop in the test thread; Django's ORM is still
# called from plain synchronous code there, which is safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from pathways.testing import *  # noqa: F403  (fixtures)

__all__ = ["pytest"]
from pathways.iom.testing import *  # noqa: F403  (fixtures)
from pathways.resolutions.testing import *  # noqa: F403  (fixtures)
from pathways.restorative.testing import *  # noqa: F403  (fixtures)
