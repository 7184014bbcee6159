"""First decisions waiting for their lead's contact card.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

SCHEMA = "routing"
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "awaiting_cards",
        sa.Column("lead_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_awaiting_cards_since", "awaiting_cards", ["since"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("awaiting_cards", schema=SCHEMA)
