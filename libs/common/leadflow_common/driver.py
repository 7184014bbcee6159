"""Hot statements straight on asyncpg, inside the caller's SQLAlchemy transaction.

A few statements run in every consumer batch and relay pass of every service (the leads' key
locks, the event ids claimed, the offsets, the outbox rows, the data keys, the wake-up). Through
SQLAlchemy each costs ~0.15 ms of the process's CPU here, of which asyncpg's own part is ~0.05:
the rest is SQLAlchemy's execution around it (parameters processed one by one, an execution
context, a result object), measured with `SELECT 1` in a transaction, 2,000 times (issue 29's
"hot statements on asyncpg directly").

A `Prepared` is built from the statement SQLAlchemy composes (schema and SQL stay SQLAlchemy's),
compiled once for asyncpg with the engine's JSON serializer. Running it sends that SQL to the
asyncpg connection under the caller's SQLAlchemy connection, in the caller's transaction — begun
first when nothing ran in it yet, since SQLAlchemy sends BEGIN only with its first statement —
so what it writes commits or rolls back with the rest. asyncpg prepares each text once per
connection (its statement cache). Rows come back as asyncpg records: `row["name"]` or `row[0]`.
Errors are asyncpg's own; a lost connection is still found, and the pooled connection dropped,
by SQLAlchemy when the transaction ends.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

import asyncpg
from sqlalchemy import ClauseElement
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler

from leadflow_common import json_text, metrics

# The engine's dialect settings that change how parameters are sent (db.create_engine).
_DIALECT = PGDialect_asyncpg(json_serializer=json_text.dumps, json_deserializer=json_text.loads)


class Prepared:
    """`statement` compiled once; `keys`: the columns an INSERT's rows give (all the rows give
    the same). Named parameters only; a value written into the statement is kept as given."""

    def __init__(self, statement: ClauseElement, *, keys: Sequence[str] | None = None):
        compiled = statement.compile(dialect=_DIALECT, column_keys=keys, for_executemany=keys is not None)
        if not isinstance(compiled, SQLCompiler) or compiled.positiontup is None:
            raise TypeError("a Prepared needs a statement with positional parameters")
        self.sql = compiled.string
        # One processor per parameter (a sequence only for an expanding IN, which is not used).
        processors = cast(Mapping[str, Callable[[Any], Any]], compiled._bind_processors)
        binds = compiled.binds
        self._slots = [
            (name, processors.get(name), None if binds[name].required else binds[name].effective_value)
            for name in compiled.positiontup
        ]

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        """The statement's positional arguments from named parameters, as SQLAlchemy sends them."""
        found = []
        for name, process, default in self._slots:
            value = params.get(name, default)
            found.append(value if process is None or value is None else process(value))
        return found

    async def fetch(
        self, connection: AsyncConnection, params: Mapping[str, Any] | None = None
    ) -> list[asyncpg.Record]:
        """The rows of the statement run once with `params`."""
        driver = await in_transaction(connection)
        metrics.DB_STATEMENTS.inc()
        rows: list[asyncpg.Record] = await driver.fetch(self.sql, *self.arguments(params or {}))
        return rows

    async def fetchval(self, connection: AsyncConnection, params: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row (None without a row)."""
        driver = await in_transaction(connection)
        metrics.DB_STATEMENTS.inc()
        return await driver.fetchval(self.sql, *self.arguments(params or {}))

    async def execute(self, connection: AsyncConnection, params: Mapping[str, Any] | None = None) -> int:
        """Runs the statement once; the rows it changed."""
        driver = await in_transaction(connection)
        metrics.DB_STATEMENTS.inc()
        status = await driver.execute(self.sql, *self.arguments(params or {}))
        return _changed(status)

    async def execute_many(self, connection: AsyncConnection, rows: Iterable[Mapping[str, Any]]) -> None:
        """Runs the statement for each row, in order, in one round trip (nothing for no row)."""
        arguments = [self.arguments(row) for row in rows]
        if arguments:
            driver = await in_transaction(connection)
            metrics.DB_STATEMENTS.inc()
            await driver.executemany(self.sql, arguments)


def _changed(status: str) -> int:
    """The row count of a command tag ("DELETE 3", "INSERT 0 3", "UPDATE 1"; 0 for others)."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


async def in_transaction(connection: AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under `connection`, its transaction begun."""
    if not connection.in_transaction():
        await connection.begin()  # as SQLAlchemy's autobegin would: committed by the caller
    pooled = await connection.get_raw_connection()
    adapted: Any = pooled.dbapi_connection
    if adapted._transaction is None:
        await adapted._start_transaction()
    driver: asyncpg.Connection = pooled.driver_connection
    return driver
