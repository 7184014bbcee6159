"""Events the broker refused for good.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""
from alembic import op

from leadflow_common.migration_ops import create_outbox_failed

SCHEMA = "routing"
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_failed(SCHEMA)


def downgrade() -> None:
    op.drop_table("outbox_failed", schema=SCHEMA)
