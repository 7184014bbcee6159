"""An Idempotency-Key belongs to the API key (or account) that sent it, as a public client's
belongs to that client: a probe found every API key sharing one namespace, so one integration
numbering its keys like another (order numbers) had the other's leads refused with 409, or got
the other's ids back for an identical body."""

import uuid

import httpx
import pytest
from harness import AUTH
from test_access import bearer

pytestmark = pytest.mark.e2e


async def test_two_api_keys_may_use_the_same_idempotency_key(system):
    async with httpx.AsyncClient(timeout=10) as client:
        keys = []
        for name in ("crm-a", "crm-b"):
            body = {"name": f"{name}-{uuid.uuid4().hex[:6]}", "scopes": ["leads:write"]}
            made = await client.post(f"{system.console}/v1/keys", json=body, headers=AUTH)
            assert made.status_code == 201, made.text
            keys.append(bearer(made.json()["key"]))
        crm_a, crm_b = keys
        order = {"Idempotency-Key": "order-1001"}

        async def post(key: dict, email: str) -> httpx.Response:
            return await client.post(
                f"{system.capture}/v1/leads", json={"email": email}, headers={**key, **order}
            )

        first_b = await post(crm_b, "squatter@b.example")  # a new key works at once (test_access_at_once)
        first_a = await post(crm_a, "customer@a.example")
        assert first_b.status_code == first_a.status_code == 202, (first_b.text, first_a.text)
        assert first_a.json()["lead_id"] != first_b.json()["lead_id"]
        # Each key's own repeat is answered as the first time; another body under it, 409.
        assert (await post(crm_a, "customer@a.example")).json() == first_a.json()
        assert (await post(crm_b, "squatter@b.example")).json() == first_b.json()
        assert (await post(crm_a, "someone.else@a.example")).status_code == 409
