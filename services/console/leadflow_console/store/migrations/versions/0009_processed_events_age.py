"""The consumed event ids by age, for their retention (leadflow_common.idempotency): before it,
the table kept every id ever consumed.

Revision ID: 0009_processed_age
Revises: 0008_offsets
Create Date: 2026-12-06
"""

from leadflow_common.migration_ops import index_processed_events_by_age, unindex_processed_events_by_age

SCHEMA = "console"
revision = "0009_processed_age"
down_revision = "0008_offsets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    index_processed_events_by_age(SCHEMA)


def downgrade() -> None:
    unindex_processed_events_by_age(SCHEMA)
