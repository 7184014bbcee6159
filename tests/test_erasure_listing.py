"""An erased person does not come back by another door. Erasure lists as do not contact every
email and every phone her leads held, however she was named (email, phone, lead id), in its own
transaction; afterwards an SMS, a form, a popup or the API from any of them is answered as usual
and stores and publishes nothing, so no subscriber hears of her again. `"suppress": false`
lists nothing. Real capture and webhooks processes, a real receiver, the real broker and database."""

import asyncio
import json

import httpx
import pytest
from harness import AUTH, eventually, is_ready, message_sid, read_to_end
from sqlalchemy import text
from webhook_receiver import receiving

from leadflow_capture.domain import privacy
from leadflow_cli.infra import free_port
from leadflow_common.db import create_engine

pytestmark = pytest.mark.e2e

ADA_EMAIL, ADA_WORK_EMAIL, ADA_PHONE = "ada@engines.example", "ada@lovelace.example", "+14155550123"
BOB_EMAIL = "bob@mills.example"


async def rows(database_url: str, statement: str) -> list:
    engine = create_engine(database_url, application_name="erasure-listing")
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text(statement))).all()
    finally:
        await engine.dispose()


async def live_leads(database_url: str) -> list:
    """Capture's leads not erased, with their email and phone."""
    return await rows(database_url, "SELECT id, email, phone FROM capture.leads WHERE erased_at IS NULL")


async def listed(database_url: str) -> list:
    return await rows(database_url, "SELECT digest, kind, reason FROM capture.suppressions ORDER BY digest")


def digests(*identifiers: tuple[str, str]) -> list[str]:
    return sorted(privacy.digest(kind, value) for kind, value in identifiers)


async def captured_subjects(settings, topics) -> list[str]:
    """The lead ids of every lead.captured so far."""
    events = await read_to_end(settings.kafka_bootstrap_servers, topics.captured)
    return [event["subject"] for event in events if event["type"] == "lead.captured"]


async def erase(client: httpx.AsyncClient, capture: str, body: dict) -> dict:
    asked = await client.post(f"{capture}/v1/privacy/erasures", json=body)
    assert asked.status_code == 202, asked.text
    return asked.json()


async def sms(client: httpx.AsyncClient, capture: str, sid: int, body: str = "call me") -> httpx.Response:
    answer = await client.post(
        f"{capture}/v1/leads/sms", data={"From": ADA_PHONE, "Body": body, "MessageSid": message_sid(sid)}
    )
    assert answer.status_code == 200, answer.text
    return answer


async def settled_after(client, capture: str, settings, topics) -> list[str]:
    """Posts Bob's form and waits for his lead.captured: whatever the submissions before it
    published (their outbox rows committed before their answers) is on the topic by then."""
    bob = await client.post(f"{capture}/v1/leads/landing-page", json={"email": BOB_EMAIL})
    assert bob.status_code == 202
    bob_id = bob.json()["lead_id"]
    await eventually(lambda: _has(settings, topics, bob_id), timeout=30, interval=0.3)
    await asyncio.sleep(1)
    return await captured_subjects(settings, topics)


async def _has(settings, topics, lead_id: str) -> bool:
    return lead_id in await captured_subjects(settings, topics)


@pytest.fixture
async def capture(settings, start_service) -> str:
    url = start_service("capture", settings)
    await eventually(lambda: is_ready(url), timeout=30)
    return url


async def test_erased_by_a_lead_id_she_is_refused_from_every_email_and_phone_her_leads_held(
    settings, topics, capture, start_service
):
    webhooks = start_service("webhooks", settings, WEBHOOKS_ALLOWED_HOSTS="127.0.0.1")
    await eventually(lambda: is_ready(webhooks), timeout=30)
    async with receiving(free_port()) as receiver, httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        hook = {"url": receiver.url, "events": ["lead.captured"]}
        assert (await client.post(f"{webhooks}/v1/webhooks", json=hook)).status_code == 201
        # One person, two leads merged: a form (her email), an SMS (her phone) that a key holder
        # gave her work email, then the API linking her email and phone.
        form = await client.post(f"{capture}/v1/leads/landing-page", json={"email": ADA_EMAIL})
        assert form.status_code == 202
        await sms(client, capture, 0xA1)
        by_phone = {"leads": [{"phone": ADA_PHONE, "email": ADA_WORK_EMAIL}]}
        assert (await client.post(f"{capture}/v1/leads", json=by_phone)).status_code == 202
        linked = {"leads": [{"email": ADA_EMAIL, "phone": ADA_PHONE, "first_name": "Ada"}]}
        assert (await client.post(f"{capture}/v1/leads", json=linked)).status_code == 202
        held = await rows(settings.database_url, "SELECT id, email, phone, merged_into FROM capture.leads")
        assert len(held) == 2 and sum(row.merged_into is not None for row in held) == 1
        absorbed = next(row for row in held if row.merged_into is not None)
        assert (absorbed.email, absorbed.phone) == (ADA_WORK_EMAIL, ADA_PHONE)
        ada_leads = {str(row.id) for row in held}

        def heard_of(lead_ids: set[str]) -> bool:
            told = {r.event["subject"] for r in receiver.received if r.event["type"] == "lead.captured"}
            return told >= lead_ids

        await eventually(lambda: heard_of(ada_leads), timeout=40)
        before = await captured_subjects(settings, topics)

        erasure = await erase(client, capture, {"lead_id": str(absorbed.id)})  # the absorbed lead's id
        assert erasure["leads"] == 2

        # She comes back by every door: each answered as usual, none stores or publishes her.
        reply = await sms(client, capture, 0xA2, "Ada again, call me")
        doors = [
            ("/v1/leads/landing-page", {"json": {"email": ADA_EMAIL, "first_name": "Ada"}}),
            ("/v1/leads/popup", {"json": {"email": ADA_WORK_EMAIL.upper(), "first_name": "Ada"}}),
            ("/v1/leads", {"json": {"leads": [{"phone": "(415) 555-0123", "first_name": "Ada"}]}}),
        ]
        for path, body in doors:
            assert (await client.post(f"{capture}{path}", **body)).status_code == 202, path
        after = await settled_after(client, capture, settings, topics)
        bob = [row for row in await live_leads(settings.database_url) if row.email == BOB_EMAIL]
        assert await live_leads(settings.database_url) == bob  # no lead but Bob's
        assert sorted(after) == sorted([*before, str(bob[0].id)])  # no lead.captured but Bob's
        await eventually(lambda: heard_of({str(bob[0].id)}), timeout=40)
        await asyncio.sleep(1)
        captured = [r.event["subject"] for r in receiver.received if r.event["type"] == "lead.captured"]
        assert set(captured) == ada_leads | {str(bob[0].id)}  # subscribers heard of no new Ada

        assert "<Message>" not in reply.text  # no reply to someone on the list
        # Every email and phone her leads held is listed, as digests (never the values).
        assert erasure["suppressed"] is True
        stored = await listed(settings.database_url)
        assert [row.digest for row in stored] == digests(
            ("email", ADA_EMAIL), ("email", ADA_WORK_EMAIL), ("phone", ADA_PHONE)
        )
        assert {row.reason for row in stored} == {"erasure"}
        stored_text = json.dumps([list(map(str, row)) for row in stored])
        assert "ada" not in stored_text and "5550123" not in stored_text


async def test_erased_by_email_her_phone_is_listed_too(settings, topics, capture):
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        popup = {"email": ADA_EMAIL, "phone": ADA_PHONE, "consent": {"sms": True}}
        assert (await client.post(f"{capture}/v1/leads/popup", json=popup)).status_code == 202
        before = await captured_subjects(settings, topics)

        erasure = await erase(client, capture, {"email": ADA_EMAIL.upper()})
        assert erasure["leads"] == 1

        await sms(client, capture, 0xB1, "START")
        after = await settled_after(client, capture, settings, topics)
        assert [row.email for row in await live_leads(settings.database_url)] == [BOB_EMAIL]
        assert len(after) == len(before) + 1  # Bob's only
        phones = await rows(settings.database_url, "SELECT id FROM capture.leads WHERE phone IS NOT NULL")
        assert phones == []
        assert erasure["suppressed"] is True
        stored = await listed(settings.database_url)
        assert [row.digest for row in stored] == digests(("email", ADA_EMAIL), ("phone", ADA_PHONE))


async def test_the_caller_decides_with_suppress(settings, topics, capture):
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        popup = {"email": ADA_EMAIL, "phone": ADA_PHONE}
        first = await client.post(f"{capture}/v1/leads/popup", json=popup)
        assert first.status_code == 202

        # Told not to: nothing goes on the list, and her next SMS is a new lead.
        kept_off = await erase(client, capture, {"email": ADA_EMAIL, "suppress": False})
        assert kept_off["leads"] == 1 and kept_off["suppressed"] is False
        assert await listed(settings.database_url) == []
        await sms(client, capture, 0xC1)
        [again] = await live_leads(settings.database_url)
        assert again.phone == ADA_PHONE and str(again.id) != first.json()["lead_id"]

        # Not told (the default), erased by that lead's id: her phone goes on the list.
        listed_too = await erase(client, capture, {"lead_id": str(again.id)})
        assert listed_too["leads"] == 1
        await sms(client, capture, 0xC2)
        await settled_after(client, capture, settings, topics)
        assert [row.email for row in await live_leads(settings.database_url)] == [BOB_EMAIL]
        assert listed_too["suppressed"] is True
        stored = await listed(settings.database_url)
        assert [row.digest for row in stored] == digests(("phone", ADA_PHONE))


async def texted(client: httpx.AsyncClient, capture: str, phone: str, sid: int) -> int:
    data = {"From": phone, "Body": "Ada here", "MessageSid": message_sid(sid)}
    return (await client.post(f"{capture}/v1/leads/sms", data=data)).status_code


async def erased_soon(client: httpx.AsyncClient, capture: str, body: dict) -> dict:
    await asyncio.sleep(0.02)  # among the messages, not before them all
    return await erase(client, capture, body)


async def test_no_sms_racing_her_erasure_brings_her_back(settings, start_service):
    """SMS from her phone while she is erased by email: each is stored before the erasure (and
    erased with her) or refused after it; none re-creates her, and none writes her back into
    the lead being erased."""
    capture = start_service("capture", settings, CAPTURE_SMS_RATE_LIMIT="0")
    await eventually(lambda: is_ready(capture), timeout=30)
    rounds, messages = 8, 16
    async with httpx.AsyncClient(timeout=20, headers=AUTH) as client:
        for person in range(rounds):
            email, phone = f"p{person}@engines.example", f"+1415555{person:04d}"
            popup = {"email": email, "phone": phone, "first_name": "Ada"}
            assert (await client.post(f"{capture}/v1/leads/popup", json=popup)).status_code == 202
            *statuses, erasure = await asyncio.gather(
                *(texted(client, capture, phone, person << 16 | n) for n in range(messages)),
                erased_soon(client, capture, {"email": email}),
            )
            assert set(statuses) == {200} and erasure["leads"] >= 1
    held = await rows(
        settings.database_url,
        "SELECT id, erased_at FROM capture.leads WHERE email IS NOT NULL OR phone IS NOT NULL"
        " OR profile::text LIKE '%Ada%'",
    )
    assert held == []
