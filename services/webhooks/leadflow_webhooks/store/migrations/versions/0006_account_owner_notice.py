"""B2B accounts: a rep is told when they become an account's owner (`account_owner`).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""
from alembic import op

SCHEMA = "webhooks"
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None
KINDS = "'offer', 'reminder', 'moved', 'waiting', 'account_hot', 'account_lead'"


def upgrade() -> None:
    op.drop_constraint("notices_kind", "notices", schema=SCHEMA, type_="check")
    op.create_check_constraint("notices_kind", "notices", f"kind IN ({KINDS}, 'account_owner')", schema=SCHEMA)


def downgrade() -> None:
    op.execute(f"DELETE FROM {SCHEMA}.notices WHERE kind = 'account_owner'")
    op.drop_constraint("notices_kind", "notices", schema=SCHEMA, type_="check")
    op.create_check_constraint("notices_kind", "notices", f"kind IN ({KINDS})", schema=SCHEMA)
