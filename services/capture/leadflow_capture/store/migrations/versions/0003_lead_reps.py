"""The rep each lead is offered to, so a rep reads only their leads.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""
from alembic import op

from leadflow_common.migration_ops import create_lead_reps

SCHEMA = "capture"
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_lead_reps(SCHEMA)


def downgrade() -> None:
    op.drop_table("lead_reps", schema=SCHEMA)
