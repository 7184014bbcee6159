"""Each person's own settings: the time zone the console shows their times in.

Revision ID: 0006_i28af
Revises: 0006_i28 (the leads list's indexes)
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0006_i28af"
down_revision = "0006_i28"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_preferences",
        sa.Column("user_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("time_zone", sa.Text()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema="console",
    )


def downgrade() -> None:
    op.drop_table("user_preferences", schema="console")
