"""Database engine, advisory locks, and the tables every service has: its outbox and its
processed-event log."""

import contextlib
from collections.abc import AsyncIterator, Iterable

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Column,
    DateTime,
    Identity,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    any_,
    bindparam,
    event,
    func,
    literal,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.dialects.postgresql.dml import Insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import CTE, Select

from leadflow_common import json_text, metrics
from leadflow_common.driver import Prepared


def create_engine(database_url: str, *, application_name: str, pool_size: int = 10) -> AsyncEngine:
    engine = create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        # No ping before each checkout: on asyncpg it is three round trips (BEGIN, a statement,
        # ROLLBACK), measured at 7-9% of every service's CPU. A connection PostgreSQL dropped
        # fails its first statement instead; SQLAlchemy then discards every pooled connection
        # made before it, and the callers retry (consumers redo the batch, clients get a 503).
        # Statement parameters are personal data (emails, phones): keep them out of errors and logs.
        hide_parameters=True,
        # JSONB parameters and results: 2-5% of each service's time through the standard library.
        json_serializer=json_text.dumps,
        json_deserializer=json_text.loads,
        connect_args={"server_settings": {"application_name": application_name}},
    )
    count_round_trips(engine)
    return engine


def count_round_trips(engine: AsyncEngine) -> None:
    """Statements (an executemany counts once: one round trip) and committed transactions, per
    process, for `/metrics` and the bench's per-lead figures. Raw asyncpg connections (the
    credentials epoch's) are not counted."""
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *_: metrics.DB_STATEMENTS.inc())
    event.listen(engine.sync_engine, "commit", lambda _: metrics.DB_TRANSACTIONS.inc())


def constant(value: str) -> ColumnElement:
    """`value` written into the statement, not sent as a parameter. A partial index (`WHERE
    status = 'pending'`) serves a query only when PostgreSQL sees that the query asks for what
    the index holds: with a parameter it cannot once a prepared statement runs on a generic plan
    (it may, from the sixth run), and it scans the table instead — measured: claiming webhook
    deliveries beside 20,000 delivered ones, 0.8 ms with the constant, 25 ms without."""
    return literal_column("'" + value.replace("'", "''") + "'", Text)


def claimed_once(picked: Select, name: str = "picked") -> CTE:
    """Rows to claim (a `SELECT … LIMIT n FOR UPDATE SKIP LOCKED`) as a MATERIALIZED CTE, for an
    `UPDATE … FROM` it. Written `UPDATE … WHERE id IN (SELECT …)`, PostgreSQL may run the
    subquery more than once (a rescan, a recheck after a concurrent update), each run skipping
    other rows, and the UPDATE then claims more than n; materialized, it runs exactly once."""
    return picked.cte(name).prefix_with("MATERIALIZED")


def upsert_replacing(table: Table, key: str, columns: Iterable[str]) -> Insert:
    """INSERT … ON CONFLICT (`key`) DO UPDATE SET `columns` to the new row's. Meant to be built
    once, at import: each `excluded` of a new statement builds an alias and its columns, and a new
    statement's cache key is worked out again at every execution."""
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=[table.c[key]], set_={name: statement.excluded[name] for name in columns}
    )


def any_of(column: ColumnElement, values: Iterable) -> ColumnElement[bool]:
    """`column IN (values)` written `column = ANY(:array)`: one statement text for any number of
    values, compiled and prepared once (an IN list is a new statement for every length)."""
    return column == any_(literal(list(values), ARRAY(column.type)))


def any_param(column: ColumnElement, name: str) -> ColumnElement[bool]:
    """`column = ANY(:name)`, the array given when the statement runs: for a statement built
    once (`driver.Prepared`)."""
    return column == any_(bindparam(name, type_=ARRAY(column.type)))


LOCK_KEYS = Prepared(
    text(
        "SELECT count(pg_advisory_xact_lock(hashtextextended(key, 0)))"
        " FROM unnest(CAST(:keys AS text[])) AS key"
    )
)
TRY_LOCK_KEY = Prepared(text("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))"))


@contextlib.asynccontextmanager
async def snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection whose statements all read one moment of the database (REPEATABLE READ; at
    READ COMMITTED each statement sees its own): a page read by several statements never shows
    two moments, as a rep's inbox did (a lead both offered and won). The pool resets the level."""
    async with engine.connect() as connection:
        yield await connection.execution_options(isolation_level="REPEATABLE READ")


async def lock_keys(connection: AsyncConnection, keys: Iterable[str]) -> None:
    """Transaction-scoped advisory locks on these keys, taken in one statement and in sorted
    order, so two transactions wanting overlapping keys cannot deadlock on them."""
    await LOCK_KEYS.fetchval(connection, {"keys": sorted(set(keys))})


async def try_lock_key(connection: AsyncConnection, key: str) -> bool:
    """The key's transaction-scoped advisory lock if free now; False (without waiting) if not."""
    return bool(await TRY_LOCK_KEY.fetchval(connection, {"key": key}))


def _event_columns() -> list[Column]:
    """An event as the outbox keeps it: the published record's topic, key, value and headers."""
    return [
        Column("event_id", Text, nullable=False),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("payload", Text, nullable=False),
        Column("headers", JSONB, nullable=False, server_default="{}"),
    ]


def outbox_table(metadata: MetaData) -> Table:
    """Events waiting to be published: written in the same transaction as the state they
    describe, deleted by the relay once the broker has acknowledged them. Beside it,
    `outbox_failed` keeps the events the broker refused for good, with its error, and
    `consumer_offsets` where the service's consumer groups are (`offsets.py`)."""
    from leadflow_common.offsets import consumer_offsets_table

    consumer_offsets_table(metadata)
    Table(
        "outbox_failed",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        *_event_columns(),
        Column("error", Text, nullable=False),
        Column("failed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        *_event_columns(),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def set_aside_table(outbox: Table) -> Table:
    """The `outbox_failed` table beside an outbox."""
    return outbox.metadata.tables[f"{outbox.schema}.outbox_failed"]


def processed_events_table(metadata: MetaData) -> Table:
    """Event ids a consumer has applied, recorded in the same transaction as the effect."""
    return Table(
        "processed_events",
        metadata,
        Column("consumer", Text, nullable=False),
        Column("event_id", Text, nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("consumer", "event_id"),
    )


async def ping(connection: AsyncConnection) -> None:
    await connection.exec_driver_sql("SELECT 1")
