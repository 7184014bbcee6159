"""What re-scoring reads and writes, for every lead of a batch at once: the profiles, their
recent activities and current scores in one statement each, the new scores and their history
in one each (statements built once, the batch's rows as parameters). One lead is a batch of
one."""

import uuid
from datetime import datetime

from sqlalchemy import Select, bindparam, insert, select, true, update
from sqlalchemy.dialects.postgresql import ARRAY, UUID, Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.db import any_param
from leadflow_common.driver import Prepared
from leadflow_common.events import LeadProfile, ModelRef, ScoreReason, Temperature
from leadflow_scoring.domain.rules import Activity, CurrentScore
from leadflow_scoring.store.repository import ACTIVITY_WINDOW
from leadflow_scoring.store.tables import activities, activity_counts, leads, score_history, scores


def _recent_activities_statement() -> Select[uuid.UUID, str, datetime]:
    """Each lead's most recent ACTIVITY_WINDOW activities of each type, through the running
    counts and the (lead, type, time) index: bounded whatever the lead's history."""
    recent = (
        select(activities.c.type, activities.c.occurred_at)
        .where(activities.c.lead_id == activity_counts.c.lead_id, activities.c.type == activity_counts.c.type)
        .order_by(activities.c.occurred_at.desc())
        .limit(ACTIVITY_WINDOW)
        .lateral("recent")
    )
    return (
        select(activity_counts.c.lead_id, recent.c.type, recent.c.occurred_at)
        .select_from(activity_counts.join(recent, true()))
        .where(activity_counts.c.lead_id == bindparam("lead_ids", type_=ARRAY(UUID(as_uuid=True))).any_())
    )


RECENT_ACTIVITIES = Prepared(_recent_activities_statement())


def _save_score_statement() -> Insert:
    statement = pg_insert(scores)
    columns = ("revision", "score", "temperature", "reasons", "model", "scored_at")
    return statement.on_conflict_do_update(
        index_elements=[scores.c.lead_id], set_={name: statement.excluded[name] for name in columns}
    )


SAVE_SCORE = Prepared(_save_score_statement())
SCORE_COLUMNS = ("lead_id", "revision", "score", "temperature", "reasons", "model", "scored_at")
HISTORY_COLUMNS = (
    "lead_id",
    "score",
    "previous_score",
    "temperature",
    "reasons",
    "model",
    "cause",
    "scored_at",
)
SAVE_HISTORY = Prepared(insert(score_history), keys=HISTORY_COLUMNS)
LIVE = (any_param(leads.c.lead_id, "ids"), leads.c.merged_into.is_(None))
PROFILES = Prepared(select(leads.c.lead_id, leads.c.profile).where(*LIVE))
CURRENT_SCORES = Prepared(select(scores).where(any_param(scores.c.lead_id, "ids")))


async def profiles_of(connection: AsyncConnection, lead_ids: list[uuid.UUID]) -> dict[uuid.UUID, LeadProfile]:
    """The live (not merged away) leads' profiles."""
    rows = await PROFILES.fetch(connection, {"ids": lead_ids})
    return {row.lead_id: LeadProfile.model_validate(row.profile) for row in rows}


async def load_profile(connection: AsyncConnection, lead_id: uuid.UUID) -> LeadProfile | None:
    return (await profiles_of(connection, [lead_id])).get(lead_id)


async def recent_activities_of(
    connection: AsyncConnection, lead_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Activity]]:
    found: dict[uuid.UUID, list[Activity]] = {lead_id: [] for lead_id in lead_ids}
    for row in await RECENT_ACTIVITIES.fetch(connection, {"lead_ids": lead_ids}):
        found[row.lead_id].append(Activity(type=row.type, occurred_at=row.occurred_at))
    return found


async def load_activities(connection: AsyncConnection, lead_id: uuid.UUID) -> list[Activity]:
    return (await recent_activities_of(connection, [lead_id]))[lead_id]


async def current_scores(
    connection: AsyncConnection, lead_ids: list[uuid.UUID]
) -> dict[uuid.UUID, CurrentScore]:
    rows = await CURRENT_SCORES.fetch(connection, {"ids": lead_ids})
    return {
        row.lead_id: CurrentScore(
            revision=row.revision,
            score=row.score,
            temperature=Temperature(row.temperature),
            reasons=[ScoreReason.model_validate(reason) for reason in row.reasons],
            model=ModelRef.model_validate(row.model),
            scored_at=row.scored_at,
        )
        for row in rows
    }


async def current_score(connection: AsyncConnection, lead_id: uuid.UUID) -> CurrentScore | None:
    return (await current_scores(connection, [lead_id])).get(lead_id)


async def save_scores(connection: AsyncConnection, rows: list[dict[str, object]]) -> None:
    """New scores (each dict: the lead, its revision, score, previous score, temperature,
    reasons, model, cause and time), kept as current and added to the history."""
    await SAVE_SCORE.execute_many(connection, [{name: row[name] for name in SCORE_COLUMNS} for row in rows])
    history = [{name: row[name] for name in HISTORY_COLUMNS} for row in rows]
    await SAVE_HISTORY.execute_many(connection, history)


async def relabel_scores(connection: AsyncConnection, rows: list[dict[str, object]]) -> None:
    """Unchanged scores now given by another model (each dict: `lead`, `reasons`, `model`)."""
    if rows:
        await connection.execute(update(scores).where(scores.c.lead_id == bindparam("lead")), rows)
