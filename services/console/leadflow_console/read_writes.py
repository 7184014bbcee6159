"""Writing the read models: the folded rows of `projection`, each guarded so that an older
change arriving after a newer one leaves the newer in place."""

import uuid

from sqlalchemy import case, func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_console.projection import Changes
from leadflow_console.read_tables import decisions, lead_timeline, lead_views

PROFILE_COLUMNS = ("revision", "profile", "email", "phone", "name", "company", "channel", "source")
PROFILE_COLUMNS += ("campaign", "segment", "captured_at")
SCORE_COLUMNS = ("score_revision", "score", "temperature", "reasons")
ASSIGNMENT_COLUMNS = ("decided_at", "assignment_id", "assignment_status", "rep_id", "rep_name", "tier")
ASSIGNMENT_COLUMNS += ("sla_deadline",)


def _upsert_profiles(rows: list[dict]):
    statement = pg_insert(lead_views).values(rows)
    stored, incoming = lead_views.c, statement.excluded
    return statement.on_conflict_do_update(
        index_elements=["lead_id"],
        set_={name: getattr(incoming, name) for name in PROFILE_COLUMNS},
        where=stored.revision < incoming.revision,
    )


async def apply(connection: AsyncConnection, changes: Changes) -> set[uuid.UUID]:
    """Writes the changes; answers the reps whose inbox changed."""
    if changes.profiles:
        await connection.execute(_upsert_profiles(_sorted(changes.profiles)))
    if changes.scores:
        await _write_scores(connection, _sorted(changes.scores))
    if changes.decisions:
        await _write_decisions(connection, changes)
    reps = changes.reps
    for action in changes.actions:
        reps |= await _write_action(connection, action)
    for lead_id, row in sorted(changes.outcomes.items()):
        await connection.execute(
            pg_insert(lead_views)
            .values(lead_id=lead_id, outcome=row["outcome"], outcome_at=row["at"])
            .on_conflict_do_update(
                index_elements=["lead_id"], set_={"outcome": row["outcome"], "outcome_at": row["at"]}
            )
        )
    for absorbed, surviving in sorted(changes.merges.items()):
        await connection.execute(
            pg_insert(lead_views)
            .values(lead_id=absorbed, merged_into=surviving)
            .on_conflict_do_update(index_elements=["lead_id"], set_={"merged_into": surviving})
        )
    if changes.timeline:
        await connection.execute(pg_insert(lead_timeline).values(changes.timeline).on_conflict_do_nothing())
    return reps


def _sorted(rows: dict) -> list[dict]:
    return [rows[key] for key in sorted(rows)]


async def _write_scores(connection: AsyncConnection, rows: list[dict]) -> None:
    """The newest revision's score; the first times warm and hot from every revision (LEAST
    skips NULLs)."""
    statement = pg_insert(lead_views).values(rows)
    stored, incoming = lead_views.c, statement.excluded
    newer = stored.score_revision < incoming.score_revision
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=["lead_id"],
            set_={
                name: case((newer, getattr(incoming, name)), else_=getattr(stored, name))
                for name in SCORE_COLUMNS
            }
            | {
                name: func.least(getattr(stored, name), getattr(incoming, name))
                for name in ("warm_at", "hot_at")
            },
        )
    )


async def _write_decisions(connection: AsyncConnection, changes: Changes) -> None:
    rows = [{key: value for key, value in row.items() if key != "moved_on"} for row in changes.decisions]
    await connection.execute(pg_insert(decisions).values(rows).on_conflict_do_nothing())
    for row in changes.decisions:
        if row["moved_on"]:
            # The offer it replaced: moved on, breached when the SLA ran out on it.
            await connection.execute(
                update(decisions)
                .where(
                    decisions.c.lead_id == row["lead_id"],
                    decisions.c.status == "offered",
                    decisions.c.assignment_id != row["assignment_id"],
                    decisions.c.at < row["at"],
                )
                .values(status="moved on", acted_at=row["at"], breached=row["breached"])
            )
    current = _sorted(changes.assignments)
    statement = pg_insert(lead_views).values(current)
    stored, incoming = lead_views.c, statement.excluded
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=["lead_id"],
            set_={name: getattr(incoming, name) for name in ASSIGNMENT_COLUMNS}
            | {"offered_at": func.coalesce(stored.offered_at, incoming.offered_at)},
            where=func.coalesce(stored.decided_at, incoming.decided_at) <= incoming.decided_at,
        )
    )


async def _write_action(connection: AsyncConnection, action: dict) -> set[uuid.UUID]:
    accepted = action["status"] == "accepted"
    decided = await connection.execute(
        update(decisions)
        .where(decisions.c.assignment_id == action["assignment_id"])
        .values(
            status=action["status"],
            acted_at=action["at"],
            accepted_at=action["at"] if accepted else decisions.c.accepted_at,
        )
        .returning(decisions.c.rep_id)
    )
    reps = {rep_id for (rep_id,) in decided if rep_id}
    values = {"assignment_status": action["status"]}
    if accepted:
        values["accepted_at"] = func.coalesce(lead_views.c.accepted_at, action["at"])
    await connection.execute(
        update(lead_views).where(lead_views.c.assignment_id == action["assignment_id"]).values(**values)
    )
    return reps
