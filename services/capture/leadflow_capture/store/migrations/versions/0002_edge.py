"""Events the broker refused for good; a hash of each submission's request for idempotency.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

from leadflow_common.migration_ops import create_outbox_failed

SCHEMA = "capture"
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_failed(SCHEMA)
    # A repeated Idempotency-Key with another body is a conflict, not a repeat (409).
    op.add_column("submissions", sa.Column("request_hash", sa.Text), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("submissions", "request_hash", schema=SCHEMA)
    op.drop_table("outbox_failed", schema=SCHEMA)
