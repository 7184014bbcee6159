"""Versioned rules, outcomes with the lead as it stood, learned models.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

SCHEMA = "scoring"
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rule_versions",
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("document", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_table(
        "outcomes",
        sa.Column("outcome_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("lead_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("amount", sa.Float),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("snapshot", JSONB, comment="the lead's profile and activities when the outcome came"),
        sa.Column("score", sa.Float),
        sa.Column("temperature", sa.Text),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_table(
        "models",
        sa.Column("version", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("blob", sa.LargeBinary, nullable=False),
        sa.Column("metrics", JSONB, nullable=False),
        sa.Column("outcomes", sa.Integer, nullable=False),
        sa.Column("in_use", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_index("models_one_in_use", "models", ["in_use"], unique=True, schema=SCHEMA,
                    postgresql_where=sa.text("in_use"))


def downgrade() -> None:
    for name in ("models", "outcomes", "rule_versions"):
        op.drop_table(name, schema=SCHEMA)
