"""B2B accounts: a rep is told when an account they owned changes hands (`account_owner_lost`).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""
from alembic import op

SCHEMA = "webhooks"
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None
KINDS = "'offer', 'reminder', 'moved', 'waiting', 'account_hot', 'account_lead', 'account_owner'"


def upgrade() -> None:
    op.drop_constraint("notices_kind", "notices", schema=SCHEMA, type_="check")
    op.create_check_constraint(
        "notices_kind", "notices", f"kind IN ({KINDS}, 'account_owner_lost')", schema=SCHEMA
    )


def downgrade() -> None:
    op.execute(f"DELETE FROM {SCHEMA}.notices WHERE kind = 'account_owner_lost'")
    op.drop_constraint("notices_kind", "notices", schema=SCHEMA, type_="check")
    op.create_check_constraint("notices_kind", "notices", f"kind IN ({KINDS})", schema=SCHEMA)
