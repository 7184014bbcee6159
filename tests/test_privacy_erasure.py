"""Erasure end to end: a person who came through a form, a popup and SMS, with an activity, an
outcome, a score, an assignment, a webhook delivery and a console read model, is erased; then
every table of every service and every topic (opened with every key that still exists) is
scanned for their email, phone and name. Nothing is found; ids and counts stay; someone else's
data is untouched; a second erasure changes nothing; the person is not re-created."""

import asyncio
import json
import time

import httpx
import pytest
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import AUTH, HOT, eventually, is_ready, message_sid, opened, read_records_to_end
from sqlalchemy import text
from test_console_pages import sign_in
from webhook_receiver import receiving

from leadflow_cli.infra import free_port
from leadflow_common.db import create_engine
from leadflow_common.kafka import create_topics
from leadflow_common.topics import Topics

pytestmark = pytest.mark.e2e

SCHEMAS = ("capture", "scoring", "routing", "webhooks", "console")
ADA = {
    **HOT,
    "email": "Ada.Lovelace@Engines.example",
    "first_name": "Augusta",
    "last_name": "Lovelace",
    "company": "Analytical Engines",
    "message": "Please call me on Tuesday",
}
ADA_PHONE = "+14155550123"
# What must not be found anywhere once she is erased (the scan compares lower case).
ADA_TRACES = ("ada.lovelace@engines.example", "5550123", "lovelace", "augusta", "analytical engines")
BOB = {**HOT, "email": "bob.babbage@mills.example", "last_name": "Babbage"}


async def stored_text(database_url: str) -> str:
    """Every row of every table of every service, as text, lower case."""
    engine = create_engine(database_url, application_name="erasure-scan")
    rows: list[str] = []
    try:
        async with engine.connect() as connection:
            tables = await connection.execute(
                text(
                    "SELECT table_schema, table_name FROM information_schema.tables"
                    " WHERE table_schema = ANY(:schemas) AND table_type = 'BASE TABLE'"
                ),
                {"schemas": list(SCHEMAS)},
            )
            for schema, table in tables.all():
                found = await connection.execute(text(f'SELECT t::text FROM "{schema}"."{table}" t'))
                rows += [f"{schema}.{table}: {row[0]}" for row in found]
    finally:
        await engine.dispose()
    return "\n".join(rows).lower()


def traces_by_table(stored: str) -> dict[str, set[str]]:
    """Which of her traces the scan found in which table."""
    found: dict[str, set[str]] = {}
    for line in stored.splitlines():
        table = line.split(": ", 1)[0]
        found.setdefault(table, set()).update(trace for trace in ADA_TRACES if trace in line)
    return {table: traces for table, traces in found.items() if traces}


async def erasures_published(settings, topics: Topics) -> int:
    """`lead.erased` events so far (they travel on leads.captured)."""
    records = await read_records_to_end(settings.kafka_bootstrap_servers, topics.captured)
    return sum(json.loads(record.value)["type"] == "lead.erased" for record in records)


async def published_text(settings, topics: Topics) -> str:
    """Every event on every topic, dead letters included, opened where a key still exists."""
    events = []
    for topic in topics.all_topics():
        records = await read_records_to_end(settings.kafka_bootstrap_servers, topic)
        events += await opened(settings.database_url, [json.loads(record.value) for record in records])
    return json.dumps(events).lower()


async def _scalar(database_url: str, statement: str):
    engine = create_engine(database_url, application_name="erasure-scan")
    try:
        async with engine.connect() as connection:
            return await connection.scalar(text(statement))
    finally:
        await engine.dispose()


async def count_rows(database_url: str, table: str) -> int:
    return await _scalar(database_url, f"SELECT count(*) FROM {table}")


async def table_text(database_url: str, table: str) -> str:
    return (
        await _scalar(database_url, f"SELECT coalesce(string_agg(t::text, ' '), '') FROM {table} t")
    ).lower()


# Her rows that must stay (ids, counts, scores, outcomes), by the column naming her lead.
KEPT = {
    "capture.leads": "id",
    "capture.submissions": "lead_id",
    "scoring.scores": "lead_id",
    "scoring.score_history": "lead_id",
    "scoring.outcomes": "lead_id",
    "scoring.activities": "lead_id",
    "routing.assignments": "lead_id",
    "routing.lead_cards": "lead_id",
    "console.lead_views": "lead_id",
    "console.lead_timeline": "lead_id",
    "console.decisions": "lead_id",
}


async def rows_of(database_url: str, lead_id: str) -> dict[str, int]:
    counts = {}
    for table, column in KEPT.items():
        counts[table] = await _scalar(
            database_url, f"SELECT count(*) FROM {table} WHERE {column} = '{lead_id}'"
        )
    sent = (
        f"SELECT count(*) FROM webhooks.deliveries WHERE lead_id = '{lead_id}'"
        " AND event_type <> 'lead.erased'"
    )
    counts["webhooks.deliveries"] = await _scalar(database_url, sent)
    return counts


@pytest.mark.long
async def test_an_erased_person_is_nowhere_and_what_must_stay_stays(system, topics):
    settings = system.settings
    async with receiving(free_port()) as receiver, httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        hook = {"url": receiver.url, "events": ["lead.routed", "lead.captured"]}
        assert (await client.post(f"{system.webhooks}/v1/webhooks", json=hook)).status_code == 201
        rep = {"name": "Sam", "email": "sam@sales.example", "tier": "senior", "capacity": 5}
        assert (await client.post(f"{system.routing}/v1/reps", json=rep)).status_code == 201

        form = await client.post(f"{system.capture}/v1/leads/landing-page", json=ADA)
        assert form.status_code == 202
        lead_id = form.json()["lead_id"]
        popup = {
            "email": ADA["email"],
            "phone": ADA_PHONE,
            "city": "Marylebone",
            "consent": {"sms": True},
            "popup_id": "spring-sale",
        }
        assert (await client.post(f"{system.capture}/v1/leads/popup", json=popup)).status_code == 202
        sms = {"From": ADA_PHONE, "Body": "Augusta here, call me", "MessageSid": message_sid(0xADA)}
        assert (await client.post(f"{system.capture}/v1/leads/sms", data=sms)).status_code == 200
        activity = {"lead_id": lead_id, "type": "demo_requested", "properties": {"note": "Augusta Lovelace"}}
        assert (await client.post(f"{system.capture}/v1/activities", json=activity)).status_code == 202
        bob = await client.post(f"{system.capture}/v1/leads/landing-page", json=BOB)
        assert bob.status_code == 202

        # Everywhere she went: a routing decision delivered to the receiver, the console's view.
        def delivered() -> bool:
            return any(
                r.event["type"] == "lead.routed" and r.event["subject"] == lead_id for r in receiver.received
            )

        await eventually(delivered, timeout=40)
        # Won once routed: routing holds a lead's first decision until its contact card is read,
        # and an outcome that comes during that wait ends it with no decision (a won lead is
        # nobody's work), so an outcome posted earlier could leave her never routed.
        outcome = {"lead_id": lead_id, "outcome": "won", "amount": 900}
        assert (await client.post(f"{system.capture}/v1/outcomes", json=outcome)).status_code == 202

        async def everywhere() -> bool:
            tables = ("scoring.leads", "routing.lead_cards", "console.lead_views", "webhooks.deliveries")
            held = [await table_text(settings.database_url, table) for table in tables]
            outcomes = await count_rows(settings.database_url, "scoring.outcomes")
            return all("lovelace" in content for content in held) and outcomes == 1

        await eventually(everywhere, timeout=40)
        before = await stored_text(settings.database_url)
        published = await published_text(settings, topics)
        for trace in ADA_TRACES:  # the scans see her before: they would see any trace after
            assert trace in before, trace
            assert trace in published, trace
        kept = await rows_of(settings.database_url, lead_id)
        assert all(kept.values()), kept

        # Her export holds every row the scan found her in, with what it found there.
        exported = await client.get(f"{system.capture}/v1/privacy/export", params={"email": ADA["email"]})
        assert exported.status_code == 200, exported.text
        assert exported.json()["lead_ids"] == [lead_id]
        # Proof of consent: each change, its channel and where (the popup).
        consents = exported.json()["services"]["capture"]["capture.consent_changes"]
        given = {
            (c["consent"], c["granted"], c["channel"], (c["source"] or {}).get("popup_id")) for c in consents
        }
        assert given == {("email", True, "landing_page", None), ("sms", True, "popup", "spring-sale")}
        # Bob asks not to be contacted: his export asked for by his lead id says so (it said
        # false: only an email or phone asked for was looked up).
        listed = await client.post(f"{system.capture}/v1/privacy/suppressions", json={"email": BOB["email"]})
        assert listed.status_code == 201, listed.text
        bobs = await client.get(
            f"{system.capture}/v1/privacy/export", params={"lead_id": bob.json()["lead_id"]}
        )
        assert bobs.status_code == 200 and bobs.json()["do_not_contact"] is True, bobs.text
        found = traces_by_table(before)
        print("the scan found her in", ", ".join(sorted(found)))
        for table, traces in found.items():
            rows = json.dumps(exported.json()["services"][table.split(".")[0]][table]).lower()
            assert all(trace in rows for trace in traces), (table, traces)

        started = time.monotonic()
        asked = await client.post(
            f"{system.capture}/v1/privacy/erasures", json={"email": "ADA.lovelace@engines.example"}
        )
        assert asked.status_code == 202, asked.text
        erasure = asked.json()
        assert erasure["leads"] == 1 and erasure["suppressed"] and erasure["status"] in ("pending", "done")
        location = f"{system.capture}{asked.headers['location']}"

        async def completed() -> dict | None:
            progress = (await client.get(location)).json()
            return progress if progress["status"] == "done" else None

        progress = await eventually(completed, timeout=60, interval=0.5)
        took = time.monotonic() - started
        assert {part["service"] for part in progress["services"]} == set(SCHEMAS)
        assert all(part["erased"] == 1 and part["completed_at"] for part in progress["services"])

        after = await stored_text(settings.database_url)
        published = await published_text(settings, topics)
        for trace in ADA_TRACES:
            assert trace not in after, (trace, [line for line in after.splitlines() if trace in line][:3])
            assert trace not in published, trace
        assert "bob.babbage@mills.example" in after and "bob.babbage@mills.example" in published
        assert await rows_of(settings.database_url, lead_id) == kept  # ids, counts, scores, outcomes

        # Subscribers are told, so a CRM downstream can erase its copy too.
        def told() -> bool:
            return any(
                r.event["type"] == "lead.erased" and r.event["subject"] == lead_id for r in receiver.received
            )

        await eventually(told, timeout=30)
        # The console says she was erased (it said "not captured yet") and offers no export.
        page = await sign_in(system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
        try:
            shown = await page.get(f"/leads/{lead_id}")
            assert shown.status_code == 200 and "erased on request" in shown.text, shown.text[:500]
            assert "not captured yet" not in shown.text and f"/leads/{lead_id}/export" not in shown.text
            listed = await page.get("/leads")
            assert "(erased on request)" in listed.text and "not captured yet" not in listed.text
        finally:
            await page.aclose()
        exported = (
            await client.get(f"{system.capture}/v1/privacy/export", params={"lead_id": lead_id})
        ).json()
        assert exported["do_not_contact"] is None  # asked by lead id: no email or phone left to look up
        assert not [trace for trace in ADA_TRACES if trace in json.dumps(exported).lower()]
        record = (await client.get(f"{system.capture}/v1/leads/{lead_id}")).json()
        assert record["profile"].get("email") is None and record["profile"].get("last_name") is None

        # A second erasure of her finds nothing left to erase and publishes nothing.
        erased_events = await erasures_published(settings, topics)
        again = await client.post(f"{system.capture}/v1/privacy/erasures", json={"phone": ADA_PHONE})
        assert again.status_code == 202 and again.json()["leads"] == 0 and again.json()["status"] == "done"
        # She comes back through a form: on the list, she is not re-created.
        returned = await client.post(f"{system.capture}/v1/leads/landing-page", json=ADA)
        assert returned.status_code == 202
        await asyncio.sleep(1)
        assert await erasures_published(settings, topics) == erased_events
        assert "lovelace" not in await stored_text(settings.database_url)
    print(f"erasure completed in every service in {took:.1f} s")


async def test_an_erasure_asked_while_the_broker_is_down_completes_once_it_is_back(
    settings, topics, durable_broker, start_service
):
    settings = settings.model_copy(update={"kafka_bootstrap_servers": durable_broker.bootstrap_servers})
    await create_topics(durable_broker.bootstrap_servers, topics.all_topics(), partitions=3)
    urls = {name: start_service(name, settings) for name in SCHEMAS}
    for url in urls.values():
        await eventually(lambda url=url: is_ready(url), timeout=30)
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        posted = await client.post(f"{urls['capture']}/v1/leads/landing-page", json=ADA)
        assert posted.status_code == 202

        async def everywhere() -> bool:
            tables = ("scoring.leads", "routing.lead_cards", "console.lead_views")
            held = [await table_text(settings.database_url, table) for table in tables]
            return all("lovelace" in content for content in held)

        await eventually(everywhere, timeout=40)
        durable_broker.stop(kill=True)
        asked = await client.post(f"{urls['capture']}/v1/privacy/erasures", json={"email": ADA["email"]})
        assert asked.status_code == 202 and asked.json()["leads"] == 1, asked.text
        location = f"{urls['capture']}{asked.headers['location']}"
        waiting = (await client.get(location)).json()
        assert waiting["status"] == "pending"  # capture's part is done; the others wait for the broker
        assert [p["service"] for p in waiting["services"] if p["completed_at"]] == ["capture"]
        durable_broker.start()

        async def done() -> bool:
            return (await client.get(location)).json()["status"] == "done"

        await eventually(done, timeout=120, interval=1)
    stored = await stored_text(settings.database_url)
    assert not [trace for trace in ADA_TRACES if trace in stored]
