"""Contact cards: who a routed lead is, kept current from `leads.captured` (the newest revision
wins) and put on every `leads.routed` event with the score's largest reasons and the lead's URL."""

import uuid

from sqlalchemy import ARRAY, Text, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.db import any_of
from leadflow_common.erasure import PERSONAL_CARD_FIELDS
from leadflow_common.events import CloudEvent, ContactCard, LeadCaptured, LeadProfile, ScoreReason
from leadflow_routing.tables import lead_cards, leads

CARD_FIELDS = ("first_name", "last_name", "email", "phone", "company", "job_title", "country", "language")
REASONS_ON_CARD = 3


def card_of_profile(profile: LeadProfile) -> dict:
    card = {field: getattr(profile, field) for field in CARD_FIELDS}
    card["channels"] = [channel.value for channel in profile.channels]
    card["attribution"] = profile.attribution.model_dump(exclude_none=True)
    return card


def top_reasons(reasons: list[ScoreReason]) -> list[dict]:
    largest = sorted(reasons, key=lambda reason: abs(reason.points), reverse=True)[:REASONS_ON_CARD]
    return [reason.model_dump() for reason in largest]


async def record_cards(connection: AsyncConnection, events: list[CloudEvent]) -> None:
    newest: dict[uuid.UUID, LeadProfile] = {}
    for event in events:
        if isinstance(event.data, LeadCaptured):
            profile = event.data.lead
            if profile.lead_id not in newest or newest[profile.lead_id].revision < profile.revision:
                newest[profile.lead_id] = profile
    if not newest:
        return
    rows = [
        {"lead_id": lead_id, "revision": profile.revision, "card": card_of_profile(profile)}
        for lead_id, profile in sorted(newest.items())
    ]
    statement = insert(lead_cards)
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=["lead_id"],
            set_={"revision": statement.excluded.revision, "card": statement.excluded.card},
            where=lead_cards.c.revision < statement.excluded.revision,
        ),
        rows,
    )


async def erase_cards(connection: AsyncConnection, lead_ids: list[uuid.UUID]) -> None:
    """An erased person's card keeps what routing matched on (country, language, channels)."""
    await connection.execute(
        update(lead_cards)
        .where(any_of(lead_cards.c.lead_id, lead_ids))
        .values(card=lead_cards.c.card.op("-")(literal(PERSONAL_CARD_FIELDS, ARRAY(Text))))
    )


async def contact_card(connection: AsyncConnection, lead_id: uuid.UUID, url_base: str) -> ContactCard | None:
    query = (
        select(lead_cards.c.card, leads.c.reasons)
        .select_from(lead_cards.outerjoin(leads, leads.c.lead_id == lead_cards.c.lead_id))
        .where(lead_cards.c.lead_id == lead_id)
    )
    row = (await connection.execute(query)).first()
    if row is None:
        return None
    return ContactCard(**row.card, reasons=row.reasons or [], url=f"{url_base}/v1/leads/{lead_id}")
