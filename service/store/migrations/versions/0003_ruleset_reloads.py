"""Ruleset reload requests, so that a reload reaches every server process on the database.

- ``ruleset_reloads``: one row (``id`` 1), written by the process that reloaded the rules and
  validated them (``POST /v1/rules:reload``, SIGHUP) in the transaction of its ruleset.loaded
  audit event: ``generation`` goes up by one with every such reload, ``version`` is the ruleset
  it now serves. Every server process polls the row and reloads from its own rules directory
  when ``generation`` changes. No row until the first reload.

Revision ID: 0003
Revises: 0002
Create Date: 2025-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ruleset_reloads",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("generation", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("requested_by", sa.String(40), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ruleset_reloads"),
    )


def downgrade() -> None:
    op.drop_table("ruleset_reloads")
