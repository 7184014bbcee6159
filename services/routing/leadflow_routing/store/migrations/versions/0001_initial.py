"""Reps, leads, assignments, processed events, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from leadflow_common.migration_ops import create_outbox, create_processed_events

SCHEMA = "routing"
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reps",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False, unique=True),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("territories", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("languages", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("segments", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("active", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("available", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("last_assigned_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("tier IN ('junior', 'mid', 'senior')", name="reps_tier"),
        sa.CheckConstraint("capacity >= 0", name="reps_capacity"),
        schema=SCHEMA,
    )
    op.create_table(
        "leads",
        sa.Column("lead_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("score_revision", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("temperature", sa.Text, nullable=False),
        sa.Column("country", sa.Text),
        sa.Column("language", sa.Text),
        sa.Column("segment", sa.Text),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "assignments",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("lead_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("rep_id", UUID(as_uuid=True), index=True),
        sa.Column("queue", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("temperature", sa.Text, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False, server_default="1"),
        sa.Column("sla_deadline", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('offered', 'accepted', 'rejected', 'completed', 'reassigned', 'nurtured', 'waiting', 'promoted', 'closed')",
            name="assignments_status",
        ),
        sa.CheckConstraint("(rep_id IS NULL) <> (queue IS NULL)", name="assignments_rep_or_queue"),
        schema=SCHEMA,
    )
    # Never one lead with two reps (or in two places) at once, whatever runs concurrently.
    op.create_index("assignments_one_current_per_lead", "assignments", ["lead_id"], unique=True, schema=SCHEMA,
                    postgresql_where=sa.text("status IN ('offered', 'accepted', 'nurtured', 'waiting')"))
    op.create_index("assignments_open_by_rep", "assignments", ["rep_id"], schema=SCHEMA,
                    postgresql_where=sa.text("status IN ('offered', 'accepted')"))
    create_processed_events(SCHEMA)
    create_outbox(SCHEMA)


def downgrade() -> None:
    for name in ("outbox", "processed_events", "assignments", "leads", "reps"):
        op.drop_table(name, schema=SCHEMA)
