"""The audit trail on SQLite and PostgreSQL: every change appends a hash-chained event in its own
transaction; the chain verifies clean, and verification names the first bad event after a row
is edited (SQL UPDATE by hand), removed or reordered, and — given a head kept elsewhere — when
the newest are removed or the chain is rewritten. `assay audit verify` exits accordingly."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from service.audit import GENESIS, ChainHead, NewEvent, canonical, event_hash, verify
from service.auth import Principal, create_key
from service.review import ReviewRequest
from service.store import NewScreening, SqlStore, StoreError
from service.workflow import (
    audit_head,
    record_ruleset_loaded,
    review_screening,
    screening_audit,
    verify_audit,
)

from .api_support import ROOT, make_screening

pytest_plugins = ["tests.api_fixtures"]  # store and API fixtures (see its docstring)

ASSAY = str(Path(sys.executable).parent / "assay")
NOW = dt.datetime(2025, 8, 4, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    store = SqlStore.from_url(database_url)
    yield store
    store.dispose()


def seed(store: SqlStore) -> dict[str, Any]:
    """A small history: keys made, two screenings stored, one reviewed, a ruleset load."""
    submitter = create_key(store, org="org-a", role="submitter").principal
    reviewer = create_key(store, org="org-a", role="reviewer").principal
    screenings = [make_screening(decision="review", red_flags=("TRX-HUB",)),
                  make_screening(decision="clear")]
    with store.transaction(write=True) as repo:
        repo.add_screenings([NewScreening(screening=s, org="org-a",
                                          submitted_by=submitter.key_id) for s in screenings],
                            now=NOW)
    flagged = screenings[0].id or ""
    review_screening(store, reviewer, flagged, ReviewRequest(decision="start"), if_match='"v1"')
    record_ruleset_loaded(store, version="sha256:x", rules=3, previous=None, trigger="test")
    return {"submitter": submitter, "reviewer": reviewer, "flagged": flagged}


def tamper(store: SqlStore, *statements: str) -> None:
    """Run SQL by hand on the audit table, past its append-only triggers (as someone with
    the rights to drop or disable them could)."""
    with store.engine.begin() as connection:
        if store.backend == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_update")
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_delete")
        else:
            connection.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
        for statement in statements:
            connection.exec_driver_sql(statement)


def test_every_change_appends_an_event_in_one_chain(store: SqlStore) -> None:
    seeded = seed(store)
    with store.transaction() as repo:
        events = list(repo.iter_events(chunk=2))  # chunked reads join up
    assert [e.type for e in events] == [
        "key.created", "key.created", "screening.created", "screening.created",
        "screening.reviewed", "ruleset.loaded"]
    assert [e.seq for e in events] == list(range(1, 7))
    assert events[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    created = events[2]
    assert created.org == "org-a" and created.actor == seeded["submitter"].key_id
    assert created.payload["red_flags"] == ["TRX-HUB"] and created.payload["decision"] == "review"
    reviewed = events[4]
    assert reviewed.actor == seeded["reviewer"].key_id
    assert reviewed.payload["from"] == "open" and reviewed.payload["to"] == "in_review"
    assert events[5].org is None and events[5].payload["trigger"] == "test"
    result = verify_audit(store)
    assert result.ok and result.count == 6
    assert result.head == audit_head(store) == ChainHead(hash=events[-1].hash, count=6)
    assert verify_audit(store, head=ChainHead(hash=events[3].hash, count=4)).ok
    assert verify_audit(store, head=ChainHead(hash=GENESIS, count=0)).ok
    history = screening_audit(store, seeded["reviewer"], seeded["flagged"])
    assert [e.type for e in history] == ["screening.created", "screening.reviewed"]


def test_the_hash_is_over_canonical_json_with_the_previous_hash() -> None:
    fields: dict[str, Any] = {"seq": 1, "at": NOW, "type": "key.created", "org": "o",
                              "actor": None, "screening_id": None,
                              "payload": {"b": 1, "a": "ä"}, "prev": GENESIS}
    text = canonical(**fields).decode()
    assert text == ('{"actor":null,"at":"2025-08-04T12:00:00.000000Z","org":"o",'
                    '"payload":{"a":"ä","b":1},"prev":"' + GENESIS + '","screening_id":null,'
                    '"seq":1,"type":"key.created"}')
    assert event_hash(**fields) != event_hash(**{**fields, "prev": "1" * 64})


def test_audit_rows_are_append_only(store: SqlStore) -> None:
    seed(store)
    for statement in ("UPDATE audit_events SET type = 'x' WHERE seq = 1",
                      "DELETE FROM audit_events WHERE seq = 1"):
        with pytest.raises(sa.exc.DBAPIError), store.engine.begin() as connection:
            connection.exec_driver_sql(statement)
    assert verify_audit(store).ok


def test_an_edited_row_is_found(store: SqlStore) -> None:
    seed(store)
    tamper(store, "UPDATE audit_events SET payload = "
                  "'{\"decision\": \"clear\", \"red_flags\": []}' WHERE seq = 3")
    result = verify_audit(store)
    assert not result.ok and result.bad_seq == 3
    assert "event #3 (screening.created" in (result.problem or "")
    assert "edited" in (result.problem or "")


def test_an_edited_actor_or_time_is_found(store: SqlStore) -> None:
    seed(store)
    tamper(store, "UPDATE audit_events SET actor = 'ak_someoneelse0000' WHERE seq = 5")
    assert verify_audit(store).bad_seq == 5


def test_a_removed_row_is_found(store: SqlStore) -> None:
    seed(store)
    tamper(store, "DELETE FROM audit_events WHERE seq = 4")
    result = verify_audit(store)
    assert not result.ok and result.bad_seq == 5
    assert "expected event #4" in (result.problem or "") and "removed" in (result.problem or "")


def test_reordered_rows_are_found(store: SqlStore) -> None:
    seed(store)
    tamper(store, "UPDATE audit_events SET seq = 1000 WHERE seq = 3",
           "UPDATE audit_events SET seq = 3 WHERE seq = 4",
           "UPDATE audit_events SET seq = 4 WHERE seq = 1000")
    result = verify_audit(store)
    assert not result.ok and result.bad_seq == 3
    assert "does not follow event #2" in (result.problem or "")


def test_removing_the_newest_is_found_with_the_head(store: SqlStore) -> None:
    seed(store)
    head = audit_head(store)
    tamper(store, f"DELETE FROM audit_events WHERE seq >= {head.count - 1}")
    assert verify_audit(store).ok  # a chain cut at its end is still a chain ...
    result = verify_audit(store, head=head)  # ... but not the one the head was taken of
    assert not result.ok and f"the head counts {head.count}" in (result.problem or "")


def test_a_rewritten_chain_is_found_with_the_head(store: SqlStore) -> None:
    seed(store)
    head = audit_head(store)
    with store.transaction() as repo:
        events = list(repo.iter_events())
    # Someone edits event 3 and recomputes every hash after it: the links hold ...
    statements, prev = [], events[1].hash
    for event in events[2:]:
        payload = {**event.payload, "note": "rewritten"} if event.seq == 3 else event.payload
        digest = event_hash(seq=event.seq, at=event.at, type=event.type, org=event.org,
                            actor=event.actor, screening_id=event.screening_id,
                            payload=payload, prev=prev)
        statements.append(f"DELETE FROM audit_events WHERE seq = {event.seq}")
        statements.append(_insert(event, payload, prev, digest))
        prev = digest
    tamper(store, *statements)
    assert verify_audit(store).ok
    result = verify_audit(store, head=head)  # ... but the head kept elsewhere does not
    assert not result.ok and "rewritten" in (result.problem or "")


def _insert(event: Any, payload: Mapping[str, Any], prev: str, digest: str) -> str:
    import json

    at = event.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    def text(value: str | None) -> str:
        return "NULL" if value is None else "'" + value.replace("'", "''") + "'"
    body = json.dumps(payload).replace("'", "''")
    return ("INSERT INTO audit_events (seq, at, type, org_id, actor, screening_id, payload, "
            f"prev_hash, hash) VALUES ({event.seq}, '{at}', {text(event.type)}, "
            f"{text(event.org)}, {text(event.actor)}, {text(event.screening_id)}, '{body}', "
            f"'{prev}', '{digest}')")


def test_concurrent_writers_keep_one_chain(store: SqlStore) -> None:
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for _ in range(n):
                with store.transaction(write=True) as repo:
                    repo.add_screenings([NewScreening(screening=make_screening(), org="org-a")],
                                        now=dt.datetime.now(dt.UTC))
                create_key(store, org="org-a", role="submitter")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(8,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = verify_audit(store)
    assert result.ok and result.count == 64


def test_appending_needs_a_write_transaction(store: SqlStore) -> None:
    event = NewEvent(type="ruleset.loaded", org=None, actor=None, payload={})
    if store.backend == "sqlite":
        with pytest.raises(Exception, match="write=True"), store.transaction() as repo:
            repo.append_events([event], now=NOW)
    with store.transaction(write=True) as repo:
        [stored] = repo.append_events([event], now=NOW)
    assert stored.seq == 1 and verify([stored]).ok


def _assay(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([ASSAY, *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=60)


def test_assay_audit_verify_passes_clean_and_fails_after_a_hand_edit(
        store: SqlStore, database_url: str) -> None:
    seed(store)
    head = _assay("audit", "head", database_url=database_url)
    assert head.returncode == 0 and head.stdout.strip() == str(audit_head(store))
    clean = _assay("audit", "verify", "--head", head.stdout.strip(), database_url=database_url)
    assert clean.returncode == 0, clean.stderr
    assert clean.stdout.startswith("audit chain OK: 6 events")

    tamper(store, "UPDATE audit_events SET type = 'key.revoked' WHERE seq = 2")
    edited = _assay("audit", "verify", database_url=database_url)
    assert edited.returncode == 1
    assert "audit chain BROKEN" in edited.stderr and "event #2 (key.revoked" in edited.stderr


def test_assay_audit_verify_head_finds_removed_newest_and_refuses_a_bad_head(
        tmp_path: Path) -> None:
    from service.store import upgrade

    url = f"sqlite:///{tmp_path / 'a.db'}"
    upgrade(url)
    store = SqlStore.from_url(url)
    seed(store)
    head = str(audit_head(store))
    tamper(store, "DELETE FROM audit_events WHERE seq = 6")
    assert _assay("audit", "verify", database_url=url).returncode == 0
    cut = _assay("audit", "verify", "--head", head, database_url=url)
    assert cut.returncode == 1 and "events #6 to #6 were removed" in cut.stderr
    assert _assay("audit", "verify", "--head", "nope", database_url=url).returncode == 2
    store.dispose()


def test_store_errors_are_not_swallowed() -> None:
    store = SqlStore.from_url("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
    with pytest.raises(StoreError):
        verify_audit(store)
    assert Principal(key_id="k", org="o", role="admin").is_admin


def test_two_stores_on_one_database_keep_one_chain(database_url: str) -> None:
    """Like two server processes: each remembers the head it last wrote, which the other makes
    stale; the append notices (the seq is taken) and reads the head instead of forking."""
    first, second = SqlStore.from_url(database_url), SqlStore.from_url(database_url)
    try:
        for i in range(6):
            store = (first, second)[i % 2]
            with store.transaction(write=True, first_statement_writes=True) as repo:
                repo.add_screenings([NewScreening(screening=make_screening(), org="org-a")],
                                    now=NOW)
            create_key(store, org="org-a", role="submitter")
        result = verify_audit(first)
        assert result.ok and result.count == 12
    finally:
        first.dispose()
        second.dispose()
