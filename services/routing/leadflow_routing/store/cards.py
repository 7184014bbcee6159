"""Contact cards: who a routed lead is, kept current from the cards `lead.scored` carries (the
newest profile revision wins; `lead.captured` too, from events of before they did) and put on
every `leads.routed` event with the score's largest reasons and the lead's URL.

A score without a card (one published before scores carried them) can come before its card.
A first decision made then would tell the rep nothing about the person, so it waits: the lead
is kept in `awaiting_cards` and routed when its card is recorded, or by the sweeper, without a
card, once ROUTING_CARD_WAIT_SECONDS have passed (a card that never comes never holds a lead)."""

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, Text, delete, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.db import any_of, any_param
from leadflow_common.driver import Prepared
from leadflow_common.erasure import PERSONAL_CARD_FIELDS
from leadflow_common.events import CloudEvent, ContactCard, LeadCaptured, LeadProfile, LeadScored, ScoreReason
from leadflow_routing.store.tables import awaiting_cards, lead_cards, leads

CARD_FIELDS = ("first_name", "last_name", "email", "phone", "company", "job_title", "country", "language")
REASONS_ON_CARD = 3


def card_of_profile(profile: LeadProfile) -> dict:
    card = {field: getattr(profile, field) for field in CARD_FIELDS}
    card["channels"] = [channel.value for channel in profile.channels]
    card["attribution"] = profile.attribution.model_dump(exclude_none=True)
    return card


def net_reasons(reasons: list[ScoreReason]) -> list[ScoreReason]:
    """An activity type's lines (as earned, faded, capped) as the one line of what it gives: a
    card with room for few reasons shows what counts, not a burst and its cap cancelling out."""
    totals: dict[str, float] = {}
    for reason in reasons:
        kind, step, activity = [*reason.factor.split(":", 2), "", ""][:3]
        if kind == "engagement" and step in ("activity", "decay", "cap") and activity:
            factor = f"engagement:activity:{activity}"
        else:
            factor = reason.factor
        totals[factor] = round(totals.get(factor, 0.0) + reason.points, 1)
    return [ScoreReason(factor=factor, points=points) for factor, points in totals.items() if points]


def top_reasons(reasons: list[ScoreReason]) -> list[dict]:
    largest = sorted(net_reasons(reasons), key=lambda reason: abs(reason.points), reverse=True)
    return [reason.model_dump() for reason in largest[:REASONS_ON_CARD]]


def newest_profiles(events: list[CloudEvent]) -> dict[uuid.UUID, LeadProfile]:
    """Each captured lead's newest profile in these events."""
    newest: dict[uuid.UUID, LeadProfile] = {}
    for event in events:
        if isinstance(event.data, LeadCaptured):
            profile = event.data.lead
            if profile.lead_id not in newest or newest[profile.lead_id].revision < profile.revision:
                newest[profile.lead_id] = profile
    return newest


def card_of_scored(card: ContactCard) -> dict:
    """A card as `lead.scored` carries it, as routing keeps it (card_of_profile's form)."""
    document = {field: getattr(card, field) for field in CARD_FIELDS}
    document["channels"] = [channel.value for channel in card.channels]
    document["attribution"] = card.attribution.model_dump(exclude_none=True)
    return document


async def record_scored_cards(connection: AsyncConnection, events: list[CloudEvent]) -> None:
    """The cards scores carry (the newest revision of each lead's), in one statement."""
    newest: dict[uuid.UUID, tuple[int, ContactCard]] = {}
    for event in events:
        data = event.data
        if isinstance(data, LeadScored) and data.card is not None and data.card_revision is not None:
            if data.lead_id not in newest or newest[data.lead_id][0] < data.card_revision:
                newest[data.lead_id] = (data.card_revision, data.card)
    rows = [
        {"lead_id": lead_id, "revision": revision, "card": card_of_scored(card)}
        for lead_id, (revision, card) in sorted(newest.items())
    ]
    await _upsert_cards(connection, rows)


async def record_cards(connection: AsyncConnection, newest: dict[uuid.UUID, LeadProfile]) -> None:
    rows = [
        {"lead_id": lead_id, "revision": profile.revision, "card": card_of_profile(profile)}
        for lead_id, profile in sorted(newest.items())
    ]
    await _upsert_cards(connection, rows)


def _upsert_cards_statement() -> Prepared:
    statement = insert(lead_cards)
    return Prepared(
        statement.on_conflict_do_update(
            index_elements=["lead_id"],
            set_={"revision": statement.excluded.revision, "card": statement.excluded.card},
            where=lead_cards.c.revision < statement.excluded.revision,
        )
    )


_UPSERT_CARDS = _upsert_cards_statement()
_WITH_CARD = Prepared(select(lead_cards.c.lead_id).where(any_param(lead_cards.c.lead_id, "lead_ids")))
_AWAITING = awaiting_cards.c.lead_id
_STOP_AWAITING = Prepared(delete(awaiting_cards).where(any_param(_AWAITING, "lead_ids")).returning(_AWAITING))


async def _upsert_cards(connection: AsyncConnection, rows: list[dict]) -> None:
    await _UPSERT_CARDS.execute_many(connection, rows)


async def erase_cards(connection: AsyncConnection, lead_ids: list[uuid.UUID]) -> None:
    """An erased person's card keeps what routing matched on (country, language, channels); a
    first decision still waiting for the card is not made (whatever card came now would say
    nobody)."""
    await stop_awaiting(connection, lead_ids)
    await connection.execute(
        update(lead_cards)
        .where(any_of(lead_cards.c.lead_id, lead_ids))
        .values(card=lead_cards.c.card.op("-")(literal(PERSONAL_CARD_FIELDS, ARRAY(Text))))
    )


# Built once: read for every batch of decisions published.
_CARDS = Prepared(
    select(lead_cards.c.lead_id, lead_cards.c.card, leads.c.reasons)
    .select_from(lead_cards.outerjoin(leads, leads.c.lead_id == lead_cards.c.lead_id))
    .where(any_param(lead_cards.c.lead_id, "lead_ids"))
)


async def contact_card(connection: AsyncConnection, lead_id: uuid.UUID, url_base: str) -> ContactCard | None:
    return (await contact_cards(connection, [lead_id], url_base)).get(lead_id)


async def contact_cards(
    connection: AsyncConnection, lead_ids: list[uuid.UUID], url_base: str
) -> dict[uuid.UUID, ContactCard]:
    """These leads' cards with their score's largest reasons, one statement for all (a lead
    without a card is not in the answer)."""
    if not lead_ids:
        return {}
    rows = await _CARDS.fetch(connection, {"lead_ids": lead_ids})
    return {
        row.lead_id: ContactCard(
            **row.card, reasons=row.reasons or [], url=f"{url_base}/v1/leads/{row.lead_id}"
        )
        for row in rows
    }


async def without_card(connection: AsyncConnection, lead_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    if not lead_ids:
        return set()
    rows = await _WITH_CARD.fetch(connection, {"lead_ids": lead_ids})
    return set(lead_ids) - {row.lead_id for row in rows}


async def await_card(connection: AsyncConnection, lead_id: uuid.UUID, now: datetime) -> None:
    """The lead's first decision waits for its card (still waiting: it keeps its place)."""
    statement = insert(awaiting_cards).values(lead_id=lead_id, since=now)
    await connection.execute(statement.on_conflict_do_nothing(index_elements=["lead_id"]))


async def stop_awaiting(connection: AsyncConnection, lead_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """These leads wait no longer (their card came, their wait ran out, their story ended);
    returns those that were waiting, in lead order (the order locks are taken in)."""
    if not lead_ids:
        return []
    rows = await _STOP_AWAITING.fetch(connection, {"lead_ids": lead_ids})
    return sorted(row.lead_id for row in rows)


async def longest_waits(connection: AsyncConnection, limit: int) -> list[tuple[uuid.UUID, datetime]]:
    """The leads waiting longest for their card, and since when, longest first."""
    rows = await connection.execute(
        select(awaiting_cards.c.lead_id, awaiting_cards.c.since).order_by(awaiting_cards.c.since).limit(limit)
    )
    return [(row.lead_id, row.since) for row in rows]
