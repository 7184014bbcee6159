"""Migration steps for the tables every service has: the outbox's and the processed events'
tables created from their one definition in `db.py`."""

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op
from sqlalchemy import MetaData, Table
from sqlalchemy.dialects.postgresql import UUID

from leadflow_common.db import outbox_table, processed_events_table


def _create(schema: str, name: str, define: Callable[[MetaData], Table]) -> None:
    """The table as `db.py` defines it for the code: one definition, so the migration and the
    code cannot disagree on a column."""
    metadata = MetaData(schema=schema)
    define(metadata)
    metadata.tables[f"{schema}.{name}"].create(op.get_bind())


def create_outbox(schema: str) -> None:
    _create(schema, "outbox", outbox_table)


def create_processed_events(schema: str) -> None:
    _create(schema, "processed_events", processed_events_table)


def index_processed_events_by_age(schema: str) -> None:
    """What their retention deletes by (idempotency.py): a BRIN index, since ids are recorded in
    time order; it costs the consumers' inserts next to nothing."""
    table = f"{schema}.processed_events"
    op.execute(f"CREATE INDEX IF NOT EXISTS processed_events_age ON {table} USING brin (processed_at)")


def unindex_processed_events_by_age(schema: str) -> None:
    op.drop_index("processed_events_age", table_name="processed_events", schema=schema)


def create_outbox_failed(schema: str) -> None:
    _create(schema, "outbox_failed", outbox_table)


def create_consumer_offsets(schema: str) -> None:
    _create(schema, "consumer_offsets", outbox_table)


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
