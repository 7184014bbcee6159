"""One transaction per consumer batch.

A consumer's batch used to cost a transaction for the keys it opened (`keyring`), and one more
for each unit of work its handler opened (erasures, rep access, the effect itself): at ten
leads a fetch, most of a lead's CPU was spent beginning and committing. Now the consumer opens
a `BatchTransaction` around the handler: the leads' key locks are taken in it, and every unit of
work the handler opens in the same task joins it instead of beginning its own. The units'
outbox rows are written together, once, just before the batch commits, and the relays are woken
after it; so is the offset of the last record of each partition the batch applied
(`offsets.py`), when the batch has a transaction. All or nothing, for the whole batch: a unit
that failed fails the batch even when the handler caught its error, so the consumer replays the
batch event by event, as before.

Only the consumer's task joins: an HTTP request, or a task the handler started, runs its units
of work on their own.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

if TYPE_CHECKING:
    from leadflow_common.offsets import Offsets
    from leadflow_common.outbox import OutboxRelay

_current: ContextVar["BatchTransaction | None"] = ContextVar("leadflow_batch", default=None)


class BatchTransaction:
    def __init__(self, engine: AsyncEngine):
        self._engine = engine
        self._task = asyncio.current_task()
        self._begun: AbstractAsyncContextManager[AsyncConnection] | None = None
        self._connection: AsyncConnection | None = None
        self._rows: dict[Table, list[dict[str, object]]] = {}
        self._relays: list[OutboxRelay] = []
        self._committed: list[Callable[[], None]] = []  # told once the batch has committed
        self._offsets: tuple[Table, str, Offsets] | None = None
        self._failed: BaseException | None = None
        self._open = True

    def joinable(self) -> bool:
        return self._open and self._failed is None and asyncio.current_task() is self._task

    async def connection(self) -> AsyncConnection:
        """The batch's connection, its transaction begun on first use (a batch that changes
        nothing and opens nothing costs no transaction)."""
        if self._connection is None:
            self._begun = begun = self._engine.begin()
            self._connection = await begun.__aenter__()
        return self._connection

    def add_outgoing(self, outbox: Table, rows: list[dict[str, object]], relay: "OutboxRelay") -> None:
        """A joined unit's outbox rows, written in order with the batch's others at its end."""
        if rows:
            self._rows.setdefault(outbox, []).extend(rows)
            if relay not in self._relays:
                self._relays.append(relay)

    def after_commit(self, callbacks: list[Callable[[], None]]) -> None:
        """A joined unit's `after_commit` callbacks: run once the batch has committed."""
        self._committed.extend(callbacks)

    def keep_offsets(self, table: Table, group: str, offsets: "Offsets") -> None:
        """The batch's offsets, stored with its effects if it has any (`offsets.py`)."""
        self._offsets = (table, group, offsets)

    def fail(self, error: BaseException) -> None:
        """A joined unit failed: the batch's transaction cannot commit what it did."""
        self._failed = self._failed or error

    async def _finish(self, error: BaseException | None) -> None:
        from leadflow_common.offsets import store_offsets
        from leadflow_common.outbox import enqueue_rows

        self._open = False
        begun = self._begun
        if self._connection is None or begun is None:
            return
        error = error or self._failed
        try:
            if error is None:
                for outbox, rows in self._rows.items():
                    await enqueue_rows(self._connection, outbox, rows)
                if self._offsets is not None:
                    await store_offsets(self._connection, *self._offsets)
        except BaseException as failed:
            error = failed
        if error is None:
            await begun.__aexit__(None, None, None)  # commits
            for relay in self._relays:
                relay.wake()
            for callback in self._committed:
                callback()
        else:
            await begun.__aexit__(type(error), error, error.__traceback__)  # rolls back
            raise error


def joinable_batch() -> BatchTransaction | None:
    """The batch a unit of work opened here joins, if any."""
    batch = _current.get()
    return batch if batch is not None and batch.joinable() else None


@contextlib.asynccontextmanager
async def batch_transaction(engine: AsyncEngine) -> AsyncIterator[BatchTransaction]:
    """The consumer's batch as one transaction: the handler's units of work join it."""
    batch = BatchTransaction(engine)
    token = _current.set(batch)
    reset = False
    try:
        try:
            yield batch
        except BaseException as error:
            _current.reset(token)
            reset = True
            await batch._finish(error)
            raise
        _current.reset(token)
        reset = True
        await batch._finish(None)
    finally:
        if not reset:
            _current.reset(token)
