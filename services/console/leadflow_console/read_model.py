"""The console's read models as use cases: kept current from the topics, read by the pages, and
a signal the live pages wait on."""

import asyncio
import uuid
from datetime import datetime

from leadflow_common.events import CloudEvent
from leadflow_common.runtime import ServiceRuntime
from leadflow_console import projection, read_queries, read_writes
from leadflow_console.read_queries import Decision, FunnelRow, LeadView, SpeedRow, TimelineEntry

CONSUMER = "console-read-model"


class Changed:
    """Wakes the live pages of this process when the read model changed: everyone for the
    feed, a rep's inbox when theirs did. (A page served by another replica finds the change
    on its next periodic look.)"""

    def __init__(self):
        self._version = 0
        self._reps: dict[int, set[uuid.UUID]] = {}
        self._condition = asyncio.Condition()

    @property
    def version(self) -> int:
        return self._version

    async def notify(self, reps: set[uuid.UUID]) -> None:
        async with self._condition:
            self._version += 1
            self._reps[self._version] = reps
            self._reps.pop(self._version - 1000, None)
            self._condition.notify_all()

    async def wait(self, after: int, timeout: float) -> int:
        """The version after `after` (or `after` itself when nothing changed within `timeout`)."""
        async with self._condition:
            try:
                await asyncio.wait_for(self._condition.wait_for(lambda: self._version > after), timeout)
            except TimeoutError:
                pass
            return self._version

    def touched(self, rep_id: uuid.UUID, after: int) -> bool:
        """Whether a change after version `after` touched this rep's inbox (unknown: yes)."""
        versions = range(after + 1, self._version + 1)
        return any(rep_id in self._reps.get(version, {rep_id}) for version in versions)


class ReadModel:
    def __init__(self, runtime: ServiceRuntime):
        self._runtime = runtime
        self.changed = Changed()

    async def apply_events(self, events: list[CloudEvent]) -> None:
        """The consumer: each event once, folded per lead, written in one unit of work."""
        async with self._runtime.unit_of_work(consumer=CONSUMER) as uow:
            fresh = await uow.first_seen(events)
            reps = await read_writes.apply(uow.connection, projection.fold(fresh)) if fresh else set()
        if fresh:
            await self.changed.notify(reps)

    async def inbox(self, rep_id: uuid.UUID) -> list[LeadView]:
        async with self._runtime.engine.connect() as connection:
            return await read_queries.inbox(connection, rep_id)

    async def lead(self, lead_id: uuid.UUID) -> tuple[LeadView | None, list[TimelineEntry]]:
        async with self._runtime.engine.connect() as connection:
            view = await read_queries.lead(connection, lead_id)
            return view, (await read_queries.timeline(connection, lead_id) if view else [])

    async def search(self, text: str, rep_id: uuid.UUID | None) -> list[LeadView]:
        async with self._runtime.engine.connect() as connection:
            return await read_queries.search(connection, text, rep_id=rep_id)

    async def feed(self, **filters) -> list[Decision]:
        async with self._runtime.engine.connect() as connection:
            return await read_queries.feed(connection, **filters)

    async def funnel(
        self, since: datetime, until: datetime, by: str
    ) -> tuple[list[FunnelRow], list[SpeedRow]]:
        async with self._runtime.engine.connect() as connection:
            stages = await read_queries.funnel(connection, since, until, by)
            speed = await read_queries.speed_to_lead(connection, since, until)
        return stages, speed
