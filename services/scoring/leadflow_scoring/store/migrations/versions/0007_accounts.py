"""B2B accounts: each lead's account and each account's score from its people.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

SCHEMA = "scoring"
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lead_accounts",
        sa.Column("lead_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("account_id", UUID(as_uuid=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_scoring_lead_accounts_account_id", "lead_accounts", ["account_id"], schema=SCHEMA)
    op.create_table(
        "account_scores",
        sa.Column("account_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("temperature", sa.Text, nullable=False),
        sa.Column("reasons", JSONB, nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("account_scores", schema=SCHEMA)
    op.drop_table("lead_accounts", schema=SCHEMA)
