"""Engines for the two backends: an embedded SQLite file (WAL) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from .errors import StoreError

SQLITE_BUSY_TIMEOUT_S = 30.0
# Execution option set on a Connection whose transaction reads before it writes
# (``Store.transaction(write=True)``): on SQLite it begins with BEGIN IMMEDIATE.
WRITE_OPTION = "assay_write"


def normalise_url(url: str | URL) -> URL:
    """The SQLAlchemy URL for a ``DATABASE_URL``; bare ``postgres(ql)://`` gets psycopg 3.

    Raises ``StoreError`` for a URL SQLAlchemy cannot parse or a backend other than SQLite and
    PostgreSQL.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"invalid DATABASE_URL: {exc}") from exc
    backend = parsed.get_backend_name()
    bare = backend == "postgresql" and parsed.get_driver_name() in ("", "psycopg2")
    if backend == "postgres" or bare:
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend not in ("postgresql", "sqlite"):
        raise StoreError(
            f"unsupported database {backend!r}: use sqlite:/// or postgresql://"
        )
    return parsed


def _sqlite_on_connect(dbapi_connection: sqlite3.Connection, _record: Any, *,
                       checkpoints: bool = True) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL: readers never block the writer and the writer never blocks readers.
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before the 201 goes out (nothing accepted is lost).
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        if not checkpoints:  # the owner checkpoints the WAL itself (`SqlStore.checkpoint`)
            cursor.execute("PRAGMA wal_autocheckpoint=0")
    finally:
        cursor.close()


def _sqlite_begin(connection: sa.Connection) -> None:
    """BEGIN IMMEDIATE for a transaction that reads, then writes depending on what it read: it
    takes the write lock now (waiting up to the busy timeout), so what it reads stays true
    until it commits. Other transactions are left to the sqlite3 module, which begins one just
    before the first write (a transaction whose first statement writes gets the lock with it;
    reads before any write see the latest commit of each statement)."""
    if connection.get_execution_options().get(WRITE_OPTION, False):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str | URL, *, pool_size: int = 10, checkpoints: bool = True) -> Engine:
    """A configured engine; connects lazily. A SQLite file's parent directory is created.

    ``checkpoints=False``: a SQLite commit never checkpoints the WAL into the database file
    (SQLite does so by default in the commit that grows the WAL past 1,000 pages); the
    engine's owner runs checkpoints itself. No effect on PostgreSQL.

    Raises ``StoreError`` when the URL is unusable or its driver is not installed.
    """
    parsed = normalise_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:" and not database.startswith("file:"):
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(
                parsed,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S},
                pool_size=pool_size,
                max_overflow=pool_size,
            )
            event.listen(engine, "connect",
                         functools.partial(_sqlite_on_connect, checkpoints=checkpoints))
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        return sa.create_engine(
            parsed,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
            connect_args={"connect_timeout": 10},
        )
    except (NoSuchModuleError, SQLAlchemyError, OSError) as exc:
        raise StoreError(f"cannot set up the database at {parsed!r}: {exc}") from exc
