"""Leads whose story ended: won, lost (an outcome) or erased (the person asked). Routing keeps
their scores and assignments but routes them no more (`scores.save_newest_leads` leaves them
out): a rules change re-scores every lead, and a won lead would be offered again as new. A won
or lost person who submits again after the end is a lead to work again: a score whose card is of
a newer profile revision than the one routing knew at the end reopens it (in the same statement
that saves it); an erased person never is."""

import uuid
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, case, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_routing.store.tables import leads

End = Literal["won", "lost", "erased"]

_NEW = insert(leads)
# A lead routing has not scored yet (an import's outcome comes before its score) gets a row of
# its own, a revision 0 that any score replaces, so its first score does not route it either
# (that score's card revision becomes the end's: the submission it is from came before the end).
# An erasure is final: a later outcome does not undo it.
_MARK = _NEW.on_conflict_do_update(
    index_elements=[leads.c.lead_id],
    set_={
        "ended": case((leads.c.ended == "erased", leads.c.ended), else_=_NEW.excluded.ended),
        "ended_revision": leads.c.card_revision,
    },
)


async def mark_ended(connection: AsyncConnection, lead_ids: list[uuid.UUID], end: End, now: datetime) -> None:
    if not lead_ids:
        return
    rows = [
        {"lead_id": lead_id, "score_revision": 0, "score": 0.0, "temperature": "cold", "ended": end}
        | {"updated_at": now}
        for lead_id in sorted(set(lead_ids))
    ]
    await connection.execute(_MARK, rows)


async def has_ended(connection: AsyncConnection, lead_id: uuid.UUID) -> bool:
    return bool(await connection.scalar(select(leads.c.ended).where(leads.c.lead_id == lead_id)))


def on_new_score(new_card_revision: ColumnElement[int]) -> dict[str, ColumnElement[Any]]:
    """The ON CONFLICT values that keep a lead's end through a newer score, or reopen it."""
    newer_card = new_card_revision > leads.c.ended_revision
    won_or_lost = (leads.c.ended == "won") | (leads.c.ended == "lost")  # executemany: no IN list
    reopens = won_or_lost & leads.c.ended_revision.is_not(None) & newer_card
    return {
        "ended": case((reopens, None), else_=leads.c.ended),
        "ended_revision": case(
            (leads.c.ended.is_not(None) & leads.c.ended_revision.is_(None), new_card_revision),
            else_=leads.c.ended_revision,
        ),
    }
