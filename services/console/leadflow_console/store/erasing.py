"""What the console's read models keep of an erased person: the lead's row with its channel,
campaign, score, assignment and outcome (the funnel still counts them), without the golden
record, the searchable name, email, phone and company, or the messages on its timeline; and when
the person was erased, which its pages say."""

import uuid

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_console.store.account_tables import lead_accounts
from leadflow_console.store.read_tables import lead_views

ERASE_VIEWS = text(
    "UPDATE console.lead_views SET profile = NULL, email = NULL, phone = NULL, name = NULL, company = NULL,"
    " erased_at = coalesce(erased_at, now()) WHERE lead_id = ANY(CAST(:leads AS uuid[]))"
)
ERASE_TIMELINES = text(
    "UPDATE console.lead_timeline SET details = details - 'message'"
    " WHERE lead_id = ANY(CAST(:leads AS uuid[])) AND details ? 'message'"
)


async def erase_leads(connection: AsyncConnection, lead_ids: list[uuid.UUID]) -> None:
    await connection.execute(ERASE_VIEWS, {"leads": lead_ids})
    await connection.execute(ERASE_TIMELINES, {"leads": lead_ids})


async def shown_to(
    connection: AsyncConnection, lead_ids: list[uuid.UUID]
) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """The reps whose inbox, and the B2B accounts whose page, shows these leads."""
    held = lead_views.c.lead_id.in_(lead_ids) & lead_views.c.rep_id.is_not(None)
    reps = await connection.scalars(select(lead_views.c.rep_id).where(held))
    accounts = await connection.scalars(
        select(lead_accounts.c.account_id).where(lead_accounts.c.lead_id.in_(lead_ids))
    )
    return set(reps), set(accounts)
