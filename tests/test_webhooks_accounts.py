"""Account events to a sales tool's webhook, every service a real process and a real HTTP
receiver: an endpoint subscribes to account.updated, lead.matched, account.scored,
account.owner_changed and account.suggestion_dismissed (topic leads.accounts) and receives each,
signed the Standard Webhooks way, with the account's ids and nothing of a person; one subscribed
to lead.routed only gets none."""

import httpx
import pytest
from harness import AUTH, HOT, eventually, is_ready
from standardwebhooks import Webhook
from test_webhooks import FAST_RETRIES, subscribe
from webhook_receiver import receiving

from leadflow_cli.infra import free_port

pytestmark = pytest.mark.e2e
ACCOUNT_EVENTS = (
    "account.updated",
    "lead.matched",
    "account.scored",
    "account.owner_changed",
    "account.suggestion_dismissed",
)


async def test_a_sales_tool_subscribes_to_account_events_and_receives_them_signed(
    settings, topics, start_service
):
    urls = {name: start_service(name, settings) for name in ("capture", "scoring", "routing")}
    urls["webhooks"] = start_service("webhooks", settings, **FAST_RETRIES)
    for url in urls.values():
        await eventually(lambda url=url: is_ready(url), timeout=30)
    async with (
        receiving(free_port()) as receiver,
        receiving(free_port(), path="/routed-only") as other,
        httpx.AsyncClient(headers=AUTH, timeout=10) as client,
    ):
        listed = (await client.get(f"{urls['webhooks']}/v1/webhooks/event-types")).json()
        assert set(ACCOUNT_EVENTS) <= {kind["type"] for kind in listed}
        hook = await subscribe(client, urls["webhooks"], receiver.url, events=ACCOUNT_EVENTS)
        await subscribe(client, urls["webhooks"], other.url, events=("lead.routed",))
        assert (
            await client.post(
                f"{urls['webhooks']}/v1/webhooks", json={"url": receiver.url, "events": ["account.exploded"]}
            )
        ).status_code == 422
        rep = {"name": "Sam", "email": "sam@sales.example", "tier": "senior", "capacity": 5}
        sam = (await client.post(f"{urls['routing']}/v1/reps", json=rep)).json()["id"]
        for name in ("ada", "bea"):
            lead = {**HOT, "first_name": name.title(), "email": f"{name}@acme.example", "company": "Acme"}
            answer = await client.post(f"{urls['capture']}/v1/leads/landing-page", json=lead)
            assert answer.status_code == 202, answer.text
        found = await client.get(f"{urls['capture']}/v1/accounts", params={"domain": "acme.example"})
        account_id = found.json()["accounts"][0]["account_id"]
        named = await client.put(f"{urls['routing']}/v1/accounts/{account_id}/owner", json={"rep_id": sam})
        assert named.status_code == 200, named.text
        dee = {"email": "dee@gmail.com", "company": "Acmee"}  # a weak name match: suggested only
        dee_id = (await client.post(f"{urls['capture']}/v1/leads/landing-page", json=dee)).json()["lead_id"]

        async def dismissed() -> bool:
            path = f"{urls['capture']}/v1/accounts/{account_id}/suggestions/{dee_id}"
            return (await client.delete(path)).status_code == 204  # 404 until it is suggested

        await eventually(dismissed, timeout=20, interval=0.2)

        def types_received() -> set[str]:
            return {r.event["type"] for r in receiver.received}

        await eventually(lambda: set(ACCOUNT_EVENTS) <= types_received(), timeout=40, interval=0.2)

    for delivery in receiver.received:
        payload = Webhook(hook["secret"]).verify(delivery.body, delivery.headers)  # raises unless signed
        assert payload["type"] in ACCOUNT_EVENTS and delivery.headers["webhook-id"] == payload["id"]
        assert payload["data"]["account_id"] == account_id and payload["subject"] == account_id
        assert "@acme.example" not in delivery.body.decode(), "ids, names of companies, domains: no person"
    owner = next(r.event for r in receiver.received if r.event["type"] == "account.owner_changed")
    assert owner["data"]["owner"]["id"] == sam, owner
    matched = [
        r.event["data"]
        for r in receiver.received
        if r.event["type"] == "lead.matched" and r.event["data"]["applied"]
    ]
    assert len({m["lead_id"] for m in matched}) == 2 and {m["method"] for m in matched} == {"domain"}
    [dismissal] = [r.event for r in receiver.received if r.event["type"] == "account.suggestion_dismissed"]
    assert dismissal["data"]["lead_id"] == dee_id and dismissal["data"]["by"] == "user", dismissal
    assert not [r for r in other.received if r.event["type"] in ACCOUNT_EVENTS]
