"""Do not contact: a person on the list is refused on every channel, answered like anyone else
(nobody learns who is on it), not replied to by SMS, and the list holds digests only."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from harness import AUTH, capture_in_process, message_sid, opened, read_to_end
from sqlalchemy import func, select, update

from leadflow_capture.store.tables import consent_changes, erasures, leads, submissions, suppressions

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
        imported = await client.post(  # what `leadflow import` sends
            "/v1/leads",
            json={"leads": [{"email": EMAIL, "first_name": "Ada"}]},
            headers={**AUTH, "X-Leadflow-Channel": "import"},
        )
        assert imported.status_code == 202 and imported.json()["results"][0]["status"] == 202
        for answer in (form, popup):
            assert answer.status_code == 202 and set(answer.json()) == {"lead_id", "submission_id"}
        # Answered as a stored person is: her lead id each time, a repeated key's answer again
        # (a probe told her listed by fresh ids on each post).
        assert form.json()["lead_id"] == popup.json()["lead_id"]
        assert form.json()["submission_id"] != popup.json()["submission_id"]
        keyed = [
            await client.post("/v1/leads/popup", json={"email": EMAIL}, headers={"Idempotency-Key": "p-1"})
            for _ in range(2)
        ]
        assert keyed[0].json() == keyed[1].json() and keyed[0].json()["lead_id"] == form.json()["lead_id"]
        tagged = await client.post("/v1/leads/popup", json={"email": "ada+news@example.com"})  # her mailbox
        assert tagged.status_code == 202
        assert sms.status_code == 200 and "<Message>" not in sms.text  # no reply to someone on the list
        assert api.status_code == 202 and [r["status"] for r in api.json()["results"]] == [202, 202]

        # Only the other person was stored and published; the refused ids lead nowhere.
        assert await count(app, leads) == 1 and await count(app, submissions) == 1
        assert (await client.get(f"/v1/leads/{form.json()['lead_id']}", headers=AUTH)).status_code == 404
        captured = await read_to_end(settings.kafka_bootstrap_servers, topics.captured)
        published = json.dumps(await opened(settings.database_url, captured))
        assert "bo@example.com" in published and EMAIL not in published and "5550100" not in published

        # She agrees to be contacted again: her email comes off the list, her phone stays on it.
        lifted = await client.post(
            "/v1/privacy/suppressions/lift", json={"email": "ADA@example.com"}, headers=AUTH
        )
        assert lifted.status_code == 200 and lifted.json() == {"lifted": ["email"]}
        again = await client.post("/v1/privacy/suppressions/lift", json={"email": EMAIL}, headers=AUTH)
        assert again.json() == {"lifted": []}
        back = await client.post("/v1/leads/landing-page", json={"email": EMAIL, "first_name": "Ada"})
        assert (await client.get(f"/v1/leads/{back.json()['lead_id']}", headers=AUTH)).status_code == 200
        assert await count(app, leads) == 2

        # The list and the audit trail hold no email or phone.
        async with app.state.runtime.engine.connect() as connection:
            stored = json.dumps(
                [list(map(str, row)) for row in await connection.execute(select(suppressions))]
            )
        assert EMAIL not in stored.lower() and "5550100" not in stored
        trail = json.dumps(await read_to_end(settings.kafka_bootstrap_servers, topics.audit))
        assert "suppression.added" in trail and "suppression.lifted" in trail
        assert EMAIL not in trail.lower() and "5550100" not in trail


async def test_a_refusal_answers_tags_and_reused_keys_as_a_stored_person_would_be(settings, topics):
    """A second read of the refusal: its tagged addresses all shared one id (an unlisted person's
    are separate leads), and a key reused across a refusal answered 202 where an unlisted
    person's answers 409."""
    async with capture_in_process(settings) as (client, app):
        listed = await client.post("/v1/privacy/suppressions", json={"email": EMAIL}, headers=AUTH)
        assert listed.status_code == 201

        async def popup(email: str, key: str | None = None) -> httpx.Response:
            headers = {"Idempotency-Key": key} if key else {}
            return await client.post("/v1/leads/popup", json={"email": email}, headers=headers)

        tags = [(await popup(f"ada+{tag}@example.com")).json()["lead_id"] for tag in ("one", "two")]
        assert tags[0] != tags[1]
        assert (await popup("me@example.com", "k-1")).status_code == 202
        assert (await popup(EMAIL, "k-1")).status_code == 409  # as for anyone else
        assert (await popup(EMAIL, "k-2")).status_code == 202
        assert (await popup("me@example.com", "k-2")).status_code == 409
        assert (await popup(EMAIL, "k-2")).json() == (await popup(EMAIL, "k-2")).json()
        assert await count(app, leads) == 1  # mine; nothing of hers
        # Someone who objects keeps her lead, and her answers keep its id (a new one told).
        dana = {"email": "dana@example.com"}
        first = (await popup(dana["email"])).json()["lead_id"]
        assert (await client.post("/v1/privacy/suppressions", json=dana, headers=AUTH)).status_code == 201
        assert (await popup(dana["email"])).json()["lead_id"] == first


async def test_each_consent_change_is_kept_with_when_the_channel_and_where(settings):
    async with capture_in_process(settings) as (client, app):
        popup = {
            "email": EMAIL,
            "phone": PHONE,
            "consent": {"sms": True, "email": True},
            "popup_id": "spring-sale",
            "attribution": {"landing_url": "https://shop.example/pricing"},
        }
        lead_id = (await client.post("/v1/leads/popup", json=popup)).json()["lead_id"]
        stop = {"From": PHONE, "Body": "STOP", "MessageSid": message_sid(0x5709)}
        assert (await client.post("/v1/leads/sms", data=stop)).status_code == 200
        # A form saying nothing new about consent changes nothing in the ledger.
        assert (await client.post("/v1/leads/landing-page", json={"email": EMAIL})).status_code == 202
        async with app.state.runtime.engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(consent_changes)
                    .where(consent_changes.c.lead_id == lead_id)
                    .order_by(consent_changes.c.id)
                )
            ).all()
    assert [(r.consent, r.granted, r.channel) for r in rows] == [
        ("email", True, "popup"),
        ("sms", True, "popup"),
        ("sms", False, "sms"),
    ]
    assert rows[0].source == {"popup_id": "spring-sale", "page": "https://shop.example/pricing"}
    assert rows[2].source == {"keyword": "STOP"} and rows[2].at > rows[1].at


async def test_retention_erases_leads_inactive_too_long_and_drops_old_raw_bodies(settings, topics):
    async with capture_in_process(
        settings, retain_inactive_days=5, retain_raw_bodies_days=5, retention_check_seconds=3600
    ) as (client, app):
        quiet = (await client.post("/v1/leads", json={"email": "quiet@example.com"}, headers=AUTH)).json()
        busy = (await client.post("/v1/leads", json={"email": "busy@example.com"}, headers=AUTH)).json()
        async with app.state.runtime.engine.begin() as connection:  # both last seen ten days ago
            ago = datetime.now(UTC) - timedelta(days=10)
            await connection.execute(update(leads).values(updated_at=ago))
            await connection.execute(update(submissions).values(received_at=ago))
        activity = {"lead_id": busy["lead_id"], "type": "email_clicked"}
        assert (await client.post("/v1/activities", json=activity, headers=AUTH)).status_code == 202

        erased, dropped = await app.state.retention.apply(datetime.now(UTC))
        assert (erased, dropped) == (1, 2)
        assert await app.state.retention.apply(datetime.now(UTC)) == (0, 0)  # nothing left to do
        async with app.state.runtime.engine.connect() as connection:
            kept = {row.id: row for row in await connection.execute(select(leads))}
            requests = (await connection.execute(select(erasures))).all()
            bodies = [row.payload for row in await connection.execute(select(submissions))]
    assert kept[uuid.UUID(quiet["lead_id"])].erased_at and kept[uuid.UUID(quiet["lead_id"])].email is None
    assert kept[uuid.UUID(busy["lead_id"])].erased_at is None  # its activity counts
    assert [(r.requested_by, r.suppressed) for r in requests] == [("retention", False)]
    assert bodies == [{}, {}]
    erased_events = await read_to_end(settings.kafka_bootstrap_servers, topics.captured)
    assert [e["subject"] for e in erased_events if e["type"] == "lead.erased"] == [quiet["lead_id"]]
