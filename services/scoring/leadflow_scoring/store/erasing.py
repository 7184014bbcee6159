"""What scoring keeps of an erased person: the score, its history, the activities' types and
times, and each outcome with the lead's features except those that say who the person is (the
same fields events seal). A model trained later learns from what is left."""

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.erasure import PERSONAL_PROFILE_FIELDS

ERASE_PROFILES = text(
    "UPDATE scoring.leads SET profile = profile - CAST(:fields AS text[])"
    " WHERE lead_id = ANY(CAST(:leads AS uuid[]))"
)
ERASE_SNAPSHOTS = text(
    "UPDATE scoring.outcomes"
    " SET snapshot = jsonb_set(snapshot, '{profile}', (snapshot->'profile') - CAST(:fields AS text[]))"
    " WHERE lead_id = ANY(CAST(:leads AS uuid[])) AND snapshot ? 'profile'"
)


async def erase_leads(connection: AsyncConnection, lead_ids: list[uuid.UUID]) -> None:
    values = {"leads": lead_ids, "fields": PERSONAL_PROFILE_FIELDS}
    await connection.execute(ERASE_PROFILES, values)
    await connection.execute(ERASE_SNAPSHOTS, values)
