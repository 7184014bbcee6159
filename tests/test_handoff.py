"""The hand-off: anyone allowed can read a lead's golden record and find leads, and every routing
decision carries the contact card of who the person is."""

import uuid

import httpx
import pytest
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import AUTH, eventually, opened, read_events
from test_access import create_user, token_for

pytestmark = pytest.mark.e2e

GRACE = {
    "email": "Grace.Hopper@Navy.example",
    "phone": "+1 202 555 0147",
    "first_name": "Grace",
    "last_name": "Hopper",
    "job_title": "CTO",
    "company": "Navy Research",
    "company_size": "1000+",
    "country": "US",
    "consent": {"email": True},
    "attribution": {"source": "referral", "campaign": "spring"},
    "message": "Call me about a demo",
}


async def test_a_routed_lead_carries_its_contact_card_and_its_record_can_be_read_and_found(system):
    capture, routing = system.capture, system.routing
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        rep = {"name": "Sam", "email": "sam@sales.example", "tier": "senior", "capacity": 5}
        assert (await client.post(f"{routing}/v1/reps", json=rep)).status_code == 201
        posted = await client.post(f"{capture}/v1/leads/landing-page", json=GRACE)
        lead_id = posted.json()["lead_id"]
        follow_up = {"email": "grace.hopper@navy.example", "message": "Tuesday works", "city": "Arlington"}
        assert (await client.post(f"{capture}/v1/leads", json=follow_up)).status_code == 202

        routed = await read_events(
            system.settings.kafka_bootstrap_servers,
            system.settings.leadflow_topic_prefix + "leads.routed",
            until=lambda events: any(e["subject"] == lead_id and e["type"] == "lead.routed" for e in events),
            timeout=30,
        )
        routed = [e for e in routed if e["type"] == "lead.routed"]  # the decision, with the card
        assert all("email" not in (e["data"]["lead"] or {}) for e in routed), "sealed on the topic"
        routed = await opened(system.settings.database_url, routed)
        card = next(e for e in routed if e["subject"] == lead_id)["data"]["lead"]
        assert (card["first_name"], card["last_name"], card["email"], card["phone"]) == (
            "Grace",
            "Hopper",
            "grace.hopper@navy.example",
            "+12025550147",
        )
        assert (card["company"], card["job_title"], card["country"]) == ("Navy Research", "CTO", "US")
        assert card["attribution"]["campaign"] == "spring" and "landing_page" in card["channels"]
        assert card["reasons"] and len(card["reasons"]) <= 3 and all("points" in r for r in card["reasons"])
        assert card["url"].endswith(f"/v1/leads/{lead_id}")

        async def both_submissions():
            record = (await client.get(f"{capture}/v1/leads/{lead_id}")).json()
            return record if record.get("submission_count") == 2 else None

        record = await eventually(both_submissions, timeout=10)
        assert record["profile"]["city"] == "Arlington" and record["profile"]["consent"]["email"]["granted"]
        assert [s["message"] for s in record["submissions"]] == ["Tuesday works", "Call me about a demo"]
        assert [s["channel"] for s in record["submissions"]] == ["api", "landing_page"]

        for query in ({"email": "GRACE.HOPPER@navy.example"}, {"phone": "(202) 555-0147"}, {"q": "navy res"}):
            found = await client.get(f"{capture}/v1/leads", params=query)
            assert [lead["lead_id"] for lead in found.json()["leads"]] == [lead_id], (query, found.text)
        assert (await client.get(f"{capture}/v1/leads/{uuid.uuid4()}")).status_code == 404
        refused = await client.get(f"{capture}/v1/leads", params={"email": "not an email"})
        assert refused.status_code == 422 and refused.json()["fields"][0]["name"] == "email"


async def test_an_absorbed_lead_leads_to_its_survivor_and_search_pages_with_a_cursor(system):
    capture = system.capture
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        by_email = (
            await client.post(
                f"{capture}/v1/leads", json={"email": "ada@engines.example", "company": "Engines"}
            )
        ).json()
        by_phone = (
            await client.post(f"{capture}/v1/leads", json={"phone": "+44 20 7946 0958", "company": "Engines"})
        ).json()
        linking = {"email": "ada@engines.example", "phone": "+44 20 7946 0958"}
        assert (await client.post(f"{capture}/v1/leads", json=linking)).status_code == 202
        survivor, absorbed = by_email["lead_id"], by_phone["lead_id"]
        moved = await client.get(f"{capture}/v1/leads/{absorbed}", follow_redirects=False)
        assert moved.status_code == 303 and moved.headers["location"] == f"/v1/leads/{survivor}"
        record = (await client.get(f"{capture}/v1/leads/{absorbed}", follow_redirects=True)).json()
        assert record["lead_id"] == survivor and record["merged_lead_ids"] == [absorbed]
        assert record["submission_count"] == 3

        for n in range(3):
            await client.post(
                f"{capture}/v1/leads", json={"email": f"p{n}@pager.example", "company": "Pager Inc"}
            )
        first = (await client.get(f"{capture}/v1/leads", params={"q": "pager", "limit": 2})).json()
        second = (
            await client.get(
                f"{capture}/v1/leads", params={"q": "pager", "limit": 2, "cursor": first["next_cursor"]}
            )
        ).json()
        emails = [lead["email"] for lead in first["leads"] + second["leads"]]
        assert (
            emails == ["p0@pager.example", "p1@pager.example", "p2@pager.example"]
            and second["next_cursor"] is None
        )


async def test_a_rep_reads_and_finds_only_the_leads_offered_to_them(system):
    capture, routing, console = system.capture, system.routing, system.console
    async with httpx.AsyncClient(timeout=10) as client:
        admin = await token_for(client, console, ADMIN_EMAIL, ADMIN_PASSWORD)
        body = {"name": "Kim", "email": "kim@sales.example", "tier": "senior", "capacity": 1}
        rep_id = (await client.post(f"{routing}/v1/reps", json=body, headers=admin)).json()["id"]
        email, password, _ = await create_user(client, system, admin, "rep", rep_id=rep_id)
        kim = await token_for(client, console, email, password)
        posted = [(await client.post(f"{capture}/v1/leads/landing-page", json=GRACE)).json()["lead_id"]]
        other = {**GRACE, "email": "someone@else.example", "phone": "+1 202 555 0199"}
        posted.append((await client.post(f"{capture}/v1/leads/landing-page", json=other)).json()["lead_id"])

        async def kims_lead() -> str | None:  # Kim has room for one: whichever was scored first
            offers = (
                await client.get(f"{routing}/v1/assignments", params={"rep_id": rep_id}, headers=admin)
            ).json()
            return offers[0]["lead_id"] if offers else None

        mine = await eventually(kims_lead, timeout=30)
        [theirs] = [lead for lead in posted if lead != mine]

        async def offered_and_known() -> bool:
            return (await client.get(f"{capture}/v1/leads/{mine}", headers=kim)).status_code == 200

        await eventually(offered_and_known, timeout=30)
        assert (await client.get(f"{capture}/v1/leads/{theirs}", headers=kim)).status_code == 403
        assert (await client.get(f"{capture}/v1/leads/{uuid.uuid4()}", headers=kim)).status_code == 403
        found = (await client.get(f"{capture}/v1/leads", params={"q": "navy"}, headers=kim)).json()["leads"]
        assert [lead["lead_id"] for lead in found] == [mine]
        assert (
            len(
                (await client.get(f"{capture}/v1/leads", params={"q": "navy"}, headers=admin)).json()["leads"]
            )
            == 2
        )
        viewer_email, viewer_password, _ = await create_user(client, system, admin, "viewer")
        viewer = await token_for(client, console, viewer_email, viewer_password)

        async def viewer_refused() -> bool:  # known to capture, and refused: no personal data
            return (await client.get(f"{capture}/v1/leads/{mine}", headers=viewer)).status_code == 403

        await eventually(viewer_refused, timeout=5)
