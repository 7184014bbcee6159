"""Erasure, as capture runs it (capture owns who a person is).

A request finds every lead of the person, and in one unit of work erases capture's copy,
destroys the leads' keys (every sealed copy of their data on any topic stops opening: see
`sealing.py`), puts every email and phone her leads held on the do-not-contact list (and those
she was asked by) unless told not to, and publishes `lead.erased` for each lead on
`leads.captured`. Every other service erases its copy when it reads that, and answers on
`leads.erased`; capture records the answers, the erasure's progress. The events go through the
outbox: an erasure asked for while the broker is away completes when it is back.
"""

import uuid
from datetime import UTC, datetime

from leadflow_capture.app.account_linking import forget_people
from leadflow_capture.domain import privacy
from leadflow_capture.store import erasure_store, repository
from leadflow_capture.store.erasure_store import Erasure as Erasure  # the API names it
from leadflow_common import keyring
from leadflow_common.access import Principal
from leadflow_common.errors import NotFound, Unavailable
from leadflow_common.events import CloudEvent, ErasureApplied, LeadErased
from leadflow_common.runtime import ServiceRuntime
from leadflow_common.unit_of_work import Outgoing, UnitOfWork

SERVICE = "capture"
# Each attempt is rolled back only when the person's leads came to hold another email or phone
# between reading and locking them: a batch merging into her lead at that very moment.
LOCK_ATTEMPTS = 5


class _PersonChanged(Exception):
    """Her leads hold an identifier this unit did not lock: begin again, holding no lock."""


async def _lock_person(
    uow: UnitOfWork, asked: dict[str, str], lead_id: uuid.UUID | None
) -> tuple[list[uuid.UUID], set[tuple[str, str]]]:
    """The person's leads, and every (kind, value) they hold, read under the intake's locks on
    all of those and on the identifiers asked by: a batch writing her commits before (and is
    erased with her) or after (and finds her listed). The locks are taken in one statement, in
    the intake's order, so neither side waits on the other in a cycle."""
    locked: set[str] = set()
    while True:
        lead_ids = await erasure_store.leads_of_person(
            uow.connection, asked.get("email"), asked.get("phone"), lead_id
        )
        held = await erasure_store.identifiers_held(uow.connection, lead_ids)
        wanted = {f"{kind}:{value}" for kind, value in set(asked.items()) | held}
        if wanted <= locked:
            return lead_ids, held
        if locked:
            raise _PersonChanged
        await uow.lock(wanted)
        locked = wanted


class Erasures:
    def __init__(self, runtime: ServiceRuntime):
        self._runtime = runtime

    async def request(
        self,
        actor: Principal | str,
        *,
        email: str | None,
        phone: str | None,
        lead_id: uuid.UUID | None,
        suppress: bool,
    ) -> Erasure:
        """Erases the person now in capture and asks every service to; a person already erased
        (or unknown) makes an erasure of no leads, complete at once. `actor`: who asked (a
        principal, or the retention job)."""
        asked = {kind: value for kind, value in (("email", email), ("phone", phone)) if value}
        for _ in range(LOCK_ATTEMPTS):
            try:
                return await self._erase(actor, asked, lead_id, suppress)
            except _PersonChanged:
                continue
        raise Unavailable("The person's leads are changing right now; try again shortly", retry_after=1)

    async def _erase(
        self, actor: Principal | str, asked: dict[str, str], lead_id: uuid.UUID | None, suppress: bool
    ) -> Erasure:
        erasure_id, now = uuid.uuid4(), datetime.now(UTC)
        requested_by = actor.actor if isinstance(actor, Principal) else actor
        async with self._runtime.unit_of_work() as uow:
            lead_ids, held = await _lock_person(uow, asked, lead_id)
            await erasure_store.erase_leads(uow.connection, lead_ids, now)
            await forget_people(uow, lead_ids, self._runtime.topics.accounts)  # out of their accounts
            await keyring.destroy(uow.connection, lead_ids)
            # Listed in the erasure's own transaction: no moment sees her erased but not listed.
            listed = privacy.suppression_rows(
                privacy.listed_on_erasure(asked, held, suppress=suppress), "erasure", requested_by
            )
            if listed:
                await repository.add_suppressions(uow.connection, listed)
            await erasure_store.add_erasure(
                uow.connection,
                id=erasure_id,
                lead_ids=lead_ids,
                requested_by=requested_by,
                requested_at=now,
                suppressed=bool(listed),
            )
            await erasure_store.add_progress(
                uow.connection,
                [
                    {"erasure_id": erasure_id, "lead_id": lead, "service": SERVICE, "applied_at": now}
                    for lead in lead_ids
                ],
            )
            erased = [
                Outgoing(LeadErased(erasure_id=erasure_id, lead_id=lead, requested_at=now), subject=lead)
                for lead in lead_ids
            ]
            # On leads.captured: every service that keeps the person reads it already (a topic of
            # its own cost the broker 3% of a core idle, measured), after the lead's captures.
            await uow.publish_all(self._runtime.topics.captured, erased)
            # Ids and counts in the trail, never an email or phone.
            await uow.audit(
                actor, "erasure.requested", ("erasure", erasure_id), leads=len(lead_ids), listed=len(listed)
            )
        return Erasure(erasure_id, lead_ids, now, bool(listed), {SERVICE: (len(lead_ids), now)})

    async def find(self, erasure_id: uuid.UUID) -> Erasure:
        async with self._runtime.engine.connect() as connection:
            erasure = await erasure_store.find_erasure(connection, erasure_id)
        if erasure is None:
            raise NotFound("No such erasure")
        return erasure

    async def record_answers(self, events: list[CloudEvent]) -> None:
        """The consumer of leads.erased: each service's answer to an erasure, kept once."""
        rows = [
            {
                "erasure_id": event.data.erasure_id,
                "lead_id": event.data.lead_id,
                "service": event.data.service,
                "applied_at": event.data.applied_at,
            }
            for event in events
            if isinstance(event.data, ErasureApplied)
        ]
        if rows:
            async with self._runtime.unit_of_work() as uow:
                await erasure_store.add_progress(uow.connection, rows)
