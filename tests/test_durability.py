"""A 202 is durable: with no broker at all, capture keeps accepting, and when the broker comes
up every accepted submission is published, in order per lead."""

import httpx
import pytest
from harness import AUTH, eventually, opened, read_to_end

from leadflow_capture.main import create_app
from leadflow_capture.settings import CaptureSettings
from leadflow_cli.infra import LocalBroker, free_port
from leadflow_common.kafka import create_topics

pytestmark = pytest.mark.integration


async def test_submissions_accepted_while_the_broker_is_down_are_published_when_it_returns(
    settings, topics, tmp_path
):
    port = free_port()
    offline = settings.model_copy(update={"kafka_bootstrap_servers": f"127.0.0.1:{port}"})
    app = create_app(offline, CaptureSettings())
    broker = LocalBroker(port, log_path=tmp_path / "tansu.log")
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://capture") as client:
                accepted = []
                for round_ in range(3):
                    for person in range(5):
                        response = await client.post(  # the API: it may replace an attribute
                            "/v1/leads",
                            json={"email": f"p{person}@example.com", "attributes": {"round": round_}},
                            headers=AUTH,
                        )
                        assert response.status_code == 202
                        accepted.append(response.json())
                ready = await client.get("/readyz")
                assert ready.status_code == 503 and ready.json()["checks"]["broker"].startswith("failing")

                broker.start()
                await create_topics(broker.bootstrap_servers, topics.all_topics(), partitions=3)

                async def all_published() -> list:
                    events = await read_to_end(broker.bootstrap_servers, topics.captured)
                    return await opened(settings.database_url, events) if len(events) >= len(accepted) else []

                events = await eventually(all_published, timeout=30, interval=0.5)
    finally:
        broker.stop()

    assert sorted(e["data"]["submission"]["submission_id"] for e in events) == sorted(
        a["submission_id"] for a in accepted
    )
    for person in range(5):
        mine = [e["data"] for e in events if e["data"]["lead"]["email"] == f"p{person}@example.com"]
        assert [d["lead"]["attributes"]["round"] for d in mine] == [0, 1, 2]
        assert [d["lead"]["revision"] for d in mine] == [1, 2, 3]
