"""The audit trail as evidence: every event is chained to the one before it by a hash.

Each event stores the SHA-256 hash of the event before it (`previous_hash`; the first event
follows `GENESIS`) and its own `hash`: SHA-256 over the previous hash and a canonical
serialisation of the event's fields (`CHAINED_FIELDS`). Change any field of any event, remove
an event or slip one in, and recomputing the chain (`verify`) shows where.

Appends are serialised so that two writers never chain to the same event. On PostgreSQL an
advisory lock, held until the writing transaction ends, orders them; the event's id is drawn
from its sequence under that lock, so id order is chain order. On SQLite the settings begin
every transaction with `BEGIN IMMEDIATE`, which takes the database's one write lock before
anything is read, so each append already runs alone. A unique constraint on `previous_hash`
backs this up: a fork would be refused by the database rather than written.

The chain shows that the trail has not been changed since it was written; it cannot show that
someone with write access to the database did not append well-formed events at its end. For
that, note the last event's hash (`pathways audit verify` prints it) somewhere outside the
database from time to time: the trail up to that point can then not be rewritten unnoticed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from pathways.access.models import AuditEvent

GENESIS = "0" * 64
CHAINED_FIELDS = (
    "id",
    "at",
    "user_id",
    "username",
    "agency_code",
    "action",
    "object_type",
    "object_id",
    "purpose",
    "detail",
    "via",
)
# A string as json.dumps(..., ensure_ascii=False) writes it, quotes included.
_string = json.encoder.encode_basestring  # type: ignore[attr-defined]
# pg_advisory_xact_lock takes a 64-bit key; these are the bytes of "pwaudit1".
_POSTGRES_LOCK_KEY = int.from_bytes(b"pwaudit1", "big")


def canonical(fields: Mapping[str, Any]) -> bytes:
    """The event's chained fields as compact JSON with sorted keys, exactly as
    `json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` writes it,
    with `at` as ISO 8601 in UTC to the microsecond: the same bytes for the same event however
    it was read. (Written out by hand because `verify` does this millions of times.)"""
    return _canonical(*(fields[name] for name in CHAINED_FIELDS))


def _canonical(
    id: int,
    at: dt.datetime,
    user_id: int | None,
    username: str,
    agency_code: str,
    action: str,
    object_type: str,
    object_id: str,
    purpose: str,
    detail: Any,
    via: str,
) -> bytes:
    return (
        f'{{"action":{_string(action)},"agency_code":{_string(agency_code)},'
        f'"at":"{at.astimezone(dt.UTC).isoformat(timespec="microseconds")}",'
        f'"detail":{json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)},'
        f'"id":{int(id)},"object_id":{_string(object_id)},"object_type":{_string(object_type)},'
        f'"purpose":{_string(purpose)},"user_id":{"null" if user_id is None else int(user_id)},'
        f'"username":{_string(username)},"via":{_string(via)}}}'
    ).encode()


def event_hash(previous_hash: str, fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(previous_hash.encode() + canonical(fields)).hexdigest()


def append(
    *,
    user_id: int | None,
    username: str,
    agency_code: str,
    action: str,
    object_type: str,
    object_id: str,
    purpose: str,
    detail: Mapping[str, Any],
    via: str,
) -> AuditEvent:
    """Write one event at the head of the chain. Call through `access.services.audit_record`."""
    fields: dict[str, Any] = {
        "user_id": user_id,
        # Plain strings, as the database will give them back (not a TextChoices member).
        "username": str(username),
        "agency_code": str(agency_code),
        "action": str(action),
        "object_type": str(object_type),
        "object_id": str(object_id),
        "purpose": str(purpose),
        "detail": _as_stored(detail),
        "via": str(via),
    }
    with transaction.atomic():
        previous_hash, next_id = _lock_head()
        fields["id"] = next_id
        fields["at"] = timezone.now()
        return AuditEvent.objects.create(previous_hash=previous_hash, hash=event_hash(previous_hash, fields), **fields)


def _as_stored(detail: Mapping[str, Any]) -> dict[str, Any]:
    """`detail` as it will come back from the database, so that what is hashed is what is
    kept: plain JSON, and a whole-number float as an integer (PostgreSQL's jsonb gives back
    1e20 as 100000000000000000000 and -0.0 as 0.0)."""
    return json.loads(json.dumps(detail, allow_nan=False), parse_float=_number)


def _number(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() else value


def _lock_head() -> tuple[str, int]:
    """Take the chain's write lock; the hash of the last event, and the id for the next.

    Ids never go backwards and are never reused, even of an event removed from the end: the
    next is past both the id sequence and the largest id present (rows loaded in bulk with ids
    of their own leave the sequence behind)."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_POSTGRES_LOCK_KEY])
            cursor.execute(
                f"""SELECT setval(seq, GREATEST(nextval(seq), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}))),
                           (SELECT hash FROM {table} ORDER BY id DESC LIMIT 1)
                    FROM (SELECT pg_get_serial_sequence(%s, 'id') AS seq) AS s""",  # noqa: S608  (no user input)
                [AuditEvent._meta.db_table],
            )
            next_id, head = cursor.fetchone()
        elif connection.vendor == "sqlite":
            # Inside BEGIN IMMEDIATE this connection already holds the database's write lock.
            cursor.execute(
                f"""SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0),
                               COALESCE((SELECT MAX(id) FROM {table}), 0)) + 1,
                           (SELECT hash FROM {table} ORDER BY id DESC LIMIT 1)""",  # noqa: S608  (no user input)
                [AuditEvent._meta.db_table],
            )
            next_id, head = cursor.fetchone()
        else:
            raise NotImplementedError(f"The audit chain has no write lock for {connection.vendor}")
    return (head if head is not None else GENESIS), next_id


@dataclass(frozen=True)
class Verification:
    """The outcome of recomputing the chain: how many events were checked, the last good one,
    and, if the chain is broken, what is wrong with the first event that does not fit."""

    count: int
    last_id: int | None
    last_at: dt.datetime | None
    last_hash: str
    problem: str = ""

    @property
    def intact(self) -> bool:
        return not self.problem


def verify(*, chunk_size: int = 10_000) -> Verification:
    """Walk the whole trail in id order, recomputing every hash; stop at the first event that
    was altered, or where the chain breaks because an event was removed or inserted. Streams
    the rows (a server-side cursor on PostgreSQL), so memory stays flat however long the trail."""
    count = 0
    previous_id: int | None = None
    previous_at: dt.datetime | None = None
    previous_hash = GENESIS
    for row in _rows(chunk_size):
        event_id, stored_previous, stored_hash = row[0], row[-2], row[-1]
        values = _chained_values(row)
        at = values[1] if values else row[1]
        if values is None or _recomputed_hash(stored_previous, values) != stored_hash:
            problem = f"event {event_id} at {_when(at)} was altered: its hash does not match its contents"
        elif stored_previous != previous_hash:
            cause = _break_cause(
                previous_id=previous_id, previous_hash=previous_hash, event_id=event_id, stored_previous=stored_previous
            )
            problem = f"the chain breaks before event {event_id} at {_when(at)}: {cause}"
        else:
            count += 1
            previous_id, previous_at, previous_hash = event_id, at, stored_hash
            continue
        return Verification(count, previous_id, previous_at, previous_hash, problem)
    return Verification(count, previous_id, previous_at, previous_hash)


def _rows(chunk_size: int) -> Iterator[tuple[Any, ...]]:
    """Every event as it is stored: the chained fields in `CHAINED_FIELDS` order, then
    previous_hash and hash. Read with a plain cursor: the ORM takes twice as long."""
    columns = ", ".join(connection.ops.quote_name(c) for c in (*CHAINED_FIELDS, "previous_hash", "hash"))
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.chunked_cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} ORDER BY id")  # noqa: S608  (no user input)
        while rows := cursor.fetchmany(chunk_size):
            yield from rows


def _chained_values(row: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The chained fields as they were hashed, making the two conversions the ORM would: SQLite
    keeps `at` in UTC without an offset (Django's adapter hands it back naive) and JSON as
    text; psycopg returns an aware datetime and, under Django, JSON as text. None if a value
    is one no event could have been written with (SQLite lets a tamperer store anything)."""
    at, detail = row[1], row[9]
    try:
        if isinstance(at, str):
            at = dt.datetime.fromisoformat(at)
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        if isinstance(detail, str):
            detail = json.loads(detail)
    except (AttributeError, TypeError, ValueError):
        return None
    return (row[0], at, *row[2:9], detail, row[10])


def _recomputed_hash(previous_hash: str, values: tuple[Any, ...]) -> str | None:
    try:
        return hashlib.sha256(previous_hash.encode() + _canonical(*values)).hexdigest()
    except (AttributeError, TypeError, ValueError):
        return None


def _break_cause(*, previous_id: int | None, previous_hash: str, event_id: int, stored_previous: str) -> str:
    """Why this event does not follow the one before it. Only runs once, on a broken chain."""
    follower = (
        AuditEvent.objects.filter(previous_hash=previous_hash).exclude(pk=event_id).values_list("pk", flat=True).first()
    )
    if follower is not None:
        before = f"event {previous_id}" if previous_id is not None else "the start of the trail"
        return f"it was inserted: event {follower} is the one that follows {before}"
    if previous_id is None:
        return "the events before it are missing"
    # Chained to an event that is still here, further back: the ones since were slipped in
    # (possible only if the constraint against forks was dropped).
    linked = AuditEvent.objects.filter(hash=stored_previous).values_list("pk", flat=True).first()
    if linked is not None:
        first = AuditEvent.objects.filter(pk__gt=linked).order_by("pk").values_list("pk", flat=True).first()
        return f"events {first} to {previous_id} were inserted after event {linked}"
    if previous_id + 1 == event_id:
        return f"event {previous_id} was changed"
    if previous_id + 2 == event_id:
        return f"event {previous_id + 1} is missing, or event {previous_id} was changed"
    return f"an event from {previous_id + 1} to {event_id - 1} is missing, or event {previous_id} was changed"


def _when(at: Any) -> str:
    if not isinstance(at, dt.datetime):
        return repr(at)
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S %Z")
