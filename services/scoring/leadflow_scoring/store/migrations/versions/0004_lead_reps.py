"""The rep each lead is offered to, so a rep reads only their leads' scores.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""
from alembic import op

from leadflow_common.migration_ops import create_lead_reps

SCHEMA = "scoring"
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_lead_reps(SCHEMA)


def downgrade() -> None:
    op.drop_table("lead_reps", schema=SCHEMA)
