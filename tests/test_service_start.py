"""A service's command starts it with the cyclic collector paused (`leadflow_common.launch`:
start-up's objects live for good, and the collector walking them while they were made was a
seventh of a start's CPU); once the service has started, the collector must run again, or a
long-lived process would keep every cycle of garbage it ever made."""

import json
import re

import httpx
import pytest
from harness import AUTH, eventually, is_ready

pytestmark = pytest.mark.e2e

GEN0_COLLECTIONS = re.compile(r'^python_gc_collections_total\{generation="0"\} (\S+)$', re.MULTILINE)


async def test_a_started_service_collects_its_garbage_again(settings, start_service):
    url = start_service("capture", settings, command=True)
    await eventually(lambda: is_ready(url), timeout=60)
    async with httpx.AsyncClient(timeout=10) as client:

        async def gen0_collections() -> float:
            [count] = GEN0_COLLECTIONS.findall((await client.get(f"{url}/metrics", headers=AUTH)).text)
            return float(count)

        before = await gen0_collections()  # the interpreter's own, before the pause

        async def collected_again() -> bool:
            for _ in range(50):  # requests make garbage: the youngest generation fills up
                answer = await client.get(f"{url}/v1/leads", params={"email": "no@example.com"}, headers=AUTH)
                assert answer.is_success, answer.text
            return await gen0_collections() > before

        await eventually(collected_again, timeout=30)


async def test_a_services_log_is_one_json_object_a_line_uvicorns_own_lines_included(
    settings, start_service, tmp_path
):
    url = start_service("capture", settings, command=True)
    await eventually(lambda: is_ready(url), timeout=60)
    [log] = tmp_path.glob("capture-*.log")
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    started = [line for line in lines if line["message"].startswith("Uvicorn running on")]
    assert started and started[0]["logger"] == "uvicorn" and started[0]["level"] == "info", started
    assert not [line for line in lines if line["logger"] == "uvicorn.error" or "color_message" in line]
    assert "\x1b[" not in log.read_text(), "no terminal colour codes in a log file"
