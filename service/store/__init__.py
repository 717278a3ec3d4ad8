"""Persistence: SQLAlchemy tables, a repository behind a typed interface, alembic migrations.

Entry points: ``SqlStore.from_url(url)`` for the API, ``upgrade(url)`` for ``assay db upgrade``.
"""

from .database import make_engine, normalise_url
from .errors import IdempotencyKeyTaken, InvalidCursor, NotFound, StoreError, StoreUnavailable
from .migrate import current_revision, head_revision, upgrade
from .repository import (
    Cursor,
    IdempotencyRecord,
    Page,
    Repository,
    ScreeningFilter,
    SqlRepository,
    SqlStore,
    Store,
)
from .writer import GroupCommitWriter, IdempotencyWrite

__all__ = [
    "Cursor",
    "GroupCommitWriter",
    "IdempotencyKeyTaken",
    "IdempotencyRecord",
    "IdempotencyWrite",
    "InvalidCursor",
    "NotFound",
    "Page",
    "Repository",
    "ScreeningFilter",
    "SqlRepository",
    "SqlStore",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "current_revision",
    "head_revision",
    "make_engine",
    "normalise_url",
    "upgrade",
]
