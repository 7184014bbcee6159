"""An assignment's whole life as `assignment.changed` events on `leads.routed`, against the real
broker and database: every change (offered, rejected with the rep's reason, expired, waiting with
what is missing, promoted, accepted, completed, closed) in order on the lead's key, naming who
made it."""

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from harness import eventually
from sqlalchemy import update
from test_routing_flow import DECISIONS, scenario

from leadflow_common.events import LeadOutcome, new_event
from leadflow_routing.store.tables import reps

pytestmark = pytest.mark.integration
CHANGE = frozenset({"assignment.changed"})
NOT_AGAIN = "who has not passed on it, let it run out or had it taken away"


def life_of(events: list[dict], lead: uuid.UUID) -> list[dict]:
    return [event["data"] for event in events if event["subject"] == str(lead)]


def steps(life: list[dict]) -> list[tuple]:
    return [(step["status"], step["previous_status"], step["by"]) for step in life]


async def test_an_offer_rejected_then_let_run_out_then_accepted_and_completed(settings, topics):
    async with scenario(settings, topics, sla_seconds=1.5, max_attempts=3) as s:
        mid_a, mid_b = await s.rep("mid"), await s.rep("mid")
        lead = uuid.uuid4()
        await s.score(lead, "warm", 55)
        first = await s.until_status(lead, "offered")
        rejected = await s.client.post(
            f"/v1/assignments/{first['id']}/reject", json={"reason": "not my area"}
        )
        assert rejected.status_code == 200
        second = await s.until_status(lead, "offered")
        assert {first["rep_id"], second["rep_id"]} == {mid_a, mid_b}
        # Nobody accepts the second offer in time: every mid rep passed, so the lead waits.
        await s.until_status(lead, "waiting")
        senior = await s.rep("senior")  # capacity appears: the lead is promoted and offered
        third = await s.until_status(lead, "offered")
        assert third["rep_id"] == senior
        assert (await s.client.post(f"/v1/assignments/{third['id']}/accept")).status_code == 200
        assert (await s.client.post(f"/v1/assignments/{third['id']}/complete")).status_code == 200
        events = await s.routed_events(until=lambda events: len(life_of(events, lead)) >= 9, types=CHANGE)
    life = life_of(events, lead)
    assert all(event["_key"] == str(lead) for event in events if event["subject"] == str(lead))
    assert steps(life) == [
        ("offered", None, "system"),
        ("rejected", "offered", "admin"),  # the bootstrap key acted: not a rep
        ("offered", None, "system"),
        ("expired", "offered", "system"),
        ("waiting", None, "system"),
        ("promoted", "waiting", "system"),
        ("offered", None, "system"),
        ("accepted", "offered", "admin"),
        ("completed", "accepted", "admin"),
    ]
    offered, rejection, again, expiry, waiting, promoted, last, accepted, completed = life
    assert offered["rep"]["id"] == first["rep_id"] and offered["sla_deadline"]
    assert rejection["rep"]["id"] == first["rep_id"] and "not my area" in rejection["reason"]
    assert again["rep"]["id"] == second["rep_id"] and again["attempt"] == 2
    assert expiry["rep"]["id"] == second["rep_id"] and "not accepted within" in expiry["reason"]
    assert waiting["rep"] is None and waiting["queue"] == "waiting"
    assert waiting["waiting_for"] == f"a mid or senior rep {NOT_AGAIN}"
    assert promoted["assignment_id"] == waiting["assignment_id"]
    assert last["rep"]["id"] == senior and last["rep"]["tier"] == "senior"
    assert accepted["assignment_id"] == completed["assignment_id"] == last["assignment_id"]
    assert accepted["sla_deadline"] is None and completed["sla_deadline"] is None
    ordered = [datetime.fromisoformat(step["at"]) for step in life]
    assert ordered == sorted(ordered)


async def test_a_waiting_lead_says_what_it_waits_for_as_that_changes_and_an_outcome_closes_it(
    settings, topics
):
    async with scenario(settings, topics) as s:
        lead = uuid.uuid4()
        await s.score(lead, "hot", 90, language="en", country="DE")
        await s.until_status(lead, "waiting")
        # A senior rep appears, but for French speakers only: the reason changes, the lead waits.
        await s.rep("senior", languages=["fr"])

        async def waits_for_an_english_speaker():
            queue = (await s.client.get("/v1/queue")).json()
            mine = [row for row in queue if row["lead_id"] == str(lead)]
            return mine and mine[0]["waiting_for"] == "a senior rep for language en"

        await eventually(waits_for_an_english_speaker)  # before the next rep, or the step is skipped
        full = await s.rep("senior", capacity=1)
        offered = await s.until_status(lead, "offered")
        assert offered["rep_id"] == full
        holder = uuid.uuid4()  # waits behind it for the only slot (English: not the French speaker's)
        await s.score(holder, "hot", 80, language="en")
        await s.until_status(holder, "waiting")
        outcome = LeadOutcome(
            outcome_id=uuid.uuid4(), lead_id=lead, outcome="won", occurred_at=datetime.now(UTC)
        )
        await s.publish(s.topics.outcomes, new_event(outcome, source="test", subject=lead))
        await s.until_status(holder, "offered")  # the slot the outcome freed

        def enough(events: list[dict]) -> bool:
            return len(life_of(events, lead)) >= 5 and len(life_of(events, holder)) >= 3

        events = await s.routed_events(until=enough, types=CHANGE)
    waits = [step["waiting_for"] for step in life_of(events, lead) if step["status"] == "waiting"]
    assert waits == ["an active senior rep", "a senior rep for language en"]
    assert steps(life_of(events, lead))[2:] == [
        ("promoted", "waiting", "system"),
        ("offered", None, "system"),
        ("closed", "offered", "system"),
    ]
    closed = life_of(events, lead)[-1]
    assert closed["rep"]["id"] == full and "won" in closed["reason"]
    held = life_of(events, holder)
    assert held[0]["waiting_for"] == "a senior rep with capacity"
    assert steps(held)[1:] == [("promoted", "waiting", "system"), ("offered", None, "system")]


async def test_a_warm_offer_that_turns_hot_before_it_is_accepted_goes_to_a_senior(settings, topics):
    async with scenario(settings, topics) as s:
        mid, senior = await s.rep("mid"), await s.rep("senior")
        lead, taken = uuid.uuid4(), uuid.uuid4()
        await s.score(lead, "warm", 55)
        assert (await s.until_status(lead, "offered"))["rep_id"] == mid
        await s.score(lead, "hot", 85)  # a demo request landed before the mid rep accepted

        async def with_senior():
            current = await s.current(lead)
            return current if current and current["rep_id"] == senior else None

        promoted = await eventually(with_senior)
        assert promoted["status"] == "offered"
        # One the mid rep accepted stays with her when it turns hot.
        await s.score(taken, "warm", 55)
        offer = await s.until_status(taken, "offered")
        assert offer["rep_id"] == mid
        assert (await s.client.post(f"/v1/assignments/{offer['id']}/accept")).status_code == 200
        await s.score(taken, "hot", 90)
        marker = uuid.uuid4()
        await s.score(marker, "cold", 5, key=taken)  # consumed after the re-score: same partition
        await s.until_status(marker, "nurtured")
        assert (await s.current(taken))["id"] == offer["id"]

        def told(events: list[dict]) -> bool:
            return len(life_of(events, lead)) >= 4

        events = await s.routed_events(until=told, types=CHANGE | DECISIONS)
    life = life_of(events, lead)
    kinds = [(e["type"], e["data"].get("status")) for e in events if e["subject"] == str(lead)]
    assert kinds == [
        ("assignment.changed", "offered"),
        ("lead.routed", None),
        ("assignment.changed", "promoted"),
        ("assignment.changed", "offered"),
        ("lead.reassigned", None),
    ]
    promotion, moved = life[2], life[4]
    assert promotion["rep"]["id"] == mid and promotion["previous_status"] == "offered"
    assert promotion["by"] == "system" and promotion["reason"].startswith("turned hot before it was accepted")
    assert moved["rep"]["id"] == senior and moved["previous_rep_id"] == mid, "the mid rep is told it moved"
    assert [
        e["data"]["status"]
        for e in events
        if e["subject"] == str(taken) and e["type"] == "assignment.changed"
    ] == [
        "offered",
        "accepted",
    ]


async def test_the_queue_lists_what_waits_and_for_what_and_an_admin_assigns_by_hand(settings, topics):
    async with scenario(settings, topics) as s:
        first, second = uuid.uuid4(), uuid.uuid4()
        await s.score(first, "hot", 92)
        await s.score(second, "warm", 60)
        await s.until_status(first, "waiting")
        await s.until_status(second, "waiting")
        queue = (await s.client.get("/v1/queue")).json()
        assert [(row["lead_id"], row["waiting_for"]) for row in queue] == [
            (str(first), "an active senior rep"),  # hottest first
            (str(second), "an active mid or senior rep"),
        ]

        async def hot_wait_measured() -> float:
            metrics = (await s.client.get("/metrics")).text
            line = next(
                x
                for x in metrics.splitlines()
                if x.startswith('leadflow_routing_oldest_waiting_seconds{temperature="hot"}')
            )
            assert float(line.split()[-1]) > 0, line
            return float(line.split()[-1])

        await eventually(hot_wait_measured, timeout=5)  # what the HotLeadWaiting alert reads
        # No senior yet: the admin gives the hot lead to a mid rep with one slot.
        mid = await s.rep("mid", capacity=1, segments=["b2b"])  # the warm lead names no segment
        unknown = await s.client.post(f"/v1/leads/{first}/assign", json={"rep_id": str(uuid.uuid4())})
        assert unknown.status_code == 422 and unknown.json()["fields"][0]["name"] == "rep_id"
        body = {"rep_id": mid, "reason": "Sam knows this account"}
        assigned = await s.client.post(f"/v1/leads/{first}/assign", json=body)
        assert assigned.status_code == 200, assigned.text
        assert (assigned.json()["status"], assigned.json()["rep_id"]) == ("offered", mid)
        again = await s.client.post(f"/v1/leads/{first}/assign", json=body)
        assert again.status_code == 409 and again.json()["fields"][0]["name"] == "rep_id", "already hers"
        full = await s.client.post(f"/v1/leads/{second}/assign", json={"rep_id": mid})
        assert full.status_code == 409 and full.json()["fields"][0]["name"] == "override_capacity"
        assert "has 1 of 1 open leads" in full.json()["detail"]
        over = await s.client.post(
            f"/v1/leads/{second}/assign", json={"rep_id": mid, "override_capacity": True}
        )
        assert over.status_code == 200
        assert (await s.client.get("/v1/queue")).json() == []

        def told(events: list[dict]) -> bool:
            return len(life_of(events, first)) >= 3

        events = await s.routed_events(until=told, types=CHANGE)
    assert steps(life_of(events, first)) == [
        ("waiting", None, "system"),
        ("promoted", "waiting", "admin"),
        ("assigned", None, "admin"),
    ]
    hand = life_of(events, first)[2]
    assert (
        hand["rep"]["id"] == mid
        and hand["reason"] == "assigned by hand to " + hand["rep"]["name"] + ": Sam knows this account"
    )
    assert hand["sla_deadline"], "an offer made by hand has the same time to accept"


async def test_a_lead_a_rep_accepted_is_reassigned_by_hand_the_rep_told_and_her_slot_goes_to_the_queue(
    settings, topics
):
    """A manager takes an accepted lead from a rep who is out: the rep's assignment ends
    (promoted, by the admin's hand), the new rep's offer is a `lead.reassigned` naming the
    previous rep (webhooks tells them it moved), and the slot it left goes to a waiting lead."""
    async with scenario(settings, topics) as s:
        out_sick = await s.rep("mid", capacity=1)
        lead, waiting = uuid.uuid4(), uuid.uuid4()
        await s.score(lead, "warm", 60)
        offer = await s.until_status(lead, "offered")
        assert (await s.client.post(f"/v1/assignments/{offer['id']}/accept")).status_code == 200
        await s.score(waiting, "warm", 58)  # her one slot is taken: this one waits
        await s.until_status(waiting, "waiting")
        cover = await s.rep("senior", capacity=5, segments=["b2b"])  # not for the warm lead
        moved = await s.give_by_hand(lead, cover, reason="Ana is out this week")
        assert (moved["status"], moved["rep_id"]) == ("offered", cover)
        back = await s.until_status(waiting, "offered")  # the slot the lead left
        assert back["rep_id"] == out_sick

        def told(events: list[dict]) -> bool:
            return any(event["type"] == "lead.reassigned" for event in events)

        decisions = await s.routed_events(until=told, types=frozenset({"lead.reassigned"}))
        changes = await s.routed_events(until=lambda events: len(life_of(events, lead)) >= 4, types=CHANGE)
    assert steps(life_of(changes, lead)) == [
        ("offered", None, "system"),
        ("accepted", "offered", "admin"),
        ("promoted", "accepted", "admin"),
        ("assigned", None, "admin"),
    ]
    taken = life_of(changes, lead)[2]
    assert taken["rep"]["id"] == out_sick and taken["reason"].startswith("reassigned by hand to ")
    [reassigned] = [event["data"] for event in decisions if event["subject"] == str(lead)]
    assert reassigned["previous_rep_id"] == out_sick and reassigned["rep"]["id"] == cover
    assert reassigned["reason"].endswith(": Ana is out this week")


async def test_an_offered_lead_is_given_by_hand_to_another_rep_the_first_told_it_moved(settings, topics):
    async with scenario(settings, topics, sla_seconds=600) as s:
        first_rep = await s.rep("mid")
        lead = uuid.uuid4()
        await s.score(lead, "warm", 61)
        await s.until_status(lead, "offered")
        second_rep = await s.rep("mid", segments=["b2b"])  # not for this lead but by hand
        await s.give_by_hand(lead, second_rep)
        changes = await s.routed_events(until=lambda events: len(life_of(events, lead)) >= 3, types=CHANGE)
        decisions = await s.routed_events(
            until=lambda events: any(e["subject"] == str(lead) for e in events),
            types=frozenset({"lead.reassigned"}),
        )
    assert steps(life_of(changes, lead)) == [
        ("offered", None, "system"),
        ("promoted", "offered", "admin"),
        ("assigned", None, "admin"),
    ]
    [reassigned] = [event["data"] for event in decisions if event["subject"] == str(lead)]
    assert (reassigned["previous_rep_id"], reassigned["rep"]["id"]) == (first_rep, second_rep)
    assert reassigned["reason"] == f"reassigned by hand to {reassigned['rep']['name']}"


async def test_a_rep_a_lead_was_taken_from_by_hand_is_not_offered_it_again_but_may_be_given_it(
    settings, topics
):
    """A manager's move is not undone by routing: when the new rep passes on the lead, it waits
    rather than going back to the rep it was taken from; a hand may still give it back."""
    async with scenario(settings, topics, sla_seconds=600) as s:
        taken_from = await s.rep("mid")
        lead = uuid.uuid4()
        await s.score(lead, "warm", 61)
        await s.until_status(lead, "offered")
        given_to = await s.rep("mid", segments=["b2b"])  # not for this lead but by hand
        await s.give_by_hand(lead, given_to)
        offer = await s.until_status(lead, "offered")
        assert offer["rep_id"] == given_to
        passed = await s.client.post(f"/v1/assignments/{offer['id']}/reject", json={"reason": "not mine"})
        assert passed.status_code == 200, passed.text
        waiting = await s.until_status(lead, "waiting")
        assert waiting["waiting_for"] == f"a mid or senior rep {NOT_AGAIN}"
        await s.score(lead, "warm", 62)  # a new score tries again: still not to her

        async def rescored() -> dict | None:
            row = await s.current(lead)
            return row if row and row["score"] == 62 else None

        still = await eventually(rescored)
        assert (still["id"], still["status"]) == (waiting["id"], "waiting")
        assert still["waiting_for"] == waiting["waiting_for"]
        await s.give_by_hand(lead, taken_from)
        again = await s.until_status(lead, "offered")
        assert again["rep_id"] == taken_from


async def test_a_deactivated_reps_offers_move_on_at_once_and_her_accepted_lead_stays_hers(settings, topics):
    """Her offers would have counted down their whole SLA with nobody to accept them; the lead
    she accepted stays with her until someone gives it to another rep by hand."""
    async with scenario(settings, topics, sla_seconds=600) as s:
        leaving = await s.rep("mid", capacity=2)
        kept, offered = uuid.uuid4(), uuid.uuid4()
        await s.score(kept, "warm", 60)
        first = await s.until_status(kept, "offered")
        assert (await s.client.post(f"/v1/assignments/{first['id']}/accept")).status_code == 200
        await s.score(offered, "warm", 59)
        await s.until_status(offered, "offered")
        other = await s.rep("mid", capacity=2, segments=["b2b"])  # not for these two until asked
        await s.client.patch(f"/v1/reps/{other}", json={"segments": []})
        gone = await s.client.delete(f"/v1/reps/{leaving}")
        assert gone.status_code == 200 and gone.json()["active"] is False, gone.text
        moved = await s.until_status(offered, "offered", timeout=5)
        assert moved["rep_id"] == other, "offered to the next rep at once, not after 600 s"
        still = await s.until_status(kept, "accepted", timeout=5)
        assert still["rep_id"] == leaving

        def told(events: list[dict]) -> bool:
            return any(event["subject"] == str(offered) for event in events)

        decisions = await s.routed_events(until=told, types=frozenset({"lead.reassigned"}))
    [reassigned] = [event["data"] for event in decisions if event["subject"] == str(offered)]
    assert reassigned["previous_rep_id"] == leaving and reassigned["rep"]["id"] == other


async def test_a_lead_taken_by_hand_from_a_senior_that_turns_hot_is_not_promoted_back_to_her(
    settings, topics
):
    async with scenario(settings, topics, sla_seconds=600) as s:
        senior = await s.rep("senior")
        lead = uuid.uuid4()
        await s.score(lead, "warm", 60)
        assert (await s.until_status(lead, "offered"))["rep_id"] == senior
        mid = await s.rep("mid", segments=["b2b"])  # not for this lead but by hand
        await s.give_by_hand(lead, mid)
        offer = await s.until_status(lead, "offered")
        await s.score(lead, "hot", 90)  # outgrows a mid rep: the only senior is the one it left
        marker = uuid.uuid4()
        await s.score(marker, "cold", 5, key=lead)  # consumed after the re-score: same partition
        await s.until_status(marker, "nurtured")
        still = await s.current(lead)
        assert (still["id"], still["rep_id"]) == (offer["id"], mid)


async def test_a_rep_given_a_lead_back_by_hand_may_have_it_again_once_its_wait_relaxes(settings, topics):
    """Taken from Ana, given back to her, let run out: once the wait relaxes, she may have it
    again as anyone who let it run out (her being taken from counts no more after the give-back)."""
    async with scenario(settings, topics, sla_seconds=3, relax_warm_seconds=1) as s:
        ana = await s.rep("mid")
        lead = uuid.uuid4()
        await s.score(lead, "warm", 60)
        await s.until_status(lead, "offered")
        bo = await s.rep("mid", segments=["b2b"])  # not for this lead but by hand
        for rep in (bo, ana):
            await s.give_by_hand(lead, rep)
        given_back = await s.until_status(lead, "offered")
        assert given_back["rep_id"] == ana
        await s.until_status(lead, "waiting", timeout=10)  # she let it run out; Bo had it taken
        again = await s.until_status(lead, "offered", timeout=10)
        assert (again["rep_id"], again["id"] != given_back["id"]) == (ana, True)


async def test_an_offer_left_with_a_rep_made_inactive_behind_the_api_moves_on_at_the_next_sweep(
    settings, topics
):
    """An offer her deactivation's release could not see (made by a unit that read her active a
    moment before it committed) moves on at the sweep, not at its SLA's end."""
    async with scenario(settings, topics, sla_seconds=600) as s:
        leaving = await s.rep("mid")
        lead = uuid.uuid4()
        await s.score(lead, "warm", 60)
        offer = await s.until_status(lead, "offered")
        other = await s.rep("mid")
        async with s.runtime.engine.begin() as connection:  # as the racing unit left it
            await connection.execute(update(reps).where(reps.c.id == uuid.UUID(leaving)).values(active=False))

        async def moved_on() -> dict | None:
            row = await s.current(lead)
            return row if row and row["status"] == "offered" and row["id"] != offer["id"] else None

        moved = await eventually(moved_on, timeout=5)
        assert moved["rep_id"] == other, "offered to the next rep at the sweep, not after 600 s"

        changes = await s.routed_events(until=lambda events: len(life_of(events, lead)) >= 3, types=CHANGE)
    released = life_of(changes, lead)[1]
    assert (released["status"], released["rep"]["id"]) == ("promoted", leaving)
    assert released["reason"] == f"released: {released['rep']['name']}'s record was made inactive"


async def test_a_waiting_lead_relaxes_after_its_wait_and_may_go_back_to_a_rep_who_let_it_run_out(
    settings, topics
):
    async with scenario(settings, topics, relax_hot_seconds=1, sla_seconds=1.5) as s:
        german = await s.rep("senior", languages=["de"])  # the form never carries a language
        lead = uuid.uuid4()
        await s.score(lead, "hot", 90, language="en")
        waiting = await s.until_status(lead, "waiting")
        assert waiting["waiting_for"] == "a senior rep for language en"
        first = await s.until_status(lead, "offered", timeout=10)
        assert first["rep_id"] == german
        assert first["reason"].startswith("after its wait, any territory, language or segment:")
        # Nobody accepts in time: she let it run out, so it waits again; once its tier relaxes
        # too, nobody else fits and it comes back to her.
        await s.until_status(lead, "waiting")
        again = await s.until_status(lead, "offered", timeout=10)
        assert (again["rep_id"], again["id"] != first["id"]) == (german, True)
        assert "and the next tier" in again["reason"]


async def test_a_hot_lead_waiting_past_its_limit_is_said_once_and_a_warm_one_never(settings, topics):
    said = frozenset({"lead.waiting_too_long"})
    settings = settings.model_copy(update={"leadflow_console_url": "http://console.test:8000"})
    async with scenario(settings, topics, hot_wait_limit_seconds=1, relax_hot_seconds=0) as s:
        hot, warm = uuid.uuid4(), uuid.uuid4()
        await s.score(hot, "hot", 90, language="en")
        await s.score(warm, "warm", 55)
        waiting = await s.until_status(hot, "waiting")
        await s.until_status(warm, "waiting")
        events = await s.routed_events(until=lambda events: len(events) >= 1, types=said)
        # Several more looks of the sweeper (0.2 s apart) say nothing more of the same wait.
        await asyncio.sleep(1.5)
        events = await s.routed_events(until=lambda events: len(events) >= 1, types=said)
        senior = await s.rep("senior")  # capacity appears: the wait ends with an offer
        offered = await s.until_status(hot, "offered")
    assert [event["subject"] for event in events] == [str(hot)], "once, and never the warm lead"
    [event] = events
    data = event["data"]
    assert data["assignment_id"] == waiting["id"] and data["temperature"] == "hot"
    assert data["waiting_for"] == waiting["waiting_for"] and data["limit_seconds"] == 1
    assert data["queue_url"] == "http://console.test:8000/queue"
    waited = datetime.fromisoformat(event["time"]) - datetime.fromisoformat(data["waiting_since"])
    assert waited.total_seconds() >= 1
    assert offered["rep_id"] == senior
