"""The team page's live stream asks the webhooks service whether reps can be mailed once (a
setting), not at every redraw: it asked at each of them, one more request for every change."""

import asyncio
import re

import httpx
import pytest
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import AUTH, HOT, eventually

pytestmark = pytest.mark.e2e
ROUTE = re.compile(
    r'^leadflow_http_requests_total\{method="GET",route="/v1/notifications",status="200"\} (\S+)$', re.M
)


async def asked_webhooks(client: httpx.AsyncClient, webhooks: str) -> float:
    found = ROUTE.search((await client.get(f"{webhooks}/metrics", headers=AUTH)).text)
    return float(found.group(1)) if found else 0.0


async def test_the_team_stream_asks_whether_reps_can_be_mailed_once_whatever_it_redraws(system):
    async with (
        httpx.AsyncClient(timeout=10) as api,
        httpx.AsyncClient(base_url=system.console, timeout=None) as admin,
    ):
        rep = {"name": "Tess", "email": "tess@sales.example", "tier": "senior", "capacity": 50}
        assert (await api.post(f"{system.routing}/v1/reps", json=rep, headers=AUTH)).status_code == 201
        form = await admin.get("/")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        login = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token}
        assert (await admin.post("/login", data=login)).status_code == 303
        before = await asked_webhooks(api, system.webhooks)
        redraws: list[str] = []

        async def follow() -> None:
            async with admin.stream("GET", "/team/stream", headers={"accept": "text/event-stream"}) as stream:
                async for line in stream.aiter_lines():
                    if line.startswith("event: team"):
                        redraws.append(line)

        following = asyncio.create_task(follow())
        try:
            await eventually(lambda: len(redraws) >= 1, timeout=10)
            for number in range(3):  # each offer changes Tess's load: a redraw
                lead = {**HOT, "email": f"buyer{number}@bigco.example", "company": "BigCo"}
                answer = await api.post(f"{system.capture}/v1/leads/landing-page", json=lead)
                assert answer.status_code == 202
                await eventually(lambda n=number: len(redraws) >= n + 2, timeout=10)
            asked = await asked_webhooks(api, system.webhooks) - before
        finally:
            following.cancel()
    assert len(redraws) >= 4 and asked == 1, f"{len(redraws)} redraws asked webhooks {asked:g} times"
