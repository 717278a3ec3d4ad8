"""The store behind a small typed interface.

``Store`` owns the database; ``Store.transaction()`` yields a ``Repository`` bound to one
transaction that commits when the ``with`` block ends normally and rolls back when it raises.
Repository methods never commit: the caller decides the unit of work, and an API handler sends
its 201 only after the block (and so the commit) has finished.

Every method raises ``StoreError`` (or a subclass) for database faults; driver exceptions are
translated here and never leak to callers.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError

from ..models import Review, Screening
from ..models.screening import Decision, ReviewStatus
from .database import make_engine
from .errors import (
    IdempotencyKeyTaken,
    InvalidCursor,
    NotFound,
    StoreError,
    StoreUnavailable,
)
from .migrate import head_revision
from .tables import idempotency_keys, screening_red_flags, screenings

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

    ``since`` is inclusive and ``until`` exclusive, both compared with ``created_at``.
    """

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
class IdempotencyRecord:
    """What a request with an ``Idempotency-Key`` produced, kept so that a retry gets the same.

    ``fingerprint`` identifies the request (method, path, parameters and body); ``result`` is
    the JSON the API needs to rebuild the response (for example the screening ids).
    """

    key: str
    fingerprint: str
    status_code: int
    result: dict[str, Any]
    created_at: dt.datetime


# ---------------------------------------------------------------------------- interface


class Repository(Protocol):
    """Data functions inside one transaction. None of them commits."""

    def add_screenings(
        self, screenings: Sequence[Screening], *, now: dt.datetime
    ) -> list[Screening]:
        """Insert screenings that carry an ``id``; return them as stored.

        The store sets ``created_at`` to ``now`` (UTC) and ``review`` to status ``open`` for a
        screening whose decision is not ``clear`` (``None`` otherwise). Raises ``ValueError``
        for a screening without an id and ``StoreError`` when an id already exists.
        """
        ...

    def get_screening(self, screening_id: str) -> Screening:
        """The stored screening; raises ``NotFound`` when there is none with that id."""
        ...

    def get_screenings(self, ids: Sequence[str]) -> dict[str, Screening]:
        """The stored screenings among ``ids`` by id; missing ids are simply absent."""
        ...

    def list_screenings(
        self, *, where: ScreeningFilter, limit: int, after: Cursor | None = None
    ) -> Page:
        """Up to ``limit`` (>= 1) screenings matching ``where``, newest first.

        Ordered by ``(created_at, id)`` descending; ``after`` continues below that position.
        """
        ...

    def get_idempotency(self, key: str) -> IdempotencyRecord | None:
        """The record stored under ``key``, if any."""
        ...

    def add_idempotency(
        self, *, key: str, fingerprint: str, status_code: int, result: dict[str, Any],
        now: dt.datetime,
    ) -> None:
        """Record what a keyed request produced, in the same transaction as its effects.

        Raises ``IdempotencyKeyTaken`` when the key is already recorded (a concurrent request
        with the same key won); the transaction is then unusable and must be rolled back.
        """
        ...


class Store(Protocol):
    """The database: units of work and health."""

    def transaction(self) -> AbstractContextManager[Repository]:
        """A context manager yielding a ``Repository``; commit on normal exit, else rollback.

        Raises ``StoreUnavailable`` when no connection can be had and ``StoreError`` when the
        commit fails; after such an error nothing of the block is stored.
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


def _row_to_screening(row: RowMapping) -> Screening:
    body = dict(row["body"])
    body["created_at"] = row["created_at"]
    status = row["review_status"]
    body["review"] = {"status": status} if status is not None else None
    return Screening.model_validate(body)


class SqlRepository:
    """``Repository`` over one SQLAlchemy ``Connection`` inside an open transaction."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def add_screenings(
        self, screenings_: Sequence[Screening], *, now: dt.datetime
    ) -> list[Screening]:
        if not screenings_:
            return []
        now = now.astimezone(dt.UTC)
        stored: list[Screening] = []
        rows: list[dict[str, Any]] = []
        flags: list[dict[str, str]] = []
        for screening in screenings_:
            if not screening.id:
                raise ValueError("a screening needs an id before it is stored")
            review = Review(status="open") if screening.decision != "clear" else None
            done = screening.model_copy(update={"created_at": now, "review": review})
            stored.append(done)
            body = done.model_dump_json(by_alias=True, exclude={"created_at", "review"})
            rows.append({
                "id": done.id,
                "reference": done.reference,
                "decision": done.decision,
                "risk_score": done.risk_score,
                "ruleset_version": done.ruleset.version,
                "review_status": review.status if review else None,
                "as_of": done.as_of,
                "created_at": now,
                "body": body,
            })
            flags.extend(
                {"screening_id": done.id or "", "red_flag": code}
                for code in sorted({f.red_flag for f in done.findings})
            )
        try:
            self._conn.execute(sa.insert(screenings), rows)
            if flags:
                self._conn.execute(sa.insert(screening_red_flags), flags)
        except SQLAlchemyError as exc:
            raise _translate(exc, "storing screenings") from exc
        return stored

    def get_screening(self, screening_id: str) -> Screening:
        found = self.get_screenings([screening_id])
        if screening_id not in found:
            raise NotFound("screening", screening_id)
        return found[screening_id]

    def get_screenings(self, ids: Sequence[str]) -> dict[str, Screening]:
        if not ids:
            return {}
        found: dict[str, Screening] = {}
        unique = list(dict.fromkeys(ids))
        try:
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                query = sa.select(screenings).where(screenings.c.id.in_(chunk))
                for row in self._conn.execute(query).mappings():
                    found[row["id"]] = _row_to_screening(row)
        except SQLAlchemyError as exc:
            raise _translate(exc, "reading screenings") from exc
        return found

    def list_screenings(
        self, *, where: ScreeningFilter, limit: int, after: Cursor | None = None
    ) -> Page:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        s = screenings.c
        query = sa.select(screenings)
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

    def get_idempotency(self, key: str) -> IdempotencyRecord | None:
        query = sa.select(idempotency_keys).where(idempotency_keys.c.key == key)
        try:
            row = self._conn.execute(query).mappings().first()
        except SQLAlchemyError as exc:
            raise _translate(exc, "reading an idempotency key") from exc
        if row is None:
            return None
        return IdempotencyRecord(
            key=row["key"],
            fingerprint=row["fingerprint"],
            status_code=row["status_code"],
            result=dict(row["result"]),
            created_at=row["created_at"],
        )

    def add_idempotency(
        self, *, key: str, fingerprint: str, status_code: int, result: dict[str, Any],
        now: dt.datetime,
    ) -> None:
        values = {
            "key": key, "fingerprint": fingerprint, "status_code": status_code,
            "result": result, "created_at": now,
        }
        try:
            self._conn.execute(sa.insert(idempotency_keys), values)
        except IntegrityError as exc:
            raise IdempotencyKeyTaken(key) from exc
        except SQLAlchemyError as exc:
            raise _translate(exc, "recording an idempotency key") from exc


class SqlStore:
    """``Store`` over a SQLAlchemy engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str) -> SqlStore:
        """A store for a ``DATABASE_URL``; connects lazily. Raises ``StoreError`` for a bad URL."""
        return cls(make_engine(url))

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[SqlRepository]:
        try:
            connection = self.engine.connect()
        except SQLAlchemyError as exc:
            raise _translate(exc, "connecting") from exc
        try:
            with connection:
                transaction = connection.begin()
                try:
                    yield SqlRepository(connection)
                except BaseException:
                    if transaction.is_active:
                        transaction.rollback()
                    raise
                try:
                    transaction.commit()
                except SQLAlchemyError as exc:
                    raise _translate(exc, "committing") from exc
        except SQLAlchemyError as exc:  # raised while closing or rolling back
            raise _translate(exc, "closing a transaction") from exc

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
