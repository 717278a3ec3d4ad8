"""Organisations and API keys, screening ownership and review, org-scoped idempotency, audit chain.

- ``organisations`` (with the ``default`` organisation) and ``api_keys`` (sha256 hashes only).
- ``screenings`` gains ``org_id`` (existing rows belong to ``default``), ``submitted_by`` (the
  key id), ``version`` (the ETag; bumped by every review), ``review`` (status and history as
  JSON) and ``shipment`` (the shipment as submitted).
- ``idempotency_keys`` becomes ``idempotency_records`` keyed on ``(org_id, key)``, so one
  organisation's key can neither replay nor block another's (existing rows go to ``default``).
- ``audit_events``: the hash chain. Triggers refuse UPDATE and DELETE (and TRUNCATE on
  PostgreSQL), so a change needs someone who can drop a trigger; ``assay audit verify`` finds it
  even then.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-25
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TS = sa.DateTime(timezone=True)
_ID = sa.String(40)


def _now() -> object:
    """The migration time, as each backend stores ``UTCDateTime`` (SQLite: naive UTC)."""
    now = dt.datetime.now(dt.UTC)
    return now.replace(tzinfo=None) if op.get_bind().dialect.name == "sqlite" else now


def upgrade() -> None:
    dialect = op.get_bind().dialect.name

    organisations = op.create_table(
        "organisations",
        sa.Column("id", _ID, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_organisations"),
    )
    op.bulk_insert(organisations, [
        {"id": "default", "name": "Default organisation", "created_at": _now()}])

    op.create_table(
        "api_keys",
        sa.Column("id", _ID, nullable=False),
        sa.Column("org_id", _ID, nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", _ID, nullable=True),
        sa.Column("revoked_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"],
                                name="fk_api_keys_org_id_organisations"),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
    )
    op.create_index("ix_api_keys_org_id", "api_keys", ["org_id"])

    # NOT NULL with a default fills the existing rows on both backends without rebuilding the
    # table (a rebuild on SQLite would cascade-delete the red flags).
    op.add_column("screenings", sa.Column("org_id", _ID, nullable=False,
                                          server_default=sa.text("'default'")))
    if dialect != "sqlite":
        op.alter_column("screenings", "org_id", server_default=None)
    op.add_column("screenings", sa.Column("submitted_by", _ID, nullable=True))
    op.add_column("screenings", sa.Column("version", sa.Integer(), nullable=False,
                                          server_default=sa.text("1")))
    op.add_column("screenings", sa.Column("review", _JSON, nullable=True))
    op.add_column("screenings", sa.Column("shipment", _JSON, nullable=True))
    op.create_index("ix_screenings_org_id_created_at_id", "screenings",
                    ["org_id", "created_at", "id"])
    op.create_index("ix_screenings_org_id_review_status", "screenings",
                    ["org_id", "review_status"])

    op.create_table(
        "idempotency_records",
        sa.Column("org_id", _ID, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("result", _JSON, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("org_id", "key", name="pk_idempotency_records"),
    )
    op.execute(
        "INSERT INTO idempotency_records (org_id, key, fingerprint, status_code, result, "
        "created_at) SELECT 'default', key, fingerprint, status_code, result, created_at "
        "FROM idempotency_keys"
    )
    op.drop_table("idempotency_keys")

    op.create_table(
        "audit_events",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False,
                  autoincrement=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("org_id", _ID, nullable=True),
        sa.Column("actor", _ID, nullable=True),
        sa.Column("screening_id", _ID, nullable=True),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_screening_id", "audit_events", ["screening_id"])
    op.create_index("ix_audit_events_org_id_seq", "audit_events", ["org_id", "seq"])

    if dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION assay_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION assay_audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION assay_audit_append_only()"
        )
    elif dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS assay_audit_append_only()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    op.drop_index("ix_audit_events_org_id_seq", "audit_events")
    op.drop_index("ix_audit_events_screening_id", "audit_events")
    op.drop_table("audit_events")

    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("result", _JSON, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_idempotency_keys"),
    )
    op.execute(
        "INSERT INTO idempotency_keys (key, fingerprint, status_code, result, created_at) "
        "SELECT key, fingerprint, status_code, result, created_at FROM idempotency_records "
        "WHERE org_id = 'default'"
    )
    op.drop_table("idempotency_records")

    op.drop_index("ix_screenings_org_id_review_status", "screenings")
    op.drop_index("ix_screenings_org_id_created_at_id", "screenings")
    for column in ("shipment", "review", "version", "submitted_by", "org_id"):
        op.drop_column("screenings", column)
    op.drop_index("ix_api_keys_org_id", "api_keys")
    op.drop_table("api_keys")
    op.drop_table("organisations")
