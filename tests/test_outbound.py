"""Outbound calls never reach inside, through a running webhooks service: URLs that name an
address not routable on the public internet (shared address space, 6to4, NAT64, IPv4-mapped, …)
or longer than 2,048 characters are refused when saved, for webhooks and for Slack; an endpoint
saved before such a rule is refused at delivery, before any connection; and no URL, whose path
may be its only secret, is written to the service's log."""

import secrets
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from harness import AUTH, eventually, is_ready
from test_webhooks import publish, routed_event, subscribe
from webhook_receiver import receiving

from leadflow_cli.infra import free_port
from leadflow_webhooks.domain.signing import new_secret

pytestmark = pytest.mark.e2e

NOT_PUBLIC = (
    "http://100.64.0.1/",  # shared address space (carrier-grade NAT)
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",  # NAT64 of the cloud metadata address
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "http://[::ffff:808:808]/",  # IPv4-mapped, of a public address: not a global IPv6 address
    "http://[2001::1]/",  # Teredo
    "http://198.18.0.1/",  # benchmarking
    "http://192.0.2.1/",  # documentation
    "http://192.0.0.8/",  # IETF protocol assignments
    "http://224.0.0.1/",  # multicast
)
TOO_LONG = (
    "https://hooks.example.com/" + "a" * 100_000,
    "https://hooks.example.com/" + "é" * 1000,  # 1,026 characters given, 6,026 once percent-encoded
)


async def test_non_public_and_overlong_urls_are_refused_when_saved(settings, start_service):
    webhooks = start_service("webhooks", settings)  # no allowed hosts
    await eventually(lambda: is_ready(webhooks), timeout=30)
    async with httpx.AsyncClient(base_url=webhooks, headers=AUTH, timeout=10) as client:
        hook = await subscribe(client, webhooks, "https://hooks.example.com/leadflow")
        slack = f"/v1/notifications/reps/{uuid.uuid4()}"
        for url in NOT_PUBLIC + TOO_LONG:
            answers = {
                "url": [
                    await client.post("/v1/webhooks", json={"url": url, "events": ["lead.routed"]}),
                    await client.patch(f"/v1/webhooks/{hook['id']}", json={"url": url}),
                ],
                "slack_url": [await client.put(slack, json={"email": True, "slack_url": url})],
            }
            for field, refused in answers.items():
                for answer in refused:
                    assert answer.status_code == 422, (url[:80], answer.status_code, answer.text[:300])
                    assert [f["name"] for f in answer.json()["fields"]] == [field], (
                        url[:80],
                        answer.text[:300],
                    )
        assert (await client.get(f"/v1/webhooks/{hook['id']}")).json()["url"] == hook["url"]
        assert len((await client.get("/v1/webhooks")).json()) == 1


async def test_an_endpoint_saved_before_the_rule_is_refused_at_delivery_without_a_connection(
    settings, topics, start_service
):
    inside = {
        await saved_as_before(settings, "http://100.64.0.1:9/"): "shared address space",
        await saved_as_before(settings, "http://[64:ff9b::7f00:1]:9/"): "NAT64 of loopback",
        await saved_as_before(settings, "http://[2002:a9fe:a9fe::]/"): "6to4 of cloud metadata",
    }
    webhooks = start_service("webhooks", settings, WEBHOOKS_RETRY_SCHEDULE="0", WEBHOOKS_TIMEOUT_SECONDS="3")
    await eventually(lambda: is_ready(webhooks), timeout=30)
    await publish(settings, topics, [routed_event(uuid.uuid4())])
    async with httpx.AsyncClient(base_url=webhooks, headers=AUTH, timeout=10) as client:

        async def attempted(endpoint_id: uuid.UUID):
            logged = (await client.get(f"/v1/webhooks/{endpoint_id}/deliveries")).json()
            return logged[0] if logged and logged[0]["attempts"] else None

        for endpoint_id, kind in inside.items():
            delivery = await eventually(lambda endpoint_id=endpoint_id: attempted(endpoint_id), timeout=20)
            [attempt] = delivery["attempts"]
            assert attempt["error"].startswith("refused:"), (kind, attempt)
            assert "not a public internet address" in attempt["error"] and attempt["status_code"] is None, (
                kind,
                attempt,
            )


async def saved_as_before(settings, url: str) -> uuid.UUID:
    """An endpoint as an earlier version, with fewer refusals, may have saved it."""
    endpoint_id, now = uuid.uuid4(), datetime.now(UTC)
    connection = await asyncpg.connect(
        settings.database_url.replace("postgresql+asyncpg://", "postgresql://")
    )
    try:
        await connection.execute(
            "INSERT INTO webhooks.endpoints (id, url, events, secret, created_by, created_at, updated_at)"
            " VALUES ($1, $2, $3, $4, 'test', $5, $5)",
            endpoint_id,
            url,
            ["lead.routed"],
            new_secret(),
            now,
        )
    finally:
        await connection.close()
    return endpoint_id


async def test_a_webhook_s_secret_path_never_reaches_the_log(settings, topics, start_service, tmp_path):
    secret_path = f"/services/T0001/B0001/{secrets.token_urlsafe(18)}"
    webhooks = start_service("webhooks", settings, WEBHOOKS_ALLOWED_HOSTS="127.0.0.1")
    await eventually(lambda: is_ready(webhooks), timeout=30)
    async with (
        receiving(free_port(), script=[500], path=secret_path) as receiver,
        httpx.AsyncClient(headers=AUTH, timeout=10) as client,
    ):
        await subscribe(client, webhooks, receiver.url)
        await publish(settings, topics, [routed_event(uuid.uuid4())])
        await eventually(lambda: len(receiver.received) >= 2, timeout=30)  # a failure, then a success
    logs = "".join(log.read_text() for log in tmp_path.glob("webhooks-*.log"))
    assert '"message": "Application startup complete."' in logs, "the log is where we look"
    assert secret_path.rsplit("/", 1)[1] not in logs
