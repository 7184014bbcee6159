"""Running activity counts per lead and type, an index for a type's recent activities, and
events the broker refused for good.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

from leadflow_common.migration_ops import create_outbox_failed

SCHEMA = "scoring"
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_failed(SCHEMA)
    op.create_table(
        "activity_counts",
        sa.Column("lead_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("type", sa.Text, primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.execute(
        f"INSERT INTO {SCHEMA}.activity_counts (lead_id, type, count, last_at)"
        f" SELECT lead_id, type, count(*), max(occurred_at) FROM {SCHEMA}.activities GROUP BY lead_id, type"
    )
    op.create_index(
        "activities_lead_type_recent",
        "activities",
        ["lead_id", "type", sa.text("occurred_at DESC")],
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_index("activities_lead_type_recent", table_name="activities", schema=SCHEMA)
    op.drop_table("activity_counts", schema=SCHEMA)
    op.drop_table("outbox_failed", schema=SCHEMA)
