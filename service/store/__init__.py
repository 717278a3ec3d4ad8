"""Persistence: SQLAlchemy tables, a repository behind a typed interface, alembic migrations.

Entry points: ``SqlStore.from_url(url)`` for the API, ``upgrade(url)`` for ``assay db upgrade``.
"""

from .database import make_engine, normalise_url
from .errors import (
    AlreadyExists,
    IdempotencyKeyTaken,
    InvalidCursor,
    NotFound,
    StoreError,
    StoreUnavailable,
    VersionConflict,
)
from .migrate import current_revision, head_revision, upgrade
from .repository import (
    DECISIONS,
    REVIEW_STATUSES,
    ApiKeyRecord,
    Cursor,
    IdempotencyRecord,
    NewScreening,
    Organisation,
    Page,
    QueueCounts,
    ReloadRequest,
    Repository,
    ScreeningFilter,
    SqlRepository,
    SqlStore,
    Store,
    StoredScreening,
    etag_for,
    initial_review,
    screening_body,
)
from .tables import DEFAULT_ORG
from .writer import GroupCommitWriter, IdempotencyWrite

__all__ = [
    "DECISIONS",
    "DEFAULT_ORG",
    "REVIEW_STATUSES",
    "AlreadyExists",
    "ApiKeyRecord",
    "Cursor",
    "GroupCommitWriter",
    "IdempotencyKeyTaken",
    "IdempotencyRecord",
    "IdempotencyWrite",
    "InvalidCursor",
    "NewScreening",
    "NotFound",
    "Organisation",
    "Page",
    "QueueCounts",
    "ReloadRequest",
    "Repository",
    "ScreeningFilter",
    "SqlRepository",
    "SqlStore",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "StoredScreening",
    "VersionConflict",
    "current_revision",
    "etag_for",
    "head_revision",
    "initial_review",
    "make_engine",
    "normalise_url",
    "screening_body",
    "upgrade",
]
