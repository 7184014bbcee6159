"""Consumer offsets stored with the effect: where each consumer group of the service is, written
in the transaction of the batch that got there (leadflow_common.offsets).

Revision ID: 0008_offsets
Revises: 0007_accounts
Create Date: 2026-12-04
"""

from alembic import op

from leadflow_common.migration_ops import create_consumer_offsets

SCHEMA = "console"
revision = "0008_offsets"
down_revision = "0007_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_consumer_offsets(SCHEMA)


def downgrade() -> None:
    op.drop_table("consumer_offsets", schema=SCHEMA)
