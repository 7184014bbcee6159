"""Leads, submissions, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from leadflow_common.migration_ops import create_outbox

SCHEMA = "capture"
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leads",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("email", sa.Text),
        sa.Column("phone", sa.Text),
        sa.Column("profile", JSONB, nullable=False),
        sa.Column("merged_into", UUID(as_uuid=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    # One person, one lead: a normalized email or phone names at most one live lead.
    op.create_index("leads_live_email", "leads", ["email"], unique=True, schema=SCHEMA,
                    postgresql_where=sa.text("merged_into IS NULL AND email IS NOT NULL"))
    op.create_index("leads_live_phone", "leads", ["phone"], unique=True, schema=SCHEMA,
                    postgresql_where=sa.text("merged_into IS NULL AND phone IS NOT NULL"))
    # Absorbed leads keep their keys so later submissions still find the survivor.
    op.create_index("leads_email", "leads", ["email"], schema=SCHEMA)
    op.create_index("leads_phone", "leads", ["phone"], schema=SCHEMA)
    op.create_index("leads_merged_into", "leads", ["merged_into"], schema=SCHEMA)
    op.create_table(
        "submissions",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("lead_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("idempotency_key", sa.Text, unique=True),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    create_outbox(SCHEMA)


def downgrade() -> None:
    for name in ("outbox", "submissions", "leads"):
        op.drop_table(name, schema=SCHEMA)
