"""The sweeper: runs `RoutingService.sweep` every ROUTING_SWEEP_SECONDS."""

import asyncio
import logging

from leadflow_routing.services import RoutingService

log = logging.getLogger(__name__)


async def run_sweeper(service: RoutingService) -> None:
    while True:
        try:
            await service.sweep()
        except Exception:
            log.exception("routing sweep failed; trying again")
        await asyncio.sleep(service.settings.sweep_seconds)
