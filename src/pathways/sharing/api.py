"""The agreements that bind the caller's agency, over the API (read-only)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Router, Schema

from pathways.sharing.selectors import agreements_for

router = Router(tags=["information sharing"])


class SignatoryOut(Schema):
    agency: str
    name: str
    job_title: str
    signed_on: dt.date


class AgreementOut(Schema):
    id: uuid.UUID
    reference: str
    title: str
    parties: list[str]
    purposes: list[str]
    categories: list[str]
    lawful_basis: str
    lawful_basis_detail: str
    start_date: dt.date
    end_date: dt.date | None
    review_date: dt.date
    signatories: list[SignatoryOut]


@router.get("", response=list[AgreementOut], summary="Agreements that bind your agency", operation_id="agreement_list")
def agreement_list(request: HttpRequest):  # type: ignore[no-untyped-def]
    """Every information-sharing agreement your agency is party to (a data protection lead sees all).
    What the API and the pages show of a person follows these agreements."""
    return [
        AgreementOut(
            id=a.pk,
            reference=a.reference,
            title=a.title,
            parties=sorted(p.code for p in a.parties.all()),
            purposes=a.purposes,
            categories=a.categories,
            lawful_basis=a.lawful_basis,
            lawful_basis_detail=a.lawful_basis_detail,
            start_date=a.start_date,
            end_date=a.end_date,
            review_date=a.review_date,
            signatories=[
                SignatoryOut(agency=s.agency.code, name=s.name, job_title=s.job_title, signed_on=s.signed_on)
                for s in a.signatories.all()
            ],
        )
        for a in agreements_for(request.user)
    ]
