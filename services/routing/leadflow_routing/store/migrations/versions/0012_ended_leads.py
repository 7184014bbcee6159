"""Each lead's end, when it has one: won, lost (an outcome) or erased (the person asked). A lead
that ended is not routed again by a later score (a rules change re-scores every lead: won and
lost leads were offered to reps again as new).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

SCHEMA = "routing"
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("leads", sa.Column("ended", sa.Text), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("leads", "ended", schema=SCHEMA)
