"""Endpoints, deliveries, attempts, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from leadflow_common.migration_ops import create_outbox, create_outbox_failed

SCHEMA = "webhooks"
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _at(name: str, **options) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), **options)


def upgrade() -> None:
    op.create_table(
        "endpoints",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("events", ARRAY(sa.Text), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("previous_secret", sa.Text),
        _at("previous_secret_until"),
        sa.Column("disabled_reason", sa.Text),
        _at("failing_since"),
        sa.Column("created_by", sa.Text, nullable=False),
        _at("created_at", nullable=False),
        _at("updated_at", nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "deliveries",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False, unique=True),
        sa.Column("endpoint_id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("lead_id", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        _at("next_attempt_at", nullable=False),
        sa.Column("last_status_code", sa.Integer),
        sa.Column("last_error", sa.Text),
        _at("created_at", nullable=False),
        _at("delivered_at"),
        sa.CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="deliveries_status"),
        schema=SCHEMA,
    )
    op.create_index("deliveries_endpoint_event", "deliveries", ["endpoint_id", "event_id"], unique=True, schema=SCHEMA)
    op.create_index(
        "deliveries_due", "deliveries", ["next_attempt_at"], schema=SCHEMA, postgresql_where="status = 'pending'"
    )
    op.create_index(
        "deliveries_lead_order",
        "deliveries",
        ["endpoint_id", "lead_id", "seq"],
        schema=SCHEMA,
        postgresql_where="status = 'pending'",
    )
    op.create_table(
        "attempts",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("delivery_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("attempt", sa.Integer, nullable=False),
        _at("at", nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("latency_ms", sa.Integer, nullable=False),
        sa.Column("response_snippet", sa.Text),
        sa.Column("error", sa.Text),
        schema=SCHEMA,
    )
    create_outbox(SCHEMA)
    create_outbox_failed(SCHEMA)


def downgrade() -> None:
    for table in ("outbox_failed", "outbox", "attempts", "deliveries", "endpoints"):
        op.drop_table(table, schema=SCHEMA)
