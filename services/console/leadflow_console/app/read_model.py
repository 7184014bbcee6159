"""The console's read models as use cases: kept current from the topics (each applied batch
announced to the live pages of every replica), read by the pages."""

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from leadflow_common.db import snapshot
from leadflow_common.events import CloudEvent
from leadflow_common.runtime import ServiceRuntime
from leadflow_common.unit_of_work import UnitOfWork
from leadflow_console import metrics
from leadflow_console.app import account_reads, live
from leadflow_console.domain import projection
from leadflow_console.domain.account_projection import matched_leads
from leadflow_console.domain.lead_filters import LeadCriteria
from leadflow_console.store import erasing, inbox_queries, lead_list_queries, read_queries, read_writes
from leadflow_console.store.inbox_queries import LeftLead
from leadflow_console.store.lead_list_queries import LeadPage as LeadPage
from leadflow_console.store.lead_list_queries import Owner as Owner
from leadflow_console.store.read_queries import Decision, FunnelRow, SpeedRow
from leadflow_console.store.read_queries import LeadView as LeadView  # what the pages are given
from leadflow_console.store.read_queries import TimelineEntry as TimelineEntry  # what the pages are given

CONSUMER = "console-read-model"
# The inbox's "Lately": a rep sees how their recent leads ended and which left them, not their
# whole history.
CLOSED_SHOWN_DAYS = 14
LEFT_SHOWN_HOURS = 24
SHOWN_LATELY = 10
# The funnel's rows and its speed to lead, as the funnel page reads them (api/ does not import the store).
FunnelRows = list[FunnelRow]
SpeedRows = list[SpeedRow]


@dataclasses.dataclass(frozen=True)
class Inbox:
    offers: list[LeadView]
    timelines: dict[uuid.UUID, list[TimelineEntry]]
    closed: list[LeadView]
    left: list[LeftLead]


class ReadModel:
    def __init__(self, runtime: ServiceRuntime):
        self._runtime = runtime
        self.changed = live.Changed()  # the reps' inboxes
        self.accounts_changed = live.Changed()  # the account pages
        self.leads_changed = live.Changed()  # the lead pages

    async def apply_events(self, events: list[CloudEvent]) -> None:
        """The consumer: each event once, folded per lead, written in one unit of work."""
        async with self._runtime.unit_of_work(consumer=CONSUMER) as uow:
            fresh = await uow.first_seen(events)
            if fresh:
                changes = projection.fold(fresh)
                reps = await read_writes.apply(uow.connection, changes)
                accounts = await account_reads.apply(uow.connection, fresh)  # B2B accounts
                leads = changes.leads | matched_leads(fresh)  # a person joining an account too
                await live.announce(uow.connection, reps, accounts, leads)
        now = datetime.now(UTC)
        for event in fresh:
            metrics.READ_MODEL_DELAY.observe(max(0.0, (now - event.time).total_seconds()))

    async def erased(self, uow: UnitOfWork, lead_ids: list[uuid.UUID]) -> None:
        """An erasure just applied: the open inboxes, account pages and her page look again
        at once (they showed her name for up to their next look, seconds later)."""
        reps, accounts = await erasing.shown_to(uow.connection, lead_ids)
        await live.announce(uow.connection, reps, accounts, set(lead_ids))

    async def rep_changed(self, rep_id: uuid.UUID) -> None:
        """A rep's record changed in routing (made inactive or active, away): her open inbox,
        on every console replica, draws again now rather than at its next look."""
        async with self._runtime.engine.begin() as connection:
            await live.announce(connection, {rep_id})

    async def inbox(self, rep_id: uuid.UUID) -> Inbox:
        """The rep's offers, each with its latest timeline entries; her leads won or lost in the
        last CLOSED_SHOWN_DAYS days, and those that left her in the last LEFT_SHOWN_HOURS hours
        (at most SHOWN_LATELY of each). One snapshot: read one after the other, a win landing
        between showed its lead both as an offer and as won (seen on a slow machine)."""
        now = datetime.now(UTC)
        async with snapshot(self._runtime.engine) as connection:
            offers = await read_queries.inbox(connection, rep_id)
            timelines = await read_queries.recent_timelines(connection, [offer.lead_id for offer in offers])
            closed_since = now - timedelta(days=CLOSED_SHOWN_DAYS)
            closed = await inbox_queries.closed_recently(connection, rep_id, closed_since, SHOWN_LATELY)
            left_since = now - timedelta(hours=LEFT_SHOWN_HOURS)
            left = await inbox_queries.left_recently(connection, rep_id, left_since, SHOWN_LATELY)
        return Inbox(offers, timelines, closed, left)

    async def how_it_left(self, rep_id: uuid.UUID, lead_id: uuid.UUID) -> LeftLead | None:
        """How the lead last left the rep in the last LEFT_SHOWN_HOURS hours, if it did (her
        open page of it says so); None for a lead that was never hers."""
        since = datetime.now(UTC) - timedelta(hours=LEFT_SHOWN_HOURS)
        async with self._runtime.engine.connect() as connection:
            found = await inbox_queries.left_recently(connection, rep_id, since, 1, lead_id)
        return found[0] if found else None

    async def was_offered(self, rep_id: uuid.UUID, lead_id: uuid.UUID) -> bool:
        async with self._runtime.engine.connect() as connection:
            return await inbox_queries.was_offered(connection, rep_id, lead_id)

    async def lead(self, lead_id: uuid.UUID) -> tuple[LeadView | None, list[TimelineEntry]]:
        """The lead and its story, from one moment (its offer's buttons beside its story)."""
        async with snapshot(self._runtime.engine) as connection:
            view = await read_queries.lead(connection, lead_id)
            return view, (await read_queries.timeline(connection, lead_id) if view else [])

    async def leads(self, lead_ids: list[uuid.UUID]) -> dict[uuid.UUID, LeadView]:
        async with self._runtime.engine.connect() as connection:
            return await read_queries.leads(connection, lead_ids)

    async def name_moved_leads(self, preview: dict[str, Any] | None) -> None:
        """A rules preview's moves, each with its example leads by name (`named`: id and name) as
        the console knows them: the preview said how many leads a change moves, not which."""
        moves = (preview or {}).get("recent", {}).get("moves", [])
        ids = [uuid.UUID(lead) for move in moves for lead in move.get("examples", [])]
        views = await self.leads(ids) if ids else {}
        for move in moves:
            shown = [views.get(uuid.UUID(lead)) for lead in move.get("examples", [])]
            move["named"] = [(view.lead_id, view.display_name) for view in shown if view]

    async def name_entries(self, entries: list[dict[str, Any]]) -> None:
        """Each of routing's entries (its queue, a rep's waiting leads) given the console's view
        of its lead (`view`: who it is; None while the console has not read the lead yet)."""
        views = await self.leads([uuid.UUID(entry["lead_id"]) for entry in entries])
        for entry in entries:
            entry["view"] = views.get(uuid.UUID(entry["lead_id"]))

    async def lead_list(
        self, criteria: LeadCriteria, only_rep: uuid.UUID | None, with_owners: bool
    ) -> tuple[LeadPage, list[Owner]]:
        """A page of the leads list; with the owner filter's choices for a viewer who has one."""
        async with self._runtime.engine.connect() as connection:
            found = await lead_list_queries.lead_page(connection, criteria, only_rep=only_rep)
            return found, (await lead_list_queries.owners(connection) if with_owners else [])

    async def feed(self, **filters) -> list[Decision]:
        async with self._runtime.engine.connect() as connection:
            return await read_queries.feed(connection, **filters)

    async def funnel(
        self, since: datetime, until: datetime, by: str
    ) -> tuple[list[FunnelRow], list[SpeedRow]]:
        async with snapshot(self._runtime.engine) as connection:
            stages = await read_queries.funnel(connection, since, until, by)
            speed = await read_queries.speed_to_lead(connection, since, until)
        return stages, speed
