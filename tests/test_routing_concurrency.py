"""Two routing processes in one consumer group, a burst of leads and concurrent rep actions
through both: no lead ever has two reps, no rep ever goes past capacity."""

import asyncio
import random
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from harness import AUTH, eventually, is_ready, read_records_to_end
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from leadflow_common.events import LeadScored, ModelRef, Temperature, new_event

pytestmark = pytest.mark.e2e

LEADS = 150
OVER_CAPACITY = text("""
    SELECT r.id, r.capacity, count(a.id) AS open_leads
    FROM routing.reps r JOIN routing.assignments a ON a.rep_id = r.id AND a.status IN ('offered', 'accepted')
    GROUP BY r.id, r.capacity HAVING count(a.id) > r.capacity
""")
DOUBLE_HELD = text("""
    SELECT lead_id FROM routing.assignments WHERE status IN ('offered', 'accepted', 'nurtured', 'waiting')
    GROUP BY lead_id HAVING count(*) > 1
""")
ROUTED_LEADS = text("SELECT count(DISTINCT lead_id) FROM routing.assignments")


@pytest.mark.long
async def test_two_routing_processes_never_double_assign_nor_overfill(settings, topics, start_service):
    routers = [
        start_service(
            "routing",
            settings,
            ROUTING_SWEEP_SECONDS="0.2",
            ROUTING_CARD_WAIT_SECONDS="0",  # scores alone here: no card comes
        )
        for _ in range(2)
    ]
    for url in routers:
        await eventually(lambda url=url: is_ready(url), timeout=30)
    engine = create_async_engine(settings.database_url)
    rng = random.Random(7)
    statuses: list[int] = []
    violations: list[str] = []
    stop = asyncio.Event()

    async with httpx.AsyncClient(headers=AUTH, timeout=10) as client:
        for index in range(8):
            tier = "senior" if index % 2 else "mid"
            body = {"name": f"rep {index}", "email": f"rep{index}@sales.example", "tier": tier, "capacity": 4}
            assert (await client.post(f"{routers[index % 2]}/v1/reps", json=body)).status_code == 201

        async def watch_invariants() -> None:
            while not stop.is_set():
                async with engine.connect() as connection:
                    violations.extend(
                        f"over capacity: {row}" for row in await connection.execute(OVER_CAPACITY)
                    )
                    violations.extend(f"two places: {row}" for row in await connection.execute(DOUBLE_HELD))
                await asyncio.sleep(0.05)

        async def act_like_reps() -> None:
            while not stop.is_set():
                url = rng.choice(routers)
                listing = await client.get(f"{url}/v1/assignments", params={"status": "offered", "limit": 20})
                statuses.append(listing.status_code)
                calls = []
                for offer in listing.json() if listing.status_code == 200 else []:
                    action = rng.choice(["accept", "reject", "complete", "accept"])
                    body = {"reason": "busy"} if action == "reject" else None
                    for target in routers:  # the same action through both processes at once
                        calls.append(
                            client.post(f"{target}/v1/assignments/{offer['id']}/{action}", json=body)
                        )
                for response in await asyncio.gather(*calls):
                    statuses.append(response.status_code)
                await asyncio.sleep(0.02)

        watcher = asyncio.create_task(watch_invariants())
        actors = [asyncio.create_task(act_like_reps()) for _ in range(3)]

        producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap_servers, enable_idempotence=False
        )
        await producer.start()
        try:
            for _ in range(LEADS):
                lead_id = uuid.uuid4()
                temperature = rng.choice(
                    [Temperature.hot, Temperature.warm, Temperature.warm, Temperature.cold]
                )
                data = LeadScored(
                    lead_id=lead_id,
                    revision=1,
                    score={"hot": 85, "warm": 55, "cold": 15}[temperature],
                    temperature=temperature,
                    reasons=[],
                    model=ModelRef(kind="rules", version=1),
                    scored_at=datetime.now(UTC),
                )
                event = new_event(data, source="test", subject=lead_id)
                await producer.send(
                    topics.scored, event.model_dump_json().encode(), key=str(lead_id).encode()
                )
            await producer.flush()
        finally:
            await producer.stop()

        async def all_routed() -> bool:
            async with engine.connect() as connection:
                return await connection.scalar(ROUTED_LEADS) == LEADS

        await eventually(all_routed, timeout=60, interval=0.5)
        await asyncio.sleep(2)  # a last stretch of concurrent actions on a full system
        stop.set()
        await asyncio.gather(watcher, *actors)
    await engine.dispose()

    assert violations == []
    assert await read_records_to_end(settings.kafka_bootstrap_servers, f"{topics.scored}.dlq") == []
    assert 500 not in statuses and all(code in (200, 409) for code in statuses), sorted(set(statuses))
    assert statuses.count(200) > 50, "the reps really acted"
    assert statuses.count(409) > 0, "the duplicate actions really raced"
