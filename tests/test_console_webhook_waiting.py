"""The console's delivery log says what a pending delivery waits for, through the five services
as processes: a lead's later event waiting behind its earlier one that a receiver keeps
refusing reads "sent after the lead's earlier delivery", not a next try in the past (a helper's
hour read "next try" minutes ago on deliveries that were not going to be tried)."""

import html
import re

import httpx
import pytest
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import AUTH, HOT, eventually
from test_console_pages import sign_in
from webhook_receiver import receiving

from leadflow_cli.infra import free_port

pytestmark = pytest.mark.e2e

WAITING = "pending, sent after the lead's earlier delivery"


async def test_a_delivery_behind_the_lead_s_refused_one_says_it_waits_for_it(system):
    async with (
        receiving(free_port(), script=[503] * 50) as receiver,
        httpx.AsyncClient(timeout=10, headers=AUTH) as client,
    ):
        rep = {"name": "Rosa", "email": "rosa@sales.example", "tier": "senior", "capacity": 5}
        assert (await client.post(f"{system.routing}/v1/reps", json=rep)).status_code == 201
        hook = {"url": receiver.url, "events": ["lead.scored", "lead.routed"]}
        created = await client.post(f"{system.webhooks}/v1/webhooks", json=hook)
        assert created.status_code == 201, created.text
        webhook_id = created.json()["id"]
        lead = {**HOT, "email": "wait@later.example", "first_name": "Wanda"}
        posted = await client.post(f"{system.capture}/v1/leads/landing-page", json=lead)
        assert posted.status_code == 202, posted.text

        async def one_refused_one_waiting():
            listed = await client.get(f"{system.webhooks}/v1/webhooks/{webhook_id}/deliveries")
            deliveries = listed.json()
            tried = [d for d in deliveries if d["attempts"]]
            waiting = [d for d in deliveries if d["waiting_for"]]
            return (tried, waiting) if tried and waiting else None

        try:
            tried, waiting = await eventually(one_refused_one_waiting, timeout=30)
        except AssertionError:
            listed = await client.get(f"{system.webhooks}/v1/webhooks/{webhook_id}/deliveries")
            raise AssertionError(listed.text) from None
        assert {d["waiting_for"] for d in waiting} == {tried[0]["id"]}

    admin = await sign_in(system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
    try:
        page = await admin.get(f"/admin/webhooks/{webhook_id}")
        assert page.status_code == 200, page.text[:300]
        statuses = [
            " ".join(html.unescape(cell).split())
            for cell in re.findall(r"<td>((?:pending|delivered|failed)[^<]*)</td>", page.text)
        ]
        assert statuses.count(WAITING) == len(waiting), statuses
        refused = [status for status in statuses if status != WAITING]
        assert refused and all(status.startswith("pending, next try ") for status in refused), statuses
    finally:
        await admin.aclose()
