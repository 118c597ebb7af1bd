"""A new offence dated within an active diversion contract breaches it, however it arrives:
recorded on a page, through the API or imported from a partner's file (all save through the ORM)."""

from __future__ import annotations

from typing import Any

from pathways.offending.models import Offence


def offence_saved(sender: type[Offence], instance: Offence, raw: bool = False, **kwargs: Any) -> None:
    if raw:  # loading fixtures
        return
    from pathways.resolutions.contracts import breaches_for_new_offence

    breaches_for_new_offence(instance)
