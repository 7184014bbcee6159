"""The pipeline end to end: three services as real processes on the real broker and database.
A lead posted over HTTP reaches `leads.routed` with a rep of the right tier."""

import json
import re
from pathlib import Path

import httpx
import pytest
from harness import AUTH, eventually, is_ready, read_events, read_to_end
from jsonschema import Draft202012Validator

from leadflow_common.asyncapi import asyncapi_document

pytestmark = pytest.mark.e2e
CHANGE = "assignment.changed"  # each change of an assignment; these checks read the decisions


@pytest.mark.long
async def test_posted_lead_is_scored_and_routed_to_a_rep_of_its_tier(settings, topics, start_service):
    capture = start_service("capture", settings)
    scoring = start_service("scoring", settings)
    routing = start_service("routing", settings)
    for url in (capture, scoring, routing):
        await eventually(lambda url=url: is_ready(url), timeout=30)

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
        until=lambda events: {e["subject"] for e in events if e["type"] != CHANGE} >= {hot_id, cold_id},
        timeout=30,
    )
    by_lead = {event["subject"]: event for event in events if event["type"] != CHANGE}
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

    async with httpx.AsyncClient(headers=AUTH) as client:
        activity = {"lead_id": hot_id, "type": "pricing_page_view"}
        assert (await client.post(f"{capture}/v1/activities", json=activity)).status_code == 202
        outcome = {"email": "grace.hopper@navy.example", "outcome": "won", "amount": 1200}
        assert (await client.post(f"{capture}/v1/outcomes", json=outcome)).status_code == 202
    await read_events(
        settings.kafka_bootstrap_servers, topics.outcomes, until=lambda events: len(events) >= 1
    )

    async with httpx.AsyncClient(headers=AUTH) as client:  # two leads of one person, then linked
        for body in ({"email": "m@merge.example"}, {"phone": "+14155550111"}):
            assert (await client.post(f"{capture}/v1/leads", json=body)).status_code == 202
        linking = {"email": "m@merge.example", "phone": "+14155550111"}
        assert (await client.post(f"{capture}/v1/leads", json=linking)).status_code == 202
    await read_events(settings.kafka_bootstrap_servers, topics.merged, until=lambda events: len(events) >= 1)

    async with httpx.AsyncClient(headers=AUTH) as client:  # the merged person asks to be erased
        erasure = await client.post(f"{capture}/v1/privacy/erasures", json={"email": "m@merge.example"})
        assert erasure.status_code == 202 and erasure.json()["leads"] == 2, erasure.text
    # Capture asks, scoring and routing answer, for both of the person's leads.
    await read_events(
        settings.kafka_bootstrap_servers,
        topics.erased,
        until=lambda events: sum(e["type"] == "lead.erasure_applied" for e in events) >= 4,
        timeout=30,
    )

    # What the services really published matches the AsyncAPI document, topic by topic.
    document = asyncapi_document()
    checked_in = json.loads((Path(__file__).parents[1] / "docs" / "asyncapi.json").read_text())
    assert checked_in == json.loads(json.dumps(document)), "regenerate docs/asyncapi.json (leadflow asyncapi)"
    for channel in document["channels"].values():
        events = await read_to_end(settings.kafka_bootstrap_servers, topics.prefix + channel["address"])
        assert events, channel["address"]
        allowed = {
            document["components"]["messages"][ref["$ref"].rsplit("/", 1)[1]]["name"]: ref["$ref"]
            for ref in channel["messages"].values()
        }
        for event in events:
            assert event["type"] in allowed, (channel["address"], event["type"])
            schema = {**document, "$ref": allowed[event["type"]] + "/payload"}
            Draft202012Validator(schema).validate(event)


def test_the_asyncapi_document_names_every_consumer_group_with_the_topics_it_reads():
    """Each service's entry point subscribes its groups to exactly the topics documented."""
    from leadflow_common.asyncapi import CONSUMERS

    root = Path(__file__).parents[1] / "services"
    for group, (service, topics, _) in CONSUMERS.items():
        source = (root / service / f"leadflow_{service}" / "main.py").read_text()
        assert f'group="{group}"' in source, group
        call = source[source.index(f'group="{group}"') :].split("handler=", 1)[0]
        read = set(
            re.findall(
                r"topics\.(captured|merged|activities|outcomes|scored|routed|erased|accounts|audit)\b", call
            )
        )
        assert read == {topic.split(".")[-1] for topic in topics}, group
