"""The audit trail as evidence: every event is chained to the one before it by a hash, and
`pathways audit verify` names the first event that was altered, removed or inserted."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from pathways.access import chain
from pathways.access.models import AuditEvent
from pathways.access.services import PersonNotFound, access_person, audit_record


def verify(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


@contextmanager
def audit_maintenance() -> Iterator[None]:
    """Switch the append-only triggers off, as a tamperer with database access could."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO access_audit_maintenance (reason) VALUES ('test: tampering')")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM access_audit_maintenance WHERE reason = 'test: tampering'")


def execute(sql: str, params: list) -> None:
    with audit_maintenance(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def trail(known_offender, officer, housing_worker) -> list[AuditEvent]:
    """A morning's work on top of the imports that built the known offender: reads, a search,
    a refusal and a failed sign-in. Every event in the trail, in id order."""
    access_person(user=officer, person_id=known_offender.pk, purpose="casework")
    audit_record(user=officer, action=AuditEvent.Action.SEARCH, object_type="person", detail={"name": "Jon Smyth"})
    with pytest.raises(PersonNotFound):
        access_person(user=housing_worker, person_id=known_offender.pk, purpose="casework")
    audit_record(user=None, action=AuditEvent.Action.SIGN_IN_FAILED, username="officer")
    access_person(user=officer, person_id=known_offender.pk, purpose="casework", via="api")
    events = list(AuditEvent.objects.order_by("id"))
    assert len(events) >= 8
    return events


def test_each_event_is_chained_to_the_one_before_it(trail):
    assert trail[0].previous_hash == chain.GENESIS
    for before, event in itertools.pairwise(trail):
        assert event.previous_hash == before.hash
    for event in trail:
        fields = {name: getattr(event, name) for name in chain.CHAINED_FIELDS}
        assert event.hash == chain.event_hash(event.previous_hash, fields)
    assert len({e.hash for e in trail}) == len(trail)


def test_verify_passes_on_an_untouched_trail(trail):
    out = verify()
    assert out.splitlines()[0] == f"Audit trail intact: {len(trail)} events"
    assert f"Last event: {trail[-1].pk} at " in out
    assert trail[-1].hash in out


def test_verify_reads_the_trail_a_chunk_at_a_time(trail):
    assert verify("--chunk-size", "3").splitlines()[0] == f"Audit trail intact: {len(trail)} events"


def test_verify_passes_on_an_empty_trail(db):
    assert verify().splitlines()[0] == "Audit trail intact: 0 events"


def test_a_row_edited_in_the_database_is_named(trail):
    target = trail[len(trail) // 2]
    execute("UPDATE access_auditevent SET username = %s WHERE id = %s", ["someone-else", target.pk])
    with pytest.raises(CommandError) as refused:
        verify()
    message = str(refused.value)
    assert f"event {target.pk} at " in message
    assert "was altered: its hash does not match its contents" in message
    assert f"({len(trail) // 2} events before it are intact)" in message


def test_only_the_first_altered_event_is_named(trail):
    first, later = trail[2], trail[5]
    execute("UPDATE access_auditevent SET purpose = 'nosiness' WHERE id IN (%s, %s)", [first.pk, later.pk])
    with pytest.raises(CommandError, match=rf"event {first.pk} at .* was altered") as refused:
        verify()
    assert f"event {later.pk} " not in str(refused.value)


@pytest.mark.parametrize("change", ["user_id = 'abc'", "at = 'not a time'", "detail = '[1, 2]'"])
def test_a_value_no_event_could_hold_is_named_too(trail, change):
    """SQLite stores whatever a tamperer writes, whatever the column's type."""
    if connection.vendor != "sqlite" and "detail" not in change:
        pytest.skip("PostgreSQL refuses the value itself")
    target = trail[3]
    execute(f"UPDATE access_auditevent SET {change} WHERE id = %s", [target.pk])  # noqa: S608  (the cases above)
    with pytest.raises(CommandError, match=rf"event {target.pk} at .* was altered"):
        verify()


def test_a_deleted_row_is_detected(trail):
    removed, after = trail[3], trail[4]
    execute("DELETE FROM access_auditevent WHERE id = %s", [removed.pk])
    with pytest.raises(CommandError) as refused:
        verify()
    assert f"the chain breaks before event {after.pk} at " in str(refused.value)
    assert f"event {removed.pk} is missing, or event {trail[2].pk} was changed" in str(refused.value)


def test_removing_the_first_events_is_detected(trail):
    execute("DELETE FROM access_auditevent WHERE id <= %s", [trail[1].pk])
    with pytest.raises(
        CommandError, match=rf"chain breaks before event {trail[2].pk} at .*: the events before it are missing"
    ):
        verify()


def test_an_altered_event_given_a_fresh_hash_breaks_the_chain_after_it(trail):
    """A tamperer who recomputes the altered event's own hash still cannot make the next
    event, which holds the old hash, agree."""
    target, after = trail[4], trail[5]
    fields = {name: getattr(target, name) for name in chain.CHAINED_FIELDS} | {"username": "someone-else"}
    forged = chain.event_hash(target.previous_hash, fields)
    execute("UPDATE access_auditevent SET username = %s, hash = %s WHERE id = %s", ["someone-else", forged, target.pk])
    with pytest.raises(CommandError) as refused:
        verify()
    assert f"the chain breaks before event {after.pk} at " in str(refused.value)
    assert f": event {target.pk} was changed (" in str(refused.value)


def test_an_event_slipped_into_a_gap_is_detected(trail, officer):
    # A gap in the ids, as a rolled-back transaction leaves on PostgreSQL: the last event is
    # removed (under maintenance) and the trail carries on from the one before.
    gone = audit_record(user=officer, action=AuditEvent.Action.READ, object_type="person", object_id="x")
    execute("DELETE FROM access_auditevent WHERE id = %s", [gone.pk])
    after = audit_record(user=officer, action=AuditEvent.Action.READ, object_type="person", object_id="y")
    assert after.pk > gone.pk and after.previous_hash == trail[-1].hash
    assert verify().startswith(f"Audit trail intact: {len(trail) + 1} events")
    # A well-formed event slipped into the gap cannot follow the event before it, which
    # already has a follower; it can only claim to follow something else.
    fields = {name: getattr(trail[-1], name) for name in chain.CHAINED_FIELDS} | {"id": gone.pk, "username": "ghost"}
    with pytest.raises(IntegrityError), audit_maintenance(), transaction.atomic():
        AuditEvent.objects.create(previous_hash=trail[-1].hash, hash=chain.event_hash(trail[-1].hash, fields), **fields)
    made_up = "f" * 64
    with audit_maintenance():
        AuditEvent.objects.create(previous_hash=made_up, hash=chain.event_hash(made_up, fields), **fields)
    with pytest.raises(CommandError) as refused:
        verify()
    assert f"the chain breaks before event {gone.pk} at " in str(refused.value)
    assert f"it was inserted: event {after.pk} is the one that follows event {trail[-1].pk}" in str(refused.value)


def test_ids_carry_on_past_events_loaded_with_ids_of_their_own(trail):
    """Rows loaded in bulk with their own ids leave PostgreSQL's sequence behind; the next
    append still goes after them, not into them."""
    fields = {name: getattr(trail[-1], name) for name in chain.CHAINED_FIELDS} | {"id": trail[-1].pk + 50}
    AuditEvent.objects.create(previous_hash=trail[-1].hash, hash=chain.event_hash(trail[-1].hash, fields), **fields)
    event = audit_record(user=None, action=AuditEvent.Action.SIGN_IN_FAILED, username="someone")
    assert event.pk == trail[-1].pk + 51
    assert verify().startswith(f"Audit trail intact: {len(trail) + 2} events")


def test_the_database_refuses_a_fork_in_the_chain(trail):
    fields = {name: getattr(trail[-1], name) for name in chain.CHAINED_FIELDS} | {"id": trail[-1].pk + 1000}
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.create(
            previous_hash=trail[-1].previous_hash, hash=chain.event_hash(trail[-1].previous_hash, fields), **fields
        )


def test_an_event_written_in_summer_time_verifies(db, monkeypatch):
    """SQLite keeps times in UTC without an offset; British Summer Time must not shift them."""
    summer = dt.datetime(2026, 7, 1, 9, 30, 0, 0, tzinfo=dt.UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: summer)
    audit_record(user=None, action=AuditEvent.Action.SIGN_IN_FAILED, username="someone")
    monkeypatch.undo()
    audit_record(user=None, action=AuditEvent.Action.SIGN_IN_FAILED, username="someone")
    assert verify().startswith("Audit trail intact: 2 events")


def test_details_come_back_from_the_database_as_they_were_hashed(db):
    detail = {
        "whole": 1.0,
        "large": 1e20,
        "negative_zero": -0.0,
        "fraction": 0.1,
        "names": ["Zoë O'Brien", "李小龍", 'quote " and \\ backslash'],
        "nested": {"b": [1, 2, {"z": None}], "a": True},
        "emoji": "🚓",
    }
    event = audit_record(user=None, action=AuditEvent.Action.SEARCH, detail=detail)
    event.refresh_from_db()
    assert event.detail["whole"] == 1 and event.detail["names"] == detail["names"]
    assert verify().startswith("Audit trail intact: 1 events")


_text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=30)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)


@given(
    id=st.integers(min_value=1, max_value=2**62),
    at=st.datetimes(timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=1))])),
    user_id=st.none() | st.integers(min_value=1, max_value=2**62),
    strings=st.lists(_text, min_size=7, max_size=7),
    detail=st.dictionaries(_text, _json, max_size=5),
)
def test_the_canonical_form_is_json_with_sorted_keys(id, at, user_id, strings, detail):
    names = ["username", "agency_code", "action", "object_type", "object_id", "purpose", "via"]
    fields = {"id": id, "at": at, "user_id": user_id, "detail": detail, **dict(zip(names, strings, strict=True))}
    expected = json.dumps(
        fields | {"at": at.astimezone(dt.UTC).isoformat(timespec="microseconds")},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    assert chain.canonical(fields) == expected


# --- Concurrent writers -------------------------------------------------------------


def _switches(usernames: list[str]) -> int:
    return sum(1 for a, b in itertools.pairwise(usernames) if a.split("-")[0] != b.split("-")[0])


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_postgresql_do_not_fork_the_chain():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's in-memory test database cannot be shared by threads; see the next test")
    writers, each = 6, 40
    ready = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            ready.wait(timeout=30)
            for i in range(each):
                audit_record(user=None, action=AuditEvent.Action.SIGN_IN_FAILED, username=f"w{n}-{i}")
        except BaseException as exc:  # reported below, on the test's own thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert verify().startswith(f"Audit trail intact: {writers * each} events")
    usernames = list(AuditEvent.objects.order_by("id").values_list("username", flat=True))
    assert _switches(usernames) > writers, "the writers did not overlap, so this proved nothing"


WRITER = """
import os, sys, time, pathlib
import django
django.setup()
from pathways.access.services import audit_record
n, writers, each, folder = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), pathlib.Path(sys.argv[4])
(folder / f"ready-{n}").touch()
deadline = time.monotonic() + 120
while len(list(folder.glob("ready-*"))) < writers:
    assert time.monotonic() < deadline, "the other writers never started"
    time.sleep(0.01)
for i in range(each):
    audit_record(user=None, action="sign_in_failed", username=f"w{n}-{i}")
    time.sleep(0.002)  # as requests do; SQLite's busy wait otherwise favours the last writer
"""


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_sqlite_do_not_fork_the_chain(tmp_path):
    """Separate processes on one SQLite file, as gunicorn's workers are: BEGIN IMMEDIATE
    makes each append wait for the one before it."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL has its own test above")
    # A file copy of the (migrated, empty) test database, triggers and all.
    connection.ensure_connection()
    target = sqlite3.connect(tmp_path / "pathways.sqlite3")
    connection.connection.backup(target)
    target.close()
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'pathways.sqlite3'}",
        "PATHWAYS_DATA_DIR": str(tmp_path),
        "PATHWAYS_SECRET_KEY": "test-only",
        "DJANGO_SETTINGS_MODULE": "pathways.config.settings",
    }
    writers, each = 4, 60
    processes = [
        subprocess.Popen(  # noqa: S603  (our own interpreter and script)
            [sys.executable, "-c", WRITER, str(n), str(writers), str(each), str(tmp_path)], env=env
        )
        for n in range(writers)
    ]
    assert [p.wait(timeout=180) for p in processes] == [0] * writers
    checked = subprocess.run(
        [sys.executable, "-m", "pathways.cli", "audit", "verify"], env=env, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith(f"Audit trail intact: {writers * each} events")
    copy = sqlite3.connect(tmp_path / "pathways.sqlite3")
    usernames = [row[0] for row in copy.execute("SELECT username FROM access_auditevent ORDER BY id")]
    copy.close()
    assert _switches(usernames) > writers, "the writers did not overlap, so this proved nothing"
