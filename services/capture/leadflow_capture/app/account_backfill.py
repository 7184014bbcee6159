"""The backfill: leads captured before accounts existed are matched to accounts as if they had
just come (match_leads, the intake's own), so a company's earlier people join its account and a
sales team upgrading sees its customers' accounts whole, not only from their next submission.

It walks the leads stored before it first ran, in id order, a bounded batch per transaction
under the intake's locks on each person's email and phone (a submission of the same person
waits for the batch, or the batch for it), and records how far it got with the batch, so a
restart goes on where it stopped and two capture processes take turns. Leads linked already,
erased or merged are passed over; a lead a person unlinked by hand stays unlinked. It ends when
every such lead has been looked at; `lead.matched` and `account.updated` tell the other services
as for new leads."""

import asyncio
import logging
from datetime import UTC, datetime

from leadflow_capture import metrics
from leadflow_capture.app.account_matching import match_leads
from leadflow_capture.domain.accounts import lead_facts
from leadflow_capture.store import account_backfill as backfill_store
from leadflow_capture.store import erasure_store
from leadflow_common.failures import is_transient
from leadflow_common.runtime import ServiceRuntime

log = logging.getLogger(__name__)


class AccountBackfill:
    def __init__(self, runtime: ServiceRuntime, *, batch: int, pause_seconds: float):
        self._runtime = runtime
        self._batch = batch
        self._pause = pause_seconds

    async def run(self) -> None:
        """Batches until none is left, a pause between them (new leads go first); the database
        away: the next try after a few seconds."""
        while True:
            try:
                if await self.step(datetime.now(UTC)):
                    return
            except Exception as error:
                if not is_transient(error):
                    raise
                log.warning("account backfill waits for the database", extra={"error": type(error).__name__})
                await asyncio.sleep(5)
                continue
            await asyncio.sleep(self._pause)

    async def step(self, now: datetime) -> bool:
        """One batch; True when there is nothing left to look at."""
        async with self._runtime.unit_of_work() as uow:
            connection = uow.connection
            progress = await backfill_store.progress(connection, now)
            if progress.finished_at is not None:
                return True
            ids = await backfill_store.leads_after(
                connection, progress.last_lead_id, progress.started_at, self._batch
            )
            if not ids:
                await backfill_store.advance(connection, progress.last_lead_id, 0, 0, now)
                log.info(
                    "account backfill finished",
                    extra={"looked_at": progress.looked_at, "matched": progress.matched},
                )
                return True
            held = await erasure_store.identifiers_held(connection, ids)
            await uow.lock([f"{kind}:{value}" for kind, value in held])
            stored = await backfill_store.unlinked(connection, ids)
            facts = [lead_facts(lead.lead_id, lead.email, lead.profile) for lead in stored]
            plan = await match_leads(uow, facts, [], {}, self._runtime.topics, now)
            matched = sum(1 for account in plan.account_of.values() if account is not None)
            await backfill_store.advance(connection, ids[-1], len(ids), matched, None)
        metrics.ACCOUNT_BACKFILL.inc(len(ids))
        return False
