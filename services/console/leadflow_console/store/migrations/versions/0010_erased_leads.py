"""When a lead's person was erased on request: her pages say so, instead of "not captured yet".

Revision ID: 0010_erased_leads
Revises: 0009_processed_age
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

SCHEMA = "console"
revision = "0010_erased_leads"
down_revision = "0009_processed_age"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("lead_views", sa.Column("erased_at", sa.DateTime(timezone=True)), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("lead_views", "erased_at", schema=SCHEMA)
