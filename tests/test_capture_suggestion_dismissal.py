"""Dismissing a weak-match suggestion on capture, against the real database and broker (the app
in-process): the suggestion leaves the account, is audited and published once on leads.accounts
(`account.suggestion_dismissed`, keyed by the account), and the person's next submission neither
suggests it again nor says so on leads.accounts; refusals are problem+json."""

import uuid

import pytest
from harness import AUTH, capture_in_process, read_to_end
from test_capture_accounts import captured_accounts

pytestmark = pytest.mark.integration


async def suggestions_on_the_wire(settings, topics) -> list[str]:
    return [
        e["data"]["lead_id"]
        for e in await read_to_end(settings.kafka_bootstrap_servers, topics.accounts)
        if e["type"] == "lead.matched" and not e["data"]["applied"]
    ]


async def test_a_dismissed_suggestion_is_never_made_again(settings, topics):
    async with capture_in_process(settings) as (client, _app):
        first = await client.post(
            "/v1/leads/landing-page", json={"email": "ada@acme.example", "company": "Acme"}
        )
        dee = {"email": "dee@gmail.com", "company": "Acmee"}  # close enough to suggest, not to apply
        weak = (await client.post("/v1/leads/landing-page", json=dee)).json()["lead_id"]
        acme = (await captured_accounts(settings, topics, 2))[first.json()["lead_id"]]
        await client.post("/v1/leads/landing-page", json={**dee, "message": "again"})
        await captured_accounts(settings, topics, 3)
        assert await suggestions_on_the_wire(settings, topics) == [weak, weak], "said on each submission"
        account = (await client.get(f"/v1/accounts/{acme}", headers=AUTH)).json()
        assert [p["lead_id"] for p in account["suggested"]] == [weak]

        path = f"/v1/accounts/{acme}/suggestions/{weak}"
        assert (await client.delete(path)).status_code == 401
        dismissed = await client.delete(path, headers=AUTH)
        assert dismissed.status_code == 204, dismissed.text
        again = await client.delete(path, headers=AUTH)
        assert again.status_code == 404 and again.headers["content-type"] == "application/problem+json"
        unknown = await client.delete(f"/v1/accounts/{acme}/suggestions/{uuid.uuid4()}", headers=AUTH)
        assert unknown.status_code == 404
        assert (await client.get(f"/v1/accounts/{acme}", headers=AUTH)).json()["suggested"] == []

        await client.post("/v1/leads/landing-page", json={**dee, "message": "and again"})
        assert (await captured_accounts(settings, topics, 4))[weak] is None, "still nobody's"
        assert await suggestions_on_the_wire(settings, topics) == [weak, weak], "not suggested again"
        assert (await client.get(f"/v1/accounts/{acme}", headers=AUTH)).json()["suggested"] == []
        # Linked by hand all the same, when a person decides so.
        linked = await client.post(f"/v1/accounts/{acme}/people", json={"lead_id": weak}, headers=AUTH)
        assert linked.status_code == 200, linked.text

    on_the_wire = await read_to_end(settings.kafka_bootstrap_servers, topics.accounts)
    [said] = [e for e in on_the_wire if e["type"] == "account.suggestion_dismissed"]
    assert said["subject"] == acme and said["source"] == "leadflow/capture", said
    assert {k: said["data"][k] for k in ("account_id", "lead_id", "by")} == {
        "account_id": acme,
        "lead_id": weak,
        "by": "user",
    }
    trail = await read_to_end(settings.kafka_bootstrap_servers, topics.audit)
    actions = [(e["data"]["action"], e["data"]["details"].get("lead_id")) for e in trail]
    assert actions.count(("account.suggestion_dismissed", weak)) == 1
