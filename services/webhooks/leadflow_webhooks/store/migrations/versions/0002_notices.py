"""Reps' notification channels and the notices to send them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

SCHEMA = "webhooks"
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rep_channels",
        sa.Column("rep_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("email", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("slack_url", sa.Text),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "notices",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("assignment_id", UUID(as_uuid=True), nullable=False),
        sa.Column("rep_id", UUID(as_uuid=True), nullable=False),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("kind IN ('offer', 'reminder', 'moved')", name="notices_kind"),
        schema=SCHEMA,
    )
    op.create_index("notices_once", "notices", ["kind", "assignment_id", "rep_id"], unique=True, schema=SCHEMA)
    op.create_index("notices_due", "notices", ["due_at"], schema=SCHEMA, postgresql_where="status = 'pending'")


def downgrade() -> None:
    op.drop_table("notices", schema=SCHEMA)
    op.drop_table("rep_channels", schema=SCHEMA)
