"""Finding the person an incoming record belongs to.

This is the seam probabilistic record linkage plugs into: today a record joins an existing
person only on an exact identifier — the agency's own reference, or the PNC ID.
"""

from __future__ import annotations

from pathways.accounts.models import Agency
from pathways.people.models import Person, PersonIdentifier
from pathways.people.reference import IdentifierKind


def match_person(*, agency: Agency, reference: str, pnc_id: str | None) -> Person | None:
    by_reference = (
        PersonIdentifier.objects.select_related("person")
        .filter(kind=IdentifierKind.AGENCY_REFERENCE, agency=agency, value=reference)
        .first()
    )
    if by_reference is not None:
        return by_reference.person
    if pnc_id:
        by_pnc = (
            PersonIdentifier.objects.select_related("person")
            .filter(kind=IdentifierKind.PNC, agency__isnull=True, value=pnc_id)
            .first()
        )
        if by_pnc is not None:
            return by_pnc.person
    return None
