"""The sweep: offers not accepted in time go to the next rep, and waiting leads get capacity
that appeared without an event (a rep's working hours starting)."""

import asyncio
import logging

from leadflow_common.runtime import ServiceRuntime
from leadflow_routing import assigner, metrics, repository
from leadflow_routing.assigner import routing_context
from leadflow_routing.settings import RoutingSettings

log = logging.getLogger(__name__)


async def sweep_once(runtime: ServiceRuntime, settings: RoutingSettings) -> int:
    """Reassign every overdue offer once; returns how many moved."""
    context = routing_context(runtime, settings)
    async with runtime.engine.connect() as connection:
        overdue = await repository.overdue_offers(connection, context.now)
    moved = 0
    for offer in overdue:
        async with runtime.engine.begin() as connection:
            if not await repository.try_lock_lead(connection, offer.lead_id):
                continue  # being handled elsewhere; the next sweep sees it again if still overdue
            assignment = await repository.get_assignment(connection, offer.id, for_update=True)
            if assignment is None or assignment.status != "offered" or assignment.sla_deadline >= context.now:
                continue
            await assigner.pass_on(
                connection,
                assignment,
                "reassigned",
                f"not accepted within {settings.sla_seconds:g}s",
                context,
            )
            metrics.SLA_BREACHES.inc()
            moved += 1
    async with runtime.engine.begin() as connection:
        moved += await assigner.drain_waiting(connection, context)
    return moved


async def run_sweeper(runtime: ServiceRuntime, settings: RoutingSettings) -> None:
    while True:
        try:
            if await sweep_once(runtime, settings):
                runtime.relay.wake()
        except Exception:
            log.exception("routing sweep failed; trying again")
        await asyncio.sleep(settings.sweep_seconds)
