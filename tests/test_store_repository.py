"""The store on SQLite and PostgreSQL: round trips, filters, stable cursors, idempotency, errors,
reload requests."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from service.ids import is_screening_id, new_screening_id, timestamp_ms
from service.models import Screening
from service.store import (
    Cursor,
    IdempotencyKeyTaken,
    InvalidCursor,
    NewScreening,
    NotFound,
    ScreeningFilter,
    SqlStore,
    StoreError,
    StoreUnavailable,
    current_revision,
    head_revision,
    upgrade,
)
from service.workflow import record_ruleset_reload, reload_request, verify_audit

from .api_support import make_screening, unique_reference

pytest_plugins = ["tests.api_fixtures"]  # store and API fixtures (see its docstring)

T0 = dt.datetime(2025, 8, 4, 12, 0, tzinfo=dt.UTC)
ORG = "default"


def new(*screenings: Screening, org: str = ORG) -> list[NewScreening]:
    return [NewScreening(screening=s, org=org, submitted_by="ak_test") for s in screenings]


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    store = SqlStore.from_url(database_url)
    yield store
    store.dispose()


def test_round_trip_keeps_the_screening_and_sets_created_at_and_review(store: SqlStore) -> None:
    screening = make_screening(decision="hold", red_flags=("TRX-HUB", "LIC-MISSING"))
    with store.transaction(write=True) as repo:
        [stored] = repo.add_screenings(new(screening), now=T0)
    assert stored.created_at == T0
    assert stored.review is not None and stored.review.status == "open"
    with store.transaction() as repo:
        loaded = repo.get_screening(screening.id or "", org=ORG)
    assert loaded == stored
    assert loaded.model_dump(by_alias=True)["normalised"][0]["from"] == "Hongkong"
    expected = screening.model_dump(exclude={"created_at", "review"})
    assert loaded.model_dump(exclude={"created_at", "review"}) == expected


def test_clear_screening_has_no_review(store: SqlStore) -> None:
    with store.transaction(write=True) as repo:
        [stored] = repo.add_screenings(new(make_screening(decision="clear")), now=T0)
        assert repo.get_screening(stored.id or "", org=ORG).review is None


def test_created_at_is_utc_even_when_given_another_zone(store: SqlStore) -> None:
    tokyo = dt.timezone(dt.timedelta(hours=9))
    with store.transaction(write=True) as repo:
        [stored] = repo.add_screenings(new(make_screening()), now=T0.astimezone(tokyo))
        loaded = repo.get_screening(stored.id or "", org=ORG)
    assert loaded.created_at == T0 and loaded.created_at.utcoffset() == dt.timedelta(0)


def test_missing_screening_is_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound), store.transaction() as repo:
        repo.get_screening("scr_00000000000000000000000000", org=ORG)


def test_exception_in_the_block_rolls_everything_back(store: SqlStore) -> None:
    screening = make_screening()
    with pytest.raises(RuntimeError), store.transaction(write=True) as repo:
        repo.add_screenings(new(screening), now=T0)
        raise RuntimeError("boom")
    with store.transaction() as repo:
        assert repo.get_screenings([screening.id or ""], org=ORG) == {}


def test_duplicate_id_is_a_store_error_and_nothing_of_the_batch_is_kept(store: SqlStore) -> None:
    first = make_screening()
    with store.transaction(write=True) as repo:
        repo.add_screenings(new(first), now=T0)
    other = make_screening()
    with pytest.raises(StoreError), store.transaction(write=True) as repo:
        repo.add_screenings(new(other, first), now=T0)
    with store.transaction() as repo:
        assert set(repo.get_screenings([first.id or "", other.id or ""], org=ORG)) == {first.id}


def test_screening_without_id_is_refused(store: SqlStore) -> None:
    nameless = make_screening().model_copy(update={"id": None})
    with pytest.raises(ValueError), store.transaction(write=True) as repo:
        repo.add_screenings(new(nameless), now=T0)


def _seed(store: SqlStore, reference: str) -> list[Screening]:
    """Seven screenings over three timestamps, two of them sharing one."""
    specs = [
        ("hold", ("TRX-HUB", "PTY-RESTRICTED")), ("review", ("TRX-HUB",)), ("clear", ()),
        ("review", ("DEC-VAGUE",)), ("hold", ("LIC-PROHIBITED-DEST",)), ("clear", ()),
        ("review", ("TRX-HUB", "CON-POSTAL")),
    ]
    stored: list[Screening] = []
    for i, (decision, flags) in enumerate(specs):
        with store.transaction(write=True) as repo:
            stored += repo.add_screenings(
                new(make_screening(reference=reference, decision=decision, red_flags=flags)),
                now=T0 + dt.timedelta(seconds=i // 2),
            )
    return stored


def _walk(store: SqlStore, where: ScreeningFilter, limit: int) -> list[str]:
    ids: list[str] = []
    cursor: Cursor | None = None
    for _ in range(50):
        with store.transaction() as repo:
            page = repo.list_screenings(where=where, limit=limit, after=cursor)
        ids += [s.id or "" for s in page.items]
        if page.next_cursor is None:
            return ids
        cursor = Cursor.decode(page.next_cursor.encode())
    raise AssertionError("pagination did not end")


def test_list_is_newest_first_and_filters(store: SqlStore) -> None:
    reference = unique_reference()
    stored = _seed(store, reference)
    newest_first = [s.id for s in sorted(stored, key=lambda s: (s.created_at, s.id), reverse=True)]
    mine = ScreeningFilter(reference=reference)
    assert _walk(store, mine, 100) == newest_first
    assert _walk(store, mine, 2) == newest_first
    assert _walk(store, mine, 1) == newest_first

    def ids(**conditions: object) -> set[str | None]:
        where = ScreeningFilter(reference=reference, **conditions)  # type: ignore[arg-type]
        with store.transaction() as repo:
            return {s.id for s in repo.list_screenings(where=where, limit=100).items}

    assert ids(decision="hold") == {s.id for s in stored if s.decision == "hold"}
    assert ids(red_flag="TRX-HUB") == {stored[0].id, stored[1].id, stored[6].id}
    assert ids(red_flag="TRX-HUB", decision="review") == {stored[1].id, stored[6].id}
    assert ids(status="open") == {s.id for s in stored if s.decision != "clear"}
    assert ids(since=T0 + dt.timedelta(seconds=1)) == {s.id for s in stored[2:]}
    assert ids(until=T0 + dt.timedelta(seconds=1)) == {s.id for s in stored[:2]}
    assert ids(ruleset_version="sha256:other") == set()
    assert ids(red_flag="NOPE") == set()


def test_pages_stay_stable_while_new_screenings_arrive(store: SqlStore) -> None:
    reference = unique_reference()
    stored = _seed(store, reference)
    expected = [s.id for s in sorted(stored, key=lambda s: (s.created_at, s.id), reverse=True)]
    where = ScreeningFilter(reference=reference)
    seen: list[str | None] = []
    cursor: Cursor | None = None
    late = T0 + dt.timedelta(minutes=5)
    while True:
        with store.transaction(write=True) as repo:
            page = repo.list_screenings(where=where, limit=3, after=cursor)
            # A writer stores newer screenings between every two pages.
            repo.add_screenings(new(make_screening(reference=reference)), now=late)
        seen += [s.id for s in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected


def test_cursor_round_trip_and_rejection() -> None:
    cursor = Cursor(created_at=T0, id="scr_01ABC")
    assert Cursor.decode(cursor.encode()) == cursor
    for bad in ("", "!!!", "bm9wZQ", cursor.encode()[:-3] + "A"):
        with pytest.raises(InvalidCursor):
            Cursor.decode(bad)


def test_idempotency_record_and_conflict(store: SqlStore) -> None:
    key = unique_reference("key")
    with store.transaction(write=True) as repo:
        assert repo.get_idempotency(key, org=ORG) is None
        repo.add_idempotency(
            key=key, fingerprint="f" * 64, status_code=201, result={"screening_id": "scr_x"},
            now=T0, org=ORG,
        )
    with store.transaction() as repo:
        record = repo.get_idempotency(key, org=ORG)
        assert repo.get_idempotency(key, org="other") is None  # keys are per organisation
    assert record is not None and record.result == {"screening_id": "scr_x"}
    assert record.status_code == 201 and record.created_at == T0 and record.org == ORG

    screening = make_screening()
    with pytest.raises(IdempotencyKeyTaken), store.transaction(write=True) as repo:
        repo.add_screenings(new(screening), now=T0)
        repo.add_idempotency(key=key, fingerprint="g" * 64, status_code=201, result={}, now=T0,
                             org=ORG)
    with store.transaction(write=True) as repo:  # another organisation may use the same key
        repo.add_idempotency(key=key, fingerprint="g" * 64, status_code=201, result={}, now=T0,
                             org="other")
    with store.transaction() as repo:  # the screening of the losing request was rolled back
        assert repo.get_screenings([screening.id or ""], org=ORG) == {}


def test_concurrent_writers_lose_nothing(store: SqlStore) -> None:
    reference = unique_reference()
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for _ in range(n):
                with store.transaction(write=True) as repo:
                    repo.add_screenings(
                new(make_screening(reference=reference)), now=dt.datetime.now(dt.UTC)
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(15,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(_walk(store, ScreeningFilter(reference=reference), 100)) == 60


def test_migrations_are_at_head_and_idempotent(database_url: str) -> None:
    assert current_revision(database_url) == head_revision()
    assert upgrade(database_url) == head_revision()


def test_unreachable_database_is_store_unavailable() -> None:
    store = SqlStore.from_url("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
    with pytest.raises(StoreUnavailable):
        store.ping()
    with pytest.raises(StoreUnavailable), store.transaction():
        pass


def test_missing_tables_are_a_store_error(tmp_path: object) -> None:
    store = SqlStore.from_url(f"sqlite:///{tmp_path}/empty.db")
    store.ping()
    with pytest.raises(StoreError), store.transaction() as repo:
        repo.get_screening("scr_x", org=ORG)


def test_sqlite_runs_in_wal_mode(tmp_path: object) -> None:
    store = SqlStore.from_url(f"sqlite:///{tmp_path}/wal.db")
    with store.engine.connect() as connection:
        assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
    store.dispose()


def test_bad_urls_are_store_errors() -> None:
    with pytest.raises(StoreError):
        SqlStore.from_url("mysql://x@y/z")
    with pytest.raises(StoreError):
        SqlStore.from_url("not a url")


def test_screening_ids_sort_by_time_and_are_unique() -> None:
    ids = [new_screening_id() for _ in range(2000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(is_screening_id(i) for i in ids)
    assert abs(timestamp_ms(ids[0]) / 1000 - dt.datetime.now(dt.UTC).timestamp()) < 60
    assert not is_screening_id("scr_short") and not is_screening_id("abc_" + ids[0][4:])


def test_reload_requests_count_up_with_their_audit_events(store: SqlStore) -> None:
    assert reload_request(store) is None
    first = record_ruleset_reload(store, version="sha256:a", rules=3, previous=None,
                                  trigger="api")
    second = record_ruleset_reload(store, version="sha256:b", rules=4, previous="sha256:a",
                                   trigger="sighup")
    assert (first.request.generation, second.request.generation) == (1, 2)
    assert reload_request(store) == second.request
    assert second.request.version == "sha256:b" and second.request.trigger == "sighup"
    assert second.request.requested_at.tzinfo is not None
    assert second.event.type == "ruleset.loaded" and second.event.org is None
    assert second.event.payload == {"version": "sha256:b", "rules": 4, "previous": "sha256:a",
                                    "trigger": "sighup", "generation": 2}

    def reload(n: int) -> None:  # processes reloading at once: each gets its own generation
        for _ in range(n):
            record_ruleset_reload(store, version="sha256:c", rules=1, previous=None,
                                  trigger="api")

    threads = [threading.Thread(target=reload, args=(3,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    last = reload_request(store)
    assert last is not None and last.generation == 14
    with store.transaction() as repo:
        events = repo.list_events(org=None, type="ruleset.loaded", limit=100)
    assert sorted(e.payload["generation"] for e in events) == list(range(1, 15))
    assert verify_audit(store).ok


def test_group_commit_writer_stores_a_precomputed_body(store: SqlStore) -> None:
    """A ``body`` computed by the caller (``screening_body``) is the screening's document."""
    import hashlib

    from service.store import GroupCommitWriter, screening_body

    writer = GroupCommitWriter(store)
    writer.start()
    screenings = [make_screening() for _ in range(3)]
    try:
        stored = writer.submit([NewScreening(screening=s, org=ORG, submitted_by="ak_test",
                                             body=screening_body(s)) for s in screenings]
                               ).result(timeout=10)
    finally:
        writer.stop()
    assert [s.id for s in stored] == [s.id for s in screenings]
    with store.transaction() as repo:
        found = repo.get_screenings([s.id or "" for s in screenings], org=ORG)
        events = repo.list_events(org=ORG, type="screening.created", limit=1000)
    assert {i: f.model_dump(exclude={"created_at", "review"}) for i, f in found.items()} == {
        s.id: s.model_dump(exclude={"created_at", "review"}) for s in screenings}
    digests = {e.screening_id: e.payload["body_sha256"] for e in events}
    for s in screenings:
        assert digests[s.id] == hashlib.sha256(screening_body(s).encode()).hexdigest()


def test_a_cancelled_submission_does_not_stop_the_writer(store: SqlStore) -> None:
    """A request cancelled while its screenings are being stored (a client gone, a shutdown)
    must not take the writer thread down with it: later submissions still commit."""
    import asyncio

    from service.store import GroupCommitWriter

    writer = GroupCommitWriter(store)
    writer.start()

    async def cancel_one_then_submit() -> list[Screening]:
        task = asyncio.ensure_future(asyncio.wrap_future(writer.submit(new(make_screening()))))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return await asyncio.wait_for(
            asyncio.wrap_future(writer.submit(new(make_screening()))), 10)

    try:
        [stored] = asyncio.run(cancel_one_then_submit())
    finally:
        writer.stop()
    with store.transaction() as repo:
        assert set(repo.get_screenings([stored.id or ""], org=ORG)) == {stored.id}


def test_stop_drains_every_submitted_job(store: SqlStore) -> None:
    """Jobs submitted before ``stop`` are all committed, and their futures resolved."""
    from service.store import GroupCommitWriter

    writer = GroupCommitWriter(store)
    writer.start()
    futures = [writer.submit(new(make_screening(), make_screening())) for _ in range(20)]
    writer.stop()
    stored = [s for f in futures for s in f.result(timeout=0)]
    assert len(stored) == 40 and all(s.created_at is not None for s in stored)
    with store.transaction() as repo:
        assert len(repo.get_screenings([s.id or "" for s in stored], org=ORG)) == 40
    with pytest.raises(StoreUnavailable):
        writer.submit(new(make_screening())).result(timeout=10)


def test_a_dead_writer_fails_submissions_instead_of_hanging(store: SqlStore) -> None:
    """When the writer process dies, what waits and what comes later fail as unavailable
    (the API answers 503 and /readyz says why), never hang."""
    from service.store import GroupCommitWriter

    writer = GroupCommitWriter(store)
    writer.start()
    try:
        assert writer.alive()
        process = writer._process
        assert process is not None
        process.kill()
        process.wait(10)
        assert not writer.alive()
        with pytest.raises(StoreUnavailable):
            writer.submit(new(make_screening())).result(timeout=10)
    finally:
        writer.stop()


def test_a_streamed_job_commits_its_parts_in_one_transaction(store: SqlStore) -> None:
    """Parts are stored as they come, other jobs wait their turn, and the whole job commits
    at its end; an abandoned stream leaves nothing behind."""
    from service.store import GroupCommitWriter

    writer = GroupCommitWriter(store)
    writer.start()
    try:
        parts = [[make_screening() for _ in range(3)] for _ in range(3)]
        stream = writer.stream()
        stream.add(new(*parts[0]))
        single = writer.submit(new(make_screening()))  # arrives in the middle of the stream
        stream.add(new(*parts[1]))
        streamed = stream.end(new(*parts[2])).result(timeout=10)
        [alone] = single.result(timeout=10)
        dropped = writer.stream()
        lost = make_screening()
        dropped.add(new(lost))
        dropped.abort()
        with pytest.raises(StoreError):
            dropped.future.result(timeout=10)
    finally:
        writer.stop()
    assert [s.id for s in streamed] == [s.id for part in parts for s in part]
    assert len({s.created_at for s in streamed}) == 1
    with store.transaction() as repo:
        found = repo.get_screenings([s.id or "" for s in [*streamed, alone]], org=ORG)
        assert len(found) == 10
        assert repo.get_screenings([lost.id or ""], org=ORG) == {}


def test_the_writer_checkpoints_the_wal_beside_its_commits(tmp_path: Path) -> None:
    """On SQLite (WAL) the writer's own commits leave the WAL alone (no request waits for a
    checkpoint); its checkpoint thread copies the WAL into the database file once about 4 MiB
    have been sent to be stored."""
    import os
    import time

    from service.store import GroupCommitWriter

    url = f"sqlite:///{tmp_path / 'wal.db'}"
    upgrade(url)
    store = SqlStore.from_url(url)
    apart = SqlStore.from_url(url, checkpoints=False)
    with apart.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    apart.dispose()
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000

    path = store.engine.url.database or ""
    before = os.path.getsize(path)
    writer = GroupCommitWriter(store)
    writer.start()
    try:
        for _ in range(6):  # each about 0.8 MB (each padding a string of its own)
            writer.submit([NewScreening(screening=make_screening(), org=ORG,
                                        shipment={"pad": f"{i:04d}" + "x" * 8000})
                           for i in range(100)]).result(timeout=30)
        deadline = time.monotonic() + 20
        while os.path.getsize(path) < before + (4 << 20) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert os.path.getsize(path) >= before + (4 << 20)
    finally:
        writer.stop()
        store.dispose()


def test_a_failing_streamed_job_stores_none_of_its_parts(store: SqlStore) -> None:
    from service.store import GroupCommitWriter

    writer = GroupCommitWriter(store)
    writer.start()
    try:
        first = make_screening()
        writer.submit(new(first)).result(timeout=10)
        stream = writer.stream()
        fresh = make_screening()
        stream.add(new(fresh))
        with pytest.raises(StoreError):
            stream.end(new(first)).result(timeout=10)  # the id is taken: nothing of it stays
        assert writer.submit(new(make_screening())).result(timeout=10)  # the writer goes on
    finally:
        writer.stop()
    with store.transaction() as repo:
        assert repo.get_screenings([fresh.id or ""], org=ORG) == {}
