"""Capture's channels against the real database and broker: popup with CORS, the SMS webhook,
activities and outcomes, rate limiting, consent per channel."""

import pytest
from harness import AUTH, capture_in_process, message_sid, read_to_end
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from leadflow_capture.store.tables import leads, submissions

pytestmark = pytest.mark.integration
SMS_URL = "https://leads.example.com/v1/leads/sms"


async def count(app, table) -> int:
    async with app.state.runtime.engine.connect() as connection:
        return await connection.scalar(select(func.count()).select_from(table))


async def lead_profile(app, lead_id: str) -> dict:
    async with app.state.runtime.engine.connect() as connection:
        return await connection.scalar(select(leads.c.profile).where(leads.c.id == lead_id))


async def test_popup_cors_for_configured_origins_only_and_its_id_and_trigger_kept(settings, topics):
    async with capture_in_process(settings, allowed_origins="https://shop.example") as (client, app):
        preflight = {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        }
        allowed = await client.options(
            "/v1/leads/popup", headers={"Origin": "https://shop.example", **preflight}
        )
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://shop.example"
        refused = await client.options(
            "/v1/leads/popup", headers={"Origin": "https://evil.example", **preflight}
        )
        assert "access-control-allow-origin" not in refused.headers

        response = await client.post(
            "/v1/leads/popup",
            json={"email": "p@example.com", "popup_id": "spring-sale", "trigger": "exit_intent"},
            headers={"Origin": "https://shop.example"},
        )
        assert response.status_code == 202
        assert response.headers["access-control-allow-origin"] == "https://shop.example"
        # popup.js reads Retry-After from a 429 or 503 to send again: it must be exposed.
        assert response.headers["access-control-expose-headers"] == "Retry-After"
        profile = await lead_profile(app, response.json()["lead_id"])
        assert profile["attributes"] == {"popup_id": "spring-sale", "popup_trigger": "exit_intent"}
        assert profile["channels"] == ["popup"]
        bad = await client.post("/v1/leads/popup", json={"email": "q@example.com", "trigger": "telepathy"})
        assert bad.status_code == 422 and bad.json()["fields"][0]["name"] == "trigger"


def signed(token: str, params: dict, url: str = SMS_URL) -> dict:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, params)}


async def test_sms_needs_a_valid_signature_when_a_token_is_set(settings, topics):
    token = "twilio-auth-token"
    params = {"From": "+14155550100", "To": "+14155550199", "Body": "DEMO please"}
    params["MessageSid"] = message_sid(1)
    async with capture_in_process(settings, sms_auth_token=token, public_url="https://leads.example.com") as (
        client,
        app,
    ):
        missing = await client.post("/v1/leads/sms", data=params)
        forged = await client.post("/v1/leads/sms", data=params, headers=signed("wrong", params))
        tampered = await client.post(
            "/v1/leads/sms", data={**params, "Body": "STOP"}, headers=signed(token, params)
        )
        assert [r.status_code for r in (missing, forged, tampered)] == [403, 403, 403]
        assert await count(app, leads) == 0
        good = await client.post("/v1/leads/sms", data=params, headers=signed(token, params))
        assert good.status_code == 200 and good.headers["content-type"].startswith("text/xml")
        assert "<Message>" in good.text
        assert await count(app, leads) == 1


async def test_sms_keywords_consent_email_and_message_sid(settings, topics):
    async with capture_in_process(settings) as (client, app):
        first = {"From": "+14155550100", "Body": "DEMO - write me at Ada@Example.com"}
        first["MessageSid"] = message_sid(0xA)
        assert (await client.post("/v1/leads/sms", data=first)).status_code == 200
        assert (await client.post("/v1/leads/sms", data=first)).status_code == 200  # the provider retried
        assert await count(app, submissions) == 1

        stop = await client.post(
            "/v1/leads/sms", data={"From": "+14155550100", "Body": "STOP", "MessageSid": message_sid(0xB)}
        )
        assert "<Message>" not in stop.text, "no reply to an opt-out"
        async with app.state.runtime.engine.connect() as connection:
            profile = await connection.scalar(select(leads.c.profile))
        assert profile["email"] == "ada@example.com" and profile["phone"] == "+14155550100"
        assert profile["attribution"]["campaign"] == "demo" and profile["attributes"]["sms_keyword"] == "DEMO"
        assert profile["consent"]["sms"]["granted"] is False and profile["consent"]["sms"]["channel"] == "sms"

        await client.post(
            "/v1/leads/sms", data={"From": "+14155550100", "Body": "start", "MessageSid": message_sid(0xC)}
        )
        web = await client.post(
            "/v1/leads/landing-page", json={"email": "ada@example.com", "consent": {"email": True}}
        )
        profile = await lead_profile(app, web.json()["lead_id"])
        assert profile["consent"]["sms"]["granted"] is True and profile["consent"]["sms"]["channel"] == "sms"
        assert profile["consent"]["email"]["granted"] is True
        assert profile["consent"]["email"]["channel"] == "landing_page" and profile["consent"]["email"]["at"]
        assert await count(app, leads) == 1, "SMS and web submissions of one person are one lead"

        missing = await client.post("/v1/leads/sms", data={"Body": "hi"})
        assert missing.status_code == 422 and {f["name"] for f in missing.json()["fields"]} == {
            "From",
            "MessageSid",
        }


async def test_activities_and_outcomes_are_published_for_known_leads_only(settings, topics):
    async with capture_in_process(settings) as (client, _app):
        lead_id = (await client.post("/v1/leads/landing-page", json={"email": "a@example.com"})).json()[
            "lead_id"
        ]
        assert (
            await client.post("/v1/activities", json={"email": "a@example.com", "type": "page_view"})
        ).status_code == 401
        one = await client.post(
            "/v1/activities", headers=AUTH, json={"email": "A@example.com", "type": "pricing_page_view"}
        )
        assert one.status_code == 202 and one.json()["lead_id"] == lead_id
        unknown = await client.post(
            "/v1/activities", headers=AUTH, json={"email": "who@example.com", "type": "page_view"}
        )
        assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
        batch = await client.post(
            "/v1/activities",
            headers=AUTH,
            json={
                "activities": [
                    {"lead_id": lead_id, "type": "demo_requested", "properties": {"slot": "tue"}},
                    {"phone": "+14155550100", "type": "call_answered"},
                    {"lead_id": lead_id, "type": "Not A Type"},
                ]
            },
        )
        results = batch.json()["results"]
        assert [r["status"] for r in results] == [202, 404, 422]
        assert results[2]["errors"][0]["name"] == "activities[2].type"
        outcome = await client.post(
            "/v1/outcomes", headers=AUTH, json={"email": "a@example.com", "outcome": "won", "amount": 990}
        )
        assert outcome.status_code == 202
        bad = await client.post("/v1/outcomes", headers=AUTH, json={"lead_id": lead_id, "outcome": "maybe"})
        assert bad.status_code == 422 and bad.json()["fields"][0]["name"] == "outcome"
    activities = await read_to_end(settings.kafka_bootstrap_servers, topics.activities)
    assert sorted(e["data"]["type"] for e in activities) == ["demo_requested", "pricing_page_view"]
    assert all(e["type"] == "lead.activity" and e["subject"] == lead_id for e in activities)
    outcomes = await read_to_end(settings.kafka_bootstrap_servers, topics.outcomes)
    assert [(e["data"]["outcome"], e["data"]["amount"]) for e in outcomes] == [("won", 990)]


async def test_public_submissions_are_rate_limited_per_client(settings, topics):
    async with capture_in_process(settings, rate_limit=3) as (client, app):
        statuses = [
            (await client.post("/v1/leads/landing-page", json={"email": f"r{i}@example.com"})).status_code
            for i in range(5)
        ]
        assert statuses == [202, 202, 202, 429, 429]
        limited = await client.post("/v1/leads/popup", json={"email": "r9@example.com"})
        assert limited.headers["content-type"] == "application/problem+json"
        assert int(limited.headers["retry-after"]) >= 1
        assert await count(app, leads) == 3
        assert (
            await client.post("/v1/leads", headers=AUTH, json={"email": "api@example.com"})
        ).status_code == 202


async def test_blocked_email_domains_get_a_problem_naming_email(settings, topics):
    async with capture_in_process(settings, blocked_email_domains="spam.example, junk.example") as (
        client,
        app,
    ):
        response = await client.post("/v1/leads/landing-page", data={"email": "bot@junk.example"})
        assert response.status_code == 422 and response.json()["fields"][0]["name"] == "email"
        assert await count(app, leads) == 0
