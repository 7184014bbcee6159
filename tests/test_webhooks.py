"""Webhooks through running processes and a real HTTP receiver: signed the Standard Webhooks way,
retried until a 2xx and then never again, disabled by 410, kept across a SIGKILL of the service,
and never pointed at internal addresses."""

import asyncio
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest
from harness import AUTH, eventually, is_ready, kafka_producer
from standardwebhooks import Webhook
from test_routing_flow import scored_event
from webhook_receiver import receiving

from leadflow_cli.infra import free_port
from leadflow_common import wakeups
from leadflow_common.db import create_engine
from leadflow_common.events import LeadRouted, RepRef, Temperature, Tier, new_event

pytestmark = pytest.mark.e2e

FAST_RETRIES = {
    "WEBHOOKS_ALLOWED_HOSTS": "127.0.0.1",
    "WEBHOOKS_RETRY_SCHEDULE": "0,0.3,0.3,0.3,0.3,0.3,0.3,0.3",
}


def routed_event(lead_id: uuid.UUID):
    rep = RepRef(id=uuid.uuid4(), name="Sam", email="sam@sales.example", tier=Tier.senior)
    data = LeadRouted(
        assignment_id=uuid.uuid4(),
        lead_id=lead_id,
        rep=rep,
        temperature=Temperature.hot,
        score=91,
        reason="hot",
    )
    return new_event(data, source="leadflow/routing", subject=lead_id)


async def publish(settings, topics, events, *, announced: bool = False) -> None:
    """The events on leads.routed; `announced`: then named in a NOTIFY as routing's relay names
    what it published, which wakes an idle consumer at once (without it, the consumer finds
    them in time, at its next idle look at the latest)."""
    async with kafka_producer(settings.kafka_bootstrap_servers) as producer:
        for event in events:
            await producer.send_and_wait(
                topics.routed, event.model_dump_json().encode(), key=event.subject.encode()
            )
    if announced:
        engine = create_engine(settings.database_url, application_name="test-relay")
        try:
            async with engine.begin() as connection:
                await wakeups.notify(connection, wakeups.CHANNEL, topics.routed)
        finally:
            await engine.dispose()


async def subscribe(client: httpx.AsyncClient, webhooks: str, url: str, events=("lead.routed",)) -> dict:
    response = await client.post(f"{webhooks}/v1/webhooks", json={"url": url, "events": list(events)})
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_posted_lead_reaches_the_receiver_signed_with_its_contact_card(
    settings, topics, start_service
):
    urls = {name: start_service(name, settings) for name in ("capture", "scoring", "routing")}
    urls["webhooks"] = start_service("webhooks", settings, **FAST_RETRIES)
    for url in urls.values():
        await eventually(lambda url=url: is_ready(url), timeout=30)
    async with receiving(free_port()) as receiver, httpx.AsyncClient(headers=AUTH, timeout=10) as client:
        hook = await subscribe(client, urls["webhooks"], receiver.url)
        assert hook["secret"].startswith("whsec_")
        assert "secret" not in (await client.get(f"{urls['webhooks']}/v1/webhooks/{hook['id']}")).json()
        rep = {"name": "Sam", "email": "sam@sales.example", "tier": "senior", "capacity": 5}
        assert (await client.post(f"{urls['routing']}/v1/reps", json=rep)).status_code == 201
        lead = {
            "email": "grace@navy.example",
            "first_name": "Grace",
            "job_title": "CTO",
            "company_size": "1000+",
            "phone": "+1 202 555 0147",
            "consent": {"email": True},
            "attribution": {"source": "referral"},
        }
        lead_id = (await client.post(f"{urls['capture']}/v1/leads/landing-page", json=lead)).json()["lead_id"]

        await eventually(lambda: any(r.event["subject"] == lead_id for r in receiver.received), timeout=30)
        [delivery] = [r for r in receiver.received if r.event["subject"] == lead_id]
        payload = Webhook(hook["secret"]).verify(delivery.body, delivery.headers)  # raises unless signed
        assert payload["type"] == "lead.routed" and delivery.headers["webhook-id"] == payload["id"]
        card = payload["data"]["lead"]
        assert (card["first_name"], card["email"], card["phone"]) == (
            "Grace",
            "grace@navy.example",
            "+12025550147",
        )
        assert payload["data"]["rep"]["name"] == "Sam"


async def test_a_failing_receiver_gets_the_event_again_until_it_answers_2xx_then_never_again(
    settings, topics, start_service
):
    webhooks = start_service("webhooks", settings, **FAST_RETRIES)
    await eventually(lambda: is_ready(webhooks), timeout=30)
    async with (
        receiving(free_port(), script=[500, 503, 502, 500, 504]) as receiver,
        httpx.AsyncClient(headers=AUTH) as client,
    ):
        hook = await subscribe(client, webhooks, receiver.url)
        event = routed_event(uuid.uuid4())
        await publish(settings, topics, [event])
        await eventually(lambda: len(receiver.of_event(event.id)) == 6, timeout=30)
        await asyncio.sleep(2)  # nothing more comes once a 2xx was answered
        attempts = receiver.of_event(event.id)
        assert len(attempts) == 6 and len({a.headers["webhook-signature"] for a in attempts}) >= 1
        for attempt in attempts:
            Webhook(hook["secret"]).verify(attempt.body, attempt.headers)
        [logged] = (await client.get(f"{webhooks}/v1/webhooks/{hook['id']}/deliveries")).json()
        assert logged["status"] == "succeeded" and logged["event_id"] == event.id
        assert [a["status_code"] for a in logged["attempts"]] == [500, 503, 502, 500, 504, 200]
        assert (
            all(a["latency_ms"] >= 0 for a in logged["attempts"])
            and logged["attempts"][0]["response_snippet"] == "not now"
        )

        async def counted() -> bool:  # each attempt counted once, by its outcome, once recorded
            metrics = (await client.get(f"{webhooks}/metrics")).text
            return (
                'leadflow_webhook_attempts_total{outcome="failed"} 5.0' in metrics
                and 'leadflow_webhook_attempts_total{outcome="delivered"} 1.0' in metrics
            )

        await eventually(counted, timeout=5)

        again = await client.post(f"{webhooks}/v1/webhooks/{hook['id']}/deliveries/{logged['id']}/retry")
        assert again.status_code == 202
        await eventually(lambda: len(receiver.of_event(event.id)) == 7, timeout=10)


async def test_410_gone_disables_the_endpoint(settings, topics, start_service):
    webhooks = start_service("webhooks", settings, **FAST_RETRIES)
    await eventually(lambda: is_ready(webhooks), timeout=30)
    async with receiving(free_port(), script=[410]) as receiver, httpx.AsyncClient(headers=AUTH) as client:
        hook = await subscribe(client, webhooks, receiver.url)
        first, second = routed_event(uuid.uuid4()), routed_event(uuid.uuid4())
        await publish(settings, topics, [first])

        async def disabled():
            found = (await client.get(f"{webhooks}/v1/webhooks/{hook['id']}")).json()
            return found if not found["enabled"] else None

        found = await eventually(disabled, timeout=15)
        assert "410" in found["disabled_reason"]
        await publish(settings, topics, [second])
        await asyncio.sleep(1.5)
        assert len(receiver.received) == 1  # the one that was answered 410; nothing since


async def test_internal_addresses_are_refused_when_saved_and_when_resolved(settings, topics, start_service):
    webhooks = start_service("webhooks", settings, WEBHOOKS_RETRY_SCHEDULE="0")  # no allowed hosts
    await eventually(lambda: is_ready(webhooks), timeout=30)
    async with httpx.AsyncClient(headers=AUTH) as client:
        for url in (
            "http://169.254.169.254/latest/meta-data",
            "http://10.0.0.8/",
            "http://[::1]:8080/",
            "http://127.0.0.1:9/",
            "http://[::ffff:127.0.0.1]/",
            "ftp://example.com/",
        ):
            refused = await client.post(
                f"{webhooks}/v1/webhooks", json={"url": url, "events": ["lead.routed"]}
            )
            assert refused.status_code == 422 and refused.json()["fields"][0]["name"] == "url", (
                url,
                refused.text,
            )
        # A name is checked where it resolves, at each delivery: localhost is loopback.
        hook = await subscribe(client, webhooks, f"http://localhost:{free_port()}/hook")
        await publish(settings, topics, [routed_event(uuid.uuid4())])

        async def refused_attempt():
            logged = (await client.get(f"{webhooks}/v1/webhooks/{hook['id']}/deliveries")).json()
            return logged if logged and logged[0]["attempts"] else None

        [logged] = await eventually(refused_attempt, timeout=15)
        assert (
            logged["status"] == "failed" and "not a public internet address" in logged["attempts"][0]["error"]
        )
        assert logged["attempts"][0]["status_code"] is None


def webhooks_process(settings, tmp_path, service_port: int):
    """The webhooks service as a process of its own (so it can be SIGKILLed): a starter."""
    env = {
        **os.environ,
        **FAST_RETRIES,
        "WEBHOOKS_RETRY_SCHEDULE": "0,0.5,0.5,1,1,1,1,1,1,1,1,1,1,1,1",
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "DATABASE_URL": settings.database_url,
        "LEADFLOW_API_KEY": settings.leadflow_api_key,
        "LEADFLOW_TOPIC_PREFIX": settings.leadflow_topic_prefix,
        "LEADFLOW_CONSOLE_URL": "",
        "WEBHOOKS_LEASE_SECONDS": "2",
    }
    command = [
        str(Path(os.sys.executable).parent / "leadflow-webhooks"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(service_port),
    ]

    def start() -> subprocess.Popen:
        return subprocess.Popen(
            command, env=env, stdout=open(tmp_path / "webhooks.log", "ab"), stderr=subprocess.STDOUT
        )

    return start


@pytest.mark.long
async def test_a_receiver_down_across_a_sigkill_of_the_service_still_gets_every_event(
    settings, topics, tmp_path
):
    port = free_port()
    service_port = free_port()
    start = webhooks_process(settings, tmp_path, service_port)
    base = f"http://127.0.0.1:{service_port}"
    process = start()
    try:
        await eventually(lambda: is_ready(base), timeout=30)
        async with httpx.AsyncClient(headers=AUTH) as client:
            await subscribe(client, base, f"http://127.0.0.1:{port}/hooks/leadflow")
        events = [routed_event(uuid.uuid4()) for _ in range(20)]
        await publish(settings, topics, events[:10])
        await asyncio.sleep(1.5)  # attempts fail: nobody listens
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        await publish(settings, topics, events[10:])  # while the service is down
        async with receiving(port) as receiver:
            process = start()
            wanted = {event.id for event in events}
            await eventually(
                lambda: wanted <= {r.headers["webhook-id"] for r in receiver.received}, timeout=60
            )
            for received in receiver.received:  # a duplicate is the same event with the same id
                assert received.headers["webhook-id"] == received.event["id"]
            print(f"{len(receiver.received)} requests for {len(wanted)} events")
    finally:
        process.kill()
        process.wait(10)


@pytest.mark.long
async def test_a_sigkill_mid_stream_loses_no_delivery(settings, topics, tmp_path):
    """Events flowing and being delivered when the service is SIGKILLed: after its restart every
    one reaches the receiver; one sent but not yet recorded comes again with the same id."""
    port, service_port = free_port(), free_port()
    start = webhooks_process(settings, tmp_path, service_port)
    base = f"http://127.0.0.1:{service_port}"
    events = [routed_event(uuid.uuid4()) for _ in range(120)]
    process = start()
    try:
        async with receiving(port) as receiver:
            await eventually(lambda: is_ready(base), timeout=30)
            async with httpx.AsyncClient(headers=AUTH) as client:
                await subscribe(client, base, f"http://127.0.0.1:{port}/hooks/leadflow")

            async def flow() -> None:  # 40 events a second, across the kill and the restart
                for start_at in range(0, len(events), 4):
                    await publish(settings, topics, events[start_at : start_at + 4])
                    await asyncio.sleep(0.1)

            flowing = asyncio.create_task(flow())
            await eventually(lambda: len(receiver.received) >= 20, timeout=30)
            process.send_signal(signal.SIGKILL)  # mid-stream: deliveries claimed, sent, unrecorded
            process.wait(10)
            process = start()
            await flowing
            wanted = {event.id for event in events}
            await eventually(
                lambda: wanted <= {r.headers["webhook-id"] for r in receiver.received}, timeout=60
            )
            for received in receiver.received:
                assert received.headers["webhook-id"] == received.event["id"]
            print(f"{len(receiver.received)} requests for {len(wanted)} events across the kill")
    finally:
        process.kill()
        process.wait(10)


async def test_a_lead_s_events_arrive_in_order_and_a_day_of_failures_disables(
    settings, topics, start_service
):
    # "A whole day" is 1.5 s here: the failing receiver's retries span about 2 s.
    webhooks = start_service("webhooks", settings, **FAST_RETRIES, WEBHOOKS_DISABLE_AFTER_SECONDS="1.5")
    await eventually(lambda: is_ready(webhooks), timeout=30)
    async with (
        receiving(free_port(), script=[500, 500]) as receiver,
        httpx.AsyncClient(headers=AUTH) as client,
    ):
        await subscribe(client, webhooks, receiver.url)
        lead_id = uuid.uuid4()
        first, second, third = (routed_event(lead_id) for _ in range(3))
        await publish(settings, topics, [first, second, third])
        await eventually(lambda: len(receiver.of_event(third.id)) == 1, timeout=20)
        order = [r.headers["webhook-id"] for r in receiver.received]
        # The first is retried until it succeeds; the lead's later events wait behind it.
        assert order == [first.id] * 3 + [second.id, third.id], order

    async with (
        receiving(free_port(), script=[500] * 100) as failing,
        httpx.AsyncClient(headers=AUTH) as client,
    ):
        hook = await subscribe(client, webhooks, failing.url)
        await publish(settings, topics, [routed_event(uuid.uuid4()) for _ in range(3)])

        async def disabled():
            found = (await client.get(f"{webhooks}/v1/webhooks/{hook['id']}")).json()
            return found if not found["enabled"] else None

        assert "failing since" in (await eventually(disabled, timeout=20))["disabled_reason"]


async def test_an_endpoint_subscribed_to_scores_only_gets_each_lead_scored(settings, topics, start_service):
    """A regression of 2026-12-03 (webhooks stopped opening lead.scored, and with it stopped
    handling it): such an endpoint was sent nothing."""
    webhooks = start_service("webhooks", settings, **FAST_RETRIES)
    await eventually(lambda: is_ready(webhooks), timeout=30)
    async with receiving(free_port()) as receiver, httpx.AsyncClient(headers=AUTH) as client:
        await subscribe(client, webhooks, receiver.url, events=("lead.scored",))
        scores = [scored_event(uuid.uuid4(), "warm", 55), scored_event(uuid.uuid4(), "hot", 90)]
        async with kafka_producer(settings.kafka_bootstrap_servers) as producer:
            for event in scores:
                await producer.send_and_wait(
                    topics.scored, event.model_dump_json().encode(), key=event.subject.encode()
                )
        await eventually(
            lambda: {r.headers["webhook-id"] for r in receiver.received} == {e.id for e in scores}
        )
        told = {r.event["data"]["lead_id"]: r.event["data"] for r in receiver.received}
        assert {lead: data["temperature"] for lead, data in told.items()} == {
            str(scores[0].subject): "warm",
            str(scores[1].subject): "hot",
        }


async def test_a_delivery_waiting_behind_the_lead_s_failing_one_says_so_not_a_past_next_try(
    settings, topics, start_service
):
    slow_retries = {**FAST_RETRIES, "WEBHOOKS_RETRY_SCHEDULE": "0,60"}
    webhooks = start_service("webhooks", settings, **slow_retries)
    await eventually(lambda: is_ready(webhooks), timeout=30)
    async with (
        receiving(free_port(), script=[500] * 10) as receiver,
        httpx.AsyncClient(headers=AUTH) as client,
    ):
        hook = await subscribe(client, webhooks, receiver.url)
        lead_id = uuid.uuid4()
        first, second, third = (routed_event(lead_id) for _ in range(3))
        await publish(settings, topics, [first, second, third], announced=True)
        await eventually(lambda: len(receiver.of_event(first.id)) == 1, timeout=20)

        async def listed():
            found = (await client.get(f"{webhooks}/v1/webhooks/{hook['id']}/deliveries")).json()
            by_event = {delivery["event_id"]: delivery for delivery in found}
            return by_event if len(by_event) == 3 and by_event[first.id]["attempts"] else None

        by_event = await eventually(listed, timeout=10)
        failing = by_event[first.id]
        assert failing["status"] == "pending" and failing["waiting_for"] is None
        assert failing["next_attempt_at"] > failing["attempts"][-1]["at"], failing  # a minute on
        for later in (second, third):
            waiting = by_event[later.id]
            assert waiting["status"] == "pending" and not waiting["attempts"], waiting
            assert waiting["waiting_for"] == failing["id"] and waiting["next_attempt_at"] is None, waiting
        assert [r.headers["webhook-id"] for r in receiver.received] == [first.id]


async def test_a_delivery_goes_out_at_once_not_at_the_next_poll(settings, topics, start_service):
    """The consumer wakes the dispatcher once its batch has committed the deliveries: woken
    before, the dispatcher found none and slept until its poll (a minute here). The events are
    announced as a relay announces them, so an idle consumer is woken at once too (unannounced,
    one that had gone idle found them at its 5 s look: the test failed so on a loaded machine)."""
    webhooks = start_service("webhooks", settings, WEBHOOKS_POLL_SECONDS="60", **FAST_RETRIES)
    await eventually(lambda: is_ready(webhooks), timeout=30)
    async with receiving(free_port()) as receiver, httpx.AsyncClient(headers=AUTH) as client:
        await subscribe(client, webhooks, receiver.url)
        await asyncio.sleep(1)  # the dispatcher's first look is over: it waits to be woken
        for _ in range(3):  # one event at a time, nothing behind it to wake the dispatcher again
            event = routed_event(uuid.uuid4())
            started = time.monotonic()
            await publish(settings, topics, [event], announced=True)  # as routing's relay would
            await eventually(lambda event=event: receiver.of_event(event.id), timeout=20, interval=0.05)
            assert time.monotonic() - started < 3, f"delivered after {time.monotonic() - started:.1f} s"


async def test_a_receiver_nobody_answers_at_is_said_in_words_in_the_delivery_log(settings, start_service):
    """An admin reads the log in the console: "could not connect", not "ConnectError: ..."."""
    webhooks = start_service("webhooks", settings, WEBHOOKS_ALLOWED_HOSTS="127.0.0.1")
    await eventually(lambda: is_ready(webhooks), timeout=30)
    async with httpx.AsyncClient(headers=AUTH, timeout=30) as client:
        hook = await subscribe(client, webhooks, f"http://127.0.0.1:{free_port()}/hook")  # nothing listens
        sent = await client.post(f"{webhooks}/v1/webhooks/{hook['id']}/test")
        assert sent.status_code == 201, sent.text
        [attempt] = sent.json()["attempts"]
        assert attempt["status_code"] is None
        assert attempt["error"] == "could not connect to the receiver: nothing answered at its address"
