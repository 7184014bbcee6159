"""B2B accounts: each lead's account (from its score's routing hints) and each account's owner rep.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

SCHEMA = "routing"
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("leads", sa.Column("account_id", UUID(as_uuid=True)), schema=SCHEMA)
    op.create_table(
        "account_owners",
        sa.Column("account_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("rep_id", UUID(as_uuid=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("account_owners", schema=SCHEMA)
    op.drop_column("leads", "account_id", schema=SCHEMA)
