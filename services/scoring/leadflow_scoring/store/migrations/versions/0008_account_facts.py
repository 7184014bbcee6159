"""Each account person's part of the account score kept beside her link (her score, band,
seniority level and latest activity), so an account is scored from indexes in time that does
not grow with its people. `refreshed` false: not yet read from her score and profile.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

SCHEMA = "scoring"
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None
TABLE = "lead_accounts"


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("score", sa.Float), schema=SCHEMA)
    op.add_column(TABLE, sa.Column("temperature", sa.Text), schema=SCHEMA)
    op.add_column(TABLE, sa.Column("level", sa.Text), schema=SCHEMA)
    op.add_column(TABLE, sa.Column("last_active_at", sa.DateTime(timezone=True)), schema=SCHEMA)
    op.add_column(
        TABLE, sa.Column("refreshed", sa.Boolean, nullable=False, server_default=sa.false()), schema=SCHEMA
    )
    op.create_index("ix_scoring_lead_accounts_score", TABLE, ["account_id", "score"], schema=SCHEMA)
    op.create_index("ix_scoring_lead_accounts_level", TABLE, ["account_id", "level"], schema=SCHEMA)
    op.create_index(
        "ix_scoring_lead_accounts_last_active", TABLE, ["account_id", "last_active_at"], schema=SCHEMA
    )
    op.create_index(
        "ix_scoring_lead_accounts_engaged",
        TABLE,
        ["account_id"],
        schema=SCHEMA,
        postgresql_where=sa.text("temperature <> 'cold'"),
    )
    op.create_index(
        "ix_scoring_lead_accounts_stale",
        TABLE,
        ["account_id"],
        schema=SCHEMA,
        postgresql_where=sa.text("NOT refreshed"),
    )


def downgrade() -> None:
    for name in ("stale", "engaged", "last_active", "level", "score"):
        op.drop_index(f"ix_scoring_lead_accounts_{name}", TABLE, schema=SCHEMA)
    for column in ("refreshed", "last_active_at", "level", "temperature", "score"):
        op.drop_column(TABLE, column, schema=SCHEMA)
