"""The credentials' epoch: a counter in the console's schema (console migration 0005) that the
transaction of every credential change bumps. A copy of the credentials says which epoch it is
at least as new as; a service whose copy is at an older epoch than the database knows a change
was committed that it has not seen.

Every service reads it itself: the services share the PostgreSQL database, each in its own
schema, as they share the keyring. Reading it is one statement on one row by its primary key,
outside any transaction, on a connection of its own (`EpochReader`); `SharedRead` lets the
requests waiting at once share one read, and makes one read at a time, so one connection is all
the reads of a process need.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

import asyncpg
from sqlalchemy import BigInteger, Column, MetaData, SmallInteger, Table, select
from sqlalchemy.engine import make_url

credentials_epoch = Table(
    "credentials_epoch",
    MetaData(schema="console"),
    Column("id", SmallInteger, primary_key=True),
    Column("epoch", BigInteger, nullable=False),
)
CURRENT_EPOCH = select(credentials_epoch.c.epoch).where(credentials_epoch.c.id == 1)


CURRENT_EPOCH_SQL = "SELECT epoch FROM console.credentials_epoch WHERE id = 1"
# Connecting at start may take its time; again during a request, no longer than the statement.
CONNECT_TIMEOUT_SECONDS = 5.0
RECONNECT_TIMEOUT_SECONDS = 2.0
# How long the statement may take before the read fails (a database that stopped answering
# rather than refusing): the requests waiting on it are answered 503.
READ_TIMEOUT_SECONDS = 2.0
# What a read on a kept connection that had gone looks like (the server restarted or ended it,
# or the client found it broken): worth one more try on a new connection, unlike a statement the
# database refused or took too long over (a TimeoutError is an OSError too: excluded).
_CONNECTION_LOST = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.InternalClientError,  # seen: "another operation is in progress" after an end
    OSError,
)
log = logging.getLogger(__name__)


class EpochReader:
    """Reads the epoch on a connection of its own, kept open and made again after a failure.
    Not through the service's pool: a checkout and SQLAlchemy's statement handling cost several
    times the read itself (measured: 0.45 ms a read through the engine, 0.06 ms on its own
    connection), and every authenticated request pays it. One read at a time (`SharedRead`).

    The connection is opened when the service starts (`open`), so no request pays for a
    connection (a fresh-clone run on a loaded machine once took over 2 s to connect, and the
    first request of a new system was answered 503); a connection found gone is replaced once."""

    def __init__(self, database_url: str, *, application_name: str):
        self._dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._application_name = application_name
        self._connection: asyncpg.Connection | None = None
        self._closed = False

    async def open(self) -> None:
        """Connects ahead of the first request; a failure is logged and left to the first read."""
        try:
            await self._connect(CONNECT_TIMEOUT_SECONDS)
        except Exception as error:
            log.warning("credentials epoch: cannot connect yet (%s); the first read will try again", error)

    async def __call__(self) -> int:
        reused = self._connection is not None and not self._connection.is_closed()
        try:
            epoch = await self._read()
        except _CONNECTION_LOST as error:
            if not reused or isinstance(error, TimeoutError):
                raise
            epoch = await self._read()  # the kept connection had gone: once more on a new one
        if epoch is None:
            raise LookupError("the credentials' epoch row is missing")
        return int(epoch)

    async def _read(self) -> int | None:
        try:
            connection = await self._connect(RECONNECT_TIMEOUT_SECONDS)
            epoch: int | None = await connection.fetchval(CURRENT_EPOCH_SQL, timeout=READ_TIMEOUT_SECONDS)
            return epoch
        except BaseException:
            # Failed, timed out or cancelled mid-statement: the next read starts on a new one.
            self._drop()
            raise

    async def _connect(self, timeout: float) -> asyncpg.Connection:
        if self._closed:  # a read still running at shutdown opens nothing that would outlive it
            raise asyncpg.exceptions.InterfaceError("the credentials epoch reader is closed")
        if self._connection is None or self._connection.is_closed():
            self._connection = await asyncpg.connect(
                self._dsn,
                timeout=timeout,
                server_settings={"application_name": self._application_name},
            )
        return self._connection

    def _drop(self) -> None:
        if self._connection is not None and not self._connection.is_closed():
            self._connection.terminate()
        self._connection = None

    async def close(self) -> None:
        self._closed = True
        if self._connection is not None and not self._connection.is_closed():
            try:
                # Bounded: a database that went away must not hold the service's shutdown.
                await self._connection.close(timeout=RECONNECT_TIMEOUT_SECONDS)
            except Exception as error:  # the rest of the shutdown goes on
                log.warning("credentials epoch: connection not closed cleanly (%s)", error)
                self._drop()
        self._connection = None


# The longest a read may take (then 503): a new connection and the statement.
READ_BOUND_SECONDS = RECONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS


class SharedRead:
    """One read for every caller waiting at once, each answered by a read that began after it
    called: what a caller is told was true after it asked, so a change committed before its
    request arrived is never missed, while a burst of requests costs two reads, not one each.

    A caller arriving while a read runs waits for the next one, which starts when that read ends
    and serves everyone who arrived meanwhile. A read that fails or outlasts `timeout` fails for
    all of its callers."""

    def __init__(self, read: Callable[[], Awaitable[int]], *, timeout: float):
        self._read = read
        self._timeout = timeout
        self._next: asyncio.Future[int] | None = None  # the read not yet begun, and its callers
        self._reading: asyncio.Task[None] | None = None

    async def __call__(self) -> int:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            self._next.add_done_callback(_retrieve)
            if self._reading is None:
                self._reading = asyncio.create_task(self._read_while_asked(), name="credentials-epoch")
        # Shielded: a caller that gives up (its client left) does not cancel the others' read.
        return await asyncio.shield(self._next)

    async def _read_while_asked(self) -> None:
        answered: asyncio.Future[int] | None = None
        try:
            while self._next is not None:
                answered, self._next = self._next, None
                try:
                    answered.set_result(await asyncio.wait_for(self._read(), self._timeout))
                except Exception as error:  # every caller of this read gets the failure
                    answered.set_exception(error)
        finally:
            self._reading = None
            # Stopped (the service is shutting down): nobody waits for a read that will not come.
            for pending in (answered, self._next):
                if pending is not None and not pending.done():
                    pending.cancel()
            self._next = None


def _retrieve(future: asyncio.Future[int]) -> None:
    """Marks a failure as seen, though every caller may have gone: asyncio need not log it."""
    if not future.cancelled():
        future.exception()
