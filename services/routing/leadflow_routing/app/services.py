"""Routing's use cases: what HTTP routes, Kafka handlers and the sweeper ask for, each in one
unit of work (so the state change and its `leads.routed` events commit together, and the relay
is woken after). Routers and consumers only translate to and from these calls."""

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.access import Principal, PrincipalKind, Scope, ensure_own
from leadflow_common.erasure import apply_erasures
from leadflow_common.errors import Conflict, NotFound
from leadflow_common.events import CloudEvent, LeadMerged, LeadOutcome, LeadScored, Temperature
from leadflow_common.runtime import ServiceRuntime
from leadflow_common.unit_of_work import UnitOfWork
from leadflow_routing import metrics
from leadflow_routing.app import assigner, escalations, lifecycle, queue
from leadflow_routing.app.changes import Actor
from leadflow_routing.app.context import RoutingContext, routing_context
from leadflow_routing.app.scored import lead_to_route, leads_of, to_save
from leadflow_routing.domain.policy import Assignment, AssignmentStatus
from leadflow_routing.settings import RoutingSettings
from leadflow_routing.store import cards, ended, repository, scores
from leadflow_routing.store import waiting as waiting_store
from leadflow_routing.store.capacity import CapacityView

OVERDUE_BATCH = 100  # overdue offers moved on per look

CONSUMER = "routing"
AssignmentAction = Callable[..., Awaitable[Any]]


class RoutingService:
    def __init__(self, runtime: ServiceRuntime, settings: RoutingSettings):
        self._runtime = runtime
        self.settings = settings
        self._escalation = escalations.escalation_of(
            settings.hot_wait_limit_seconds, runtime.settings.leadflow_console_url
        )

    def context(self) -> RoutingContext:
        return routing_context(self._runtime, self.settings)

    async def apply_events(self, events: list[CloudEvent]) -> None:
        """A consumer's batch in one unit of work: its leads locked first, all at once and in
        order (the lock order routing keeps everywhere: leads, then capacity), then each event
        applied once."""
        relevant = [e for e in events if isinstance(e.data, LeadScored | LeadOutcome | LeadMerged)]
        if not relevant:
            return
        context, capacity = self.context(), CapacityView()
        async with self._runtime.unit_of_work(consumer=CONSUMER) as uow:
            leads = [lead for e in relevant for lead in leads_of(e.data)]
            await repository.lock_leads(uow.connection, leads)
            await uow.load_keys(leads)  # for the contact cards of the decisions, in one read
            await cards.record_scored_cards(uow.connection, relevant)
            fresh = await uow.first_seen(relevant)
            # Outcomes first: a score behind its lead's outcome in this batch must not route it.
            for outcome in (e.data for e in fresh if isinstance(e.data, LeadOutcome)):
                await ended.mark_ended(uow.connection, [outcome.lead_id], outcome.outcome, context.now)
            saved = await scores.save_newest_leads(
                uow.connection,
                [to_save(e.data) for e in fresh if isinstance(e.data, LeadScored)],
                context.now,
            )
            scored = sorted({lead_id for lead_id, _ in saved})
            known = await repository.current_assignments(uow.connection, scored)
            cardless = await self._first_decisions_without_card(uow.connection, known)
            batch_cards = await cards.contact_cards(uow.connection, scored, context.lead_url_base)
            context = dataclasses.replace(context, cards=batch_cards)
            for event in fresh:
                await self._apply(uow, event.data, context, capacity, known, cardless, saved)
            await capacity.flush(uow.connection)

    async def _first_decisions_without_card(
        self, connection: AsyncConnection, known: dict[uuid.UUID, Assignment | None]
    ) -> set[uuid.UUID]:
        """The batch's leads that routing has not decided on yet and does not know the card of:
        their first decision waits for it (cards.py)."""
        if self.settings.card_wait_seconds == 0:
            return set()
        return await cards.without_card(
            connection, [lead for lead, current in known.items() if current is None]
        )

    async def _apply(
        self,
        uow: UnitOfWork,
        data: LeadScored | LeadOutcome | LeadMerged,
        context: RoutingContext,
        capacity: CapacityView,
        known: dict,
        cardless: set,
        saved: set[tuple[uuid.UUID, int]],
    ) -> None:
        if isinstance(data, LeadScored):
            if (data.lead_id, data.revision) not in saved:
                return  # older than what routing had, or than a later score of the batch
            lead = lead_to_route(data)  # its reasons were saved with the batch's
            if lead.lead_id in cardless:
                await cards.await_card(uow.connection, lead.lead_id, context.now)
            else:
                await assigner.on_new_score(uow, lead, context, capacity=capacity, known=known)
        else:
            # Closing or merging moves assignments and slots, and may route the lead on: the
            # batch's clocks are written first, and what it read of reps and assignments dropped.
            await capacity.forget(uow.connection)
            await uow.flush_deferred()
            known.clear()
            if isinstance(data, LeadOutcome):  # marked ended with the batch's outcomes, above
                await lifecycle.close_lead(uow, data.lead_id, f"outcome: {data.outcome}", context)
            else:
                await lifecycle.fold_merge(uow, data.absorbed_lead_id, data.surviving_lead_id, context)

    async def assignments(self, ids: list[uuid.UUID]) -> list[Assignment]:
        async with self._runtime.engine.connect() as connection:
            return await repository.get_assignments(connection, ids)

    async def record_cards(self, events: list[CloudEvent]) -> None:
        """Contact cards from leads.captured (its own consumer group: routing decisions never
        wait behind the busiest topic), and erasures (`lead.erased`): what routing holds that
        says who a person is are the cards."""
        end = lambda uow, lead_ids: lifecycle.end_erased(uow, lead_ids, self.context())  # noqa: E731
        await apply_erasures(self._runtime, events, lifecycle.erase_leads, then=end)
        profiles = cards.newest_profiles(events)
        if not profiles:
            return
        async with self._runtime.unit_of_work() as uow:
            # The leads' locks first: a batch of scores deciding that one of them waits for
            # its card either sees the card or has its wait seen here.
            await repository.lock_leads(uow.connection, sorted(profiles))
            await cards.record_cards(uow.connection, profiles)
            if carded := await cards.stop_awaiting(uow.connection, sorted(profiles)):
                await self._route_awaited(uow, carded, self.context())

    async def _route_awaited(
        self, uow: UnitOfWork, lead_ids: list[uuid.UUID], context: RoutingContext
    ) -> None:
        """The first decisions of leads that waited for their card (locked by the caller)."""
        if not lead_ids:
            return
        await uow.load_keys(lead_ids)
        capacity = CapacityView()
        known = await repository.current_assignments(uow.connection, lead_ids)  # one read for all
        for lead_id in lead_ids:
            lead = await repository.lead_to_route(uow.connection, lead_id)
            if lead is not None:
                await assigner.on_new_score(uow, lead, context, capacity=capacity, known=known)
        await capacity.flush(uow.connection)

    async def act(
        self,
        principal: Principal,
        assignment_id: uuid.UUID,
        action: AssignmentAction,
        *arguments: Any,
        link_id: str | None = None,
    ) -> Assignment:
        """A rep's action on an assignment, under the lead's lock (the order every routing path
        takes); 404 for an unknown assignment (403 to a rep, as for another rep's), 409 for one
        whose status does not allow it. Audited with the change."""
        context = dataclasses.replace(self.context(), actor=actor_of(principal))
        async with self._runtime.unit_of_work() as uow:
            found = await repository.get_assignment(uow.connection, assignment_id)
            ensure_own(principal, Scope.assignments_work, found.rep_id if found else None)
            if found is None:
                raise NotFound(f"No assignment {assignment_id}")
            await repository.lock_leads(uow.connection, [found.lead_id])
            if link_id is not None and not await repository.use_link(uow.connection, link_id, context.now):
                raise Conflict("This link was used already")
            assignment = await repository.get_assignment(uow.connection, assignment_id, for_update=True)
            await action(uow, assignment, *arguments, context)
            done = await repository.get_assignment(uow.connection, assignment_id)
            await uow.audit(
                principal,
                f"assignment.{done.status}",
                ("assignment", assignment_id),
                lead_id=str(done.lead_id),
            )
            return done

    async def accept(
        self, principal: Principal, assignment_id: uuid.UUID, *, link_id: str | None = None
    ) -> Assignment:
        return await self.act(principal, assignment_id, lifecycle.accept, link_id=link_id)

    async def reject(
        self,
        principal: Principal,
        assignment_id: uuid.UUID,
        reason: str,
        *,
        expected: AssignmentStatus | None = None,
        link_id: str | None = None,
    ) -> Assignment:
        return await self.act(principal, assignment_id, lifecycle.reject, reason, expected, link_id=link_id)

    async def complete(self, principal: Principal, assignment_id: uuid.UUID) -> Assignment:
        return await self.act(
            principal, assignment_id, lifecycle.finish, AssignmentStatus.completed, "completed by the rep"
        )

    async def queue(self, limit: int) -> list[Assignment]:
        """Leads waiting for a rep, hottest first (then by score, then first come)."""
        async with self._runtime.engine.connect() as connection:
            return await waiting_store.waiting_queue(connection, limit)

    async def assign(
        self, principal: Principal, lead_id: uuid.UUID, rep_id: uuid.UUID, override: bool, reason: str | None
    ) -> Assignment:
        """An admin gives a waiting lead to a rep (`queue.assign_by_hand`)."""
        context = dataclasses.replace(self.context(), actor=actor_of(principal))
        request = queue.HandAssignment(lead_id, rep_id, override, reason)
        async with self._runtime.unit_of_work() as uow:
            assignment_id = await queue.assign_by_hand(uow, request, principal, context)
            return await repository.get_assignment(uow.connection, assignment_id)

    async def sweep(self) -> datetime | None:
        """Every overdue offer goes to the next rep and every lead that waited its longest for
        its card is routed without it, each in its own unit of work; then waiting leads get
        capacity that appeared without an event (working hours starting). Returns when to look
        again: now if a full batch of either was found (there may be more), else when the next
        open offer or card wait runs out or a hot lead's wait reaches its limit (escalations.py;
        None: none of these is open)."""
        context = self.context()
        card_wait = timedelta(seconds=self.settings.card_wait_seconds)
        async with self._runtime.engine.connect() as connection:
            overdue = await waiting_store.overdue_offers(connection, context.now, OVERDUE_BATCH)
            stranded = await waiting_store.offers_to_inactive_reps(connection, OVERDUE_BATCH)
            oldest = await waiting_store.oldest_waiting(connection)
            report_waits(oldest, context.now)
            next_deadline = await waiting_store.next_offer_deadline(connection, context.now)
            waits = await cards.longest_waits(connection, OVERDUE_BATCH + 1)
        waited_out = [lead_id for lead_id, since in waits if since + card_wait <= context.now]
        for lead_id in waited_out[:OVERDUE_BATCH]:
            async with self._runtime.unit_of_work() as uow:
                if await repository.try_lock_lead(uow.connection, lead_id):  # else: the next look
                    await self._route_awaited(
                        uow, await cards.stop_awaiting(uow.connection, [lead_id]), context
                    )
        for offer in overdue:
            async with self._runtime.unit_of_work() as uow:
                if not await repository.try_lock_lead(uow.connection, offer.lead_id):
                    continue  # being handled elsewhere; the next sweep sees it again if still overdue
                assignment = await repository.get_assignment(uow.connection, offer.id, for_update=True)
                if not _still_overdue(assignment, context):
                    continue
                reason = f"not accepted within {self.settings.sla_seconds:g}s"
                await assigner.pass_on(uow, assignment, AssignmentStatus.reassigned, reason, context)
                metrics.SLA_BREACHES.inc()
        released = await lifecycle.release_stranded(self._runtime.unit_of_work, stranded, context)
        async with self._runtime.unit_of_work() as uow:
            await assigner.drain_waiting(uow, context)
        said, next_long_wait = await self._say_long_waits(context, oldest.get(Temperature.hot.value))
        full = OVERDUE_BATCH in (len(overdue), released) or len(waited_out) > OVERDUE_BATCH  # more to do
        if full or said == escalations.BATCH:
            return context.now
        next_wait_end = waits[len(waited_out)][1] + card_wait if len(waits) > len(waited_out) else None
        return min((t for t in (next_deadline, next_wait_end, next_long_wait) if t is not None), default=None)

    async def _say_long_waits(
        self, context: RoutingContext, oldest_hot: datetime | None
    ) -> tuple[int, datetime | None]:
        """Hot leads waiting past their limit said (after freed capacity placed what it could),
        and when the next one will be due. No transaction while no hot lead waits that long."""
        if self._escalation is None or oldest_hot is None:
            return 0, None
        if oldest_hot + self._escalation.limit > context.now:
            return 0, oldest_hot + self._escalation.limit
        async with self._runtime.unit_of_work() as uow:
            said = await escalations.say_long_waits(uow, context, self._escalation)
            return said, await escalations.next_due(uow.connection, self._escalation.limit)


def report_waits(oldest: dict[str, datetime], now: datetime) -> None:
    """The longest wait per temperature, for the alert on hot leads nobody takes."""
    for temperature in Temperature:
        since = oldest.get(temperature.value)
        metrics.OLDEST_WAITING.labels(temperature=temperature.value).set(
            (now - since).total_seconds() if since else 0
        )


def actor_of(principal: Principal) -> Actor:
    """How `assignment.changed` names who acted: a rep (signed in or by a notice's link), or
    anyone else with the right (an admin, a key, the bootstrap key)."""
    return "rep" if principal.is_rep or principal.kind is PrincipalKind.link else "admin"


def _still_overdue(assignment: Assignment | None, context: RoutingContext) -> bool:
    return (
        assignment is not None
        and assignment.status == AssignmentStatus.offered
        and assignment.sla_deadline < context.now
    )
