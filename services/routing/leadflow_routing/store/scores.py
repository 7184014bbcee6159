"""A batch's scores as routing keeps them: one statement for all, which also keeps or reopens
each lead's end (`ended.py`)."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_routing.domain.policy import LeadToRoute
from leadflow_routing.store import ended
from leadflow_routing.store.tables import leads

# A batch's scores in one statement, built once and run with the rows as parameters: one
# multi-row INSERT … RETURNING rendered from a statement compiled once, not once a batch.
_SAVE_LEADS = (
    insert(leads)
    .on_conflict_do_update(
        index_elements=[leads.c.lead_id],
        set_={
            **{
                name: getattr(insert(leads).excluded, name)
                for name in (
                    "reasons",
                    "score_revision",
                    "score",
                    "temperature",
                    "country",
                    "language",
                    "segment",
                    "card_revision",
                    "updated_at",
                )
            },
            # An ended lead stays ended through a re-score; a new submission reopens it.
            **ended.on_new_score(func.coalesce(insert(leads).excluded.card_revision, 0)),
        },
        where=leads.c.score_revision < insert(leads).excluded.score_revision,
    )
    .returning(leads.c.lead_id, leads.c.score_revision, leads.c.ended)
)


# A score as routing keeps it: the lead, its revision, its largest reasons, its card's revision.
Scored = tuple[LeadToRoute, int, list[dict[str, Any]] | None, int | None]


async def save_newest_leads(
    connection: AsyncConnection, scored: list[Scored], now: datetime
) -> set[tuple[uuid.UUID, int]]:
    """Each lead's newest score of these (one statement for all); the (lead, revision) pairs
    stored, i.e. newer than what routing had, of the leads still to route (not ended)."""
    newest: dict[uuid.UUID, Scored] = {}
    for lead, revision, reasons, card_revision in scored:
        if lead.lead_id not in newest or newest[lead.lead_id][1] < revision:
            newest[lead.lead_id] = (lead, revision, reasons, card_revision)
    if not newest:
        return set()
    rows = [
        {"lead_id": lead.lead_id, "reasons": reasons, "score_revision": revision, "score": lead.score}
        | {"temperature": lead.temperature.value, "country": lead.country, "language": lead.language}
        | {"segment": lead.segment, "account_id": lead.account_id, "updated_at": now}
        | {"card_revision": card_revision}
        for lead, revision, reasons, card_revision in (newest[lead_id] for lead_id in sorted(newest))
    ]
    saved = await connection.execute(_SAVE_LEADS, rows)
    return {(row.lead_id, row.score_revision) for row in saved if row.ended is None}
