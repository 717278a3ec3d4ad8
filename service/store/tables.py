"""SQLAlchemy 2 table definitions (Core). The migrations in ``migrations/versions`` create them.

A screening is stored whole as JSON (``body``) plus the columns that lists filter and
page on: organisation, reference, decision, review status, ruleset version and
``(created_at, id)``. Red-flag codes live in a child table so that ``red_flag=`` filters use an
index. Its review (status and history) is a JSON document of its own, changed only together
with ``version`` (the ETag), and the shipment it was made from is kept as submitted.

Organisations own API keys and screenings; keys are stored as sha256 hashes only. Audit events
form one hash chain (``seq`` 1, 2, 3 ...; each ``prev_hash`` is the previous ``hash``); triggers
refuse UPDATE and DELETE on them (see migration 0002).

``ruleset_reloads`` holds one row: the newest request to reload the rules (a generation number
bumped by every reload that took, and the version the reloading process validated). Every
server process polls it and reloads from its own rules directory when it changes (migration
0003).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps naive UTC text, PostgreSQL timestamptz).

    Binding a naive datetime is a programming error and raises ``ValueError``.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the store keeps UTC-aware timestamps only")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class JSONDocument(sa.types.TypeDecorator[Any]):
    """A JSON document bound as ready-made JSON text (pydantic serialises faster than
    ``json.dumps`` of a dict), stored as JSON on SQLite and JSONB on PostgreSQL, read back as
    Python objects. Binding anything but ``str`` serialises it with ``json.dumps`` first."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(sa.JSON())

    def bind_processor(self, dialect: Dialect) -> Any:
        def process(value: Any) -> Any:
            if value is None or isinstance(value, str):
                return value
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

        return process

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        def process(value: Any) -> Any:
            return json.loads(value) if isinstance(value, str | bytes) else value

        return process

ID_LENGTH = 40
DEFAULT_ORG = "default"

organisations = sa.Table(
    "organisations",
    metadata,
    sa.Column("id", sa.String(ID_LENGTH), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String(ID_LENGTH), primary_key=True),
    sa.Column("org_id", sa.String(ID_LENGTH), sa.ForeignKey("organisations.id"), nullable=False,
              index=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("name", sa.String(200), nullable=True),
    sa.Column("secret_sha256", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(ID_LENGTH), nullable=True),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
)

screenings = sa.Table(
    "screenings",
    metadata,
    sa.Column("id", sa.String(ID_LENGTH), primary_key=True),
    sa.Column("reference", sa.String(300), nullable=False, index=True),
    sa.Column("decision", sa.String(16), nullable=False, index=True),
    sa.Column("risk_score", sa.Integer, nullable=False),
    sa.Column("ruleset_version", sa.String(100), nullable=False, index=True),
    sa.Column("review_status", sa.String(20), nullable=True, index=True),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("body", JSONDocument(), nullable=False),
    # Added by 0002. org_id keeps a server default on SQLite only (ALTER TABLE there cannot
    # drop one); the store always writes it.
    sa.Column("org_id", sa.String(ID_LENGTH), nullable=False),
    sa.Column("submitted_by", sa.String(ID_LENGTH), nullable=True),
    sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
    sa.Column("review", JSONDocument(), nullable=True),
    sa.Column("shipment", JSONDocument(), nullable=True),
    sa.Index("ix_screenings_created_at_id", "created_at", "id"),
    sa.Index("ix_screenings_org_id_created_at_id", "org_id", "created_at", "id"),
    sa.Index("ix_screenings_org_id_review_status", "org_id", "review_status"),
)

screening_red_flags = sa.Table(
    "screening_red_flags",
    metadata,
    sa.Column(
        "screening_id",
        sa.String(ID_LENGTH),
        sa.ForeignKey("screenings.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("red_flag", sa.String(64), primary_key=True),
    sa.Index("ix_screening_red_flags_red_flag_screening_id", "red_flag", "screening_id"),
)

idempotency_records = sa.Table(
    "idempotency_records",
    metadata,
    sa.Column("org_id", sa.String(ID_LENGTH), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=False),
    sa.Column("result", JSONDocument(), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
              autoincrement=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("org_id", sa.String(ID_LENGTH), nullable=True),
    sa.Column("actor", sa.String(ID_LENGTH), nullable=True),
    sa.Column("screening_id", sa.String(ID_LENGTH), nullable=True, index=True),
    sa.Column("payload", JSONDocument(), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index("ix_audit_events_org_id_seq", "org_id", "seq"),
)

RELOAD_ROW = 1

ruleset_reloads = sa.Table(
    "ruleset_reloads",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("generation", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
              nullable=False),
    sa.Column("version", sa.String(100), nullable=False),
    sa.Column("trigger", sa.String(20), nullable=False),
    sa.Column("requested_by", sa.String(ID_LENGTH), nullable=True),
    sa.Column("requested_at", UTCDateTime, nullable=False),
)
