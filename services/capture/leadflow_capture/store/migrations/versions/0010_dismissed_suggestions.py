"""B2B accounts: a weak-match suggestion a person dismissed is kept, dismissed, so that the
person's next submission does not suggest it again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

SCHEMA = "capture"
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("account_suggestions", sa.Column("dismissed_at", sa.DateTime(timezone=True)), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("account_suggestions", "dismissed_at", schema=SCHEMA)
