"""Leads whose story ended: won, lost (an outcome) or erased (the person asked). Routing keeps
their scores and assignments but routes them no more (`repository.save_newest_leads` leaves them
out): a rules change re-scores every lead, and a won lead would be offered again as new."""

import uuid
from datetime import datetime
from typing import Literal

from sqlalchemy import case
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_routing.store.tables import leads

End = Literal["won", "lost", "erased"]

_NEW = insert(leads)
# A lead routing has not scored yet (an import's outcome comes before its score) gets a row of
# its own, a revision 0 that any score replaces, so its first score does not route it either.
# An erasure is final: a later outcome does not undo it.
_MARK = _NEW.on_conflict_do_update(
    index_elements=[leads.c.lead_id],
    set_={"ended": case((leads.c.ended == "erased", leads.c.ended), else_=_NEW.excluded.ended)},
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
