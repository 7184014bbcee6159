"""Migration steps for the tables every service has (see `db.py` for their meaning)."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID


def _event_columns() -> list[sa.Column]:
    return [
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("headers", JSONB, nullable=False, server_default="{}"),
    ]


def create_outbox(schema: str) -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        *_event_columns(),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=schema,
    )


def create_processed_events(schema: str) -> None:
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
        schema=schema,
    )


def create_outbox_failed(schema: str) -> None:
    op.create_table(
        "outbox_failed",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        *_event_columns(),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=schema,
    )


def create_lead_reps(schema: str) -> None:
    """The table of `lead_access.lead_reps_table`."""
    op.create_table(
        "lead_reps",
        sa.Column("lead_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("rep_id", UUID(as_uuid=True)),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        schema=schema,
    )
    op.create_index(f"ix_{schema}_lead_reps_rep_id", "lead_reps", ["rep_id"], schema=schema)


def create_keyring() -> None:
    """The keyring every service reads (`keyring.py`): created by whichever service migrates
    first, under a lock so two migrating at once do not both try."""
    op.execute("SELECT pg_advisory_xact_lock(hashtextextended('leadflow:keyring', 0))")
    op.execute("CREATE SCHEMA IF NOT EXISTS keyring")
    op.execute(
        "CREATE TABLE IF NOT EXISTS keyring.data_keys ("
        " lead_id uuid PRIMARY KEY,"
        " key bytea NOT NULL,"
        " created_at timestamptz NOT NULL DEFAULT now())"
    )
