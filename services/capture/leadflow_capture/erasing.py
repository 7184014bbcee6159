"""Erasure, as capture runs it (capture owns who a person is).

A request finds every lead of the person, and in one unit of work erases capture's copy,
destroys the leads' keys (every sealed copy of their data on any topic stops opening: see
`sealing.py`), puts the person on the do-not-contact list unless told not to, and publishes
`lead.erased` for each lead on `leads.captured`. Every other service erases its copy when it reads
that, and answers on `leads.erased`; capture records the answers, the erasure's progress. The events go
through the outbox: an erasure asked for while the broker is away completes when it is back.
"""

import uuid
from datetime import UTC, datetime

from leadflow_capture import erasure_store, privacy, repository
from leadflow_capture.erasure_store import Erasure
from leadflow_common import keyring
from leadflow_common.access import Principal
from leadflow_common.errors import NotFound
from leadflow_common.events import CloudEvent, ErasureApplied, LeadErased
from leadflow_common.runtime import ServiceRuntime
from leadflow_common.unit_of_work import Outgoing

SERVICE = "capture"


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
        erasure_id, now = uuid.uuid4(), datetime.now(UTC)
        requested_by = actor.actor if isinstance(actor, Principal) else actor
        identifiers = {kind: value for kind, value in (("email", email), ("phone", phone)) if value}
        async with self._runtime.unit_of_work() as uow:
            # The intake's locks on the same person: a batch writing them commits first, or after.
            await uow.lock([f"{kind}:{value}" for kind, value in identifiers.items()])
            lead_ids = await erasure_store.leads_of_person(uow.connection, email, phone, lead_id)
            await erasure_store.erase_leads(uow.connection, lead_ids, now)
            await keyring.destroy(uow.connection, lead_ids)
            if suppress and identifiers:
                listed = privacy.suppression_rows(identifiers, "erasure", requested_by)
                await repository.add_suppressions(uow.connection, listed)
            await erasure_store.add_erasure(
                uow.connection,
                id=erasure_id,
                lead_ids=lead_ids,
                requested_by=requested_by,
                requested_at=now,
                suppressed=suppress and bool(identifiers),
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
            # Ids and a count in the trail, never the email or phone asked for.
            await uow.audit(actor, "erasure.requested", ("erasure", erasure_id), leads=len(lead_ids))
        return Erasure(
            erasure_id, lead_ids, now, suppress and bool(identifiers), {SERVICE: (len(lead_ids), now)}
        )

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
