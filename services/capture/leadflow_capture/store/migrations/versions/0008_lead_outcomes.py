"""Outcomes are final: each lead's outcome as it stands (the first report, or its correction).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

SCHEMA = "capture"
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lead_outcomes",
        sa.Column("lead_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("outcome_id", UUID(as_uuid=True), nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("lead_outcomes", schema=SCHEMA)
