"""B2B accounts: each account's owner (from account.owner_changed), the people of each account
as the owner is told of them (from lead.captured, erased with the person), and the owners'
notices: an account turning hot (`account_hot`), a lead of theirs gone elsewhere (`account_lead`).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

SCHEMA = "webhooks"
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None
KINDS = "'offer', 'reminder', 'moved', 'waiting'"


def upgrade() -> None:
    op.drop_constraint("notices_kind", "notices", schema=SCHEMA, type_="check")
    op.create_check_constraint(
        "notices_kind", "notices", f"kind IN ({KINDS}, 'account_hot', 'account_lead')", schema=SCHEMA
    )
    op.create_table(
        "account_owners",
        sa.Column("account_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("owner", JSONB),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "account_people",
        sa.Column("lead_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("account_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("card", JSONB, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("account_people", schema=SCHEMA)
    op.drop_table("account_owners", schema=SCHEMA)
    op.drop_constraint("notices_kind", "notices", schema=SCHEMA, type_="check")
    op.create_check_constraint("notices_kind", "notices", f"kind IN ({KINDS})", schema=SCHEMA)
