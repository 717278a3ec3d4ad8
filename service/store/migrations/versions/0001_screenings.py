"""Screenings, their red flags, and idempotency keys.

Revision ID: 0001
Revises:
Create Date: 2025-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "screenings",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("reference", sa.String(300), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("risk_score", sa.Integer(), nullable=False),
        sa.Column("ruleset_version", sa.String(100), nullable=False),
        sa.Column("review_status", sa.String(20), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_screenings"),
    )
    op.create_index("ix_screenings_reference", "screenings", ["reference"])
    op.create_index("ix_screenings_decision", "screenings", ["decision"])
    op.create_index("ix_screenings_ruleset_version", "screenings", ["ruleset_version"])
    op.create_index("ix_screenings_review_status", "screenings", ["review_status"])
    op.create_index("ix_screenings_created_at_id", "screenings", ["created_at", "id"])

    op.create_table(
        "screening_red_flags",
        sa.Column("screening_id", sa.String(40), nullable=False),
        sa.Column("red_flag", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["screening_id"], ["screenings.id"],
            name="fk_screening_red_flags_screening_id_screenings", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("screening_id", "red_flag", name="pk_screening_red_flags"),
    )
    op.create_index(
        "ix_screening_red_flags_red_flag_screening_id",
        "screening_red_flags", ["red_flag", "screening_id"],
    )

    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("result", _JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_idempotency_keys"),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_index("ix_screening_red_flags_red_flag_screening_id", "screening_red_flags")
    op.drop_table("screening_red_flags")
    for name in ("created_at_id", "review_status", "ruleset_version", "decision", "reference"):
        op.drop_index(f"ix_screenings_{name}", "screenings")
    op.drop_table("screenings")
