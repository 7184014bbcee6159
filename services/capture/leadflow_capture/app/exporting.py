"""Right of access: everything Leadflow holds about a person, as one document. Capture finds
the person's leads (it owns who a person is), reads its own tables, and asks every other
service what it holds about those leads (`GET /v1/privacy/held`, with the caller's own
credentials). An export that would miss a service is refused, never handed out incomplete."""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from leadflow_capture.domain import privacy
from leadflow_capture.store import erasure_store, repository
from leadflow_capture.store.tables import HOLDINGS
from leadflow_common.access import Principal
from leadflow_common.errors import Unavailable
from leadflow_common.export import held_rows
from leadflow_common.runtime import ServiceRuntime

PEER_TIMEOUT_SECONDS = 10.0


class Exports:
    def __init__(self, runtime: ServiceRuntime, peers: dict[str, str]):
        self._runtime = runtime
        self._peers = peers  # service → its base URL

    async def export(
        self,
        principal: Principal,
        credentials: str,
        *,
        email: str | None,
        phone: str | None,
        lead_id: uuid.UUID | None,
    ) -> dict[str, Any]:
        async with self._runtime.engine.connect() as connection:
            lead_ids = await erasure_store.leads_of_person(connection, email, phone, lead_id, erased_too=True)
            held = {"capture": await held_rows(connection, HOLDINGS, lead_ids)}
            # Listed: any email or phone she was asked for by or her leads still hold (asked
            # for by a lead id, the lead's own); an erased lead holds none to look up.
            held_ids = await erasure_store.identifiers_held(connection, lead_ids)
            asked = privacy.screened_digests(email, phone)  # as capture refuses: a +tag's mailbox too
            digests = asked + [privacy.digest(*held) for held in held_ids]
            listed = await repository.suppressed(connection, digests)
        if lead_ids:
            answers = await asyncio.gather(
                *(self._ask(name, url, credentials, lead_ids) for name, url in self._peers.items())
            )
            held.update(zip(self._peers, answers, strict=True))
        async with self._runtime.unit_of_work() as uow:
            # Whose: her first lead, by id (the trail keeps ids only; its page names the lead).
            whose = ("lead", sorted(lead_ids)[0]) if lead_ids else None
            await uow.audit(principal, "person.exported", whose, leads=len(lead_ids))
        return {
            "exported_at": datetime.now(UTC).isoformat(),
            "asked_for": {"email": email, "phone": phone, "lead_id": str(lead_id) if lead_id else None},
            "lead_ids": [str(lead) for lead in lead_ids],
            "do_not_contact": bool(listed) if digests else None,
            "services": held,
        }

    async def _ask(
        self, name: str, url: str, credentials: str, lead_ids: list[uuid.UUID]
    ) -> dict[str, list[dict[str, Any]]]:
        try:
            async with httpx.AsyncClient(timeout=PEER_TIMEOUT_SECONDS) as client:
                answer = await client.get(
                    f"{url.rstrip('/')}/v1/privacy/held",
                    params=[("lead_id", str(lead)) for lead in lead_ids],
                    headers={"Authorization": credentials},
                )
        except httpx.HTTPError:
            answer = None
        if answer is None or answer.status_code != 200:
            raise Unavailable(f"{name} did not answer, and an export without it would be incomplete")
        tables: dict[str, list[dict[str, Any]]] = answer.json()["tables"]
        return tables
