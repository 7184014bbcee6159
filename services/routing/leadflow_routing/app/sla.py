"""The sweeper: moves overdue offers on (`RoutingService.sweep`), waking when the next open offer
runs out rather than every second (a look a second was a third of routing's CPU at rest).

It never sleeps longer than the SLA itself, so an offer made after a look, in this process or
another, runs out after the next look, which reads its deadline: every deadline is kept to within
the timer's slack. Leads waiting for their contact card (cards.py) are kept to their wait the
same way. ROUTING_SWEEP_SECONDS bounds the sleep further, for capacity that appears
without an event (working hours starting) and the waiting queue it goes to."""

import asyncio
import logging
from datetime import UTC, datetime

from leadflow_common.pacing import idle_wait
from leadflow_routing.app.services import RoutingService

log = logging.getLogger(__name__)
# Past the deadline when the sweeper looks: a timer may fire a little early.
DEADLINE_SLACK_SECONDS = 0.05


async def run_sweeper(service: RoutingService) -> None:
    settings = service.settings
    # A card wait begun after a look runs out after the next look, like an offer made then.
    longest = min(settings.sweep_seconds, settings.sla_seconds, settings.card_wait_seconds or float("inf"))
    while True:
        next_look = None
        try:
            next_look = await service.sweep()
        except Exception:
            log.exception("routing sweep failed; trying again")
        await asyncio.sleep(idle_wait(next_look, datetime.now(UTC), longest) + DEADLINE_SLACK_SECONDS)
