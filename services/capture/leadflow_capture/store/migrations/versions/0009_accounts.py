"""B2B accounts: accounts, their domains, each lead's account and weak matches suggested.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

SCHEMA = "capture"
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("name_keys", ARRAY(sa.Text), nullable=False),
        sa.Column("domains", ARRAY(sa.Text), nullable=False),
        sa.Column("people", sa.Integer, nullable=False),
        sa.Column("company_size", sa.Text),
        sa.Column("industry", sa.Text),
        sa.Column("country", sa.Text),
        sa.Column("merged_into", UUID(as_uuid=True)),
        sa.Column("owner", JSONB),
        sa.Column("owner_at", sa.DateTime(timezone=True)),
        sa.Column("score", sa.Float),
        sa.Column("temperature", sa.Text),
        sa.Column("score_revision", sa.Integer),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("accounts_name_keys", "accounts", ["name_keys"], schema=SCHEMA, postgresql_using="gin")
    op.create_index("accounts_domains", "accounts", ["domains"], schema=SCHEMA, postgresql_using="gin")
    op.create_table(
        "account_domains",
        sa.Column("domain", sa.Text, primary_key=True),
        sa.Column("account_id", UUID(as_uuid=True), nullable=False, index=True),
        schema=SCHEMA,
    )
    op.create_table(
        "lead_accounts",
        sa.Column("lead_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("account_id", UUID(as_uuid=True), index=True),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("linked_by", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "account_suggestions",
        sa.Column("account_id", UUID(as_uuid=True), nullable=False),
        sa.Column("lead_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "lead_id"),
        schema=SCHEMA,
    )
    op.create_table(
        "company_names",
        sa.Column("lead_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("account_id", UUID(as_uuid=True), index=True),
        sa.Column("normalized_name", sa.Text, nullable=False),
        sa.Column("typed_name", sa.Text, nullable=False),
        sa.Column("name_keys", ARRAY(sa.Text), nullable=False),
        schema=SCHEMA,
    )
    op.create_index(
        "company_names_name_keys", "company_names", ["name_keys"], schema=SCHEMA, postgresql_using="gin"
    )


def downgrade() -> None:
    for table in ("company_names", "account_suggestions", "lead_accounts", "account_domains", "accounts"):
        op.drop_table(table, schema=SCHEMA)
