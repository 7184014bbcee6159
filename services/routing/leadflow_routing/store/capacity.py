"""The reps' free slots as one unit of work sees them while it holds the capacity lock."""

import dataclasses
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.events import Tier
from leadflow_routing.domain.policy import Rep
from leadflow_routing.store import account_owners, repository


class CapacityView:
    """The active reps and their open leads, read once under the capacity lock by a unit of work
    that routes a batch of leads, and kept current by its own offers: while it holds the lock
    nobody else fills a slot. The reps' fairness clocks and the batch's new assignment rows are
    written once for the batch (`flush`, before the unit of work commits): until then the view's
    counts are what knows of the batch's decisions, so whatever reads assignments in the unit
    (a lead's current one, the waiting queue, the counts) comes after a `flush` or `forget()`.
    Anything else it does that frees or moves slots (closing, merging) must `forget()` the view."""

    def __init__(self) -> None:
        self._reps: dict[uuid.UUID, Rep] | None = None
        self._touched: dict[uuid.UUID, datetime] = {}
        self._owners: dict[uuid.UUID, uuid.UUID | None] = {}  # by account, read once a batch
        self._decided: list[dict[str, object]] = []  # assignment rows not written yet, in order

    async def reps(self, connection: AsyncConnection, tiers: list[Tier]) -> list[Rep]:
        if self._reps is None:
            await self.write_decisions(connection)  # the counts read below include them
            loaded = await repository.lock_capacity_and_load_reps(connection, list(Tier))
            self._reps = {rep.id: rep for rep in loaded}
        return [rep for rep in self._reps.values() if rep.tier in tiers]

    async def owner_of(self, connection: AsyncConnection, account_id: uuid.UUID) -> uuid.UUID | None:
        """The account's owner, read once for the batch (an owner changes by an accept or an
        admin, in units of work of their own)."""
        if account_id not in self._owners:
            self._owners[account_id] = await account_owners.owner_of(connection, account_id)
        return self._owners[account_id]

    def offered(self, rep_id: uuid.UUID, now: datetime) -> None:
        self._touched[rep_id] = now
        if self._reps is not None:
            rep = self._reps[rep_id]
            self._reps[rep_id] = dataclasses.replace(rep, open_leads=rep.open_leads + 1, last_assigned_at=now)

    def decided(self, assignment: dict[str, object]) -> None:
        """A decision's new assignment row, written with the batch's others in one statement at
        the next `write_decisions` (`flush`, `forget`): its slot is counted here meanwhile."""
        self._decided.append(assignment)

    async def write_decisions(self, connection: AsyncConnection) -> None:
        """The assignment rows decided so far written now: before the unit reads assignments."""
        decided, self._decided = self._decided, []
        await repository.insert_assignments(connection, decided)

    async def flush(self, connection: AsyncConnection) -> None:
        await self.write_decisions(connection)
        await repository.touch_reps(connection, self._touched)
        self._touched = {}

    async def forget(self, connection: AsyncConnection) -> None:
        await self.flush(connection)  # whoever reads the reps next sees the clocks
        self._reps = None
        self._owners = {}
