"""Reps as admins and reps manage them: each change in one unit of work (audited, freed capacity
given to waiting leads at once), and the reads, scoped to the caller in SQL (a rep reads only
themselves)."""

import logging
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.access import Principal, Scope, ensure_own
from leadflow_common.errors import Conflict, FieldError, NotFound
from leadflow_common.routing_reasons import released
from leadflow_common.runtime import ServiceRuntime
from leadflow_routing.app import assigner, lifecycle
from leadflow_routing.app.services import RoutingService
from leadflow_routing.domain.policy import AssignmentStatus
from leadflow_routing.store import repository
from leadflow_routing.store import reps as reps_store
from leadflow_routing.store.reps import RepFields, RepRecord

log = logging.getLogger(__name__)

__all__ = ["EmailTaken", "RepChange", "RepFields", "RepRecord", "Reps"]  # routes name the types here

OFFERS_RELEASED = 1000  # a rep holds at most her capacity of offers; the SLA sweep takes any left

# A change to reps on the unit of work's connection: the rep as it is after it (None: no such rep).
RepChange = Callable[[AsyncConnection], Awaitable[RepRecord | None]]


class Reps:
    def __init__(self, runtime: ServiceRuntime, routing: RoutingService):
        self._runtime, self._routing = runtime, routing

    async def create(self, principal: Principal, fields: RepFields) -> RepRecord:
        rep_id = uuid.uuid4()
        created = await self._change(
            principal,
            "rep.created",
            lambda connection: reps_store.create_rep(connection, rep_id, fields),
        )
        assert created is not None  # an insert returns its row
        return created

    async def change(
        self, principal: Principal, rep_id: uuid.UUID, fields: RepFields, *, action: str = "rep.updated"
    ) -> RepRecord:
        """`fields` set on the rep (404 when there is none), audited as `action`. A rep made
        inactive accepts nothing more: her offers move on now (her accepted leads stay hers
        until someone gives them to another rep by hand)."""
        if fields.get("active") is False and action == "rep.updated":
            action = "rep.deactivated"  # as DELETE says it: the audit's filter finds both
        said: dict[str, str] = {}

        async def update(connection: AsyncConnection) -> RepRecord | None:
            before = await reps_store.get_rep(connection, rep_id)
            said["changed"] = changed_words(fields, before)
            return await reps_store.update_rep(connection, rep_id, fields)

        changed = await self._change(principal, action, update, said)
        if changed is None:
            raise NotFound(f"No rep {rep_id}")
        if fields.get("active") is False:
            await self._release_offers(changed)
        return changed

    async def _release_offers(self, rep: RepRecord) -> None:
        """Each of her offers in a unit of work of its own, under its lead's lock (as the SLA
        sweep does), after the deactivation committed: a consumer holding a lead's lock and
        waiting for the reps' never waits on this. One that fails, or an offer made to her by a
        batch that read her active a moment before, moves on at the next sweep
        (`lifecycle.release_stranded`); a rep made active again meanwhile keeps hers."""
        async with self._runtime.engine.connect() as connection:
            offers = await repository.find_assignments(
                connection, rep_id=rep.id, status=AssignmentStatus.offered, limit=OFFERS_RELEASED
            )
        context, reason = self._routing.context(), released(rep.name)
        for offer in offers:
            try:
                async with self._runtime.unit_of_work() as uow:
                    now = await reps_store.get_rep(uow.connection, rep.id)
                    if now is None or now.active:
                        return
                    await lifecycle.release_offer(uow, offer, reason, context)
            except Exception:
                log.warning("an inactive rep's offer was not released", exc_info=True)

    async def visible_to(self, principal: Principal) -> list[RepRecord]:
        only = principal.rep_id if principal.limited_to_own(Scope.routing_read) else None
        if only is None and principal.limited_to_own(Scope.routing_read):
            return []  # a rep credential naming no rep sees no one
        async with self._runtime.engine.connect() as connection:
            return await reps_store.list_reps(connection, only=only)

    async def one(self, principal: Principal, rep_id: uuid.UUID) -> RepRecord:
        ensure_own(principal, Scope.routing_read, rep_id)
        async with self._runtime.engine.connect() as connection:
            found = await reps_store.get_rep(connection, rep_id)
        if found is None:
            raise NotFound(f"No rep {rep_id}")
        return found

    async def _change(
        self, principal: Principal, action: str, change: RepChange, details: dict[str, str] | None = None
    ) -> RepRecord | None:
        """A change to reps, audited as `action` with `details`; added or freed capacity goes to
        waiting leads at once."""
        try:
            async with self._runtime.unit_of_work() as uow:
                result = await change(uow.connection)
                if result is not None:
                    await uow.audit(principal, action, ("rep", result.id), **(details or {}))
                    await assigner.drain_waiting(uow, self._routing.context())
        except IntegrityError:
            raise EmailTaken() from None
        return result


class EmailTaken(Conflict):
    def __init__(self) -> None:
        used = FieldError(name="email", message="already used")
        super().__init__("A rep with this email exists", fields=[used])


SHOWN_VALUES = ("tier", "capacity", "active", "available")  # the others named only (an email, hours)


def changed_words(fields: RepFields, before: RepRecord | None) -> str:
    """What a change changed, for the audit trail: `available no, capacity 30, territories` (a
    form sends every field: those left as they were are not said)."""
    said = []
    for name, value in sorted(fields.items()):
        if before is not None and getattr(before, name, object()) == value:
            continue
        if name not in SHOWN_VALUES:
            said.append(name)
        else:
            said.append(f"{name} {('yes' if value else 'no') if isinstance(value, bool) else value}")
    return ", ".join(said)
