"""The pipeline end to end: three services as real processes on the real broker and database.
A lead posted over HTTP reaches `leads.routed` with a rep of the right tier."""

import httpx
import pytest
from harness import AUTH, eventually, read_events

pytestmark = pytest.mark.e2e


async def healthy(url: str) -> bool:
    try:
        async with httpx.AsyncClient() as client:
            return (await client.get(f"{url}/readyz")).status_code == 200
    except httpx.HTTPError:
        return False


async def test_posted_lead_is_scored_and_routed_to_a_rep_of_its_tier(settings, topics, start_service):
    capture = start_service("capture", settings)
    scoring = start_service("scoring", settings)
    routing = start_service("routing", settings)
    for url in (capture, scoring, routing):
        await eventually(lambda url=url: healthy(url), timeout=30)

    async with httpx.AsyncClient(headers=AUTH) as client:
        reps = {}
        for tier in ("junior", "mid", "senior"):
            response = await client.post(
                f"{routing}/v1/reps",
                json={"name": f"{tier} rep", "email": f"{tier}@sales.example", "tier": tier, "capacity": 5},
            )
            assert response.status_code == 201, response.text
            reps[tier] = response.json()["id"]

        hot = {
            "email": "Grace.Hopper@Navy.example",
            "phone": "+1 202 555 0147",
            "first_name": "Grace",
            "job_title": "CTO",
            "company": "Navy",
            "company_size": "1000+",
            "consent": {"email": True},
            "attribution": {"source": "referral"},
        }
        response = await client.post(f"{capture}/v1/leads/landing-page", json=hot)
        assert response.status_code == 202, response.text
        hot_id = response.json()["lead_id"]

        cold_form = {"email": "someone@gmail.com", "job_title": "Student", "utm_source": "newsletter"}
        response = await client.post(f"{capture}/v1/leads/landing-page", data=cold_form)
        assert response.status_code == 202, response.text
        cold_id = response.json()["lead_id"]

    events = await read_events(
        settings.kafka_bootstrap_servers,
        topics.routed,
        until=lambda events: {e["subject"] for e in events} >= {hot_id, cold_id},
        timeout=30,
    )
    by_lead = {event["subject"]: event for event in events}
    routed = by_lead[hot_id]
    assert routed["type"] == "lead.routed"
    assert routed["_key"] == hot_id
    assert routed["data"]["temperature"] == "hot"
    assert routed["data"]["rep"]["tier"] == "senior"
    assert routed["data"]["rep"]["id"] == reps["senior"]
    assert routed["data"]["sla_deadline"] is not None
    nurtured = by_lead[cold_id]
    assert nurtured["type"] == "lead.nurtured"
    assert nurtured["data"]["queue"] == "nurture"
    assert nurtured["data"]["rep"] is None

    async with httpx.AsyncClient(headers=AUTH) as client:
        score = (await client.get(f"{scoring}/v1/leads/{hot_id}/score")).json()
    assert score["temperature"] == "hot"
    assert score["score"] == routed["data"]["score"]
    assert round(sum(reason["points"] for reason in score["reasons"]), 1) == score["score"]
    assert {"fit:job_title:c_level", "fit:company_size:1000+"} <= {r["factor"] for r in score["reasons"]}
