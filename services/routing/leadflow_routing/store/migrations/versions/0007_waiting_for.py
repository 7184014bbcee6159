"""A waiting lead says what it waits for (no rep of the tier with capacity, none for its
language, none working now...), for the queue page and `GET /v1/queue`.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

SCHEMA = "routing"
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("assignments", sa.Column("waiting_for", sa.Text), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("assignments", "waiting_for", schema=SCHEMA)
