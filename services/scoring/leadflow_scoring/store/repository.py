"""Scoring's SQL."""

import uuid
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.db import any_of, lock_keys
from leadflow_common.driver import Prepared
from leadflow_common.events import LeadProfile, ModelRef, Temperature
from leadflow_scoring.domain.rules import Activity
from leadflow_scoring.domain.scores import ScoreStep
from leadflow_scoring.store.tables import activities, activity_counts, leads, outcomes, score_history, scores

# Activities of one type read per score: each type's points are capped (rules.py), so beyond a
# few dozen recent occurrences older ones only matter if each carries < 1/100 of the cap.
ACTIVITY_WINDOW = 100


async def lock_leads(connection: AsyncConnection, lead_ids: list[uuid.UUID]) -> None:
    """Serialise every change to these leads' scores across consumers and processes."""
    await lock_keys(connection, [f"scoring:{lead_id}" for lead_id in lead_ids])


async def save_profile_if_newer(connection: AsyncConnection, profile: LeadProfile) -> bool:
    """Keep the highest revision of a lead's profile; False when this one is older."""
    values = {"revision": profile.revision, "profile": profile.model_dump(mode="json")}
    statement = (
        pg_insert(leads)
        .values(lead_id=profile.lead_id, **values)
        .on_conflict_do_update(
            index_elements=[leads.c.lead_id], set_=values, where=leads.c.revision < profile.revision
        )
        .returning(leads.c.lead_id)
    )
    return (await connection.execute(statement)).first() is not None


# Built once: a batch's snapshots go in one statement (the rows as its parameters).
_SAVE_PROFILES = Prepared(
    pg_insert(leads).on_conflict_do_update(
        index_elements=[leads.c.lead_id],
        set_={"revision": pg_insert(leads).excluded.revision, "profile": pg_insert(leads).excluded.profile},
        where=leads.c.revision < pg_insert(leads).excluded.revision,
    )
)


async def save_profiles_if_newer(connection: AsyncConnection, profiles: list[LeadProfile]) -> None:
    """Keep the highest revision of each lead's profile, for a batch's snapshots at once (an
    upsert touches a row once: of one lead's snapshots only its newest goes, the first of
    equal revisions, as one at a time would keep)."""
    newest: dict[uuid.UUID, LeadProfile] = {}
    for profile in profiles:
        if profile.lead_id not in newest or newest[profile.lead_id].revision < profile.revision:
            newest[profile.lead_id] = profile
    if newest:
        rows = [
            {"lead_id": lead_id, "revision": profile.revision, "profile": profile.model_dump(mode="json")}
            for lead_id, profile in sorted(newest.items())
        ]
        await _SAVE_PROFILES.execute_many(connection, rows)


async def mark_absorbed(connection: AsyncConnection, absorbed: uuid.UUID, into: uuid.UUID) -> None:
    """The absorbed lead is never scored again. Merges travel on their own topic, so the merge
    can come before the absorbed lead's own snapshot: a placeholder row, marked absorbed, makes
    that snapshot land absorbed too (its upsert leaves `merged_into` alone)."""
    placeholder = pg_insert(leads).values(lead_id=absorbed, revision=0, profile={}, merged_into=into)
    await connection.execute(
        placeholder.on_conflict_do_update(index_elements=[leads.c.lead_id], set_={"merged_into": into})
    )
    await connection.execute(update(activities).where(activities.c.lead_id == absorbed).values(lead_id=into))
    moved = (
        delete(activity_counts)
        .where(activity_counts.c.lead_id == absorbed)
        .returning(activity_counts.c.type, activity_counts.c.count, activity_counts.c.last_at)
    )
    for kind, count, last_at in (await connection.execute(moved)).all():
        await _count_activities(connection, into, kind, count, last_at)


async def _count_activities(
    connection: AsyncConnection, lead_id: uuid.UUID, type: str, count: int, last_at: datetime
) -> int:
    """Adds to the running count of a lead's activities of a type; the new count."""
    adding = pg_insert(activity_counts).values(lead_id=lead_id, type=type, count=count, last_at=last_at)
    upsert = adding.on_conflict_do_update(
        index_elements=[activity_counts.c.lead_id, activity_counts.c.type],
        set_={
            "count": activity_counts.c.count + adding.excluded.count,
            "last_at": func.greatest(activity_counts.c.last_at, adding.excluded.last_at),
        },
    ).returning(activity_counts.c.count)
    counted: int = (await connection.execute(upsert)).scalar_one()
    return counted


async def add_activity(
    connection: AsyncConnection,
    *,
    activity_id: uuid.UUID,
    lead_id: uuid.UUID,
    type: str,
    occurred_at: datetime,
) -> None:
    """Stores the activity and counts it; past the window, the oldest of its type are pruned
    now and then, so a flood of one type neither grows the table nor the work per score."""
    inserted = await connection.execute(
        pg_insert(activities)
        .values(activity_id=activity_id, lead_id=lead_id, type=type, occurred_at=occurred_at)
        .on_conflict_do_nothing()
        .returning(activities.c.activity_id)
    )
    if inserted.first() is None:
        return
    count = await _count_activities(connection, lead_id, type, 1, occurred_at)
    if count > ACTIVITY_WINDOW and count % ACTIVITY_WINDOW == 0:
        kept = (
            select(activities.c.activity_id)
            .where(activities.c.lead_id == lead_id, activities.c.type == type)
            .order_by(activities.c.occurred_at.desc())
            .limit(ACTIVITY_WINDOW)
        )
        await connection.execute(
            delete(activities).where(
                activities.c.lead_id == lead_id,
                activities.c.type == type,
                activities.c.activity_id.not_in(kept.scalar_subquery()),
            )
        )


async def score_history_of(
    connection: AsyncConnection, lead_id: uuid.UUID, limit: int = 100
) -> list[ScoreStep]:
    """The lead's score changes, newest first."""
    history = score_history.c
    rows = await connection.execute(
        select(history.score, history.previous_score, history.temperature, history.cause)
        .add_columns(history.model, history.scored_at)
        .where(history.lead_id == lead_id)
        .order_by(history.id.desc())
        .limit(limit)
    )
    return [
        ScoreStep(
            score=row.score,
            previous_score=row.previous_score,
            temperature=Temperature(row.temperature),
            cause=row.cause,
            model=ModelRef.model_validate(row.model),
            scored_at=row.scored_at,
        )
        for row in rows
    ]


# What a later outcome of a lead replaces (a correction): the result and when; the lead as it
# stood at the first report (snapshot, score, band) stays, as what was known before the result.
REPLACED_BY_A_LATER_OUTCOME = ("outcome_id", "outcome", "amount", "occurred_at", "received_at")


async def add_outcome(connection: AsyncConnection, **values: object) -> None:
    """A lead's outcome; a later one of the same lead replaces it (each lead counts once)."""
    statement = pg_insert(outcomes).values(**values)
    replaced = {name: statement.excluded[name] for name in REPLACED_BY_A_LATER_OUTCOME}
    await connection.execute(statement.on_conflict_do_update(index_elements=["lead_id"], set_=replaced))


class TrainingOutcome(NamedTuple):
    """An outcome with the lead as it stood when it came (`snapshot`: its profile and activities)."""

    outcome: str
    snapshot: dict[str, object]
    occurred_at: datetime


async def outcomes_for_training(connection: AsyncConnection) -> list[TrainingOutcome]:
    rows = await connection.execute(
        select(outcomes.c.outcome, outcomes.c.snapshot, outcomes.c.occurred_at)
        .where(outcomes.c.snapshot.is_not(None))
        .order_by(outcomes.c.received_at, outcomes.c.outcome_id)
    )
    return [TrainingOutcome(outcome, snapshot, occurred_at) for outcome, snapshot, occurred_at in rows]


async def outcome_count(connection: AsyncConnection) -> int:
    return await connection.scalar(select(func.count()).select_from(outcomes)) or 0


async def conversion_by_band(connection: AsyncConnection) -> dict[str, dict[str, float]]:
    """Observed conversion per band: outcomes by the temperature the lead had when it came."""
    rows = await connection.execute(
        select(outcomes.c.temperature, func.count(), func.count().filter(outcomes.c.outcome == "won"))
        .where(outcomes.c.temperature.is_not(None))
        .group_by(outcomes.c.temperature)
    )
    return {
        band: {"outcomes": total, "won": won, "conversion": round(won / total, 4)}
        for band, total, won in rows
    }


async def lead_ids_after(connection: AsyncConnection, after: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
    query = (
        select(leads.c.lead_id).where(leads.c.merged_into.is_(None)).order_by(leads.c.lead_id).limit(limit)
    )
    if after is not None:
        query = query.where(leads.c.lead_id > after)
    return [row.lead_id for row in await connection.execute(query)]


async def engaged_lead_ids(connection: AsyncConnection) -> list[uuid.UUID]:
    """Leads with activity: the only ones whose score can change with age."""
    rows = await connection.execute(select(activity_counts.c.lead_id).distinct())
    return [row.lead_id for row in rows]


async def leads_with_outcomes_without_snapshot(
    connection: AsyncConnection, lead_ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    query = select(outcomes.c.lead_id).where(
        any_of(outcomes.c.lead_id, lead_ids), outcomes.c.snapshot.is_(None)
    )
    return set(await connection.scalars(query.distinct()))


async def complete_outcomes(connection: AsyncConnection, lead_id: uuid.UUID, **known: object) -> None:
    if known["snapshot"] is None:
        return
    await connection.execute(
        update(outcomes).where(outcomes.c.lead_id == lead_id, outcomes.c.snapshot.is_(None)).values(**known)
    )


async def recent_leads(connection: AsyncConnection, limit: int) -> list[tuple[LeadProfile, list[Activity]]]:
    """The most recently scored live leads with their activities (two statements)."""
    rows = (
        await connection.execute(
            select(leads.c.lead_id, leads.c.profile)
            .join(scores, scores.c.lead_id == leads.c.lead_id)
            .where(leads.c.merged_into.is_(None))
            .order_by(scores.c.scored_at.desc())
            .limit(limit)
        )
    ).all()
    found: dict[uuid.UUID, list[Activity]] = {row.lead_id: [] for row in rows}
    if found:
        done = await connection.execute(
            select(activities.c.lead_id, activities.c.type, activities.c.occurred_at).where(
                any_of(activities.c.lead_id, found)
            )
        )
        for row in done:
            found[row.lead_id].append(Activity(type=row.type, occurred_at=row.occurred_at))
    return [(LeadProfile.model_validate(row.profile), found[row.lead_id]) for row in rows]
