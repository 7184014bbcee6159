"""Retention: when a lead was last active (an activity or outcome; submissions move updated_at),
and an index to find old raw bodies.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

SCHEMA = "capture"
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("leads", sa.Column("active_at", sa.DateTime(timezone=True)), schema=SCHEMA)
    op.create_index("submissions_received_at", "submissions", ["received_at"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("submissions_received_at", table_name="submissions", schema=SCHEMA)
    op.drop_column("leads", "active_at", schema=SCHEMA)
