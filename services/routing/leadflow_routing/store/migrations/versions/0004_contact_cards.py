"""Contact cards from leads.captured, each lead's largest score reasons, used accept links.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

SCHEMA = "routing"
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("leads", sa.Column("reasons", JSONB), schema=SCHEMA)
    op.create_table(
        "lead_cards",
        sa.Column("lead_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("card", JSONB, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "used_links",
        sa.Column("token_id", sa.Text, primary_key=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("used_links", schema=SCHEMA)
    op.drop_table("lead_cards", schema=SCHEMA)
    op.drop_column("leads", "reasons", schema=SCHEMA)
