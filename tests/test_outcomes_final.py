"""Outcomes are final and counted once, through the running services: a rep's won closes the
lead's assignment; the rep cannot flip it to lost; an admin corrects it by naming the outcome and
saying why (the event carries `corrects`); a repeat of the same report publishes nothing; and
scoring's model counts each lead with an outcome once."""

import httpx
import pytest
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import AUTH, HOT, eventually, read_events
from test_access import create_user, token_for

pytestmark = pytest.mark.e2e


async def test_a_reps_won_is_final_an_admin_corrects_it_and_each_lead_counts_once(system):
    routing, capture, scoring, console = system.routing, system.capture, system.scoring, system.console
    async with httpx.AsyncClient(timeout=10) as client:
        admin = await token_for(client, console, ADMIN_EMAIL, ADMIN_PASSWORD)
        rep = {"name": "Ada", "email": "ada@sales.example", "tier": "senior", "capacity": 5}
        rep_id = (await client.post(f"{routing}/v1/reps", json=rep, headers=admin)).json()["id"]
        email, password, _ = await create_user(client, system, admin, "rep", rep_id=rep_id)
        ada = await token_for(client, console, email, password)
        lead_ids = []
        for person in ("pat", "sam"):
            form = {**HOT, "email": f"{person}@bigco.example", "first_name": person.title()}
            posted = await client.post(f"{capture}/v1/leads/landing-page", json=form)
            lead_ids.append(posted.json()["lead_id"])
        won_lead, other = lead_ids

        async def offered() -> dict:
            found = (
                await client.get(f"{routing}/v1/assignments", params={"status": "offered"}, headers=ada)
            ).json()
            assert {a["lead_id"] for a in found} == set(lead_ids)
            return {a["lead_id"]: a for a in found}

        offers = await eventually(offered, timeout=30)
        accept = f"{routing}/v1/assignments/{offers[won_lead]['id']}/accept"
        assert (await client.post(accept, headers=ada)).status_code == 200

        async def reported():  # once capture has heard the lead is hers (it follows routing)
            answer = await client.post(
                f"{capture}/v1/outcomes", json={"lead_id": won_lead, "outcome": "won"}, headers=ada
            )
            assert answer.status_code == 202, answer.text
            return answer

        won = await eventually(reported, timeout=5)
        again = await client.post(
            f"{capture}/v1/outcomes", json={"lead_id": won_lead, "outcome": "won"}, headers=ada
        )
        assert again.status_code == 202 and again.json()["event_id"] == won.json()["event_id"], "a repeat"
        flipped = await client.post(
            f"{capture}/v1/outcomes", json={"lead_id": won_lead, "outcome": "lost"}, headers=ada
        )
        assert flipped.status_code == 409 and flipped.headers["content-type"] == "application/problem+json"
        assert flipped.json()["fields"][0]["name"] == "corrects"
        assert "recorded as won" in flipped.json()["detail"]

        # Won closed the assignment: nothing left to accept, complete or win.
        async def closed() -> bool:
            found = (
                await client.get(f"{routing}/v1/assignments", params={"lead_id": won_lead}, headers=AUTH)
            ).json()
            assert {a["status"] for a in found} == {"closed"}
            return True

        await eventually(closed, timeout=10)

        events = await read_events(
            system.settings.kafka_bootstrap_servers,
            system.settings.leadflow_topic_prefix + "leads.outcomes",
            until=lambda events: len(events) >= 1,
        )
        first_outcome = events[0]["data"]["outcome_id"]
        correction = {"lead_id": won_lead, "outcome": "lost", "corrects": first_outcome}
        by_rep = await client.post(f"{capture}/v1/outcomes", json={**correction, "reason": "x"}, headers=ada)
        assert by_rep.status_code == 403, "a rep cannot correct her own result"
        no_reason = await client.post(f"{capture}/v1/outcomes", json=correction, headers=admin)
        assert no_reason.status_code == 422 and no_reason.json()["fields"][0]["name"] == "reason"
        corrected = await client.post(
            f"{capture}/v1/outcomes",
            json={**correction, "reason": "the contract fell through"},
            headers=admin,
        )
        assert corrected.status_code == 202, corrected.text
        lost = await client.post(
            f"{capture}/v1/outcomes", json={"lead_id": other, "outcome": "lost"}, headers=AUTH
        )
        assert lost.status_code == 202

        events = await read_events(
            system.settings.kafka_bootstrap_servers,
            system.settings.leadflow_topic_prefix + "leads.outcomes",
            until=lambda events: len(events) >= 3,
        )
        told = [(e["data"]["outcome"], e["data"]["corrects"]) for e in events if e["subject"] == won_lead]
        assert told == [("won", None), ("lost", first_outcome)], "in order, on the lead's key"
        assert [e["data"]["outcome"] for e in events if e["subject"] == other] == ["lost"]

        # Scoring counts each lead with an outcome once, with its latest.
        async def counted_once() -> dict:
            model = (await client.get(f"{scoring}/v1/scoring/model", headers=AUTH)).json()
            assert model["outcomes"] == 2, model
            return model

        await eventually(counted_once, timeout=15)
