"""The credentials' epoch: a counter in the console's schema (console migration 0005) that the
transaction of every credential change bumps. A copy of the credentials says which epoch it is
at least as new as; a service whose copy is at an older epoch than the database knows a change
was committed that it has not seen.

Every service reaches it through its own engine: the services share the PostgreSQL database,
each in its own schema, as they share the keyring. Reading it is one statement on one row by its
primary key, outside any transaction; `SharedRead` lets the requests waiting at once share one.
"""

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy import BigInteger, Column, MetaData, SmallInteger, Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

credentials_epoch = Table(
    "credentials_epoch",
    MetaData(schema="console"),
    Column("id", SmallInteger, primary_key=True),
    Column("epoch", BigInteger, nullable=False),
)
CURRENT_EPOCH = select(credentials_epoch.c.epoch).where(credentials_epoch.c.id == 1)


async def read_epoch(engine: AsyncEngine) -> int:
    """The database's epoch now. Autocommit: no BEGIN and ROLLBACK around the one statement."""
    async with engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        epoch = await connection.scalar(CURRENT_EPOCH)
    if epoch is None:
        raise LookupError("the credentials' epoch row is missing")
    return epoch


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
        self._reading: asyncio.Task | None = None

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


def _retrieve(future: asyncio.Future) -> None:
    """Marks a failure as seen, though every caller may have gone: asyncio need not log it."""
    if not future.cancelled():
        future.exception()
