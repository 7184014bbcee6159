"""The dispatcher's claim against a real PostgreSQL under concurrent claimers: no claim returns
more deliveries than it asked for, none is claimed twice, and no slot (a limit of 0 or less)
claims nothing without asking PostgreSQL for a negative LIMIT. Then the same through running
webhooks processes sharing a database: none ever claims more than its free slots."""

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from harness import AUTH, eventually, is_ready
from sqlalchemy import insert, text, update
from sqlalchemy.engine import make_url
from test_webhooks import publish, routed_event, subscribe
from webhook_receiver import receiving

from leadflow_cli.infra import free_port
from leadflow_common.db import create_engine
from leadflow_webhooks.store import repository
from leadflow_webhooks.store.tables import deliveries, endpoints

pytestmark = pytest.mark.e2e

LEADS = 600
CLAIMERS = 8
# The plan that runs an `IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)` again for every row it
# joins (a nested-loop semi-join), which PostgreSQL may choose by itself on other statistics:
# each run skips what other claimers hold at that moment, and their union is more than n.
RESCANNING_PLAN = ("enable_hashagg", "enable_sort", "enable_hashjoin", "enable_mergejoin", "enable_material")


async def fill(engine, now: datetime) -> int:
    """One endpoint; per lead a pending delivery, a third of the leads a second one behind it
    (per-lead order: due only once the first is done), and delivered ones beside them."""
    endpoint_id = uuid.uuid4()
    rows = []
    for lead in range(LEADS):
        for nth in range(2 if lead % 3 == 0 else 1):
            rows.append(_delivery(endpoint_id, f"lead-{lead}", "pending", now - timedelta(seconds=nth)))
    done = [_delivery(endpoint_id, f"old-{n}", "succeeded", now) for n in range(1000)]
    async with engine.begin() as connection:
        await connection.execute(
            insert(endpoints),
            [
                {
                    "id": endpoint_id,
                    "url": "https://hooks.example.com/",
                    "events": ["lead.routed"],
                    "secret": "whsec_x",
                    "created_by": "test",
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
        await connection.execute(insert(deliveries), rows + done)
    return len(rows)


def _delivery(endpoint_id, lead_id: str, status: str, due: datetime) -> dict:
    return {
        "id": uuid.uuid4(),
        "endpoint_id": endpoint_id,
        "event_id": uuid.uuid4().hex,
        "event_type": "lead.routed",
        "lead_id": lead_id,
        "payload": "{}",
        "status": status,
        "next_attempt_at": due,
        "created_at": due,
    }


async def claimer(engine, claims: list[tuple[int, list[uuid.UUID]]], rng: random.Random) -> None:
    """Claims as the dispatcher does, and marks what it claimed delivered (which lets a lead's
    next delivery come due), until three claims in a row find nothing."""
    lease = datetime.now(UTC) + timedelta(hours=1)  # nothing claimed comes due again meanwhile
    empty = 0
    while empty < 3:
        limit = rng.randint(1, 16)
        async with engine.begin() as connection:
            for setting in RESCANNING_PLAN:
                await connection.execute(text(f"SET LOCAL {setting} = off"))
            got = await repository.claim_due(connection, datetime.now(UTC), lease, limit)
        claims.append((limit, [delivery.id for delivery in got]))
        empty = 0 if got else empty + 1
        if got:
            async with engine.begin() as connection:
                done = update(deliveries).where(deliveries.c.id.in_([d.id for d in got]))
                await connection.execute(done.values(status="succeeded"))


async def test_concurrent_claims_return_at_most_what_they_asked_and_each_delivery_once(database_url):
    engine = create_engine(database_url, application_name="claims-test", pool_size=CLAIMERS + 2)
    try:
        pending = await fill(engine, datetime.now(UTC) - timedelta(seconds=5))
        claims: list[tuple[int, list[uuid.UUID]]] = []
        await asyncio.gather(*(claimer(engine, claims, random.Random(n)) for n in range(CLAIMERS)))

        too_many = [(limit, len(got)) for limit, got in claims if len(got) > limit]
        assert not too_many, f"{len(too_many)} of {len(claims)} claims got more than asked: {too_many[:10]}"
        claimed = [delivery for _, got in claims for delivery in got]
        assert len(claimed) == len(set(claimed)), "a delivery was claimed twice"
        assert len(claimed) == pending, "every pending delivery was claimed"

        later = datetime.now(UTC) + timedelta(hours=2)
        async with engine.begin() as connection:
            for no_slot in (0, -3):  # no free slot: nothing claimed, nothing asked
                assert await repository.claim_due(connection, later, later, no_slot) == []
    finally:
        await engine.dispose()


async def test_webhooks_processes_sharing_a_database_never_claim_more_than_their_free_slots(
    settings, topics, start_service, postgres_server, tmp_path
):
    database = make_url(settings.database_url).database
    for setting in RESCANNING_PLAN:  # for every connection the services open
        await postgres_server.execute(f'ALTER DATABASE "{database}" SET {setting} = off')
    events = [routed_event(uuid.uuid4()) for _ in range(300)]
    async with receiving(free_port()) as receiver, httpx.AsyncClient(headers=AUTH, timeout=10) as client:
        services = [
            start_service("webhooks", settings, WEBHOOKS_ALLOWED_HOSTS="127.0.0.1", WEBHOOKS_CONCURRENCY="2")
            for _ in range(3)
        ]
        for url in services:
            await eventually(lambda url=url: is_ready(url), timeout=30)
        await subscribe(client, services[0], receiver.url)
        await publish(settings, topics, events)

        def delivered() -> bool:
            return {r.headers["webhook-id"] for r in receiver.received} >= {e.id for e in events}

        await eventually(delivered, timeout=90)
    # Claiming more than its free slots, a dispatcher asks for a negative LIMIT next, fails, and
    # stalls a second.
    logs = "".join(log.read_text() for log in tmp_path.glob("webhooks-*.log"))
    assert "cannot claim deliveries" not in logs
