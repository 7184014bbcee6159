"""Writing the read models: the folded rows of `projection`, each guarded so that an older
change arriving after a newer one leaves the newer in place.

Every statement is built once and run with the batch's rows as parameters (executemany): one
prepared statement whatever the batch's size, instead of a new statement text to compile for
every number of rows."""

import uuid

from sqlalchemy import any_, bindparam, case, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.driver import Prepared
from leadflow_console.domain.projection import Changes
from leadflow_console.domain.status import ShownStatus
from leadflow_console.store.read_tables import decisions, lead_timeline, lead_views

PROFILE_COLUMNS = ("revision", "profile", "email", "phone", "name", "company", "channel", "source")
PROFILE_COLUMNS += ("campaign", "segment", "captured_at")
SCORE_COLUMNS = ("score_revision", "score", "temperature", "reasons")
ASSIGNMENT_COLUMNS = ("decided_at", "assignment_id", "assignment_status", "rep_id", "rep_name", "tier")
ASSIGNMENT_COLUMNS += ("sla_deadline",)
FIRST_TIMES = ("warm_at", "hot_at")


def _upsert(set_) -> Prepared:
    """INSERT INTO lead_views … ON CONFLICT (lead_id) DO UPDATE: `set_` is given the stored row
    and the incoming one."""
    statement = pg_insert(lead_views)
    stored, incoming = lead_views.c, statement.excluded
    return Prepared(statement.on_conflict_do_update(index_elements=["lead_id"], set_=set_(stored, incoming)))


# A lead's parts in one batch (its profile, score and current assignment) written as one row,
# once: each part guarded as a statement of its own would be, and a part the batch does not
# carry (revision 0, no decision) leaves the stored one. The newest profile revision wins; the
# newest score revision wins, and the first times warm and hot come from every revision (LEAST
# skips NULLs); the latest decision is the current assignment, and the first offer is kept.
def _lead_parts(stored, incoming) -> dict:
    def newer(guard, name: str):
        return case((guard, getattr(incoming, name)), else_=getattr(stored, name))

    profile_newer = stored.revision < incoming.revision
    score_newer = stored.score_revision < incoming.score_revision
    decided_later = func.coalesce(stored.decided_at, incoming.decided_at) <= incoming.decided_at
    first_offer = func.coalesce(stored.offered_at, incoming.offered_at)
    return (
        {name: newer(profile_newer, name) for name in PROFILE_COLUMNS}
        | {name: newer(score_newer, name) for name in SCORE_COLUMNS}
        | {name: func.least(getattr(stored, name), getattr(incoming, name)) for name in FIRST_TIMES}
        | {name: newer(decided_later, name) for name in ASSIGNMENT_COLUMNS}
        | {"offered_at": case((decided_later, first_offer), else_=stored.offered_at)}
    )


LEAD_ROWS = _upsert(_lead_parts)
# What a row says of a part the batch does not carry (what a new row holds until it comes).
ABSENT = dict.fromkeys(
    PROFILE_COLUMNS + SCORE_COLUMNS + FIRST_TIMES + ASSIGNMENT_COLUMNS + ("offered_at",)
) | {"revision": 0, "score_revision": 0}
OUTCOMES = _upsert(lambda stored, incoming: {"outcome": incoming.outcome, "outcome_at": incoming.outcome_at})
MERGES = _upsert(lambda stored, incoming: {"merged_into": incoming.merged_into})
DECISIONS = Prepared(pg_insert(decisions).on_conflict_do_nothing())
TIMELINE = Prepared(pg_insert(lead_timeline).on_conflict_do_nothing())
INBOX = (ShownStatus.offered, ShownStatus.accepted)
# The reps whose inbox shows any of these leads: a new score, a lead's new details or its outcome
# changes a card without a change of its assignment (the inbox waited for its next look, 5 s).
HOLDERS = Prepared(
    select(lead_views.c.rep_id)
    .distinct()
    .where(
        lead_views.c.lead_id == any_(bindparam("leads", type_=ARRAY(UUID(as_uuid=True)))),
        or_(*(lead_views.c.assignment_status == literal(str(status)) for status in INBOX)),
    )
)
# The offer a reassignment replaced: moved on, breached when the SLA ran out on it.
MOVED_ON = Prepared(
    update(decisions)
    .where(
        decisions.c.lead_id == bindparam("moved_lead"),
        decisions.c.status == ShownStatus.offered,
        decisions.c.assignment_id != bindparam("moved_to"),
        decisions.c.at < bindparam("moved_at"),
    )
    .values(status="moved on", acted_at=bindparam("moved_at"), breached=bindparam("moved_breached"))
)


async def apply(connection: AsyncConnection, changes: Changes) -> set[uuid.UUID]:
    """Writes the changes; answers the reps whose inbox changed."""
    parts = (changes.profiles, changes.scores, changes.assignments)
    if leads := sorted(set().union(*parts)):
        # In lead order: two batches writing the same leads lock them in the same order.
        rows = [ABSENT | {"lead_id": lead} | _merged(lead, parts) for lead in leads]
        await LEAD_ROWS.execute_many(connection, rows)
    if changes.decisions:
        await _write_decisions(connection, changes)
    reps = changes.reps
    if shown := sorted(set().union(changes.profiles, changes.scores, changes.outcomes, changes.merges)):
        reps |= {row["rep_id"] for row in await HOLDERS.fetch(connection, {"leads": shown})}
    for action in changes.actions:
        reps |= await _write_action(connection, action)
    if changes.outcomes:
        rows = [
            {"lead_id": lead_id, "outcome": row["outcome"], "outcome_at": row["at"]}
            for lead_id, row in sorted(changes.outcomes.items())
        ]
        await OUTCOMES.execute_many(connection, rows)
    if changes.merges:
        rows = [
            {"lead_id": absorbed, "merged_into": into} for absorbed, into in sorted(changes.merges.items())
        ]
        await MERGES.execute_many(connection, rows)
    if changes.timeline:
        await TIMELINE.execute_many(connection, changes.timeline)
    return reps


def _merged(lead: uuid.UUID, parts: tuple[dict, ...]) -> dict:
    merged: dict = {}
    for part in parts:
        merged |= part.get(lead, {})
    return merged


async def _write_decisions(connection: AsyncConnection, changes: Changes) -> None:
    rows = [{key: value for key, value in row.items() if key != "moved_on"} for row in changes.decisions]
    await DECISIONS.execute_many(connection, rows)
    moves = [
        {
            "moved_lead": row["lead_id"],
            "moved_to": row["assignment_id"],
            "moved_at": row["at"],
            "moved_breached": row["breached"],
        }
        for row in changes.decisions
        if row["moved_on"]
    ]
    if moves:
        await MOVED_ON.execute_many(connection, moves)


async def _write_action(connection: AsyncConnection, action: dict) -> set[uuid.UUID]:
    """A change of an assignment: its decision's row (the feed, speed to lead) and, while it is
    the lead's current one, the lead's row (the inbox, the lead page)."""
    accepted = action["status"] == ShownStatus.accepted
    decided = await connection.execute(
        update(decisions)
        .where(decisions.c.assignment_id == action["assignment_id"])
        .values(
            status=action["status"],
            acted_at=action["at"],
            accepted_at=action["at"] if accepted else decisions.c.accepted_at,
            breached=func.greatest(decisions.c.breached, action["breached"]),
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
