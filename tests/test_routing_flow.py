"""Routing against the real broker and database: SLA reassignment, capacity freeing, the
waiting queue, re-routing on a temperature rise, outcomes and merges."""

import contextlib
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from harness import AUTH, eventually, in_process, kafka_producer, read_events
from sqlalchemy import text

from leadflow_common.events import (
    LeadErased,
    LeadMerged,
    LeadOutcome,
    LeadProfile,
    LeadScored,
    ModelRef,
    RoutingHints,
    Temperature,
    new_event,
)
from leadflow_routing.app.services import RoutingService
from leadflow_routing.main import create_app
from leadflow_routing.settings import RoutingSettings
from leadflow_routing.store import repository

pytestmark = pytest.mark.integration
DECISIONS = frozenset({"lead.routed", "lead.reassigned", "lead.nurtured"})


def scored_event(
    lead_id: uuid.UUID, temperature: str, score: float, *, revision: int = 1, card_revision=None, **routing
):
    data = LeadScored(
        lead_id=lead_id,
        revision=revision,
        score=score,
        temperature=Temperature(temperature),
        reasons=[],
        model=ModelRef(kind="rules", version=1),
        scored_at=datetime.now(UTC),
        routing=RoutingHints(**routing),
        card_revision=card_revision,
    )
    return new_event(data, source="test", subject=lead_id)


class Scenario:
    """A routing app in-process, a producer for the events it consumes, and its HTTP API."""

    def __init__(self, settings, topics, client: httpx.AsyncClient, producer: AIOKafkaProducer):
        self.settings, self.topics, self.client, self.producer = settings, topics, client, producer
        self.revisions: dict[uuid.UUID, int] = {}

    async def rep(self, tier: str, capacity: int = 5, **fields) -> str:
        body = {
            "name": f"{tier} {uuid.uuid4().hex[:4]}",
            "email": f"{uuid.uuid4().hex[:8]}@sales.example",
            "tier": tier,
            "capacity": capacity,
            **fields,
        }
        response = await self.client.post("/v1/reps", json=body)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    async def score(
        self, lead_id: uuid.UUID, temperature: str, score: float, *, key: uuid.UUID | None = None, **routing
    ) -> None:
        """Publish a `lead.scored`; `key` puts it on another lead's partition, behind its events."""
        self.revisions[lead_id] = self.revisions.get(lead_id, 0) + 1
        event = scored_event(lead_id, temperature, score, revision=self.revisions[lead_id], **routing)
        await self.publish(self.topics.scored, event, key=key)

    async def one_held_two_waiting(self) -> tuple[str, dict, uuid.UUID, uuid.UUID]:
        """A mid rep with one slot, taken; two warm leads waiting for it, a colder and a hotter.
        Returns the rep, the assignment holding the slot, the colder and the hotter lead."""
        rep = await self.rep("mid", capacity=1)
        holder, colder, hotter = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        await self.score(holder, "warm", 50)
        held = await self.until_status(holder, "offered")
        await self.score(colder, "warm", 45)
        await self.score(hotter, "warm", 65)
        await self.until_status(colder, "waiting")
        await self.until_status(hotter, "waiting")
        return rep, held, colder, hotter

    async def give_by_hand(self, lead_id: uuid.UUID, rep_id: str, **body) -> dict:
        """The lead given to the rep by hand (`POST /v1/leads/{id}/assign`), as a manager does."""
        moved = await self.client.post(f"/v1/leads/{lead_id}/assign", json={"rep_id": rep_id, **body})
        assert moved.status_code == 200, moved.text
        return moved.json()

    async def publish(self, topic: str, event, key: uuid.UUID | None = None) -> None:
        partition_key = str(key) if key else event.subject
        await self.producer.send_and_wait(topic, event.model_dump_json().encode(), key=partition_key.encode())

    async def current(self, lead_id: uuid.UUID) -> dict | None:
        response = await self.client.get("/v1/assignments", params={"lead_id": str(lead_id)})
        rows = [
            row for row in response.json() if row["status"] in ("offered", "accepted", "nurtured", "waiting")
        ]
        assert len(rows) <= 1
        return rows[0] if rows else None

    async def until_status(self, lead_id: uuid.UUID, status: str, timeout: float = 15) -> dict:
        async def check():
            row = await self.current(lead_id)
            return row if row and row["status"] == status else None

        return await eventually(check, timeout=timeout)

    async def routed_events(self, until, *, types: frozenset[str] = DECISIONS) -> list[dict]:
        """The events of `types` on `leads.routed` (by default the decisions, not each change of
        an assignment), read until `until` holds for them."""

        def wanted(events: list[dict]) -> list[dict]:
            return [event for event in events if event["type"] in types]

        bootstrap = self.settings.kafka_bootstrap_servers
        read = await read_events(bootstrap, self.topics.routed, until=lambda events: until(wanted(events)))
        return wanted(read)


@contextlib.asynccontextmanager
async def scenario(settings, topics, **routing):
    # These scenarios publish scores alone, with no card to wait for (test_routing_cards.py
    # publishes both).
    defaults = {"sweep_seconds": 0.2, "card_wait_seconds": 0}
    app = create_app(settings, RoutingSettings(**{**defaults, **routing}))
    async with (
        in_process(app, headers=AUTH) as client,
        kafka_producer(settings.kafka_bootstrap_servers) as producer,
    ):
        scenario = Scenario(settings, topics, client, producer)
        scenario.runtime = app.state.runtime
        yield scenario


async def test_an_offer_not_accepted_in_time_moves_to_the_next_rep_then_the_senior_pool(settings, topics):
    async with scenario(settings, topics, sla_seconds=1, max_attempts=2) as s:
        mid_a, mid_b = await s.rep("mid"), await s.rep("mid")
        senior = await s.rep("senior")
        lead = uuid.uuid4()
        await s.score(lead, "warm", 55)
        first = await s.until_status(lead, "offered")
        assert first["rep_id"] in (mid_a, mid_b)
        events = await s.routed_events(until=lambda events: len(events) >= 3)
    assert [e["type"] for e in events] == ["lead.routed", "lead.reassigned", "lead.reassigned"]
    first_rep, second_rep, third_rep = (e["data"]["rep"]["id"] for e in events)
    assert {first_rep, second_rep} == {mid_a, mid_b}, "the next mid rep, not the same one"
    assert events[1]["data"]["previous_rep_id"] == first_rep
    # Who it moved on from is named on the event: nobody asks routing for their address later.
    assert events[1]["data"]["previous_rep"]["id"] == first_rep
    assert events[1]["data"]["previous_rep"]["email"].endswith("@sales.example")
    assert third_rep == senior and events[2]["data"]["reason"].startswith("senior pool")
    assert [e["data"]["attempt"] for e in events] == [1, 2, 3]
    assert all(e["data"]["sla_deadline"] for e in events)


@pytest.mark.timed  # the decision's time, to within a second
async def test_the_sweeper_moves_an_offer_on_at_its_deadline_not_at_its_next_round(settings, topics):
    # Rounds of 60 s: only waking at the deadline it read (and looking once per SLA, so that it
    # reads the deadline of an offer made after its last look) moves the lead in time.
    async with scenario(settings, topics, sla_seconds=2, sweep_seconds=60) as s:
        await s.rep("mid"), await s.rep("mid")
        lead = uuid.uuid4()
        await s.score(lead, "warm", 55)
        offered = await s.until_status(lead, "offered")
        events = await s.routed_events(until=lambda events: len(events) >= 2)
    assert [e["type"] for e in events] == ["lead.routed", "lead.reassigned"]
    deadline = datetime.fromisoformat(offered["sla_deadline"])
    moved = datetime.fromisoformat(events[1]["time"])
    assert deadline <= moved < deadline + timedelta(seconds=1.5)


async def test_accepting_stops_the_clock_and_keeps_the_lead(settings, topics):
    async with scenario(settings, topics, sla_seconds=1) as s:
        await s.rep("senior"), await s.rep("senior")
        lead = uuid.uuid4()
        await s.score(lead, "hot", 90)
        offered = await s.until_status(lead, "offered")
        accepted = await s.client.post(f"/v1/assignments/{offered['id']}/accept")
        assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
        again = await s.client.post(f"/v1/assignments/{offered['id']}/accept")
        assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
        await s.score(lead, "hot", 99)  # a new score does not move an assigned lead
        marker = uuid.uuid4()
        await s.score(marker, "hot", 90, key=lead)  # consumed after the re-score: same partition
        await s.until_status(marker, "offered")
        assert (await s.current(lead))["id"] == offered["id"]
        detail = (await s.client.get(f"/v1/assignments/{offered['id']}")).json()
        assert [step["status"] for step in detail["history"]] == ["offered", "accepted"]


async def test_a_reject_of_the_offer_once_accepted_is_refused_and_a_hand_back_is_not(settings, topics):
    async with scenario(settings, topics) as s:
        await s.rep("senior"), await s.rep("senior")
        lead = uuid.uuid4()
        await s.score(lead, "hot", 90)
        offered = await s.until_status(lead, "offered")
        assert (await s.client.post(f"/v1/assignments/{offered['id']}/accept")).status_code == 200
        # A tab (or a mail's link) that still showed the offer: refused, the lead stays hers.
        reject = f"/v1/assignments/{offered['id']}/reject"
        stale = await s.client.post(reject, json={"reason": "Not a fit", "expected_status": "offered"})
        assert stale.status_code == 409 and "accepted now, not offered" in stale.json()["detail"], stale.text
        assert (await s.current(lead))["status"] == "accepted"
        # Handing back a lead she accepted, knowing it: as before.
        handed = await s.client.post(reject, json={"reason": "Not a fit", "expected_status": "accepted"})
        assert handed.status_code == 200 and handed.json()["status"] == "rejected", handed.text


async def test_freed_capacity_goes_to_the_waiting_queue_hottest_first(settings, topics):
    async with scenario(settings, topics) as s:
        mid, held, warm_low, warm_high = await s.one_held_two_waiting()

        completed = await s.client.post(f"/v1/assignments/{held['id']}/complete")
        assert completed.status_code == 200
        assert (await s.until_status(warm_high, "offered"))["rep_id"] == mid
        assert (await s.current(warm_low))["status"] == "waiting"

        offered = await s.current(warm_high)
        rejected = await s.client.post(
            f"/v1/assignments/{offered['id']}/reject", json={"reason": "not my area"}
        )
        assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
        # The mid rep's slot went to the other waiting lead; the rejected one waits for someone else.
        assert (await s.until_status(warm_low, "offered"))["rep_id"] == mid
        assert (await s.current(warm_high))["status"] == "waiting"
        assert (await s.client.post(f"/v1/assignments/{offered['id']}/reject", json={})).status_code == 422

        senior = await s.rep("senior")  # a new rep takes from the queue at once
        assert (await s.until_status(warm_high, "offered"))["rep_id"] == senior


async def test_a_nurtured_lead_that_warms_up_is_routed_and_old_scores_are_ignored(settings, topics):
    async with scenario(settings, topics) as s:
        mid = await s.rep("mid")
        lead = uuid.uuid4()
        await s.score(lead, "cold", 20)
        await s.until_status(lead, "nurtured")
        nurture = (await s.client.get("/v1/nurture")).json()
        assert [row["lead_id"] for row in nurture] == [str(lead)]
        await s.score(lead, "warm", 50)
        assert (await s.until_status(lead, "offered"))["rep_id"] == mid
        s.revisions[lead] = 0  # replay revision 1 (cold) under a new event id: older than what routing holds
        await s.score(lead, "cold", 20)
        events = await s.routed_events(until=lambda events: len(events) >= 2)
        assert [e["type"] for e in events] == ["lead.nurtured", "lead.routed"]
        assert (await s.current(lead))["status"] == "offered"


async def test_an_outcome_closes_the_assignment_and_frees_the_slot(settings, topics):
    async with scenario(settings, topics) as s:
        await s.rep("senior", capacity=1)
        won, waiting = uuid.uuid4(), uuid.uuid4()
        await s.score(won, "hot", 80)
        await s.until_status(won, "offered")
        await s.score(waiting, "hot", 75)
        await s.until_status(waiting, "waiting")
        outcome = LeadOutcome(
            outcome_id=uuid.uuid4(), lead_id=won, outcome="won", occurred_at=datetime.now(UTC)
        )
        await s.publish(s.topics.outcomes, new_event(outcome, source="test", subject=won))
        await s.until_status(waiting, "offered")
        assert await s.current(won) is None


async def test_a_lead_that_ended_is_not_routed_again_by_a_later_score(settings, topics):
    """A rules change re-scores every lead: a won lead was offered to a rep again as new."""
    async with scenario(settings, topics) as s:
        await s.rep("senior", capacity=5)
        won, early, erased = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        await s.score(won, "hot", 80)
        await s.score(erased, "hot", 82)
        await s.until_status(won, "offered")
        offer = await s.until_status(erased, "offered")
        for lead_id in (won, early):  # `early`: its outcome comes before routing has scored it
            outcome = LeadOutcome(
                outcome_id=uuid.uuid4(), lead_id=lead_id, outcome="won", occurred_at=datetime.now(UTC)
            )
            await s.publish(s.topics.outcomes, new_event(outcome, source="test", subject=lead_id))
        erasure = LeadErased(erasure_id=uuid.uuid4(), lead_id=erased, requested_at=datetime.now(UTC))
        await s.publish(s.topics.captured, new_event(erasure, source="test", subject=erased))

        async def closed(lead_id: uuid.UUID) -> dict | None:
            rows = (await s.client.get("/v1/assignments", params={"lead_id": str(lead_id)})).json()
            return rows[0] if rows and rows[0]["status"] == "closed" else None

        await eventually(lambda: closed(won))
        ended = await eventually(lambda: closed(erased))
        assert ended["id"] == offer["id"]
        history = (await s.client.get(f"/v1/assignments/{offer['id']}")).json()["history"]
        assert history[-1]["reason"] == "erased: the person asked to be forgotten and not contacted"
        accepted = await s.client.post(f"/v1/assignments/{offer['id']}/accept")
        assert accepted.status_code == 409, "nobody can accept an erased person's lead"

        async def ends(score: float) -> list[str]:
            async with s.runtime.engine.connect() as connection:
                rows = await connection.execute(
                    text("SELECT ended FROM routing.leads WHERE lead_id = ANY(:ids) AND score = :score"),
                    {"ids": [won, early, erased], "score": score},
                )
                return sorted(row.ended for row in rows)

        async def early_ended() -> bool:  # its outcome, before any score: a row of revision 0
            return await ends(0) == ["won"]

        async def scores_stored() -> bool:  # as every score is
            return await ends(95) == ["erased", "won", "won"]

        await eventually(early_ended)
        for lead_id in (won, early, erased):
            await s.score(lead_id, "hot", 95)
        await eventually(scores_stored)
        for lead_id in (won, early, erased):
            assert await s.current(lead_id) is None, lead_id


async def test_an_outcome_holds_a_score_behind_it_and_a_new_submission_reopens_the_lead(settings, topics):
    """A second read: an outcome and a re-score in one batch routed the won lead again; and a
    won or lost person who submits again (a newer profile revision) must be worked again."""
    async with scenario(settings, topics) as s:
        await s.rep("senior", capacity=5)
        lead = uuid.uuid4()
        await s.score(lead, "hot", 80, card_revision=1)
        await s.until_status(lead, "offered")
        outcome = LeadOutcome(
            outcome_id=uuid.uuid4(), lead_id=lead, outcome="lost", occurred_at=datetime.now(UTC)
        )
        rescored = scored_event(lead, "hot", 90, revision=2, card_revision=1)  # a rules change
        await s.producer.send(s.topics.outcomes, outcome_bytes(outcome, lead), key=str(lead).encode())
        await s.producer.send_and_wait(
            s.topics.scored, rescored.model_dump_json().encode(), key=str(lead).encode()
        )

        async def rescore_read() -> bool:
            async with s.runtime.engine.connect() as connection:
                query = text("SELECT score FROM routing.leads WHERE lead_id = :lead")
                return await connection.scalar(query, {"lead": lead}) == 90

        await eventually(rescore_read)
        rows = (await s.client.get("/v1/assignments", params={"lead_id": str(lead)})).json()
        assert [row["status"] for row in rows] == ["closed"], "the lost lead was offered again"
        s.revisions[lead] = 2
        await s.score(lead, "hot", 91, card_revision=1)  # re-scored again: the same profile
        await s.score(lead, "hot", 92, card_revision=2)  # she submitted again after it was lost
        reopened = await s.until_status(lead, "offered")
        assert reopened["score"] == 92


async def test_a_lead_merged_into_one_that_ended_lets_go_of_its_offer(settings, topics):
    """A second read: the absorbed lead's offer moved onto a won survivor, and its run-out then
    failed the sweeper on every look (the lead could not be routed on)."""
    async with scenario(settings, topics, sla_seconds=1) as s:
        await s.rep("senior")
        survivor, absorbed = uuid.uuid4(), uuid.uuid4()
        outcome = LeadOutcome(
            outcome_id=uuid.uuid4(), lead_id=survivor, outcome="won", occurred_at=datetime.now(UTC)
        )
        await s.publish(s.topics.outcomes, new_event(outcome, source="test", subject=survivor))
        await s.score(absorbed, "hot", 85)
        offer = await s.until_status(absorbed, "offered")
        now = datetime.now(UTC)
        profile = LeadProfile(
            lead_id=survivor, revision=3, email="a@example.com", created_at=now, updated_at=now
        )
        merged = LeadMerged(surviving_lead_id=survivor, absorbed_lead_id=absorbed, lead=profile)
        await s.publish(s.topics.merged, new_event(merged, source="test", subject=survivor))

        async def let_go() -> bool:
            # Closed, with nothing of it open: the offer itself, or (on a loaded machine, the
            # merge read after the 1 s offer ran out) the queue place it had moved on to.
            rows = (await s.client.get("/v1/assignments", params={"lead_id": str(survivor)})).json()
            statuses = {row["id"]: row["status"] for row in rows}
            assert rows and rows[0]["status"] == "closed", rows  # the newest
            assert not {"offered", "accepted", "waiting"} & set(statuses.values()), rows
            assert offer["id"] in statuses, rows
            return True

        await eventually(let_go)
        later = uuid.uuid4()  # the sweeper goes on: an offer after it runs out and moves on
        await s.score(later, "hot", 70)
        await s.until_status(later, "offered")
        assert (await s.client.get("/readyz")).status_code == 200


def outcome_bytes(outcome: LeadOutcome, lead: uuid.UUID) -> bytes:
    return new_event(outcome, source="test", subject=lead).model_dump_json().encode()


async def test_a_merge_folds_the_absorbed_leads_assignments_into_the_survivor(settings, topics):
    async with scenario(settings, topics) as s:
        await s.rep("senior")
        survivor, absorbed = uuid.uuid4(), uuid.uuid4()
        await s.score(survivor, "hot", 85)
        await s.score(absorbed, "cold", 10)
        kept = await s.until_status(survivor, "offered")
        await s.until_status(absorbed, "nurtured")
        now = datetime.now(UTC)
        profile = LeadProfile(
            lead_id=survivor, revision=3, email="a@example.com", created_at=now, updated_at=now
        )
        merged = LeadMerged(surviving_lead_id=survivor, absorbed_lead_id=absorbed, lead=profile)
        await s.publish(s.topics.merged, new_event(merged, source="test", subject=survivor))

        async def folded():
            rows = (await s.client.get("/v1/assignments", params={"lead_id": str(survivor)})).json()
            return rows if len(rows) == 2 else None

        rows = await eventually(folded)
        assert {row["status"] for row in rows} == {"offered", "closed"}
        assert (await s.current(survivor))["id"] == kept["id"]
        assert (await s.client.get("/v1/assignments", params={"lead_id": str(absorbed)})).json() == []


async def test_reps_are_validated_updated_and_deactivated(settings, topics):
    async with scenario(settings, topics) as s:
        bad = await s.client.post(
            "/v1/reps", json={"name": "", "email": "nope", "tier": "boss", "capacity": -1}
        )
        assert bad.status_code == 422
        assert {f["name"] for f in bad.json()["fields"]} == {"name", "email", "tier", "capacity"}
        rep = await s.rep(
            "mid",
            territories=["de"],
            working_hours={"timezone": "Europe/Berlin", "start": "09:00", "end": "17:00"},
        )
        duplicate = (await s.client.get(f"/v1/reps/{rep}")).json()["email"]
        assert (
            await s.client.post(
                "/v1/reps", json={"name": "x", "email": duplicate, "tier": "mid", "capacity": 1}
            )
        ).status_code == 409
        changed = await s.client.patch(
            f"/v1/reps/{rep}", json={"capacity": 9, "languages": ["DE"], "working_hours": None}
        )
        assert changed.status_code == 200
        body = changed.json()
        assert (body["capacity"], body["languages"], body["territories"], body["working_hours"]) == (
            9,
            ["de"],
            ["DE"],
            None,
        )
        assert (
            await s.client.patch(
                f"/v1/reps/{rep}",
                json={"working_hours": {"timezone": "Mars/Base", "start": "09:00", "end": "17:00"}},
            )
        ).status_code == 422
        assert (await s.client.delete(f"/v1/reps/{rep}")).json()["active"] is False
        assert (await s.client.get(f"/v1/reps/{uuid.uuid4()}")).status_code == 404


async def test_one_batch_of_scores_fills_a_rep_exactly_to_capacity_and_queues_the_rest(settings, topics):
    """A batch of events is routed in one transaction against one read of the reps: each offer
    it makes must count against the rep for the next lead in the same batch."""
    # No sweep during the test: a sweep serving the queue when the outcome frees the slot holds
    # the waiting lead, and the batch's drain leaves it to the next sweep by design
    # (`drain_waiting`), so what the batch alone does would depend on the timing.
    async with scenario(settings, topics, sweep_seconds=60) as s:
        rep = await s.rep("mid", capacity=2)
        leads = [uuid.uuid4() for _ in range(3)]
        events = [scored_event(lead_id, "warm", 50 + number) for number, lead_id in enumerate(leads)]
        routing = RoutingService(s.runtime, RoutingSettings(card_wait_seconds=0))
        await routing.apply_events(events)
        placed = [await s.current(lead_id) for lead_id in leads]
        assert [row["status"] for row in placed] == ["offered", "offered", "waiting"]
        assert {row["rep_id"] for row in placed[:2]} == {rep}
        # A later batch: an outcome frees a slot, which the waiting lead takes; a new lead scored
        # after it in the same batch finds the rep full again.
        outcome = LeadOutcome(
            outcome_id=uuid.uuid4(), lead_id=leads[0], outcome="lost", occurred_at=datetime.now(UTC)
        )
        late = uuid.uuid4()
        await routing.apply_events(
            [new_event(outcome, source="test", subject=leads[0]), scored_event(late, "warm", 60)]
        )
        assert (await s.current(leads[2]))["status"] == "offered"
        assert (await s.current(late))["status"] == "waiting"


async def test_a_slot_freed_while_the_queue_is_served_goes_to_no_colder_lead_first(
    settings, topics, monkeypatch
):
    """The queue is served against one reading of the reps. A slot freed by another unit of work
    while a sweep serves the queue (after it told the hotter lead to wait, before it reaches the
    colder one) waits for the next look, which gives it to the hotter lead."""
    async with scenario(settings, topics, sweep_seconds=60) as s:
        mid, held, colder, hotter = await s.one_held_two_waiting()
        routing = RoutingService(s.runtime, RoutingSettings(card_wait_seconds=0))
        read_lead = repository.lead_to_route
        completions = []

        async def completed_meanwhile(connection, lead_id):
            if lead_id == colder and not completions:  # the rep completes the held lead now
                completions.append(await s.client.post(f"/v1/assignments/{held['id']}/complete"))
            return await read_lead(connection, lead_id)

        monkeypatch.setattr(repository, "lead_to_route", completed_meanwhile)
        await routing.sweep()
        monkeypatch.undo()
        assert [response.status_code for response in completions] == [200]
        assert (await s.current(colder))["status"] == "waiting"
        await routing.sweep()
        assert (await s.current(hotter))["rep_id"] == mid
        assert (await s.current(colder))["status"] == "waiting"


async def test_freed_capacity_never_skips_a_hotter_waiting_lead_that_is_busy_elsewhere(settings, topics):
    async with scenario(settings, topics) as s:
        _, held, colder, hotter = await s.one_held_two_waiting()

        # Another transaction holds the hotter lead while the slot frees up.
        async with s.runtime.engine.begin() as other:
            await other.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"routing:{hotter}"}
            )
            assert (await s.client.post(f"/v1/assignments/{held['id']}/complete")).status_code == 200
            assert (await s.current(colder))["status"] == "waiting"
        # Once it lets go, the sweep gives the slot to the hotter lead.
        await s.until_status(hotter, "offered")
        assert (await s.current(colder))["status"] == "waiting"
