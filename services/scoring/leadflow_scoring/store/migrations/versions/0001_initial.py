"""Leads, activities, scores and their history, processed events, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from leadflow_common.migration_ops import create_outbox, create_processed_events

SCHEMA = "scoring"
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leads",
        sa.Column("lead_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("profile", JSONB, nullable=False),
        sa.Column("merged_into", UUID(as_uuid=True)),
        schema=SCHEMA,
    )
    op.create_table(
        "activities",
        sa.Column("activity_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("lead_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "scores",
        sa.Column("lead_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("temperature", sa.Text, nullable=False),
        sa.Column("reasons", JSONB, nullable=False),
        sa.Column("model", JSONB, nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "score_history",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("lead_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("previous_score", sa.Float),
        sa.Column("temperature", sa.Text, nullable=False),
        sa.Column("reasons", JSONB, nullable=False),
        sa.Column("model", JSONB, nullable=False),
        sa.Column("cause", sa.Text, nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    create_processed_events(SCHEMA)
    create_outbox(SCHEMA)


def downgrade() -> None:
    for name in ("outbox", "processed_events", "score_history", "scores", "activities", "leads"):
        op.drop_table(name, schema=SCHEMA)
