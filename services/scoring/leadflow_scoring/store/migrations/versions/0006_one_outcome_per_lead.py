"""A lead's outcome counts once, its latest: earlier duplicates go (a lead reported won and then
lost was counted twice by training and the observed conversion), and a unique index keeps it so.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""
from alembic import op

SCHEMA = "scoring"
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "DELETE FROM scoring.outcomes older USING scoring.outcomes newer"
        " WHERE older.lead_id = newer.lead_id"
        " AND (older.received_at, older.outcome_id) < (newer.received_at, newer.outcome_id)"
    )
    op.create_index("outcomes_one_per_lead", "outcomes", ["lead_id"], unique=True, schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("outcomes_one_per_lead", table_name="outcomes", schema=SCHEMA)
