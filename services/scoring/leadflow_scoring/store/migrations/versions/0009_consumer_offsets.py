"""Consumer offsets stored with the effect: where each consumer group of the service is, written
in the transaction of the batch that got there (leadflow_common.offsets).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from alembic import op

from leadflow_common.migration_ops import create_consumer_offsets

SCHEMA = "scoring"
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_consumer_offsets(SCHEMA)


def downgrade() -> None:
    op.drop_table("consumer_offsets", schema=SCHEMA)
