"""What a rep or the lead's story does to an assignment after the decision: accept, reject,
complete, close on an outcome, fold into another lead on a merge, move on from a rep who left.
Each ending of an open assignment frees the rep's slot for the waiting queue."""

import dataclasses
import logging
import uuid
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.routing_reasons import released
from leadflow_common.unit_of_work import UnitOfWork
from leadflow_routing.app import account_routing
from leadflow_routing.app.assigner import drain_waiting, pass_on, transition
from leadflow_routing.app.context import RoutingContext
from leadflow_routing.domain.policy import Assignment, AssignmentStatus, check_transition
from leadflow_routing.domain.status import check_expected
from leadflow_routing.store import cards, ended, repository, reps
from leadflow_routing.store.waiting import StrandedOffer

log = logging.getLogger(__name__)
# The reason an erased person's assignment ends with, as the rep and the sales tools read it.
ERASED = "erased: the person asked to be forgotten and not contacted"


async def accept(uow: UnitOfWork, assignment: Assignment, context: RoutingContext) -> None:
    reason = "accepted by the rep"
    await transition(uow, assignment, AssignmentStatus.accepted, reason, context)
    await account_routing.claim_on_accept(uow, assignment, context)  # an account's first: its owner


async def reject(
    uow: UnitOfWork,
    assignment: Assignment,
    reason: str,
    expected: AssignmentStatus | None,
    context: RoutingContext,
) -> None:
    """`expected`: the status the rep saw (a page's offer, a mail's link); another one now is a
    409 and nothing changes (seen: a Reject from a tab still showing the offer handed back the
    lead its rep had just accepted in another)."""
    check_expected(assignment.status, expected)
    check_transition(assignment.status, AssignmentStatus.rejected)
    await pass_on(uow, assignment, AssignmentStatus.rejected, f"rejected: {reason}", context)


async def finish(
    uow: UnitOfWork,
    assignment: Assignment,
    status: AssignmentStatus,
    reason: str,
    context: RoutingContext,
) -> None:
    """End the assignment; an open one's slot goes to the waiting queue."""
    await transition(uow, assignment, status, reason, context)
    if assignment.status.is_open:
        await drain_waiting(uow, dataclasses.replace(context, actor="system"))


async def close_lead(uow: UnitOfWork, lead_id: uuid.UUID, reason: str, context: RoutingContext) -> None:
    """The lead's story ended (won, lost, erased): whatever holds it now lets go, and a first
    decision still waiting for the card is not made."""
    await cards.stop_awaiting(uow.connection, [lead_id])
    current = await repository.current_assignment(uow.connection, lead_id)
    if current is not None:
        await finish(uow, current, AssignmentStatus.closed, reason, context)


async def erase_leads(connection: AsyncConnection, lead_ids: list[uuid.UUID]) -> None:
    """What says who an erased person is: her cards (the leads locked first, as on every path)."""
    await repository.lock_leads(connection, lead_ids)
    await cards.erase_cards(connection, lead_ids)


async def end_erased(uow: UnitOfWork, lead_ids: list[uuid.UUID], context: RoutingContext) -> None:
    """The person asked to be erased and is on the do-not-contact list: her leads are routed no
    more, and whoever holds one lets go (the rep's inbox and the sales tools are told). The
    leads are locked by the caller."""
    await ended.mark_ended(uow.connection, lead_ids, "erased", context.now)
    for lead_id in lead_ids:
        await close_lead(uow, lead_id, ERASED, context)


async def fold_merge(
    uow: UnitOfWork, absorbed: uuid.UUID, surviving: uuid.UUID, context: RoutingContext
) -> None:
    """The absorbed lead's assignments become the survivor's. If both are held somewhere, the
    survivor's place is kept (a rep over a queue) and the other one closed."""
    await repository.mark_lead_absorbed(uow.connection, absorbed, surviving)
    await cards.stop_awaiting(uow.connection, [absorbed])  # the survivor is the one routed
    theirs = await repository.current_assignment(uow.connection, absorbed)
    ours = await repository.current_assignment(uow.connection, surviving)
    if theirs is not None and ours is not None:
        keep_theirs = theirs.status.is_open and not ours.status.is_open
        drop = ours if keep_theirs else theirs
        reason = f"merged: lead {absorbed} folded into {surviving}"
        await finish(uow, drop, AssignmentStatus.closed, reason, context)
    elif theirs is not None and await ended.has_ended(uow.connection, surviving):
        # Folded into a lead whose story ended (an older lead, won or lost): nothing of it is
        # worked any more, so what held the absorbed one lets go (it stalled the sweeper).
        reason = f"merged: lead {absorbed} folded into {surviving}, which has ended"
        await finish(uow, theirs, AssignmentStatus.closed, reason, context)
    await uow.flush_deferred()  # the trail moves with them
    await repository.move_assignments(uow.connection, absorbed, surviving)


async def release_offer(uow: UnitOfWork, offer: Assignment, reason: str, context: RoutingContext) -> bool:
    """An offer its rep can no longer accept (deactivated) moves on now, not at its SLA's end;
    False when it is not an offer any more (accepted, or moved on meanwhile)."""
    await repository.lock_leads(uow.connection, [offer.lead_id])
    current = await repository.get_assignment(uow.connection, offer.id, for_update=True)
    if current is None or current.status is not AssignmentStatus.offered:
        return False
    await pass_on(uow, current, AssignmentStatus.promoted, reason, context)
    return True


async def release_stranded(
    unit_of_work: Callable[[], UnitOfWork], stranded: list[StrandedOffer], context: RoutingContext
) -> int:
    """The sweep's share of a deactivation: offers to an inactive rep that her deactivation's
    own release could not see (made by a unit that read her active a moment before) move on
    now, each in a unit of work of its own, as that release does; not at their SLA's end. How
    many moved."""
    moved = 0
    for offer in stranded:
        try:
            async with unit_of_work() as uow:
                if not await repository.try_lock_lead(uow.connection, offer.lead_id):
                    continue  # another replica's sweep, or a consumer, has it: the next look
                rep = await reps.get_rep(uow.connection, offer.rep_id)
                current = await repository.get_assignment(uow.connection, offer.id)
                if rep is None or rep.active or current is None:
                    continue  # made active again meanwhile: hers
                moved += await release_offer(uow, current, released(offer.rep_name), context)
        except Exception:  # one offer's failure must not stop the sweep's other work
            log.warning("an inactive rep's offer was not released", exc_info=True)
    return moved
