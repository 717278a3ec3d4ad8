"""Schema migrations (alembic), run by ``assay db upgrade`` and by the test fixtures."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import SQLAlchemyError

from .database import WRITE_OPTION, make_engine
from .errors import StoreError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str | None = None) -> Config:
    """An alembic ``Config`` pointing at the packaged migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database_url is not None:
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


@cache
def head_revision() -> str:
    """The newest revision the packaged migrations know."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise StoreError("the packaged migrations have no head revision")
    return head


def current_revision(database_url: str) -> str | None:
    """The revision the database is at (None for an empty database)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read the schema revision: {exc}") from exc
    finally:
        engine.dispose()


def upgrade(database_url: str, revision: str = "head") -> str | None:
    """Migrate the database at ``database_url`` to ``revision``; return the revision reached.

    Idempotent: a database already at the revision is left alone. Raises ``StoreError`` when the
    database cannot be reached or a migration fails (nothing of that migration is kept).
    """
    engine = make_engine(database_url)
    try:
        # One transaction, on SQLite too (its DDL is transactional once BEGIN is explicit).
        with engine.connect() as plain, \
                plain.execution_options(**{WRITE_OPTION: True}).begin() as transaction:
            connection = transaction.connection
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise StoreError(f"migration failed: {exc}") from exc
    finally:
        engine.dispose()
