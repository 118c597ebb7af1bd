"""The Pathways HTTP API, version 1. Same rules as the pages: the same selectors, the
same access policy, the same audit trail. Each capability adds its own router here."""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import File, NinjaAPI, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.security import HttpBearer, django_auth

from pathways.access.policies import SharingView, can_import, default_purpose, purposes_for, sharing_view
from pathways.access.services import PersonNotFound, access_person
from pathways.accounts.models import Agency, Role, User
from pathways.accounts.services import api_token_user
from pathways.imports.forms import MAX_UPLOAD_BYTES
from pathways.imports.models import ImportBatch, ImportKind
from pathways.imports.services import import_file, may_import
from pathways.iom.policies import can_import_tags
from pathways.linkage.services import import_linkage_counts
from pathways.offending.models import Offence
from pathways.people.models import Person
from pathways.people.selectors import person_record, person_search
from pathways.sharing.reference import Category


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; tokens are made with `pathways token create`."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = api_token_user(key=token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Pathways API",
    version="1",
    description=(
        "People and their offending history, and partner imports, for a Community Safety "
        "Partnership. Every call needs a bearer token (or a signed-in browser session); a "
        "caller sees only the people their agency has a reason to see, and every read is audited."
    ),
    auth=[TokenAuth(), django_auth],
    urls_namespace="api-v1",
    docs_url="/docs",
)


@api.exception_handler(PersonNotFound)
def _not_found(request: HttpRequest, exc: PersonNotFound):  # type: ignore[no-untyped-def]
    return api.create_response(request, {"detail": "No such person, or you may not see them"}, status=404)


def _user(request: HttpRequest) -> User:
    return request.user  # set by TokenAuth or the session


def _purpose(request: HttpRequest) -> str:
    """The purpose named in the `X-Pathways-Purpose` header, if the caller's roles allow it."""
    asked = request.headers.get("X-Pathways-Purpose", "")
    if asked:
        if asked not in purposes_for(_user(request)):
            raise HttpError(403, f"Your roles do not allow working under the purpose '{asked}'")
        return asked
    return default_purpose(_user(request))


# --- Schemas -----------------------------------------------------------------------


class IdentifierOut(Schema):
    kind: str
    agency: str | None
    value: str


class NameOut(Schema):
    given_name: str
    surname: str


class AddressOut(Schema):
    address_1: str
    address_2: str
    town: str
    postcode: str
    area: str
    is_current: bool
    agency: str | None


class MarkerOut(Schema):
    kind: str
    note: str
    start_date: dt.date
    end_date: dt.date | None
    agency: str


class PersonSummaryOut(Schema):
    id: uuid.UUID
    given_name: str
    surname: str
    date_of_birth: dt.date | None
    sex: str
    ethnicity: str


class SearchResultOut(Schema):
    person: PersonSummaryOut
    score: float
    matched_name: str
    reasons: list[str]


class PersonOut(PersonSummaryOut):
    identifiers: list[IdentifierOut]
    aliases: list[NameOut]
    addresses: list[AddressOut]
    markers: list[MarkerOut]
    known_to: list[str]
    withheld: list[str]


class OutcomeOut(Schema):
    outcome: str
    label: str
    outcome_date: dt.date
    agency: str


class CustodyOut(Schema):
    sentence_date: dt.date
    release_date: dt.date | None


class OffenceOut(Schema):
    id: uuid.UUID
    reference: str
    agency: str
    offence_date: dt.date
    offence_code: str
    description: str
    offence_group: str
    area: str
    outcomes: list[OutcomeOut]
    custody: list[CustodyOut]
    victim_count: int


class ImportErrorOut(Schema):
    file: str
    row: int
    column: str
    reason: str


class ImportLinkageOut(Schema):
    joined_by_identifier: int
    joined_by_model: int
    queued_for_review: int
    new_people: int


class ImportOut(Schema):
    batch_id: uuid.UUID
    kind: str
    agency: str
    filename: str
    status: str
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[ImportErrorOut]
    uploaded_at: dt.datetime
    # People files: of the records that arrived for the first time, how many joined a person
    # already held by an identifier or by the linkage model, how many wait for review, how many
    # became new people. None for other kinds of file.
    linkage: ImportLinkageOut | None = None


class SearchQuery(Schema):
    name: str = ""
    date_of_birth: dt.date | None = None
    identifier: str = ""
    limit: int = 50


# --- People ------------------------------------------------------------------------

people = Router(tags=["people"])


def _summary(p) -> PersonSummaryOut:  # type: ignore[no-untyped-def]
    return PersonSummaryOut(
        id=p.pk,
        given_name=p.given_name,
        surname=p.surname,
        date_of_birth=p.date_of_birth,
        sex=p.sex,
        ethnicity=p.ethnicity,
    )


@people.get("", response=list[SearchResultOut], summary="Find people", operation_id="people_search")
def people_search(request: HttpRequest, filters: Query[SearchQuery]):  # type: ignore[no-untyped-def]
    """People the caller may see matching a name (any spelling, either order, aliases), a date
    of birth and/or an identifier (PNC ID or agency reference), closest first."""
    if not (filters.name or filters.date_of_birth or filters.identifier):
        raise HttpError(422, "Give at least one of name, date_of_birth or identifier")
    if not 1 <= filters.limit <= 200:
        raise HttpError(422, "limit must be between 1 and 200")
    results = person_search(
        user=_user(request),
        name=filters.name,
        date_of_birth=filters.date_of_birth,
        identifier=filters.identifier,
        purpose=_purpose(request),
        via="api",
        limit=filters.limit,
    )
    return [
        SearchResultOut(person=_summary(r.person), score=r.score, matched_name=r.matched_name, reasons=r.reasons)
        for r in results
    ]


@people.get("/{person_id}", response=PersonOut, summary="A person's record", operation_id="person_get")
def person_get(request: HttpRequest, person_id: uuid.UUID):  # type: ignore[no-untyped-def]
    person = access_person(user=_user(request), person_id=person_id, purpose=_purpose(request), via="api")
    purpose = _purpose(request)
    record = person_record(person=person, view=sharing_view(_user(request), purpose))
    return PersonOut(
        **_summary(person).dict(),
        identifiers=[
            IdentifierOut(kind=i.kind, agency=i.agency.code if i.agency else None, value=i.value)
            for i in record.identifiers
        ],
        aliases=[NameOut(given_name=a.given_name, surname=a.surname) for a in record.aliases],
        addresses=[
            AddressOut(
                address_1=a.address_1,
                address_2=a.address_2,
                town=a.town,
                postcode=a.postcode,
                area=a.area,
                is_current=a.is_current,
                agency=a.agency.code if a.agency else None,
            )
            for a in record.addresses
        ],
        markers=[
            MarkerOut(
                kind=m.kind,
                note=m.note,
                start_date=m.start_date,
                end_date=m.end_date,
                agency=m.agency.code,
            )
            for m in record.markers
        ],
        known_to=record.agencies,
        withheld=record.withheld,
    )


@people.get(
    "/{person_id}/offences",
    response=list[OffenceOut],
    summary="A person's offences, outcomes and custody",
    operation_id="person_offences",
)
def person_offences(request: HttpRequest, person_id: uuid.UUID):  # type: ignore[no-untyped-def]
    purpose = _purpose(request)
    person = access_person(user=_user(request), person_id=person_id, purpose=purpose, via="api")
    view = sharing_view(_user(request), purpose)
    offences = (
        Offence.objects.filter(person=person)
        .select_related("agency")
        .prefetch_related("outcomes__agency", "custody_periods", "victims")
        .order_by("-offence_date")
    )
    return [_offence_out(o, view, person) for o in view.visible(Category.OFFENDING_HISTORY, offences, person)]


def _offence_out(o: Offence, view: SharingView, person: Person) -> OffenceOut:
    """An offence with only the outcomes and custody this caller may see."""
    outcomes = view.visible(Category.OUTCOMES, sorted(o.outcomes.all(), key=lambda x: x.outcome_date), person)
    custody = view.visible(Category.OUTCOMES, o.custody_periods.all(), person)
    return OffenceOut(
        id=o.pk,
        reference=o.reference,
        agency=o.agency.code,
        offence_date=o.offence_date,
        offence_code=o.offence_code,
        description=o.description,
        offence_group=o.offence_group,
        area=o.area,
        outcomes=[
            OutcomeOut(
                outcome=x.outcome,
                label=x.get_outcome_display(),
                outcome_date=x.outcome_date,
                agency=x.agency.code,
            )
            for x in outcomes
        ],
        custody=[CustodyOut(sentence_date=c.sentence_date, release_date=c.release_date) for c in custody],
        victim_count=len(o.victims.all()),
    )


# --- Offences ----------------------------------------------------------------------

offences = Router(tags=["offences"])


@offences.get(
    "/{offence_id}",
    response=OffenceOut,
    summary="One offence with its outcomes",
    operation_id="offence_get",
)
def offence_get(request: HttpRequest, offence_id: uuid.UUID):  # type: ignore[no-untyped-def]
    not_found = HttpError(404, "No such offence, or you may not see it")
    offence = (
        Offence.objects.select_related("agency", "person")
        .prefetch_related("outcomes__agency", "custody_periods", "victims")
        .filter(pk=offence_id)
        .first()
    )
    if offence is None:
        raise not_found
    purpose = _purpose(request)
    try:
        access_person(user=_user(request), person_id=offence.person_id, purpose=purpose, via="api")
    except PersonNotFound as exc:
        raise not_found from exc
    view = sharing_view(_user(request), purpose)
    if not view.can_see(Category.OFFENDING_HISTORY, offence.agency_id, offence.person):
        raise not_found
    return _offence_out(offence, view, offence.person)


# --- Imports -----------------------------------------------------------------------

imports = Router(tags=["imports"])


def _import_out(batch: ImportBatch) -> ImportOut:
    return ImportOut(
        batch_id=batch.pk,
        kind=batch.kind,
        agency=batch.agency.code,
        filename=batch.filename,
        status=batch.status,
        rows=batch.rows,
        created=batch.created_count,
        updated=batch.updated_count,
        unchanged=batch.unchanged_count,
        errors=[ImportErrorOut(**e) for e in batch.errors],
        uploaded_at=batch.created_at,
        linkage=import_linkage_counts(batch),
    )


# Declared before the upload route, whose /{kind} would otherwise answer every GET here.
@imports.get(
    "/{uuid:batch_id}",
    response=ImportOut,
    summary="One import and its report",
    operation_id="import_get",
)
def import_get(request: HttpRequest, batch_id: uuid.UUID):  # type: ignore[no-untyped-def]
    user = _user(request)
    if not can_import(user):
        raise HttpError(403, "Only administrators, supervisors and analysts see imports")
    batch = ImportBatch.objects.filter(pk=batch_id, agency_id=user.agency_id).select_related("agency").first()
    if batch is None:
        raise HttpError(404, "No such import for your agency")
    return _import_out(batch)


@imports.post(
    "/{kind}",
    response={201: ImportOut, 422: ImportOut},
    summary="Import a partner CSV file",
    operation_id="import_create",
)
def import_create(request: HttpRequest, kind: str, file: File[UploadedFile | None] = None, agency: str = ""):  # type: ignore[no-untyped-def]
    """Check every row of a CSV file in the formats of docs/data-formats.md and, if all are
    good, load it in one transaction (201). If any row is bad nothing is loaded and the
    answer (422) lists every problem with its row and column. Importing the same file
    again changes nothing."""
    user = _user(request)
    if not (can_import(user) or can_import_tags(user)):
        raise HttpError(403, "Only administrators, supervisors and analysts load partner files")
    # Checked after the role, so that someone who may not import learns nothing more.
    if kind not in ImportKind.values:
        raise HttpError(422, f"kind must be one of {', '.join(ImportKind.values)}")
    if not may_import(user, kind):
        raise HttpError(
            403,
            "You may not load this kind of file: tag suppliers' files are loaded by the police or probation IOM team, partner files by administrators, supervisors and analysts",
        )
    if file is None:
        raise HttpError(422, "Attach the CSV file as the multipart form field 'file'")
    target = user.agency
    if agency and agency != (target.code if target else ""):
        if not user.has_role(Role.ADMINISTRATOR):
            raise HttpError(403, "You may import only for your own agency")
        target = Agency.objects.filter(code=agency).first()
        if target is None:
            raise HttpError(422, f"No agency with code '{agency}'")
    if file.size > MAX_UPLOAD_BYTES:
        raise HttpError(413, "The file must be smaller than 50 MB")
    report = import_file(
        kind=kind,
        agency=target,
        filename=file.name or "upload.csv",
        content=file.read(),
        by=user,
        via="api",
    )
    return Status(201 if report.ok else 422, _import_out(report.batch))


@imports.get(
    "",
    response=list[ImportOut],
    summary="Recent imports for your agency",
    operation_id="import_list",
)
def import_list(request: HttpRequest):  # type: ignore[no-untyped-def]
    user = _user(request)
    if not can_import(user):
        raise HttpError(403, "Only administrators, supervisors and analysts see imports")
    return [_import_out(b) for b in ImportBatch.objects.filter(agency_id=user.agency_id).select_related("agency")[:100]]


api.add_router("/people", people)
api.add_router("/offences", offences)
api.add_router("/imports", imports)
api.add_router("/audit/", "pathways.access.api.router")
api.add_router("/agreements", "pathways.sharing.api.router")
api.add_router("/reoffending", "pathways.analytics.api.router")
api.add_router("/resolutions", "pathways.resolutions.api.router")
api.add_router("/restorative", "pathways.restorative.api.router")
api.add_router("/restorative/dataset", "pathways.restorative.dataset_api.router")
api.add_router("/iom", "pathways.iom.api.router")
api.add_router("/problems", "pathways.problems.api.router")
api.add_router("/services", "pathways.referrals.api.router")
