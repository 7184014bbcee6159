"""A service's command starts it with the cyclic collector paused (`leadflow_common.launch`:
start-up's objects live for good, and the collector walking them while they were made was a
seventh of a start's CPU); once the service has started, the collector must run again, or a
long-lived process would keep every cycle of garbage it ever made."""

import re

import httpx
import pytest
from harness import AUTH, eventually, is_ready

pytestmark = pytest.mark.e2e

GEN0_COLLECTIONS = re.compile(r'^python_gc_collections_total\{generation="0"\} (\S+)$', re.MULTILINE)


async def test_a_started_service_collects_its_garbage_again(settings, start_service):
    url = start_service("capture", settings)
    await eventually(lambda: is_ready(url), timeout=60)
    async with httpx.AsyncClient(timeout=10) as client:

        async def collected() -> float:
            for _ in range(50):  # requests make garbage: the youngest generation fills and is collected
                assert (await client.get(f"{url}/v1/leads", params={"email": "no@example.com"}, headers=AUTH)).is_success
            metrics = (await client.get(f"{url}/metrics", headers=AUTH)).text
            [count] = GEN0_COLLECTIONS.findall(metrics)
            assert float(count) > 0, "the collector never ran after start-up"
            return float(count)

        await eventually(collected, timeout=30)
