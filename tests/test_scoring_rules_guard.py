"""A marketer's or colleague's mistake in the scoring rules never stops scoring or routing.

Capture, scoring and routing run as real processes. Every route to bad rules is tried: the API
refuses whole-document mistakes with a 422 naming the field (preview too, never a 500); a
version written around the API (a hand-made SQL insert, an older release's looser document) is
not put into use: the last good version keeps scoring, `/readyz`, the metrics and the audit
trail say so, a scoring process started meanwhile starts, and when the rules are fixed every
lead posted in between has a score and a routing decision."""

import json
import re

import asyncpg
import httpx
import pytest
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import AUTH, HOT, eventually, is_ready, read_events
from test_console_pages import sign_in

pytestmark = pytest.mark.e2e


def _fields(response: httpx.Response) -> set[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return {field["name"] for field in response.json()["fields"]}


async def _readyz(client: httpx.AsyncClient, url: str) -> dict:
    response = await client.get(f"{url}/readyz")
    assert response.status_code == 200, response.text  # degraded still serves
    return response.json()


async def test_broken_rules_by_every_route_leave_no_lead_unscored_or_unrouted(system, topics, start_service):
    settings, capture, scoring, routing = system.settings, system.capture, system.scoring, system.routing

    async with httpx.AsyncClient(headers=AUTH, timeout=30) as client:
        rep = {"name": "Senior", "email": "senior@sales.example", "tier": "senior", "capacity": 100}
        assert (await client.post(f"{routing}/v1/reps", json=rep)).status_code == 201
        good = (await client.get(f"{scoring}/v1/scoring/rules")).json()["rules"]

        # The API: whole-document mistakes, each answered 422 naming the field; nothing stored.
        b2b_only = {"profiles": {"b2b": good["profiles"]["b2b"]}}
        disordered = json.loads(json.dumps(good))
        disordered["profiles"]["b2b"]["thresholds"] = {"warm": 80, "hot": 50}
        lower_case_country = json.loads(json.dumps(good))
        lower_case_country["profiles"]["b2c"]["countries"] = {"de": 5}
        not_a_field = json.loads(json.dumps(good))
        not_a_field["profiles"]["b2b"]["fields"] = [{"field": "model_dump", "equals": "x", "points": 5}]
        refused = {
            "empty profiles": ({"profiles": {}}, {"profiles.b2b", "profiles.b2c"}),
            "one profile": (b2b_only, {"profiles.b2c"}),
            "disordered thresholds": (disordered, {"profiles.b2b.thresholds.hot"}),
            "lower-case country": (lower_case_country, {"profiles.b2c.countries.de.[key]"}),
            "unknown lead field": (not_a_field, {"profiles.b2b.fields[0].field"}),
        }
        for path in ("/v1/scoring/rules/preview", "/v1/scoring/rules"):
            for name, (document, fields) in refused.items():
                method = client.put if path == "/v1/scoring/rules" else client.post
                response = await method(f"{scoring}{path}", json=document)
                assert _fields(response) == fields, (path, name)
        assert (await client.get(f"{scoring}/v1/scoring/rules")).json()["version"] == 0

        # A good version, then a broken one written around the API.
        assert (await client.put(f"{scoring}/v1/scoring/rules", json=good)).json()["version"] == 1
        connection = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
        try:
            await connection.execute(
                "INSERT INTO scoring.rule_versions (version, document, created_at) VALUES (2, $1, now())",
                json.dumps({"profiles": {}}),
            )
        finally:
            await connection.close()

        async def degraded() -> dict | None:
            body = await _readyz(client, scoring)
            return body if body["status"] == "degraded" else None

        body = await eventually(degraded, timeout=15)  # SCORING_REFRESH_SECONDS: 5
        assert "rules version 2 does not validate" in body["degraded"]["rules"]
        assert "scoring with rules version 1" in body["degraded"]["rules"]
        in_use = (await client.get(f"{scoring}/v1/scoring/rules")).json()
        assert in_use["version"] == 1
        assert [(p["version"], p["problem"], p["fallback_version"]) for p in in_use["problems"]] == [
            (2, "invalid", 1)
        ]
        exposition = (await client.get(f"{scoring}/metrics")).text
        assert "leadflow_scoring_rules_degraded 1.0" in exposition
        marketer = await sign_in(system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
        try:
            page = re.sub(r"\s+", " ", (await marketer.get("/scoring")).text)
        finally:
            await marketer.aclose()
        assert "Rules version 2 does not validate (profiles.b2b, profiles.b2c)" in page
        assert "scored by rules version 1" in page

        # A scoring process started now starts, scores with version 1, and says so.
        second = start_service("scoring", settings, SCORING_REFRESH_SECONDS="0.3")
        await eventually(lambda: is_ready(second), timeout=30)
        assert (await _readyz(client, second))["status"] == "degraded"

        # Leads keep coming while the rules are broken: every one is scored and routed.
        posted = []
        for number in range(6):
            form = {**HOT, "email": f"buyer{number}@acme.example", "company": "Acme"}
            response = await client.post(f"{capture}/v1/leads/landing-page", json=form)
            assert response.status_code == 202, response.text
            posted.append(response.json()["lead_id"])

        async def scored_by(version: int):
            scores = [await client.get(f"{scoring}/v1/leads/{lead}/score") for lead in posted]
            return all(
                s.status_code == 200 and s.json()["model"] == {"kind": "rules", "version": version}
                for s in scores
            )

        await eventually(lambda: scored_by(1), timeout=20)
        decided = await read_events(
            settings.kafka_bootstrap_servers,
            topics.routed,
            until=lambda events: {e["subject"] for e in events if e["type"] == "lead.routed"} >= set(posted),
            timeout=30,
        )
        routed = [e for e in decided if e["subject"] in posted and e["type"] == "lead.routed"]
        assert {e["data"]["rep"]["id"] for e in routed} != {None}

        # The audit trail names the version that failed and the one that scored instead.
        audit = await read_events(
            settings.kafka_bootstrap_servers,
            topics.audit,
            until=lambda events: any(e["data"]["action"] == "rules.invalid" for e in events),
            timeout=20,
        )
        entry = next(e["data"] for e in audit if e["data"]["action"] == "rules.invalid")
        assert (entry["target_type"], entry["target_id"], entry["outcome"]) == ("rules", "2", "failed")
        assert entry["details"]["fallback_rules_version"] == 1
        assert entry["details"]["detail"] == "profiles.b2b, profiles.b2c"

        # Fixed: version 3 is in use everywhere, nothing is degraded, every lead is re-scored.
        fixed = json.loads(json.dumps(good))
        fixed["profiles"]["b2b"]["job_titles"][0]["points"] += 1
        assert (await client.put(f"{scoring}/v1/scoring/rules", json=fixed)).json()["version"] == 3
        for url in (scoring, second):
            await eventually(lambda url=url: _ready_and_healthy(client, url), timeout=10)
        await eventually(lambda: scored_by(3), timeout=30)


async def _ready_and_healthy(client: httpx.AsyncClient, url: str) -> bool:
    body = await _readyz(client, url)
    return body["status"] == "ready" and "degraded" not in body
