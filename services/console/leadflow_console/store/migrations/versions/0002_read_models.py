"""The web app's read models: lead views, timelines, routing decisions; processed events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from leadflow_common.migration_ops import create_processed_events

SCHEMA = "console"
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _at(name: str, **options) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), **options)


def upgrade() -> None:
    op.create_table(
        "lead_views",
        sa.Column("lead_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("revision", sa.Integer, nullable=False, server_default="0"),
        sa.Column("profile", JSONB),
        *(sa.Column(name, sa.Text) for name in ("email", "phone", "name", "company", "channel")),
        *(sa.Column(name, sa.Text) for name in ("source", "campaign", "segment")),
        _at("captured_at"),
        sa.Column("merged_into", UUID(as_uuid=True)),
        sa.Column("score_revision", sa.Integer, nullable=False, server_default="0"),
        sa.Column("score", sa.Float),
        sa.Column("temperature", sa.Text),
        sa.Column("reasons", JSONB),
        _at("warm_at"),
        _at("hot_at"),
        _at("decided_at"),
        sa.Column("assignment_id", UUID(as_uuid=True)),
        sa.Column("assignment_status", sa.Text),
        sa.Column("rep_id", UUID(as_uuid=True)),
        sa.Column("rep_name", sa.Text),
        sa.Column("tier", sa.Text),
        _at("sla_deadline"),
        _at("offered_at"),
        _at("accepted_at"),
        sa.Column("outcome", sa.Text),
        _at("outcome_at"),
        schema=SCHEMA,
    )
    op.create_index("lead_views_captured_at", "lead_views", ["captured_at"], schema=SCHEMA)
    op.create_index("lead_views_rep", "lead_views", ["rep_id", "decided_at"], schema=SCHEMA)
    op.create_index("lead_views_email", "lead_views", ["email"], schema=SCHEMA)
    op.create_index("lead_views_phone", "lead_views", ["phone"], schema=SCHEMA)
    # Prefix search ("ann" finds "anna kim") on names and companies.
    for column in ("name", "company"):
        op.execute(
            f"CREATE INDEX lead_views_{column}_prefix ON {SCHEMA}.lead_views ({column} text_pattern_ops)"
        )
    op.create_table(
        "lead_timeline",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Text, nullable=False, unique=True),
        sa.Column("lead_id", UUID(as_uuid=True), nullable=False),
        _at("at", nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("details", JSONB, nullable=False, server_default="{}"),
        schema=SCHEMA,
    )
    op.create_index("lead_timeline_lead_at", "lead_timeline", ["lead_id", "at"], schema=SCHEMA)
    op.create_table(
        "decisions",
        sa.Column("assignment_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        _at("at", nullable=False),
        sa.Column("lead_id", UUID(as_uuid=True), nullable=False),
        sa.Column("rep_id", UUID(as_uuid=True)),
        sa.Column("rep_name", sa.Text),
        sa.Column("tier", sa.Text),
        sa.Column("queue", sa.Text),
        sa.Column("temperature", sa.Text, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        _at("sla_deadline"),
        sa.Column("status", sa.Text, nullable=False),
        _at("acted_at"),
        _at("accepted_at"),
        sa.Column("breached", sa.Integer, nullable=False, server_default="0"),
        schema=SCHEMA,
    )
    op.create_index("decisions_at", "decisions", ["at"], schema=SCHEMA)
    op.create_index("decisions_rep_at", "decisions", ["rep_id", "at"], schema=SCHEMA)
    create_processed_events(SCHEMA)


def downgrade() -> None:
    for table in ("processed_events", "decisions", "lead_timeline", "lead_views"):
        op.drop_table(table, schema=SCHEMA)
