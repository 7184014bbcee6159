"""Do not contact: a person on the list is refused on every channel, answered like anyone else
(nobody learns who is on it), not replied to by SMS, and the list holds digests only."""

import json

import pytest
from harness import AUTH, capture_in_process, message_sid, opened, read_to_end
from sqlalchemy import func, select

from leadflow_capture.tables import leads, submissions, suppressions

pytestmark = pytest.mark.integration
EMAIL, PHONE = "ada@example.com", "+14155550100"


async def count(app, table) -> int:
    async with app.state.runtime.engine.connect() as connection:
        return await connection.scalar(select(func.count()).select_from(table))


async def test_a_suppressed_person_is_refused_on_every_channel_and_nobody_can_tell(settings, topics):
    async with capture_in_process(settings) as (client, app):
        missing = await client.post("/v1/privacy/suppressions", json={"reason": "objection"}, headers=AUTH)
        assert missing.status_code == 422
        bad = await client.post("/v1/privacy/suppressions", json={"email": "not an email"}, headers=AUTH)
        assert bad.status_code == 422 and bad.json()["fields"][0]["name"] == "email"
        anonymous = await client.post("/v1/privacy/suppressions", json={"email": EMAIL})
        assert anonymous.status_code == 401
        added = await client.post(
            "/v1/privacy/suppressions",
            json={"email": "Ada@Example.com", "phone": "(415) 555-0100"},
            headers=AUTH,
        )
        assert added.status_code == 201 and added.json() == {"suppressed": ["email", "phone"]}

        form = await client.post("/v1/leads/landing-page", json={"email": EMAIL, "first_name": "Ada"})
        popup = await client.post("/v1/leads/popup", json={"email": "ADA@example.com", "first_name": "Ada"})
        sms = await client.post(
            "/v1/leads/sms", data={"From": PHONE, "Body": "DEMO", "MessageSid": message_sid(0x51)}
        )
        api = await client.post(
            "/v1/leads",
            json={"leads": [{"phone": "+1 415 555 0100"}, {"email": "bo@example.com"}]},
            headers=AUTH,
        )
        for answer in (form, popup):
            assert answer.status_code == 202 and set(answer.json()) == {"lead_id", "submission_id"}
        assert sms.status_code == 200 and "<Message>" not in sms.text  # no reply to someone on the list
        assert api.status_code == 202 and [r["status"] for r in api.json()["results"]] == [202, 202]

        # Only the other person was stored and published; the refused ids lead nowhere.
        assert await count(app, leads) == 1 and await count(app, submissions) == 1
        assert (await client.get(f"/v1/leads/{form.json()['lead_id']}", headers=AUTH)).status_code == 404
        captured = await read_to_end(settings.kafka_bootstrap_servers, topics.captured)
        published = json.dumps(await opened(settings.database_url, captured))
        assert "bo@example.com" in published and EMAIL not in published and "5550100" not in published

        # The list and the audit trail hold no email or phone.
        async with app.state.runtime.engine.connect() as connection:
            stored = json.dumps(
                [list(map(str, row)) for row in await connection.execute(select(suppressions))]
            )
        assert EMAIL not in stored.lower() and "5550100" not in stored
        trail = json.dumps(await read_to_end(settings.kafka_bootstrap_servers, topics.audit))
        assert "suppression.added" in trail and EMAIL not in trail.lower() and "5550100" not in trail
