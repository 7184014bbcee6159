"""The rep each lead is offered to, so a rep reads only their leads' scores.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

SCHEMA = "scoring"
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lead_reps",
        sa.Column("lead_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("rep_id", UUID(as_uuid=True)),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("lead_reps", schema=SCHEMA)
