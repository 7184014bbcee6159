"""Erasure: the keyring (a key per lead, sealing its personal data in events), erasure requests
and their progress per service, and when a lead was erased.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from leadflow_common.migration_ops import create_keyring

SCHEMA = "capture"
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_keyring()
    # Leads from before the keyring get their key now (two random UUIDs: 244 random bits).
    op.execute(
        "INSERT INTO keyring.data_keys (lead_id, key)"
        " SELECT id, decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex')"
        " FROM capture.leads ON CONFLICT DO NOTHING"
    )
    op.add_column("leads", sa.Column("erased_at", sa.DateTime(timezone=True)), schema=SCHEMA)
    op.create_table(
        "erasures",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("lead_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("suppressed", sa.Boolean, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "erasure_progress",
        sa.Column("erasure_id", UUID(as_uuid=True), nullable=False),
        sa.Column("lead_id", UUID(as_uuid=True), nullable=False),
        sa.Column("service", sa.Text, nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("erasure_id", "lead_id", "service"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("erasure_progress", schema=SCHEMA)
    op.drop_table("erasures", schema=SCHEMA)
    op.drop_column("leads", "erased_at", schema=SCHEMA)
