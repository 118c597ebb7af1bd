"""Restorative justice referrals over the API: a partner's case system refers a case and
follows its referrals' status, as a referrer does on the pages.

Mounted in `pathways.api.routes` with `api.add_router("/restorative", "pathways.restorative.api.router")`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import BaseModel, Field
from pydantic import ValidationError as SchemaError

from pathways.access.policies import default_purpose, people_visible_to, sharing_view
from pathways.accounts.models import Agency, AgencyKind
from pathways.offending.models import Offence
from pathways.restorative import referrals
from pathways.restorative.models import Case
from pathways.restorative.policies import can_refer
from pathways.restorative.reference import Role
from pathways.restorative.selectors import referrals_made_by_agency
from pathways.sharing.reference import Category

router = Router(tags=["restorative justice"])


class VictimIn(BaseModel):
    name: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=254)
    needs: str = ""
    young_person: bool = False


class ReferralIn(BaseModel):
    service: str = Field(description="The restorative justice service's agency code.")
    source: str = Field(description="Who is referring: police, probation, yos, prison, court, victim_service, other.")
    stage: str = Field(description="pre_charge, pre_sentence, post_sentence or asb.")
    what_happened: str
    why_referred: str = ""
    offence_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = Field(default=None, description="The offender's record, if they have one.")
    offender_name: str = Field(default="", max_length=200, description="The offender's name, if they have no record.")
    offender_young_person: bool = False
    area: str = Field(default="", max_length=50)
    victim: VictimIn | None = None
    case_types: list[str] = Field(default_factory=list)


class ReferralOut(Schema):
    id: uuid.UUID
    reference: str
    referred_on: dt.date
    service: str
    source: str
    stage: str
    status: str


class CreatedOut(Schema):
    reference: str
    status: str


class FieldErrorsOut(Schema):
    errors: dict[str, list[str]]


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """The request body's JSON schema with its nested models written in place (OpenAPI has no `$defs`)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(defs[node["$ref"].rsplit("/", 1)[1]])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


def _require(request: HttpRequest) -> None:
    if not can_refer(request.user):  # type: ignore[arg-type]
        raise HttpError(403, "Only officers, supervisors, caseworkers and co-ordinators of referring agencies refer")


def _out(case: Case) -> ReferralOut:
    return ReferralOut(
        id=case.pk,
        reference=case.reference,
        referred_on=case.referred_on,
        service=case.service.code,
        source=case.source,
        stage=case.stage,
        status=case.status,
    )


@router.get(
    "/referrals", response=list[ReferralOut], summary="Your agency's referrals", operation_id="rj_referrals_list"
)
def referrals_list(request: HttpRequest):  # type: ignore[no-untyped-def]
    """Newest first, at most 500: where each referral stands (never the service's notes)."""
    _require(request)
    return [_out(c) for c in referrals_made_by_agency(request.user).select_related("service")[:500]]  # type: ignore[arg-type]


def _errors(**fields: str) -> Status:
    return Status(422, FieldErrorsOut(errors={k: [v] for k, v in fields.items()}))


@router.post(
    "/referrals",
    response={201: CreatedOut, 422: FieldErrorsOut},
    summary="Refer a case for restorative justice",
    operation_id="rj_referral_create",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inline(ReferralIn.model_json_schema())}},
        }
    },
)
def referral_create(request: HttpRequest):  # type: ignore[no-untyped-def]
    """Refer a case (JSON body). 201 with its reference; 422 with the problems by field, and
    nothing saved. The offender (`person_id`) and `offence_id` must be ones the caller may see."""
    # The role is checked before the body is read, so a caller who may not refer learns nothing more.
    _require(request)
    user = request.user
    try:
        body = ReferralIn.model_validate_json(request.body or b"{}")
    except SchemaError as exc:
        errors: dict[str, list[str]] = {}
        for problem in exc.errors():
            errors.setdefault(".".join(str(p) for p in problem["loc"]) or "body", []).append(problem["msg"])
        return Status(422, FieldErrorsOut(errors=errors))
    service = Agency.objects.filter(code=body.service, kind=AgencyKind.RJ_SERVICE).first()
    if service is None:
        return _errors(service=f"No restorative justice service with code '{body.service}'")
    person = None
    if body.person_id is not None:
        person = people_visible_to(user).filter(pk=body.person_id).first()  # type: ignore[arg-type]
        if person is None:
            return _errors(person_id="No such person, or you may not see them")
    offence = None
    if body.offence_id is not None:
        offence = Offence.objects.filter(pk=body.offence_id).select_related("person").first()
        view = sharing_view(user, default_purpose(user))  # type: ignore[arg-type]
        if (
            offence is None
            or not people_visible_to(user).filter(pk=offence.person_id).exists()  # type: ignore[arg-type]
            or not view.can_see(Category.OFFENDING_HISTORY, offence.agency_id, offence.person)
        ):
            return _errors(offence_id="No such offence, or you may not see it")
    parties = []
    if body.victim is not None and body.victim.name.strip():
        parties.append(
            referrals.PartyInput(
                role=Role.VICTIM,
                name=body.victim.name,
                phone=body.victim.phone,
                email=body.victim.email,
                needs=body.victim.needs,
                young_person=body.victim.young_person,
            )
        )
    if person is not None or body.offender_name.strip():
        parties.append(
            referrals.PartyInput(
                role=Role.OFFENDER, name=body.offender_name, person=person, young_person=body.offender_young_person
            )
        )
    try:
        case = referrals.referral_create(
            by=user,  # type: ignore[arg-type]
            referral=referrals.ReferralInput(
                service=service,
                source=body.source,
                stage=body.stage,
                what_happened=body.what_happened,
                why_referred=body.why_referred,
                offence=offence,
                area=body.area,
                case_types=body.case_types,
                parties=parties,
            ),
        )
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from exc
    except ValidationError as exc:
        fields = {("victim" if k == "parties" else k): v for k, v in exc.message_dict.items()}
        return Status(422, FieldErrorsOut(errors=fields))
    return Status(201, CreatedOut(reference=case.reference, status=case.status))
