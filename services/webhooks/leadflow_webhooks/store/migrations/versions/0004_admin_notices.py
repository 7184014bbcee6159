"""Admins' notices: a hot lead waiting too long (`kind` waiting, to the admins' pseudo-recipient
notifier.ADMINS).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""
from alembic import op

SCHEMA = "webhooks"
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("notices_kind", "notices", schema=SCHEMA, type_="check")
    op.create_check_constraint(
        "notices_kind", "notices", "kind IN ('offer', 'reminder', 'moved', 'waiting')", schema=SCHEMA
    )


def downgrade() -> None:
    op.execute(f"DELETE FROM {SCHEMA}.notices WHERE kind = 'waiting'")
    op.drop_constraint("notices_kind", "notices", schema=SCHEMA, type_="check")
    op.create_check_constraint(
        "notices_kind", "notices", "kind IN ('offer', 'reminder', 'moved')", schema=SCHEMA
    )
