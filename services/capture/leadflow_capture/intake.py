"""Accepting a submission: one transaction that merges it into its person's lead, records it,
and enqueues the events. A 202 is answered only after this commits."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_capture import repository
from leadflow_capture.domain import NormalizedLead, merge_leads, merge_submission
from leadflow_capture.tables import outbox
from leadflow_common.events import Channel, LeadCaptured, LeadMerged, SubmissionSummary, new_event
from leadflow_common.outbox import enqueue
from leadflow_common.topics import Topics

SOURCE = "leadflow/capture"


@dataclass(frozen=True)
class Accepted:
    lead_id: uuid.UUID
    submission_id: uuid.UUID
    replayed: bool = False


async def accept_submission(
    connection: AsyncConnection,
    lead: NormalizedLead,
    *,
    channel: Channel,
    topics: Topics,
    payload: dict[str, Any],
    idempotency_key: str | None = None,
) -> Accepted:
    lock_keys = [f"email:{lead.email}" if lead.email else "", f"phone:{lead.phone}" if lead.phone else ""]
    if idempotency_key:
        lock_keys.append(f"idempotency:{idempotency_key}")
    await repository.lock(connection, [key for key in lock_keys if key])
    if idempotency_key:
        earlier = await repository.find_submission(connection, idempotency_key)
        if earlier is not None:
            return Accepted(lead_id=earlier.lead_id, submission_id=earlier.id, replayed=True)

    now = datetime.now(UTC)
    existing = await repository.find_leads_of_person(connection, lead.email, lead.phone)
    survivor = existing[0] if existing else None
    for younger in existing[1:]:
        survivor = merge_leads(survivor, younger, now=now)
        await repository.mark_absorbed(connection, younger.lead_id, survivor.lead_id, now)
        merged = LeadMerged(
            surviving_lead_id=survivor.lead_id, absorbed_lead_id=younger.lead_id, lead=survivor
        )
        await enqueue(
            connection, outbox, topics.captured, new_event(merged, source=SOURCE, subject=survivor.lead_id)
        )

    profile = merge_submission(survivor, lead, lead_id=uuid.uuid4(), channel=channel, now=now)
    await repository.save_lead(connection, profile)
    submission_id = uuid.uuid4()
    await repository.record_submission(
        connection,
        submission_id=submission_id,
        lead_id=profile.lead_id,
        channel=channel.value,
        idempotency_key=idempotency_key,
        payload=payload,
        received_at=now,
    )
    captured = LeadCaptured(
        lead=profile,
        channel=channel,
        submission=SubmissionSummary(
            submission_id=submission_id, channel=channel, received_at=now, message=lead.message
        ),
    )
    await enqueue(
        connection, outbox, topics.captured, new_event(captured, source=SOURCE, subject=profile.lead_id)
    )
    return Accepted(lead_id=profile.lead_id, submission_id=submission_id)
