"""Working hours, an event log per assignment, merged leads, and indexes for the SLA sweep and
the waiting queue.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

SCHEMA = "routing"
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("reps", sa.Column("working_hours", JSONB), schema=SCHEMA)
    op.add_column("leads", sa.Column("merged_into", UUID(as_uuid=True)), schema=SCHEMA)
    op.create_table(
        "assignment_events",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("assignment_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("lead_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("rep_id", UUID(as_uuid=True)),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("assignments_offered_deadline", "assignments", ["sla_deadline"], schema=SCHEMA,
                    postgresql_where=sa.text("status = 'offered'"))
    op.create_index("assignments_waiting", "assignments", ["created_at"], schema=SCHEMA,
                    postgresql_where=sa.text("status = 'waiting'"))


def downgrade() -> None:
    op.drop_index("assignments_waiting", table_name="assignments", schema=SCHEMA)
    op.drop_index("assignments_offered_deadline", table_name="assignments", schema=SCHEMA)
    op.drop_table("assignment_events", schema=SCHEMA)
    op.drop_column("leads", "merged_into", schema=SCHEMA)
    op.drop_column("reps", "working_hours", schema=SCHEMA)
