"""What the webhooks service keeps of an erased person, and what it no longer sends.

Deliveries and notices keep their ids, types, statuses and times (a subscriber's support asks
what was sent when); the payloads become the event's id, type and lead id only, and what a
subscriber answered is dropped (an answer may echo the data). Deliveries and notices not yet
sent are cancelled: the subscriber gets `lead.erased` instead, the rep nothing more."""

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

ERASED_NOTE = "cancelled: the person was erased"
# What a payload becomes: who it was about and what it was, nothing of the person.
_REDUCED = (
    "jsonb_build_object('id', {0}::jsonb->'id', 'type', {0}::jsonb->'type',"
    " 'subject', {0}::jsonb->'subject', 'erased', true)::text"
)

ERASE_DELIVERIES = text(
    "UPDATE webhooks.deliveries SET payload = "
    + _REDUCED.format("payload")
    + ", status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END,"
    " last_error = CASE WHEN status = 'pending' THEN :note ELSE last_error END"
    " WHERE lead_id = ANY(CAST(:leads AS text[])) AND event_type <> 'lead.erased'"
)
ERASE_ANSWERS = text(
    "UPDATE webhooks.attempts SET response_snippet = NULL WHERE delivery_id IN"
    " (SELECT id FROM webhooks.deliveries WHERE lead_id = ANY(CAST(:leads AS text[]))"
    " AND event_type <> 'lead.erased')"
)
ERASE_NOTICES = text(
    "UPDATE webhooks.notices SET event = "
    + _REDUCED.format("event")
    + ", status = CASE WHEN status = 'pending' THEN 'skipped' ELSE status END,"
    " last_error = CASE WHEN status = 'pending' THEN :note ELSE last_error END"
    " WHERE event::jsonb->>'subject' = ANY(CAST(:leads AS text[]))"
)

# Who an account's people are, for their owner's notices: an erased person is named no more.
ERASE_ACCOUNT_PEOPLE = text(
    "DELETE FROM webhooks.account_people WHERE lead_id::text = ANY(CAST(:leads AS text[]))"
)


async def erase_leads(connection: AsyncConnection, lead_ids: list[uuid.UUID]) -> None:
    leads = [str(lead_id) for lead_id in lead_ids]
    await connection.execute(ERASE_ANSWERS, {"leads": leads})
    await connection.execute(ERASE_DELIVERIES, {"leads": leads, "note": ERASED_NOTE})
    await connection.execute(ERASE_NOTICES, {"leads": leads, "note": ERASED_NOTE})
    await connection.execute(ERASE_ACCOUNT_PEOPLE, {"leads": leads})
