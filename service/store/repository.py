"""The store behind a small typed interface.

``Store`` owns the database; ``Store.transaction()`` yields a ``Repository`` bound to one
transaction that commits when the ``with`` block ends normally and rolls back when it raises.
Repository methods never commit: the caller decides the unit of work, and an API handler sends
its 201 only after the block (and so the commit) has finished.

Tenancy: every screening belongs to an organisation. Reads take ``org`` as a required keyword;
a screening of another organisation is simply not there (``NotFound``, absent from lists).
``org=None`` reads across organisations and is for the operator's tools only.

Audit: the methods that change what the audit trail records append their events themselves,
in the same transaction (``add_screenings``: screening.created; ``update_review``: the
screening.reviewed event it is given; ``add_api_key``: key.created; ``revoke_api_key``:
key.revoked). Appending needs ``transaction(write=True)``: on SQLite that takes the write lock
at BEGIN, on PostgreSQL appends are serialised by an advisory lock, so the chain never forks.

Every method raises ``StoreError`` (or a subclass) for database faults; driver exceptions are
translated here and never leak to callers.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, Dialect, Engine, RowMapping
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError

from ..audit import GENESIS, AuditError, AuditEvent, ChainHead, EventType, NewEvent, chain
from ..models import Review, Screening
from ..models.construct import replace
from ..models.screening import Decision, ReviewStatus
from .database import WRITE_OPTION, make_engine
from .errors import (
    AlreadyExists,
    IdempotencyKeyTaken,
    InvalidCursor,
    NotFound,
    StoreError,
    StoreUnavailable,
    VersionConflict,
)
from .migrate import head_revision
from .tables import (
    RELOAD_ROW,
    api_keys,
    audit_events,
    idempotency_records,
    organisations,
    ruleset_reloads,
    screening_red_flags,
    screenings,
)

REVIEW_STATUSES: tuple[ReviewStatus, ...] = (
    "open", "in_review", "awaiting_second", "approved", "rejected", "escalated")
DECISIONS: tuple[Decision, ...] = ("clear", "review", "hold")
# Every new flagged screening starts with this review (frozen, so one instance serves all).
_OPEN = Review(status="open")
_OPEN_JSON = _OPEN.model_dump_json()
# Any constant will do: it names the lock that serialises appends to the audit chain.
_AUDIT_LOCK = 0x41_55_44_54  # "AUDT"

# ---------------------------------------------------------------------------- value objects


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in the newest-first list of screenings: the last item's ``(created_at, id)``.

    Pages are keyed on this pair, so screenings stored after the first page was read appear
    before it and never shift or repeat the later pages.
    """

    created_at: dt.datetime
    id: str

    def encode(self) -> str:
        """The opaque, URL-safe form handed to clients."""
        raw = f"{self.created_at.astimezone(dt.UTC).isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        """Parse a token made by ``encode``; raises ``InvalidCursor`` for anything else."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8")
            stamp, sep, ident = raw.partition("|")
            created_at = dt.datetime.fromisoformat(stamp)
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise InvalidCursor("not a cursor issued by this API") from exc
        if not sep or not ident or created_at.tzinfo is None or len(ident) > 64:
            raise InvalidCursor("not a cursor issued by this API")
        return cls(created_at=created_at.astimezone(dt.UTC), id=ident)


@dataclass(frozen=True, slots=True)
class ScreeningFilter:
    """Conditions for listing screenings; ``None`` means no condition.

    ``org`` limits the list to one organisation (the API always sets it). ``since`` is
    inclusive and ``until`` exclusive, both compared with ``created_at``.
    """

    org: str | None = None
    decision: Decision | None = None
    red_flag: str | None = None
    status: ReviewStatus | None = None
    reference: str | None = None
    ruleset_version: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """One page of screenings, newest first, and the cursor of the next page (None at the end)."""

    items: list[Screening]
    next_cursor: Cursor | None


@dataclass(frozen=True, slots=True)
class QueueCounts:
    """How many screenings match a filter, by review status and by decision (every status and
    decision is present, zeros included). Clear screenings have no review status."""

    by_status: dict[str, int]
    by_decision: dict[str, int]
    total: int


@dataclass(frozen=True, slots=True)
class NewScreening:
    """A screening to store (with its ``id`` set), whose it is, and the shipment it came from.

    ``shipment`` is the submitted JSON (text or an object); ``submitted_by`` the API key id.
    ``body``, when the caller already has it, is ``screening_body(screening)``: the stored
    document is then not serialised again (the API reuses it for its response).
    """

    screening: Screening
    org: str
    submitted_by: str | None = None
    shipment: str | Mapping[str, Any] | None = None
    body: str | None = None

    def record(self) -> ScreeningRecord:
        """What the store writes for it: plain values (cheap to hand to another process)."""
        s = self.screening
        if not s.id:
            raise ValueError("a screening needs an id before it is stored")
        return ScreeningRecord(
            id=s.id, org=self.org, submitted_by=self.submitted_by, reference=s.reference,
            decision=s.decision, risk_score=s.risk_score, ruleset_version=s.ruleset.version,
            as_of=s.as_of, red_flags=tuple(sorted({f.red_flag for f in s.findings})),
            body=self.body if self.body is not None else screening_body(s),
            shipment=self.shipment)


@dataclass(frozen=True, slots=True)
class ScreeningRecord:
    """The columns of a new screening, its red flags and its serialised body."""

    id: str
    org: str
    submitted_by: str | None
    reference: str
    decision: str
    risk_score: int
    ruleset_version: str
    as_of: dt.date
    red_flags: tuple[str, ...]
    body: str
    shipment: str | Mapping[str, Any] | None


def initial_review(decision: str) -> Review | None:
    """The review a new screening is stored with: open unless it is clear."""
    return _OPEN if decision != "clear" else None


def stored_form(screening: Screening, now: dt.datetime) -> Screening:
    """The screening as stored at `now`: with its creation time and its initial review."""
    return replace(screening, created_at=now, review=initial_review(screening.decision))


# The screening's fields kept in columns of their own, not in its stored JSON body.
STORED_APART: set[str] = {"created_at", "review"}


def screening_body(screening: Screening) -> str:
    """The JSON document a screening is stored as: everything (by alias) except its
    ``created_at`` and ``review``, which have columns of their own."""
    return screening.model_dump_json(by_alias=True, exclude=STORED_APART)


@dataclass(frozen=True, slots=True)
class StoredScreening:
    """A stored screening with what the API and the pages need around it.

    ``version`` starts at 1 and grows with every review; ``etag`` is its HTTP form.
    ``shipment`` is None for screenings stored before shipments were kept (or when not read).
    """

    screening: Screening
    org: str
    submitted_by: str | None
    version: int
    shipment: dict[str, Any] | None = None

    @property
    def etag(self) -> str:
        return etag_for(self.version)


def etag_for(version: int) -> str:
    """The strong ETag of a screening at ``version``."""
    return f'"v{version}"'


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """What a request with an ``Idempotency-Key`` produced, kept so that a retry gets the same.

    Keys are per organisation. ``fingerprint`` identifies the request (method, path, parameters
    and body); ``result`` is the JSON the API needs to rebuild the response (the screening ids).
    """

    key: str
    fingerprint: str
    status_code: int
    result: dict[str, Any]
    created_at: dt.datetime
    org: str = "default"


@dataclass(frozen=True, slots=True)
class Organisation:
    id: str
    name: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """A stored API key: never the key itself, only the sha256 of it."""

    id: str
    org: str
    role: str
    secret_sha256: str
    created_at: dt.datetime
    name: str | None = None
    created_by: str | None = None
    revoked_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class ReloadRequest:
    """The newest request to reload the rules everywhere: ``generation`` goes up by one with
    each; ``version`` is the ruleset the requesting process validated and now serves."""

    generation: int
    version: str
    trigger: str
    requested_at: dt.datetime
    requested_by: str | None = None


# ---------------------------------------------------------------------------- interface


class Repository(Protocol):
    """Data functions inside one transaction. None of them commits."""

    # screenings

    def add_screenings(self, items: Sequence[NewScreening], *, now: dt.datetime
                       ) -> list[Screening]:
        """Insert screenings that carry an ``id``; return them as stored.

        The store sets ``created_at`` to ``now`` (UTC), ``version`` to 1 and ``review`` to
        status ``open`` for a screening whose decision is not ``clear`` (``None`` otherwise),
        and appends one screening.created event per screening. Raises ``ValueError`` for a
        screening without an id and ``StoreError`` when an id already exists.
        """
        ...

    def get_screening(self, screening_id: str, *, org: str | None) -> Screening:
        """The stored screening of ``org``; raises ``NotFound`` when there is none with that id
        in that organisation."""
        ...

    def get_stored(self, screening_id: str, *, org: str | None, shipment: bool = True
                   ) -> StoredScreening:
        """The screening with its owner, version and (with ``shipment``) the shipment;
        raises ``NotFound`` like ``get_screening``."""
        ...

    def get_screenings(self, ids: Sequence[str], *, org: str | None) -> dict[str, Screening]:
        """The stored screenings of ``org`` among ``ids`` by id; others are simply absent."""
        ...

    def list_screenings(
        self, *, where: ScreeningFilter, limit: int, after: Cursor | None = None
    ) -> Page:
        """Up to ``limit`` (>= 1) screenings matching ``where``, newest first.

        Ordered by ``(created_at, id)`` descending; ``after`` continues below that position.
        """
        ...

    def count_screenings(self, *, where: ScreeningFilter) -> QueueCounts:
        """Counts of the screenings matching ``where``, by review status and by decision."""
        ...

    def update_review(self, screening_id: str, *, org: str, expected_version: int,
                      review: Review, event: NewEvent, now: dt.datetime) -> int:
        """Replace the screening's review if it is still at ``expected_version``; append
        ``event``; return the new version. Raises ``NotFound`` and ``VersionConflict``."""
        ...

    # idempotency

    def get_idempotency(self, key: str, *, org: str) -> IdempotencyRecord | None:
        """The record ``org`` stored under ``key``, if any."""
        ...

    def add_idempotency(
        self, *, key: str, fingerprint: str, status_code: int, result: dict[str, Any],
        now: dt.datetime, org: str,
    ) -> None:
        """Record what a keyed request produced, in the same transaction as its effects.

        Raises ``IdempotencyKeyTaken`` when ``org`` already recorded the key (a concurrent
        request with the same key won); the transaction is then unusable and must be rolled
        back.
        """
        ...

    # organisations and keys

    def get_organisation(self, org_id: str) -> Organisation | None:
        ...

    def add_organisation(self, org_id: str, *, name: str, now: dt.datetime) -> Organisation:
        """Raises ``AlreadyExists`` when the id is taken."""
        ...

    def ensure_organisation(self, org_id: str, *, name: str, now: dt.datetime) -> bool:
        """Create the organisation unless it exists (also when another transaction creates it
        at the same moment); True when this call created it."""
        ...

    def list_organisations(self) -> list[Organisation]:
        ...

    def add_api_key(self, record: ApiKeyRecord) -> None:
        """Store a key (its organisation must exist) and append key.created, acted by
        ``record.created_by``."""
        ...

    def get_api_key(self, key_id: str) -> ApiKeyRecord | None:
        """The key with this id, revoked or not."""
        ...

    def list_api_keys(self, *, org: str | None = None) -> list[ApiKeyRecord]:
        """Keys oldest first, of one organisation or all."""
        ...

    def count_api_keys(self) -> int:
        ...

    def revoke_api_key(self, key_id: str, *, now: dt.datetime, actor: str | None) -> bool:
        """Revoke a key (append key.revoked); False when it is unknown or already revoked."""
        ...

    # audit

    def append_events(self, events: Sequence[NewEvent], *, now: dt.datetime
                      ) -> list[AuditEvent]:
        """Append events to the chain at time ``now``; return them as stored."""
        ...

    def lock_audit_chain(self) -> None:
        """Hold the chain's append lock until the transaction ends (``append_events`` takes
        it too); for reading something and appending depending on it."""
        ...

    def audit_head(self) -> ChainHead:
        """The newest event's hash and the number of events."""
        ...

    def list_events(
        self, *, org: str | None, include_global: bool = True, screening_id: str | None = None,
        type: EventType | None = None, after: int = 0, limit: int = 100,
    ) -> list[AuditEvent]:
        """Up to ``limit`` events in chain order after position ``after``: those of ``org``
        and, with ``include_global``, the service-wide ones (no organisation). ``org=None``
        reads every organisation's events (the operator's tools)."""
        ...

    def iter_events(self, *, chunk: int = 1000) -> Iterator[AuditEvent]:
        """Every event in ``seq`` order, read in chunks (for verification)."""
        ...

    def last_event(self, type: EventType) -> AuditEvent | None:
        """The newest event of ``type``."""
        ...

    # ruleset reloads

    def request_reload(self, *, version: str, trigger: str, requested_by: str | None,
                       now: dt.datetime) -> ReloadRequest:
        """Record a request to reload the rules everywhere (the next generation); needs
        ``transaction(write=True)`` and the audit chain's lock (``lock_audit_chain``), which
        serialise requests."""
        ...

    def reload_request(self) -> ReloadRequest | None:
        """The newest reload request (None before the first): one primary-key read."""
        ...


class Store(Protocol):
    """The database: units of work and health."""

    def transaction(self, *, write: bool = False) -> AbstractContextManager[Repository]:
        """A context manager yielding a ``Repository``; commit on normal exit, else rollback.

        ``write=True`` for a unit of work that writes: on SQLite it takes the database's write
        lock at once (``BEGIN IMMEDIATE``), so that what it read stays true until it commits;
        appending audit events requires it. Raises ``StoreUnavailable`` when no connection can
        be had and ``StoreError`` when the commit fails; after such an error nothing of the
        block is stored.
        """
        ...

    def ping(self) -> None:
        """Return when the database answers a trivial query; raise ``StoreUnavailable`` if not."""
        ...

    def revision(self) -> str | None:
        """The schema revision the database is at (None before the first migration)."""
        ...

    def expected_revision(self) -> str:
        """The schema revision this code needs (the packaged migrations' head)."""
        ...

    def dispose(self) -> None:
        """Close pooled connections (at shutdown, or after a fork)."""
        ...


# ---------------------------------------------------------------------------- SQL implementation


def _translate(exc: SQLAlchemyError, doing: str) -> StoreError:
    if isinstance(exc, OperationalError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        return StoreUnavailable(f"database unavailable while {doing}: {exc.orig or exc}")
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    return StoreError(f"database error while {doing}: {type(orig).__name__}: {orig}")


# Lists and single reads leave the shipment out unless asked for: it can be large.
_LIST_COLUMNS = [c for c in screenings.c if c.name != "shipment"]


def _review_of(row: RowMapping) -> Any:
    review = row["review"]
    if review is not None:
        return review
    status = row["review_status"]  # stored before reviews were kept whole
    return {"status": status, "history": []} if status is not None else None


def _row_to_screening(row: RowMapping) -> Screening:
    body = dict(row["body"])
    body["created_at"] = row["created_at"]
    body["review"] = _review_of(row)
    return Screening.model_validate(body)


def _event(row: RowMapping) -> AuditEvent:
    return AuditEvent(
        seq=row["seq"], at=row["at"], type=row["type"], org=row["org_id"], actor=row["actor"],
        screening_id=row["screening_id"], payload=dict(row["payload"]),
        prev_hash=row["prev_hash"], hash=row["hash"])


def _key(row: RowMapping) -> ApiKeyRecord:
    return ApiKeyRecord(
        id=row["id"], org=row["org_id"], role=row["role"], name=row["name"],
        secret_sha256=row["secret_sha256"], created_at=row["created_at"],
        created_by=row["created_by"], revoked_at=row["revoked_at"])


def _filtered(query: Any, where: ScreeningFilter) -> Any:
    s = screenings.c
    if where.org is not None:
        query = query.where(s.org_id == where.org)
    if where.decision is not None:
        query = query.where(s.decision == where.decision)
    if where.status is not None:
        query = query.where(s.review_status == where.status)
    if where.reference is not None:
        query = query.where(s.reference == where.reference)
    if where.ruleset_version is not None:
        query = query.where(s.ruleset_version == where.ruleset_version)
    if where.since is not None:
        query = query.where(s.created_at >= where.since)
    if where.until is not None:
        query = query.where(s.created_at < where.until)
    if where.red_flag is not None:
        query = query.where(
            sa.exists().where(
                screening_red_flags.c.screening_id == s.id,
                screening_red_flags.c.red_flag == where.red_flag,
            )
        )
    return query


class _HeadCache:
    """The audit chain's head as this process last committed it (SQLite only).

    Saves reading the head before each append. It may be stale (another process or thread
    appended since): then the append's first ``seq`` is taken, the insert fails on the primary
    key, and the head is read after all; so a stale value costs a retry, never a fork.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._head: ChainHead | None = None

    def get(self) -> ChainHead | None:
        return self._head

    def set(self, head: ChainHead) -> None:
        with self._lock:
            if self._head is None or head.count >= self._head.count:
                self._head = head


# SQLite's default limit of bound parameters per statement is 32766.
_SQLITE_MAX_PARAMS = 30_000


@functools.cache
def _bind_processors(table: sa.Table, columns: tuple[str, ...], dialect: Dialect
                     ) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """The bind processor of each column that has one, with the column's position."""
    processors = (table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                  for name in columns)
    return tuple((i, p) for i, p in enumerate(processors) if p is not None)


@functools.cache
def _insert_head(table: sa.Table, columns: tuple[str, ...], dialect: Dialect) -> str:
    quote = dialect.identifier_preparer.quote
    return f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) VALUES "


class SqlRepository:
    """``Repository`` over one SQLAlchemy ``Connection`` inside an open transaction."""

    def __init__(self, connection: Connection, *, write: bool = False,
                 heads: _HeadCache | None = None) -> None:
        self._conn = connection
        self._write = write
        self._dialect = connection.dialect.name
        self._heads = heads if self._dialect == "sqlite" else None
        self.appended: ChainHead | None = None  # the head after this transaction's appends

    def _insert(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """Insert rows (all with the same keys). On SQLite as one multi-row INSERT per 30,000
        parameters rather than an executemany: the sqlite3 module lets go of the GIL for every
        row it steps, and under load each time costs the writer thread a wait for it back."""
        if not rows:
            return
        if self._dialect != "sqlite":
            self._conn.execute(sa.insert(table), rows)
            return
        columns = tuple(rows[0])
        processed = _bind_processors(table, columns, self._conn.dialect)
        head = _insert_head(table, columns, self._conn.dialect)
        one = "(" + ",".join("?" * len(columns)) + ")"
        per = max(1, _SQLITE_MAX_PARAMS // len(columns))
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            params: list[Any] = []
            for row in chunk:
                values = [row[name] for name in columns]
                for i, process in processed:
                    values[i] = process(values[i])
                params += values
            self._conn.exec_driver_sql(head + ",".join([one] * len(chunk)), tuple(params))

    # ------------------------------------------------------------------ screenings

    def add_screenings(self, items: Sequence[NewScreening], *, now: dt.datetime
                       ) -> list[Screening]:
        now = now.astimezone(dt.UTC)
        self.add_records([item.record() for item in items], now=now)
        return [stored_form(item.screening, now) for item in items]

    def add_records(self, records: Sequence[ScreeningRecord], *, now: dt.datetime) -> None:
        """Insert new screenings (as `stored_form` at `now`) with their red flags and their
        screening.created audit events."""
        if not records:
            return
        now = now.astimezone(dt.UTC)
        rows: list[dict[str, Any]] = []
        flags: list[dict[str, str]] = []
        events: list[NewEvent] = []
        for r in records:
            flagged = initial_review(r.decision) is not None
            rows.append({
                "id": r.id,
                "org_id": r.org,
                "submitted_by": r.submitted_by,
                "reference": r.reference,
                "decision": r.decision,
                "risk_score": r.risk_score,
                "ruleset_version": r.ruleset_version,
                "review_status": _OPEN.status if flagged else None,
                "review": _OPEN_JSON if flagged else None,
                "version": 1,
                "as_of": r.as_of,
                "created_at": now,
                "body": r.body,
                "shipment": r.shipment,
            })
            flags.extend({"screening_id": r.id, "red_flag": code} for code in r.red_flags)
            events.append(NewEvent(
                type="screening.created", org=r.org, actor=r.submitted_by,
                screening_id=r.id, payload={
                    "reference": r.reference, "decision": r.decision,
                    "risk_score": r.risk_score, "red_flags": list(r.red_flags),
                    "ruleset_version": r.ruleset_version,
                    "body_sha256": hashlib.sha256(r.body.encode()).hexdigest(),
                }))
        try:
            self._insert(screenings, rows)
            self._insert(screening_red_flags, flags)
        except SQLAlchemyError as exc:
            raise _translate(exc, "storing screenings") from exc
        self.append_events(events, now=now)

    def _select_screenings(self, ids: Sequence[str], org: str | None, *, shipment: bool
                           ) -> Iterator[RowMapping]:
        columns = list(screenings.c) if shipment else _LIST_COLUMNS
        unique = list(dict.fromkeys(ids))
        try:
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                query = sa.select(*columns).where(screenings.c.id.in_(chunk))
                if org is not None:
                    query = query.where(screenings.c.org_id == org)
                yield from self._conn.execute(query).mappings()
        except SQLAlchemyError as exc:
            raise _translate(exc, "reading screenings") from exc

    def get_screening(self, screening_id: str, *, org: str | None) -> Screening:
        return self.get_stored(screening_id, org=org, shipment=False).screening

    def get_stored(self, screening_id: str, *, org: str | None, shipment: bool = True
                   ) -> StoredScreening:
        for row in self._select_screenings([screening_id], org, shipment=shipment):
            kept = row.get("shipment") if shipment else None
            return StoredScreening(
                screening=_row_to_screening(row), org=row["org_id"],
                submitted_by=row["submitted_by"], version=row["version"],
                shipment=dict(kept) if isinstance(kept, Mapping) else None)
        raise NotFound("screening", screening_id)

    def get_screenings(self, ids: Sequence[str], *, org: str | None) -> dict[str, Screening]:
        if not ids:
            return {}
        return {row["id"]: _row_to_screening(row)
                for row in self._select_screenings(ids, org, shipment=False)}

    def list_screenings(
        self, *, where: ScreeningFilter, limit: int, after: Cursor | None = None
    ) -> Page:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        s = screenings.c
        query = _filtered(sa.select(*_LIST_COLUMNS), where)
        if after is not None:
            query = query.where(
                sa.or_(
                    s.created_at < after.created_at,
                    sa.and_(s.created_at == after.created_at, s.id < after.id),
                )
            )
        query = query.order_by(s.created_at.desc(), s.id.desc()).limit(limit + 1)
        try:
            rows = list(self._conn.execute(query).mappings())
        except SQLAlchemyError as exc:
            raise _translate(exc, "listing screenings") from exc
        items = [_row_to_screening(row) for row in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = Cursor(created_at=last["created_at"], id=last["id"])
        return Page(items=items, next_cursor=next_cursor)

    def count_screenings(self, *, where: ScreeningFilter) -> QueueCounts:
        s = screenings.c
        by_status: dict[str, int] = dict.fromkeys(REVIEW_STATUSES, 0)
        by_decision: dict[str, int] = dict.fromkeys(DECISIONS, 0)
        query = _filtered(
            sa.select(s.review_status, s.decision, sa.func.count().label("n")), where
        ).group_by(s.review_status, s.decision)
        try:
            rows = list(self._conn.execute(query).mappings())
        except SQLAlchemyError as exc:
            raise _translate(exc, "counting screenings") from exc
        total = 0
        for row in rows:
            n = int(row["n"])
            total += n
            if row["review_status"] is not None:
                by_status[row["review_status"]] = by_status.get(row["review_status"], 0) + n
            by_decision[row["decision"]] = by_decision.get(row["decision"], 0) + n
        return QueueCounts(by_status=by_status, by_decision=by_decision, total=total)

    def update_review(self, screening_id: str, *, org: str, expected_version: int,
                      review: Review, event: NewEvent, now: dt.datetime) -> int:
        s = screenings.c
        statement = (
            sa.update(screenings)
            .where(s.id == screening_id, s.org_id == org, s.version == expected_version)
            .values(review=review.model_dump_json(), review_status=review.status,
                    version=expected_version + 1)
        )
        try:
            changed = self._conn.execute(statement).rowcount
        except SQLAlchemyError as exc:
            raise _translate(exc, "recording a review") from exc
        if changed != 1:
            self.get_stored(screening_id, org=org, shipment=False)  # NotFound if it is gone
            raise VersionConflict("screening", screening_id, expected_version)
        self.append_events([event], now=now)
        return expected_version + 1

    # ------------------------------------------------------------------ idempotency

    def get_idempotency(self, key: str, *, org: str) -> IdempotencyRecord | None:
        t = idempotency_records.c
        query = sa.select(idempotency_records).where(t.org_id == org, t.key == key)
        try:
            row = self._conn.execute(query).mappings().first()
        except SQLAlchemyError as exc:
            raise _translate(exc, "reading an idempotency key") from exc
        if row is None:
            return None
        return IdempotencyRecord(
            key=row["key"], fingerprint=row["fingerprint"], status_code=row["status_code"],
            result=dict(row["result"]), created_at=row["created_at"], org=row["org_id"])

    def add_idempotency(
        self, *, key: str, fingerprint: str, status_code: int, result: dict[str, Any],
        now: dt.datetime, org: str,
    ) -> None:
        values = {
            "org_id": org, "key": key, "fingerprint": fingerprint, "status_code": status_code,
            "result": result, "created_at": now,
        }
        try:
            self._conn.execute(sa.insert(idempotency_records), values)
        except IntegrityError as exc:
            raise IdempotencyKeyTaken(key) from exc
        except SQLAlchemyError as exc:
            raise _translate(exc, "recording an idempotency key") from exc

    # ------------------------------------------------------------------ organisations, keys

    def get_organisation(self, org_id: str) -> Organisation | None:
        query = sa.select(organisations).where(organisations.c.id == org_id)
        try:
            row = self._conn.execute(query).mappings().first()
        except SQLAlchemyError as exc:
            raise _translate(exc, "reading an organisation") from exc
        if row is None:
            return None
        return Organisation(id=row["id"], name=row["name"], created_at=row["created_at"])

    def add_organisation(self, org_id: str, *, name: str, now: dt.datetime) -> Organisation:
        if self.get_organisation(org_id) is not None:
            raise AlreadyExists("organisation", org_id)
        try:
            self._conn.execute(sa.insert(organisations),
                               {"id": org_id, "name": name, "created_at": now})
        except IntegrityError as exc:
            raise AlreadyExists("organisation", org_id) from exc
        except SQLAlchemyError as exc:
            raise _translate(exc, "storing an organisation") from exc
        return Organisation(id=org_id, name=name, created_at=now)

    def ensure_organisation(self, org_id: str, *, name: str, now: dt.datetime) -> bool:
        from sqlalchemy.dialects import postgresql, sqlite

        insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        statement = (insert(organisations).values(id=org_id, name=name, created_at=now)
                     .on_conflict_do_nothing(index_elements=["id"])
                     .returning(organisations.c.id))
        try:
            return self._conn.execute(statement).first() is not None
        except SQLAlchemyError as exc:
            raise _translate(exc, "storing an organisation") from exc

    def list_organisations(self) -> list[Organisation]:
        query = sa.select(organisations).order_by(organisations.c.id)
        try:
            rows = self._conn.execute(query).mappings()
            return [Organisation(id=r["id"], name=r["name"], created_at=r["created_at"])
                    for r in rows]
        except SQLAlchemyError as exc:
            raise _translate(exc, "listing organisations") from exc

    def add_api_key(self, record: ApiKeyRecord) -> None:
        values = {
            "id": record.id, "org_id": record.org, "role": record.role, "name": record.name,
            "secret_sha256": record.secret_sha256, "created_at": record.created_at,
            "created_by": record.created_by, "revoked_at": record.revoked_at,
        }
        try:
            self._conn.execute(sa.insert(api_keys), values)
        except IntegrityError as exc:
            raise AlreadyExists("API key", record.id) from exc
        except SQLAlchemyError as exc:
            raise _translate(exc, "storing an API key") from exc
        self.append_events([NewEvent(
            type="key.created", org=record.org, actor=record.created_by,
            payload={"key_id": record.id, "role": record.role, "name": record.name})],
            now=record.created_at)

    def get_api_key(self, key_id: str) -> ApiKeyRecord | None:
        query = sa.select(api_keys).where(api_keys.c.id == key_id)
        try:
            row = self._conn.execute(query).mappings().first()
        except SQLAlchemyError as exc:
            raise _translate(exc, "reading an API key") from exc
        return _key(row) if row is not None else None

    def list_api_keys(self, *, org: str | None = None) -> list[ApiKeyRecord]:
        query = sa.select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id)
        if org is not None:
            query = query.where(api_keys.c.org_id == org)
        try:
            return [_key(row) for row in self._conn.execute(query).mappings()]
        except SQLAlchemyError as exc:
            raise _translate(exc, "listing API keys") from exc

    def count_api_keys(self) -> int:
        try:
            return int(self._conn.execute(
                sa.select(sa.func.count()).select_from(api_keys)).scalar_one())
        except SQLAlchemyError as exc:
            raise _translate(exc, "counting API keys") from exc

    def revoke_api_key(self, key_id: str, *, now: dt.datetime, actor: str | None) -> bool:
        record = self.get_api_key(key_id)
        if record is None or record.revoked_at is not None:
            return False
        statement = (sa.update(api_keys)
                     .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                     .values(revoked_at=now))
        try:
            changed = self._conn.execute(statement).rowcount
        except SQLAlchemyError as exc:
            raise _translate(exc, "revoking an API key") from exc
        if changed != 1:
            return False
        self.append_events([NewEvent(type="key.revoked", org=record.org, actor=actor,
                                     payload={"key_id": key_id})], now=now)
        return True

    # ------------------------------------------------------------------ audit

    def lock_audit_chain(self) -> None:
        if self._dialect == "postgresql":
            try:
                self._conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": _AUDIT_LOCK})
            except SQLAlchemyError as exc:
                raise _translate(exc, "locking the audit chain") from exc
        elif not self._write:
            # A deferred SQLite transaction may read a head that another writer moves before
            # this one gets the write lock: the chain would fork.
            raise AuditError("audit events are appended in store.transaction(write=True)")

    def append_events(self, events: Sequence[NewEvent], *, now: dt.datetime
                      ) -> list[AuditEvent]:
        if not events:
            return []
        at = now.astimezone(dt.UTC)
        self.lock_audit_chain()
        cached = self.appended or (self._heads.get() if self._heads is not None else None)
        try:
            if cached is not None:
                try:
                    stored = self._insert_events(chain(events, after=cached, at=at))
                except IntegrityError:  # the cached head was stale (see _HeadCache)
                    stored = self._insert_events(chain(events, after=self.audit_head(), at=at))
            else:
                stored = self._insert_events(chain(events, after=self.audit_head(), at=at))
        except SQLAlchemyError as exc:
            raise _translate(exc, "appending audit events") from exc
        self.appended = ChainHead(hash=stored[-1].hash, count=stored[-1].seq)
        return stored

    def _insert_events(self, stored: list[AuditEvent]) -> list[AuditEvent]:
        self._insert(audit_events, [
            {"seq": e.seq, "at": e.at, "type": e.type, "org_id": e.org, "actor": e.actor,
             "screening_id": e.screening_id, "payload": e.payload,
             "prev_hash": e.prev_hash, "hash": e.hash}
            for e in stored
        ])
        return stored

    def audit_head(self) -> ChainHead:
        t = audit_events.c
        query = sa.select(t.seq, t.hash).order_by(t.seq.desc()).limit(1)
        try:
            row = self._conn.execute(query).first()
        except SQLAlchemyError as exc:
            raise _translate(exc, "reading the audit head") from exc
        if row is None:
            return ChainHead(hash=GENESIS, count=0)
        return ChainHead(hash=row.hash, count=int(row.seq))

    def list_events(
        self, *, org: str | None, include_global: bool = True, screening_id: str | None = None,
        type: EventType | None = None, after: int = 0, limit: int = 100,
    ) -> list[AuditEvent]:
        t = audit_events.c
        query = sa.select(audit_events).where(t.seq > after)
        if org is not None:
            query = query.where(sa.or_(t.org_id == org, t.org_id.is_(None))
                                if include_global else t.org_id == org)
        if screening_id is not None:
            query = query.where(t.screening_id == screening_id)
        if type is not None:
            query = query.where(t.type == type)
        query = query.order_by(t.seq).limit(limit)
        try:
            return [_event(row) for row in self._conn.execute(query).mappings()]
        except SQLAlchemyError as exc:
            raise _translate(exc, "listing audit events") from exc

    def iter_events(self, *, chunk: int = 1000) -> Iterator[AuditEvent]:
        t = audit_events.c
        after = 0
        while True:
            query = sa.select(audit_events).where(t.seq > after).order_by(t.seq).limit(chunk)
            try:
                rows = [_event(row) for row in self._conn.execute(query).mappings()]
            except SQLAlchemyError as exc:
                raise _translate(exc, "reading audit events") from exc
            yield from rows
            if len(rows) < chunk:
                return
            after = rows[-1].seq

    def last_event(self, type: EventType) -> AuditEvent | None:
        t = audit_events.c
        query = sa.select(audit_events).where(t.type == type).order_by(t.seq.desc()).limit(1)
        try:
            row = self._conn.execute(query).mappings().first()
        except SQLAlchemyError as exc:
            raise _translate(exc, "reading audit events") from exc
        return _event(row) if row is not None else None


    # ------------------------------------------------------------------ ruleset reloads

    def request_reload(self, *, version: str, trigger: str, requested_by: str | None,
                       now: dt.datetime) -> ReloadRequest:
        t = ruleset_reloads.c
        values = {"version": version, "trigger": trigger, "requested_by": requested_by,
                  "requested_at": now.astimezone(dt.UTC)}
        try:
            changed = self._conn.execute(
                sa.update(ruleset_reloads).where(t.id == RELOAD_ROW)
                .values(generation=t.generation + 1, **values)).rowcount
            if changed != 1:
                self._conn.execute(sa.insert(ruleset_reloads).values(
                    id=RELOAD_ROW, generation=1, **values))
        except SQLAlchemyError as exc:
            raise _translate(exc, "recording a reload request") from exc
        request = self.reload_request()
        assert request is not None
        return request

    def reload_request(self) -> ReloadRequest | None:
        t = ruleset_reloads.c
        query = sa.select(t.generation, t.version, t.trigger, t.requested_at,
                          t.requested_by).where(t.id == RELOAD_ROW)
        try:
            row = self._conn.execute(query).first()
        except SQLAlchemyError as exc:
            raise _translate(exc, "reading the reload request") from exc
        if row is None:
            return None
        return ReloadRequest(generation=int(row.generation), version=row.version,
                             trigger=row.trigger, requested_at=row.requested_at,
                             requested_by=row.requested_by)


class SqlStore:
    """``Store`` over a SQLAlchemy engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._heads = _HeadCache()

    @classmethod
    def from_url(cls, url: str, *, checkpoints: bool = True) -> SqlStore:
        """A store for a ``DATABASE_URL``; connects lazily. Raises ``StoreError`` for a bad URL.
        ``checkpoints``: see ``make_engine`` (False: call ``checkpoint`` yourself)."""
        return cls(make_engine(url, checkpoints=checkpoints))

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @contextmanager
    def transaction(self, *, write: bool = False, first_statement_writes: bool = False
                    ) -> Iterator[SqlRepository]:
        """See ``Store.transaction``. ``first_statement_writes`` (with ``write``) promises that
        the block's first statement is a write, which takes SQLite's write lock by itself: one
        statement (BEGIN IMMEDIATE) fewer, for the group-commit writer."""
        try:
            connection = self.engine.connect()
        except SQLAlchemyError as exc:
            raise _translate(exc, "connecting") from exc
        try:
            with connection:
                if write and not first_statement_writes:
                    connection = connection.execution_options(**{WRITE_OPTION: True})
                try:
                    transaction = connection.begin()
                except SQLAlchemyError as exc:
                    raise _translate(exc, "starting a transaction") from exc
                repo = SqlRepository(connection, write=write, heads=self._heads)
                try:
                    yield repo
                except BaseException:
                    if transaction.is_active:
                        transaction.rollback()
                    raise
                try:
                    transaction.commit()
                except SQLAlchemyError as exc:
                    raise _translate(exc, "committing") from exc
                if repo.appended is not None:
                    self._heads.set(repo.appended)
        except SQLAlchemyError as exc:  # raised while closing or rolling back
            raise _translate(exc, "closing a transaction") from exc

    def checkpoint(self) -> None:
        """Copy what SQLite's WAL holds into the database file, without waiting for readers or
        writers (a passive checkpoint; nothing to do on PostgreSQL)."""
        if self.backend != "sqlite":
            return
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except SQLAlchemyError as exc:
            raise _translate(exc, "checkpointing") from exc

    def ping(self) -> None:
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise StoreUnavailable(f"database unavailable: {exc}") from exc

    def revision(self) -> str | None:
        try:
            with self.engine.connect() as connection:
                return MigrationContext.configure(connection).get_current_revision()
        except SQLAlchemyError as exc:
            raise _translate(exc, "reading the schema revision") from exc

    def expected_revision(self) -> str:
        return head_revision()

    def dispose(self) -> None:
        self.engine.dispose()
