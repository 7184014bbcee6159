"""The broker killed mid-stream: capture keeps answering 202, and once the broker is back every
accepted submission is on `leads.captured`, in order per lead. The broker keeps its data in a
local S3 (moto) so that, like a real Kafka, it survives the kill."""

import httpx
import pytest
from harness import eventually, opened, read_to_end

from leadflow_capture.main import create_app
from leadflow_capture.settings import CaptureSettings
from leadflow_common.kafka import create_topics

pytestmark = pytest.mark.e2e


async def test_every_accepted_submission_is_published_after_the_broker_is_killed_and_restarted(
    settings, topics, durable_broker
):
    settings = settings.model_copy(update={"kafka_bootstrap_servers": durable_broker.bootstrap_servers})
    await create_topics(durable_broker.bootstrap_servers, topics.all_topics(), partitions=3)
    app = create_app(settings, CaptureSettings(rate_limit=0))
    accepted = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://capture") as client:

            async def post(round_: int) -> None:
                for person in range(10):
                    body = {"email": f"p{person}@example.com", "attributes": {"round": round_}}
                    response = await client.post("/v1/leads/landing-page", json=body)
                    assert response.status_code == 202
                    accepted.append(response.json()["submission_id"])

            await post(0)

            async def first_round_published():
                return len(await read_to_end(durable_broker.bootstrap_servers, topics.captured)) >= 10

            await eventually(first_round_published, timeout=20, interval=0.2)
            durable_broker.stop(kill=True)
            await post(1)
            await post(2)
            durable_broker.start()
            await post(3)

            async def everything_published():
                events = await read_to_end(durable_broker.bootstrap_servers, topics.captured)
                events = await opened(settings.database_url, events)
                ids = {event["data"]["submission"]["submission_id"] for event in events}
                return events if ids >= set(accepted) else None

            events = await eventually(everything_published, timeout=60, interval=1)

    assert {event["data"]["submission"]["submission_id"] for event in events} == set(accepted)
    for person in range(10):
        revisions = [
            e["data"]["lead"]["revision"]
            for e in events
            if e["data"]["lead"]["email"] == f"p{person}@example.com"
        ]
        # At least once: a batch cut off by the kill may come twice, never out of order.
        assert sorted(set(revisions)) == [1, 2, 3, 4]
        first_seen = list(dict.fromkeys(revisions))
        assert first_seen == [1, 2, 3, 4]
