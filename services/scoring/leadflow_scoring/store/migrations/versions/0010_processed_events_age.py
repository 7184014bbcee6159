"""The consumed event ids by age, for their retention (leadflow_common.idempotency): before it,
the table kept every id ever consumed.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from leadflow_common.migration_ops import index_processed_events_by_age, unindex_processed_events_by_age

SCHEMA = "scoring"
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    index_processed_events_by_age(SCHEMA)


def downgrade() -> None:
    unindex_processed_events_by_age(SCHEMA)
