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
connection (its statement cache). Rows come back as asyncpg records read as SQLAlchemy's are:
`row.name`, `row[0]`.
A failure is raised as SQLAlchemy raises it, and a lost connection handled as SQLAlchemy
handles it (the pool drops the connections made before it).
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn, cast

import asyncpg
from sqlalchemy import ClauseElement
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert
from sqlalchemy.util import greenlet_spawn

from leadflow_common import json_text, metrics

# The engine's dialect settings that change how parameters are sent (db.create_engine).
_DIALECT = PGDialect_asyncpg(json_serializer=json_text.dumps, json_deserializer=json_text.loads)


_REQUIRED = object()


class Row(asyncpg.Record):
    """A row read by name as an attribute too (`row.lead_id`), as SQLAlchemy's rows are."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def _asdict(self) -> dict[str, Any]:
        return dict(self.items())


class _Form:
    """A statement compiled for asyncpg: its SQL, and how its named parameters become positional."""

    def __init__(self, statement: ClauseElement, keys: Sequence[str] | None):
        compiled = statement.compile(dialect=_DIALECT, column_keys=keys, for_executemany=keys is not None)
        if not isinstance(compiled, SQLCompiler) or compiled.positiontup is None:
            raise TypeError("a Prepared needs a statement with positional parameters")
        self.sql = compiled.string
        # One processor per parameter (a sequence only for an expanding IN, which is not used).
        processors = cast(Mapping[str, Callable[[Any], Any]], compiled._bind_processors)
        binds = compiled.binds
        self.slots = [
            (name, processors.get(name), _REQUIRED if binds[name].required else binds[name].effective_value)
            for name in compiled.positiontup
        ]

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        found = []
        for name, process, default in self.slots:
            # A parameter nobody gave is an error, as in SQLAlchemy, not a NULL written.
            value = params[name] if default is _REQUIRED else params.get(name, default)
            found.append(value if process is None or value is None else process(value))
        return found


class Prepared:
    """`statement` compiled once. An INSERT is compiled for the columns its rows give (`keys`,
    or the first row's: every row of a call gives the same, as with SQLAlchemy). Named
    parameters only; a value written into the statement is kept as given."""

    def __init__(self, statement: ClauseElement, *, keys: Sequence[str] | None = None):
        self._statement = statement
        self._by_columns = isinstance(statement, Insert) and keys is None
        self._forms: dict[tuple[str, ...] | None, _Form] = {}
        if not self._by_columns:  # compiled now: a mistake fails at import, not in a batch
            self._forms[None] = _Form(statement, keys)

    @property
    def sql(self) -> str:
        return self._form(None).sql

    def _form(self, params: Mapping[str, Any] | None) -> _Form:
        columns = tuple(params) if self._by_columns and params is not None else None
        form = self._forms.get(columns)
        if form is None:
            form = self._forms[columns] = _Form(self._statement, columns)
        return form

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        """The statement's positional arguments from named parameters, as SQLAlchemy sends them."""
        return self._form(params).arguments(params)

    async def fetch(self, connection: AsyncConnection, params: Mapping[str, Any] | None = None) -> list[Row]:
        """The rows of the statement run once with `params`."""
        form = self._form(params or {})
        rows: list[Row] = await _run(connection, "fetch", form.sql, form.arguments(params or {}), Row)
        return rows

    async def fetchval(self, connection: AsyncConnection, params: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row (None without a row)."""
        form = self._form(params or {})
        return await _run(connection, "fetchval", form.sql, form.arguments(params or {}))

    async def execute(self, connection: AsyncConnection, params: Mapping[str, Any] | None = None) -> int:
        """Runs the statement once; the rows it changed."""
        form = self._form(params or {})
        status: str = await _run(connection, "execute", form.sql, form.arguments(params or {}))
        return _changed(status)

    async def execute_many(self, connection: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Runs the statement for each row, in order, in one round trip (nothing for no row)."""
        if rows:
            form = self._form(rows[0])
            await _run(connection, "executemany", form.sql, [[form.arguments(row) for row in rows]])


def _changed(status: str) -> int:
    """The row count of a command tag ("DELETE 3", "INSERT 0 3", "UPDATE 1"; 0 for others)."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


async def _run(
    connection: AsyncConnection, method: str, sql: str, arguments: list[Any], record_class: type | None = None
) -> Any:
    """`sql` sent by asyncpg's `method` in the caller's transaction (begun if nothing ran in it
    yet, as SQLAlchemy would have with its first statement)."""
    if not connection.in_transaction():
        await connection.begin()  # as SQLAlchemy's autobegin would: committed by the caller
    pooled = await connection.get_raw_connection()
    adapted: Any = pooled.dbapi_connection
    try:
        if adapted._transaction is None:
            await adapted._start_transaction()
        metrics.DB_STATEMENTS.inc()
        run = getattr(pooled.driver_connection, method)
        if record_class is not None:
            return await run(sql, *arguments, record_class=record_class)
        return await run(sql, *arguments)
    except Exception as error:
        await _raise_as_sqlalchemy_would(connection, adapted, error, sql)


async def _raise_as_sqlalchemy_would(
    connection: AsyncConnection, adapted: Any, error: Exception, sql: str
) -> NoReturn:
    """Raises `error` as if SQLAlchemy had run the statement: as its exception (IntegrityError,
    OperationalError, ...), parameters hidden; and a lost connection is dropped with every pooled
    one made before it, so a restarted database costs one failure, not one per pooled connection."""
    try:
        adapted._handle_exception(error)  # asyncpg's error as the DBAPI's
    except Exception as translated:
        error = translated
    handle = connection.sync_connection._handle_dbapi_exception  # type: ignore[union-attr]
    await greenlet_spawn(handle, error, sql, None, None, None)
    raise error  # not reached: SQLAlchemy's handler raises
