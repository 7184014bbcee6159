"""Dates and numbers a request may carry that are valid text but cannot be stored or compared
(an instant past the year 9999 in UTC, a number past a bigint) are a 422 naming the field, not a
500 from the driver; a key cannot be made already expired. (Capture's bodies: test_bad_input.)"""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import problem_fields
from test_access import token_for

pytestmark = pytest.mark.e2e

PAST_9999 = "9999-12-31T23:59:59-23:59"  # the year 10000 in UTC
BEFORE_1 = "0001-01-01T00:00:00+00:01"  # the year 0 in UTC


def refused(response: httpx.Response, field: str) -> None:
    named = problem_fields(response)
    assert any(name == field or name.endswith(f".{field}") for name in named), named


async def test_times_and_numbers_past_what_can_be_stored_are_refused_naming_the_field(system):
    async with httpx.AsyncClient(timeout=10) as client:
        admin = await token_for(client, system.console, ADMIN_EMAIL, ADMIN_PASSWORD)

        async def new_key(expires_at: str) -> httpx.Response:
            body = {"name": "crm", "scopes": ["leads:read"], "expires_at": expires_at}
            return await client.post(f"{system.console}/v1/keys", json=body, headers=admin)

        for when in (PAST_9999, BEFORE_1, (datetime.now(UTC) - timedelta(minutes=1)).isoformat()):
            refused(await new_key(when), "expires_at")
        assert (await new_key((datetime.now(UTC) + timedelta(days=30)).isoformat())).status_code == 201

        for parameter in ("since", "until"):
            for when in (PAST_9999, BEFORE_1):
                audit = await client.get(
                    f"{system.console}/v1/audit", params={parameter: when}, headers=admin
                )
                refused(audit, parameter)
        assert (await client.get(f"{system.console}/v1/audit", headers=admin)).status_code == 200

        hooks = f"{system.webhooks}/v1/webhooks"
        created = await client.post(
            hooks, json={"url": "https://crm.example.com/hook", "events": ["lead.routed"]}, headers=admin
        )
        assert created.status_code == 201, created.text
        hook = f"{hooks}/{created.json()['id']}"
        refused(await client.post(f"{hook}/replay", json={"since": PAST_9999}, headers=admin), "since")
        past_bigint = {"before": str(2**63)}
        refused(await client.get(f"{hook}/deliveries", params=past_bigint, headers=admin), "before")
        replayed = await client.post(f"{hook}/replay", json={"since": "2020-01-01T00:00:00Z"}, headers=admin)
        assert replayed.status_code == 202, replayed.text
