"""What every service does when a person is erased (`lead.erased`, from capture on
`leads.captured`): it removes in one unit of work what it holds of the lead that says who the
person is, keeps ids, counts, scores and outcomes, and answers `lead.erasure_applied` on
`leads.erased`, so capture can tell how far the erasure got. Applying it twice changes nothing
the first time did not.

By the time a service sees `lead.erased`, the lead's key is destroyed: events about the lead it
has not consumed yet open without their personal parts (`sealing.py`), so nothing it applies
after the erasure brings the data back.
"""

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common import metrics
from leadflow_common.events import CloudEvent, ErasureApplied, LeadErased
from leadflow_common.runtime import ServiceRuntime
from leadflow_common.sealing import CARD_FIELDS, PROFILE_FIELDS
from leadflow_common.unit_of_work import Outgoing, UnitOfWork

# Erases the personal data of these leads in the caller's transaction.
Eraser = Callable[[AsyncConnection, list[uuid.UUID]], Awaitable[None]]

# For SQL that strips a stored profile or contact card: `column - CAST(:fields AS text[])`.
PERSONAL_PROFILE_FIELDS = sorted(PROFILE_FIELDS)
PERSONAL_CARD_FIELDS = sorted(CARD_FIELDS)


def is_erasure_event(event: CloudEvent) -> bool:
    return isinstance(event.data, LeadErased | ErasureApplied)


# What else a service does about the erased leads in the erasure's unit of work (routing closes
# their assignments, with the events that say so).
AfterErasure = Callable[[UnitOfWork, list[uuid.UUID]], Awaitable[None]]


async def apply_erasures(
    runtime: ServiceRuntime, events: list[CloudEvent], erase: Eraser, then: AfterErasure | None = None
) -> None:
    """The batch's `lead.erased` events: the leads erased, and each answered."""
    requested = [event.data for event in events if isinstance(event.data, LeadErased)]
    if not requested:
        return
    async with runtime.unit_of_work() as uow:
        lead_ids = sorted({erasure.lead_id for erasure in requested})
        await erase(uow.connection, lead_ids)
        if then is not None:
            await then(uow, lead_ids)
        now = datetime.now(UTC)
        answers = [
            Outgoing(
                ErasureApplied(
                    erasure_id=erasure.erasure_id,
                    lead_id=erasure.lead_id,
                    service=runtime.name,
                    applied_at=now,
                ),
                subject=erasure.lead_id,
            )
            for erasure in requested
        ]
        await uow.publish_all(runtime.topics.erased, answers)
    metrics.ERASURES_APPLIED.inc(len(requested))
