"""Scaling out: two scoring and two routing processes in their consumer groups, on topics of six
partitions. Leads posted through capture spread over both processes of each service, and every
lead is scored once and routed once: no loss, no double effect."""

import asyncio
import re
import uuid
from collections import Counter

import httpx
import pytest
from harness import AUTH, HOT, eventually, is_ready, read_to_end
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from leadflow_common.kafka import create_topics
from leadflow_common.topics import Topics

pytestmark = pytest.mark.e2e

LEADS = 240
CONSUMED = re.compile(r"^leadflow_events_consumed_total\{([^}]*)\} (\S+)$", re.MULTILINE)
LABEL = re.compile(r'(\w+)="([^"]*)"')


async def consumed(client: httpx.AsyncClient, url: str, topic: str) -> float:
    """Events this process applied from `topic` (its own counter: each process counts its own)."""
    metrics = (await client.get(f"{url}/metrics", headers=AUTH)).text
    samples = [(dict(LABEL.findall(labels)), float(count)) for labels, count in CONSUMED.findall(metrics)]
    return sum(count for labels, count in samples if labels == {"topic": topic, "outcome": "ok"})


@pytest.mark.long
async def test_two_processes_of_scoring_and_of_routing_share_the_work_without_loss_or_repeats(
    settings, start_service
):
    topics = Topics(prefix=f"t{uuid.uuid4().hex[:10]}.")
    await create_topics(settings.kafka_bootstrap_servers, topics.all_topics(), partitions=6)
    wide = settings.model_copy(update={"leadflow_topic_prefix": topics.prefix})
    capture = start_service("capture", wide, CAPTURE_RATE_LIMIT="0")
    scorers = [start_service("scoring", wide) for _ in range(2)]
    routers = [start_service("routing", wide) for _ in range(2)]
    for url in (capture, *scorers, *routers):
        await eventually(lambda url=url: is_ready(url), timeout=30)

    async with httpx.AsyncClient(headers=AUTH, timeout=30) as client:
        for index in range(6):
            rep = {"name": f"rep {index}", "email": f"rep{index}@sales.example", "tier": "senior"}
            rep["capacity"] = LEADS
            assert (await client.post(f"{routers[0]}/v1/reps", json=rep)).status_code == 201
        await asyncio.sleep(3)  # both routers' groups settled on their partitions

        async def post(number: int) -> str:
            body = {**HOT, "email": f"lead{number}@scale.example", "first_name": f"Lead {number}"}
            answer = await client.post(f"{capture}/v1/leads/landing-page", json=body)
            assert answer.status_code == 202, answer.text
            return answer.json()["lead_id"]

        posted = set()
        for start in range(0, LEADS, 20):
            posted |= set(await asyncio.gather(*(post(n) for n in range(start, start + 20))))

        engine = create_async_engine(settings.database_url)
        try:

            async def all_routed() -> bool:
                async with engine.connect() as connection:
                    count = "SELECT count(DISTINCT lead_id) FROM routing.assignments"
                    return await connection.scalar(text(count)) == LEADS

            await eventually(all_routed, timeout=90, interval=0.5)
            async with engine.connect() as connection:
                scores = await connection.scalar(text("SELECT count(*) FROM scoring.scores"))
                open_per_lead = (
                    await connection.execute(
                        text(
                            "SELECT lead_id, count(*) FROM routing.assignments"
                            " WHERE status IN ('offered', 'accepted') GROUP BY lead_id"
                        )
                    )
                ).all()
        finally:
            await engine.dispose()
        assert scores == LEADS
        assert len(open_per_lead) == LEADS and all(count == 1 for _, count in open_per_lead)

        scored = Counter(
            event["subject"] for event in await read_to_end(wide.kafka_bootstrap_servers, topics.scored)
        )
        routed = Counter(
            event["subject"]
            for event in await read_to_end(wide.kafka_bootstrap_servers, topics.routed)
            if event["type"] == "lead.routed"
        )
        assert set(scored) == set(routed) == posted
        assert set(scored.values()) == {1} and set(routed.values()) == {1}, "a lead scored or routed twice"

        by_scorer = [await consumed(client, url, topics.captured) for url in scorers]
        by_router = [await consumed(client, url, topics.scored) for url in routers]
    print(
        f"captured events applied per scoring process: {by_scorer}; scored per routing process: {by_router}"
    )
    assert sum(by_scorer) >= LEADS and all(count > 0 for count in by_scorer), by_scorer
    assert sum(by_router) >= LEADS and all(count > 0 for count in by_router), by_router
