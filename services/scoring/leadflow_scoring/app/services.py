"""Scoring's use cases: apply a consumer's batch of events, re-score a lead, store a rules version,
each in one unit of work (a score and its `lead.scored` event commit together, the relay woken
after); the HTTP routes, the consumer and the background jobs call these."""

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from leadflow_common import lead_access
from leadflow_common.access import Principal
from leadflow_common.account_events import LeadMatched
from leadflow_common.erasure import apply_erasures
from leadflow_common.errors import Invalid, PreconditionFailed
from leadflow_common.events import (
    CloudEvent,
    EventData,
    LeadActivity,
    LeadCaptured,
    LeadMerged,
    LeadOutcome,
    LeadScored,
)
from leadflow_common.runtime import ServiceRuntime
from leadflow_common.unit_of_work import UnitOfWork
from leadflow_scoring import metrics
from leadflow_scoring.app.account_scorer import rescore_accounts
from leadflow_scoring.app.scorer import audit_problems, rescore_many
from leadflow_scoring.app.training import snapshot_lead
from leadflow_scoring.domain import bands, preview
from leadflow_scoring.domain.account_score import compare_accounts
from leadflow_scoring.domain.rule_versions import stale_rules
from leadflow_scoring.domain.rules import RuleSet
from leadflow_scoring.store import account_facts, account_outcomes, erasing, repository, score_store, versions
from leadflow_scoring.store import accounts as account_store
from leadflow_scoring.store.state import ScoringState as ScoringState  # the API names it
from leadflow_scoring.store.tables import lead_reps

CONSUMER = "scoring"
RECENT_ACCOUNTS = 500  # the most recently scored accounts the preview covers


class ScoringService:
    def __init__(self, runtime: ServiceRuntime, state: ScoringState, on_outcome: Callable[[], None]):
        self._runtime = runtime
        self.state = state
        self._on_outcome = on_outcome

    async def apply_events(self, events: list[CloudEvent]) -> None:
        """A consumer's batch in one unit of work: its leads locked first, all at once, then
        each event applied once, in order. A lead is re-scored once for the batch, after its
        last event (a flood of one lead's activities costs one score per batch, not one per
        activity), and before an outcome is kept with the lead as it stood; the batch's leads
        are scored together, a statement per kind of row for all of them. Erasures first."""
        await apply_erasures(self._runtime, events, erasing.erase_leads)
        if any(lead_access.rep_now(event.data)[0] for event in events):
            await self.record_routing(events)
        if matches := [e for e in events if isinstance(e.data, LeadMatched) and e.data.applied]:
            await self.apply_matches(matches)
        if not (relevant := _relevant(events)):
            return
        published: list[tuple[CloudEvent, LeadScored]] = []
        async with self._runtime.unit_of_work(consumer=CONSUMER) as uow:
            await repository.lock_leads(uow.connection, [lead_id for _, lead_id, _ in relevant])
            changed: dict[uuid.UUID, tuple[CloudEvent, str]] = {}
            captured: list[uuid.UUID] = []
            left: set[uuid.UUID] = set()  # accounts some of the batch's leads left

            async def score_changed(lead_ids: list[uuid.UUID]) -> None:
                pending = {lead_id: changed.pop(lead_id) for lead_id in lead_ids if lead_id in changed}
                causes = {lead_id: cause for lead_id, (_, cause) in pending.items()}
                scored = await self._rescore(uow, causes, left_accounts=frozenset(left))
                published.extend((pending[lead_id][0], event) for lead_id, event in scored.items())

            snapshots: list = []  # new leads' profiles, saved together before anything reads them
            links: list[tuple[uuid.UUID, uuid.UUID]] = []  # and their accounts, linked together

            async def save_captured() -> None:
                await repository.save_profiles_if_newer(uow.connection, snapshots)
                left.update((await account_store.link_many(uow.connection, links)).left)
                snapshots.clear()
                links.clear()

            for event, lead_id, cause in await uow.first_seen(relevant, key=lambda item: item[0].id):
                if isinstance(event.data, LeadCaptured):
                    snapshots.append(event.data.lead)
                    changed[lead_id] = (event, cause)
                    captured.append(lead_id)
                    if event.data.account_id is not None:  # the account its score counts in
                        links.append((lead_id, event.data.account_id))
                    continue
                await save_captured()
                if isinstance(event.data, LeadOutcome):
                    await score_changed([lead_id])  # kept with the lead's score as it now stands
                    await self._record_outcome(uow, event.data)
                    continue
                if (left_account := await _apply(uow, event.data, lead_id)) is not None:
                    left.add(left_account)
                changed[lead_id] = (event, cause)
            await save_captured()
            await score_changed(list(changed))
            await self._complete_early_outcomes(uow, captured)
        for event, scored in published:
            metrics.SCORES_PUBLISHED.labels(temperature=scored.temperature.value).inc()
            metrics.SCORING_LATENCY.observe((datetime.now(UTC) - event.time).total_seconds())
        if any(isinstance(event.data, LeadOutcome) for event, _, _ in relevant):
            self._on_outcome()

    async def apply_matches(self, events: list[CloudEvent]) -> None:
        """Leads joining or leaving accounts (`lead.matched`): the accounts they left and joined
        are re-scored. The lead's own score does not depend on its account, so it is not
        re-scored (an erased person taken out of her account is not scored again)."""
        async with self._runtime.unit_of_work(consumer=CONSUMER) as uow:
            links = [(event.data.lead_id, event.data.account_id) for event in await uow.first_seen(events)]
            # Only the accounts whose people changed: a new lead's match repeats the link its
            # lead.captured made, and then her account's score is what it was.
            relinked = await account_store.link_many(uow.connection, links)
            touched = relinked.left | relinked.joined
            topic, rules = self._runtime.topics.accounts, self.state.rules.account
            now = datetime.now(UTC)
            await rescore_accounts(uow, touched, rules=rules, topic=topic, now=now)

    async def rescore_lead(
        self, lead_id: uuid.UUID, cause: str, *, publish_on: Literal["change", "band"] = "change"
    ) -> bool:
        """Re-score one lead under its lock (rules or model changed, or time passed); True when
        a new score was published."""
        async with self._runtime.unit_of_work() as uow:
            await repository.lock_leads(uow.connection, [lead_id])
            return bool(await self._rescore(uow, {lead_id: cause}, publish_on=publish_on))

    async def record_routing(self, events: list[CloudEvent]) -> None:
        """Who each lead is offered to now, so a rep reads only their leads' scores."""
        async with self._runtime.unit_of_work() as uow:
            await lead_access.record_routing(uow.connection, lead_reps, events)

    async def report_rules_problems(self) -> None:
        """Problems found while loading versions (not while scoring) into the audit trail."""
        if self.state.unreported:
            async with self._runtime.unit_of_work() as uow:
                await audit_problems(uow, self.state)

    async def rep_of_lead(self, lead_id: uuid.UUID) -> uuid.UUID | None:
        async with self._runtime.engine.connect() as connection:
            return await lead_access.rep_of_lead(connection, lead_reps, lead_id)

    async def store_rules(
        self, principal: Principal, rules: RuleSet, based_on: frozenset[int] | None = None
    ) -> int:
        """A new rules version (its number), in use everywhere within a refresh; tried on recent
        leads first. `based_on` (an If-Match): refused unless the newest stored is among them."""
        await self._try_on_recent_leads(rules, preview.TRIAL_LEADS)
        async with self._runtime.unit_of_work() as uow:
            newest = await versions.newest_rules(uow.connection)  # locked until the insert commits
            if based_on is not None and newest not in based_on:
                raise PreconditionFailed(stale_rules(newest, based_on), headers={"ETag": f'"{newest}"'})
            document = rules.model_dump(mode="json")
            version = await versions.add_rules(uow.connection, document, datetime.now(UTC))
            if rules.account.seniority_levels != self.state.rules.account.seniority_levels:
                await account_facts.mark_stale(uow.connection)  # each person's level read again
            await uow.audit(principal, "rules.updated", ("rules", version))
        async with self._runtime.engine.connect() as connection:
            await self.state.refresh(connection)
        return version

    async def preview_rules(self, candidate: RuleSet) -> dict:
        """What the candidate rules would change against the rules in use (nothing is stored)."""
        async with self._runtime.engine.connect() as connection:
            recent = await repository.recent_leads(connection, preview.RECENT_LEADS)
            rows = await repository.outcomes_for_training(connection)
            accounts = await account_store.recent_accounts(connection, RECENT_ACCOUNTS)
            people = await account_store.people_of(connection, accounts)
        await self._try_on_recent_leads(candidate, preview.RECENT_LEADS, recent)
        known, now, rules = _known_outcomes(rows), datetime.now(UTC), self.state.rules
        # Thousands of leads scored twice: off the event loop.
        compared = await asyncio.to_thread(preview.compare, rules, candidate, recent, known, now)
        compared["accounts"] = compare_accounts(rules.account, candidate.account, people, now)
        return compared

    async def propose_bands(self) -> dict:
        """Warm and hot thresholds per profile, and the accounts', from the outcomes so far
        (nothing is stored)."""
        async with self._runtime.engine.connect() as connection:
            rows = await repository.outcomes_for_training(connection)
            won = await account_outcomes.accounts_won(connection)
            people = await account_store.people_of(connection, sorted(won))
        rules, now = self.state.rules, datetime.now(UTC)
        proposals = await asyncio.to_thread(bands.propose_bands, rules, _known_outcomes(rows))
        accounts = await asyncio.to_thread(bands.propose_account_bands, rules.account, people, won, now)
        return {**proposals, "accounts": accounts}

    async def _try_on_recent_leads(self, rules: RuleSet, count: int, recent: list | None = None) -> None:
        if recent is None:
            async with self._runtime.engine.connect() as connection:
                recent = await repository.recent_leads(connection, count)
        failure = await asyncio.to_thread(preview.first_failure, rules, recent, datetime.now(UTC))
        if failure is not None:
            raise Invalid(f"These rules fail on a recent lead ({failure}); nothing was saved")

    async def _rescore(
        self, uow: UnitOfWork, causes: dict[uuid.UUID, str], **options
    ) -> dict[uuid.UUID, LeadScored]:
        topics = self._runtime.topics
        return await rescore_many(
            uow, causes, state=self.state, topic=topics.scored, accounts_topic=topics.accounts, **options
        )

    async def _record_outcome(self, uow: UnitOfWork, outcome: LeadOutcome) -> None:
        """Keep the outcome with the lead as it stood, so a model learns from what was known
        before the result, and with the band it had, for the observed conversion per band."""
        known = await _lead_as_it_stands(uow, outcome.lead_id)
        await repository.add_outcome(
            uow.connection,
            outcome_id=outcome.outcome_id,
            lead_id=outcome.lead_id,
            outcome=outcome.outcome,
            amount=outcome.amount,
            occurred_at=outcome.occurred_at,
            received_at=datetime.now(UTC),
            **known,
        )

    async def _complete_early_outcomes(self, uow: UnitOfWork, lead_ids: list[uuid.UUID]) -> None:
        """An outcome can overtake its lead (they travel on different topics): it is kept
        without a snapshot and completed with the lead as first known here (scored)."""
        if not lead_ids:
            return
        # The usual case, none, is answered by one indexed lookup for the batch.
        for lead_id in await repository.leads_with_outcomes_without_snapshot(uow.connection, lead_ids):
            await repository.complete_outcomes(
                uow.connection, lead_id, **await _lead_as_it_stands(uow, lead_id)
            )


def _known_outcomes(rows: list[repository.TrainingOutcome]) -> list[preview.KnownOutcome]:
    return [
        preview.KnownOutcome(*snapshot_lead(row.snapshot), at=row.occurred_at, won=row.outcome == "won")
        for row in rows
    ]


async def _apply(uow: UnitOfWork, data: EventData, lead_id: uuid.UUID) -> uuid.UUID | None:
    """What the event changes of the lead's profile, activities and account; the account the
    lead left, if it left one."""
    if isinstance(data, LeadCaptured | LeadMerged):
        await repository.save_profile_if_newer(uow.connection, data.lead)
    if isinstance(data, LeadCaptured) and data.account_id is not None:
        return await account_store.link(uow.connection, lead_id, data.account_id)
    if isinstance(data, LeadMerged):
        await repository.mark_absorbed(uow.connection, data.absorbed_lead_id, data.surviving_lead_id)
        await account_facts.mark_stale(uow.connection, [data.absorbed_lead_id])  # counts no more
    if isinstance(data, LeadActivity):
        await repository.add_activity(
            uow.connection,
            activity_id=data.activity_id,
            lead_id=lead_id,
            type=data.type,
            occurred_at=data.occurred_at,
        )
    return None


async def _lead_as_it_stands(uow: UnitOfWork, lead_id: uuid.UUID) -> dict:
    profile = await score_store.load_profile(uow.connection, lead_id)
    if profile is None:
        return {"snapshot": None, "score": None, "temperature": None}
    activities = await score_store.load_activities(uow.connection, lead_id)
    current = await score_store.current_score(uow.connection, lead_id)
    return {
        "snapshot": {
            "profile": profile.model_dump(mode="json"),
            "activities": [{"type": a.type, "occurred_at": a.occurred_at.isoformat()} for a in activities],
        },
        "score": current.score if current else None,
        "temperature": current.temperature.value if current else None,
    }


def _relevant(events: list[CloudEvent]) -> list[tuple[CloudEvent, uuid.UUID, str]]:
    """The events scoring reads, each with the lead it changes and why."""
    relevant = [(event, *subject_and_cause(event.data)) for event in events]
    return [(event, lead_id, cause) for event, lead_id, cause in relevant if lead_id is not None]


def subject_and_cause(data: EventData) -> tuple[uuid.UUID | None, str]:
    """The lead an event changes and why, or None for events scoring does not read."""
    if isinstance(data, LeadCaptured):
        return data.lead.lead_id, "lead.captured"
    if isinstance(data, LeadMerged):
        return data.surviving_lead_id, "lead.merged"
    if isinstance(data, LeadActivity):
        return data.lead_id, f"activity:{data.type}"
    if isinstance(data, LeadOutcome):
        return data.lead_id, f"outcome:{data.outcome}"
    return None, ""
