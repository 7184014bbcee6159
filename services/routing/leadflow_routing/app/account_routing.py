"""B2B accounts in routing: a new lead of an owned account is offered to its owner first
(account_policy.py decides), the owner is named on decisions that sent their account's lead
elsewhere (webhooks tells them), and an account gets its owner on its first accepted lead or
from an admin (`account.owner_changed` on leads.accounts)."""

import uuid
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.access import Principal
from leadflow_common.account_events import AccountOwnerChanged
from leadflow_common.errors import NotFound
from leadflow_common.events import AssignmentEvent, RepRef, Tier
from leadflow_common.unit_of_work import UnitOfWork
from leadflow_routing.app.changes import Actor
from leadflow_routing.domain.account_policy import offer_to_owner, owner_to_tell
from leadflow_routing.domain.policy import Assignment, Decision, LeadToRoute, Relaxation, Rep, decide
from leadflow_routing.store import account_owners as account_owner_store
from leadflow_routing.store import repository
from leadflow_routing.store import reps as rep_store
from leadflow_routing.store.capacity import CapacityView

if TYPE_CHECKING:
    from leadflow_routing.app.assigner import RoutingContext


async def owner_first(
    connection: AsyncConnection,
    lead: LeadToRoute,
    context: "RoutingContext",
    *,
    exclude: frozenset[uuid.UUID],
    capacity: CapacityView | None,
) -> tuple[Decision, Rep] | None:
    """The owner's offer and the owner, or None for the usual policy. A lead without an
    account costs no statement; one with an owner reads the reps under the capacity lock, as
    every decision that fills a slot does."""
    if lead.account_id is None:
        return None
    owner_id = await _owner_of(connection, lead.account_id, capacity)
    if owner_id is None or owner_id in exclude:
        return None
    if capacity is not None:
        reps = await capacity.reps(connection, list(Tier))
    else:
        reps = await repository.lock_capacity_and_load_reps(connection, list(Tier))
    owner = next((rep for rep in reps if rep.id == owner_id), None)  # only active reps are read
    decision = offer_to_owner(
        lead, owner, now=context.now, exclude=exclude, cold_to_owner=context.cold_account_leads_to_owner
    )
    return (decision, owner) if decision is not None and owner is not None else None


async def decide_with_owner(
    connection: AsyncConnection,
    lead: LeadToRoute,
    context: "RoutingContext",
    tiers: list[Tier],
    capacity: CapacityView | None,
    *,
    exclude: frozenset[uuid.UUID],
    senior_pool: bool,
    relaxed: Relaxation,
) -> tuple[Decision, list[Rep]]:
    """Where the lead goes and the reps it was chosen among: its account's owner first, else
    the usual policy among the reps of `tiers` (read under the capacity lock)."""
    owned = await owner_first(connection, lead, context, exclude=exclude, capacity=capacity)
    if owned is not None:
        return owned[0], [owned[1]]
    if capacity is not None:
        candidates = await capacity.reps(connection, tiers)
    else:
        candidates = await repository.lock_capacity_and_load_reps(connection, tiers)
    decision = decide(
        lead, candidates, now=context.now, exclude=exclude, senior_pool=senior_pool, relaxed=relaxed
    )
    return decision, candidates


async def _owner_of(
    connection: AsyncConnection, account_id: uuid.UUID, capacity: CapacityView | None
) -> uuid.UUID | None:
    if capacity is not None:  # a batch's decisions: read once for them all
        return await capacity.owner_of(connection, account_id)
    return await account_owner_store.owner_of(connection, account_id)


async def name_account(
    connection: AsyncConnection,
    event: AssignmentEvent,
    lead: LeadToRoute,
    decision: Decision,
    capacity: CapacityView | None = None,
) -> None:
    """The lead's account on its decision, and the account's owner when it went elsewhere."""
    if lead.account_id is None:
        return
    event.account_id = lead.account_id
    told = owner_to_tell(await _owner_of(connection, lead.account_id, capacity), decision)
    if told is not None:
        event.account_owner = await rep_ref(connection, told)


async def claim_on_accept(uow: UnitOfWork, assignment: Assignment, context: "RoutingContext") -> None:
    """The rep who accepts the first lead of an account nobody owns becomes its owner."""
    lead = await repository.lead_to_route(uow.connection, assignment.lead_id)
    if lead is None or lead.account_id is None or assignment.rep_id is None:
        return
    if await account_owner_store.claim_if_unowned(
        uow.connection, lead.account_id, assignment.rep_id, context.now
    ):
        await _announce(uow, lead.account_id, assignment.rep_id, None, "system", context)


async def set_owner(
    uow: UnitOfWork,
    principal: Principal,
    account_id: uuid.UUID,
    rep_id: uuid.UUID | None,
    context: "RoutingContext",
) -> RepRef | None:
    """An admin names an account's owner (None: nobody; the next accepted lead's rep becomes
    it). 404 for an unknown or deactivated rep. Announced and audited only when it changed."""
    owner = await rep_ref(uow.connection, rep_id) if rep_id is not None else None
    if rep_id is not None and owner is None:
        raise NotFound(f"No active rep {rep_id}")
    previous = await account_owner_store.owner_for_update(uow.connection, account_id)
    await account_owner_store.set_owner(uow.connection, account_id, rep_id, context.now)
    if previous != rep_id:
        await _announce(uow, account_id, rep_id, previous, "admin", context)
        owner_id = str(rep_id) if rep_id is not None else None  # removed: no rep, not the text "None"
        await uow.audit(principal, "account.owner_changed", ("account", account_id), rep_id=owner_id)
    return owner


async def _announce(
    uow: UnitOfWork,
    account_id: uuid.UUID,
    rep_id: uuid.UUID | None,
    previous: uuid.UUID | None,
    by: Actor,
    context: "RoutingContext",
) -> None:
    owner = await rep_ref(uow.connection, rep_id) if rep_id is not None else None
    # The previous owner, while an active rep, is told they lost it (webhooks): their address.
    before = await rep_ref(uow.connection, previous) if previous is not None else None
    event = AccountOwnerChanged(
        account_id=account_id,
        owner=owner,
        previous_owner_id=previous,
        previous_owner=before,
        by=by,
        at=context.now,
    )
    await uow.publish(context.topics.accounts, event, subject=account_id)


async def rep_ref(connection: AsyncConnection, rep_id: uuid.UUID) -> RepRef | None:
    row = await rep_store.get_rep(connection, rep_id)
    if row is None or not row.active:
        return None
    return RepRef(id=row.id, name=row.name, email=row.email, tier=row.tier)


async def owner_of(connection: AsyncConnection, account_id: uuid.UUID) -> RepRef | None:
    """The account's owner rep (None: nobody yet)."""
    rep_id = await account_owner_store.owner_of(connection, account_id)
    return await rep_ref(connection, rep_id) if rep_id else None
