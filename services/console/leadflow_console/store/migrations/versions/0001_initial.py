"""Users, sessions, API keys, signing keys, login failures, the audit trail, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from leadflow_common.migration_ops import create_outbox, create_outbox_failed

SCHEMA = "console"
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _timestamp(name: str, **options) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), **options)


def upgrade() -> None:
    now = {"nullable": False, "server_default": sa.func.now()}
    op.create_table(
        "users",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("email", sa.Text, nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("rep_id", UUID(as_uuid=True)),
        sa.Column("active", sa.Boolean, nullable=False, server_default="true"),
        _timestamp("created_at", **now),
        _timestamp("updated_at", **now),
        sa.CheckConstraint("role IN ('admin', 'marketer', 'rep', 'viewer')", name="users_role"),
        sa.CheckConstraint("(role = 'rep') = (rep_id IS NOT NULL)", name="users_rep_id"),
        schema=SCHEMA,
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        _timestamp("created_at", **now),
        _timestamp("expires_at", nullable=False),
        _timestamp("revoked_at"),
        schema=SCHEMA,
    )
    op.create_index("sessions_user", "sessions", ["user_id"], schema=SCHEMA)
    op.create_index("sessions_revoked", "sessions", ["revoked_at"], schema=SCHEMA)
    op.create_table(
        "api_keys",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("digest", sa.Text, nullable=False, unique=True),
        sa.Column("scopes", ARRAY(sa.Text), nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        _timestamp("created_at", **now),
        _timestamp("expires_at"),
        _timestamp("revoked_at"),
        _timestamp("last_used_at"),
        schema=SCHEMA,
    )
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.Text, primary_key=True),
        sa.Column("private_key_pem", sa.Text, nullable=False),
        sa.Column("public_key_pem", sa.Text, nullable=False),
        _timestamp("created_at", **now),
        schema=SCHEMA,
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("subject", sa.Text, nullable=False),
        _timestamp("at", **now),
        schema=SCHEMA,
    )
    op.create_index("login_failures_subject_at", "login_failures", ["subject", "at"], schema=SCHEMA)
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Text, nullable=False, unique=True),
        _timestamp("at", nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("target_type", sa.Text),
        sa.Column("target_id", sa.Text),
        sa.Column("service", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("details", JSONB, nullable=False, server_default="{}"),
        schema=SCHEMA,
    )
    op.create_index("audit_log_at", "audit_log", ["at"], schema=SCHEMA)
    op.create_index("audit_log_actor_at", "audit_log", ["actor", "at"], schema=SCHEMA)
    op.create_index("audit_log_action_at", "audit_log", ["action", "at"], schema=SCHEMA)
    create_outbox(SCHEMA)
    create_outbox_failed(SCHEMA)


def downgrade() -> None:
    for table in ("outbox_failed", "outbox", "audit_log", "login_failures", "signing_keys", "api_keys"):
        op.drop_table(table, schema=SCHEMA)
    op.drop_table("sessions", schema=SCHEMA)
    op.drop_table("users", schema=SCHEMA)
