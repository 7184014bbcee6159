"""What a routing decision is made with: the topics, the SLA, the attempts allowed, the time it
is made at, who asked, and when a waiting lead's constraints relax."""

import dataclasses
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from leadflow_common.events import ContactCard, Temperature
from leadflow_common.runtime import ServiceRuntime
from leadflow_common.topics import Topics
from leadflow_routing.app.changes import Actor
from leadflow_routing.settings import RoutingSettings


@dataclass(frozen=True)
class RoutingContext:
    topics: Topics
    sla: timedelta
    max_attempts: int
    now: datetime
    lead_url_base: str = ""
    actor: Actor = "system"  # who makes the change asked for (what follows from it: the system)
    # How long a waiting lead of each temperature waits before its soft constraints relax
    # (twice that: its tier); a temperature not named never relaxes.
    relax_after: dict[Temperature, timedelta] = dataclasses.field(default_factory=dict)
    cold_account_leads_to_owner: bool = True  # else a cold lead of an owned account is nurtured
    # The contact cards of a consumer batch's leads, read once for the batch (with the scores'
    # reasons as the batch stored them); a lead not here has its card read when decided.
    cards: Mapping[uuid.UUID, ContactCard] = dataclasses.field(default_factory=dict)


def routing_context(runtime: ServiceRuntime, settings: RoutingSettings) -> RoutingContext:
    """The context for decisions made now, from a service runtime and routing settings."""
    return RoutingContext(
        topics=runtime.topics,
        sla=timedelta(seconds=settings.sla_seconds),
        max_attempts=settings.max_attempts,
        now=datetime.now(UTC),
        lead_url_base=settings.lead_url_base,
        relax_after=settings.relax_after(),
        cold_account_leads_to_owner=settings.cold_account_leads_to_owner,
    )
