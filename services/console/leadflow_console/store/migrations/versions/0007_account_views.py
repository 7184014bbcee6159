"""B2B accounts' read model: a row per account and each lead's account.

Revision ID: 0007_accounts
Revises: 0006_i28af
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

SCHEMA = "console"
revision = "0007_accounts"
down_revision = "0006_i28af"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_views",
        sa.Column("account_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("revision", sa.Integer, nullable=False, server_default="0"),
        sa.Column("name", sa.Text),
        sa.Column("search_name", sa.Text),
        sa.Column("domains", JSONB, nullable=False, server_default="[]"),
        sa.Column("people", sa.Integer, nullable=False, server_default="0"),
        sa.Column("merged_into", UUID(as_uuid=True)),
        sa.Column("score_revision", sa.Integer, nullable=False, server_default="0"),
        sa.Column("score", sa.Float),
        sa.Column("temperature", sa.Text),
        sa.Column("reasons", JSONB),
        sa.Column("hot_at", sa.DateTime(timezone=True)),
        sa.Column("owner_at", sa.DateTime(timezone=True)),
        sa.Column("owner_id", UUID(as_uuid=True)),
        sa.Column("owner_name", sa.Text),
        schema=SCHEMA,
    )
    op.create_index("account_views_hot_at", "account_views", ["hot_at"], schema=SCHEMA)
    op.create_table(
        "lead_accounts",
        sa.Column("lead_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("account_id", UUID(as_uuid=True), nullable=False),
        sa.Column("method", sa.Text),
        sa.Column("confidence", sa.Float),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("lead_accounts_account", "lead_accounts", ["account_id"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("lead_accounts", schema=SCHEMA)
    op.drop_table("account_views", schema=SCHEMA)
