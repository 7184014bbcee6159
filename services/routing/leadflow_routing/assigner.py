"""Applying a routing decision inside the caller's transaction: the assignment row, the rep's
fairness clock and the `leads.routed` event commit together."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.events import LeadNurtured, LeadRouted, RepRef, Temperature, Tier, new_event
from leadflow_common.outbox import enqueue
from leadflow_common.topics import Topics
from leadflow_routing import repository
from leadflow_routing.policy import TIERS_BY_TEMPERATURE, Decision, LeadToRoute, decide
from leadflow_routing.tables import OPEN_STATUSES, outbox

SOURCE = "leadflow/routing"
RANK = {Temperature.cold: 0, Temperature.warm: 1, Temperature.hot: 2}


async def on_new_score(
    connection: AsyncConnection, lead: LeadToRoute, *, topics: Topics, sla: timedelta, now: datetime
) -> Decision | None:
    """Route a lead whose score changed. A lead with a rep stays with that rep; a lead in a
    queue is routed again when it has warmed up, or keeps waiting with its new score."""
    current = await repository.current_assignment(connection, lead.lead_id)
    if current is not None and current.status in OPEN_STATUSES:
        return None
    if current is not None and current.status == "nurtured" and lead.temperature == Temperature.cold:
        await repository.set_assignment_status(connection, current.id, "nurtured", now, score=lead.score)
        return None
    return await route(connection, lead, topics=topics, sla=sla, now=now, current=current)


async def route(
    connection: AsyncConnection,
    lead: LeadToRoute,
    *,
    topics: Topics,
    sla: timedelta,
    now: datetime,
    current: Any | None = None,
    exclude: frozenset[uuid.UUID] = frozenset(),
    attempt: int = 1,
) -> Decision:
    candidates = await repository.lock_candidate_reps(connection, TIERS_BY_TEMPERATURE[lead.temperature])
    by_id = {row.id: row for row in candidates}
    decision = decide(lead, [repository.as_policy_rep(row) for row in candidates], exclude=exclude)
    if current is not None and current.status == "waiting" and decision.kind == "wait":
        await repository.set_assignment_status(
            connection,
            current.id,
            "waiting",
            now,
            score=lead.score,
            temperature=lead.temperature.value,
            reason=decision.reason,
        )
        return decision
    if current is not None:
        await repository.set_assignment_status(connection, current.id, "promoted", now)

    assignment_id = uuid.uuid4()
    status = {"assign": "offered", "nurture": "nurtured", "wait": "waiting"}[decision.kind]
    deadline = now + sla if decision.kind == "assign" else None
    await repository.insert_assignment(
        connection,
        id=assignment_id,
        lead_id=lead.lead_id,
        rep_id=decision.rep_id,
        queue=decision.queue,
        status=status,
        reason=decision.reason,
        temperature=lead.temperature.value,
        score=lead.score,
        attempt=attempt,
        sla_deadline=deadline,
        created_at=now,
        updated_at=now,
    )
    if decision.kind == "assign":
        rep = by_id[decision.rep_id]
        await repository.touch_rep(connection, rep.id, now)
        event = LeadRouted(
            assignment_id=assignment_id,
            lead_id=lead.lead_id,
            rep=RepRef(id=rep.id, name=rep.name, email=rep.email, tier=Tier(rep.tier)),
            temperature=lead.temperature,
            score=lead.score,
            reason=decision.reason,
            sla_deadline=deadline,
            attempt=attempt,
        )
    elif decision.kind == "nurture":
        event = LeadNurtured(
            assignment_id=assignment_id,
            lead_id=lead.lead_id,
            queue=decision.queue,
            temperature=lead.temperature,
            score=lead.score,
            reason=decision.reason,
        )
    else:
        return decision
    await enqueue(connection, outbox, topics.routed, new_event(event, source=SOURCE, subject=lead.lead_id))
    return decision
