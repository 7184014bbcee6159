"""A live stream ends as soon as its viewer's session does: the inbox's waits for its own rep's
changes, and it ended only at its next look (a hostile probe measured 5 s after a deactivation)."""

import asyncio
import re
import time

import httpx
import pytest
from harness import AUTH

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
ENDED_WITHIN = 1.5  # seconds; the stream looks again on its own only every 5


async def signed_in_rep(system, api: httpx.AsyncClient, client: httpx.AsyncClient) -> str:
    rep = {"name": "Ines", "email": "ines@sales.example", "tier": "mid", "capacity": 5}
    rep_id = (await api.post(f"{system.routing}/v1/reps", json=rep, headers=AUTH)).json()["id"]
    user = {"email": "ines@leadflow.example", "password": PASSWORD, "role": "rep", "rep_id": rep_id}
    created = await api.post(f"{system.console}/v1/users", json=user, headers=AUTH)
    assert created.status_code == 201, created.text
    form = await client.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    login = {"email": user["email"], "password": PASSWORD, "csrf_token": token}
    assert (await client.post("/login", data=login)).status_code == 303
    return created.json()["id"]


async def test_an_open_inbox_stream_ends_within_a_second_of_its_account_being_deactivated(system):
    async with (
        httpx.AsyncClient(timeout=10) as api,
        httpx.AsyncClient(base_url=system.console, timeout=None) as rep_client,
    ):
        user_id = await signed_in_rep(system, api, rep_client)
        opened = asyncio.Event()

        async def follow() -> float:
            headers = {"accept": "text/event-stream"}
            async with rep_client.stream("GET", "/inbox/stream", headers=headers) as stream:
                assert stream.status_code == 200
                opened.set()
                async for _ in stream.aiter_lines():
                    pass
            return time.monotonic()

        following = asyncio.create_task(follow())
        await asyncio.wait_for(opened.wait(), 10)
        await asyncio.sleep(1)  # past the first draw: the stream now waits for a change of its rep
        deactivated = await api.patch(
            f"{system.console}/v1/users/{user_id}", json={"active": False}, headers=AUTH
        )
        assert deactivated.status_code == 200, deactivated.text
        at = time.monotonic()
        ended = await asyncio.wait_for(following, 10)
        print(f"the inbox stream ended {ended - at:.2f} s after the deactivation")
        assert ended - at <= ENDED_WITHIN
