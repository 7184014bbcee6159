"""B2B accounts in routing, against the real broker and database: a new lead of an owned
account is offered to its owner first, an account gets its owner on its first accepted lead or
from an admin, and a lead that went to someone else names the owner (webhooks tells them)."""

import uuid

import pytest
from harness import read_events
from test_routing_flow import scenario

pytestmark = pytest.mark.integration


async def account_events(s, until) -> list[dict]:
    bootstrap = s.settings.kafka_bootstrap_servers
    return await read_events(bootstrap, s.topics.accounts, until=until)


async def routed(s, lead_id: uuid.UUID) -> dict:
    events = await s.routed_events(
        until=lambda events: any(e["data"]["lead_id"] == str(lead_id) for e in events)
    )
    return next(e for e in events if e["data"]["lead_id"] == str(lead_id))


async def test_the_owner_gets_the_next_lead_of_the_account_though_another_senior_has_fewer_open_leads(
    settings, topics
):
    async with scenario(settings, topics) as s:
        owner = await s.rep("senior")
        other = await s.rep("senior")
        account = uuid.uuid4()
        # The owner holds a lead already; the other senior holds none.
        busy = uuid.uuid4()
        await s.score(busy, "hot", 90)
        assert (await s.until_status(busy, "offered"))["rep_id"] in (owner, other)
        held_by = (await s.current(busy))["rep_id"]
        if held_by != owner:  # make the owner the busier one, whoever the first lead went to
            owner, other = other, owner
        named = await s.client.put(f"/v1/accounts/{account}/owner", json={"rep_id": owner})
        assert named.status_code == 200 and named.json()["owner"]["id"] == owner

        lead = uuid.uuid4()
        await s.score(lead, "warm", 55, account_id=account)  # warm: a senior is not its first tier
        offered = await s.until_status(lead, "offered")
        assert offered["rep_id"] == owner
        assert offered["reason"].startswith("account owner")
        decision = await routed(s, lead)
        assert decision["data"]["account_id"] == str(account)
        assert decision["data"]["account_owner"] is None, "it went to the owner: nobody to tell"

        changes = await account_events(s, until=lambda events: len(events) >= 1)
        assert changes[0]["type"] == "account.owner_changed"
        assert changes[0]["data"]["owner"]["id"] == owner and changes[0]["data"]["by"] == "admin"
        assert (await s.client.get(f"/v1/accounts/{account}/owner")).json()["owner"]["id"] == owner


async def test_the_first_accepted_lead_makes_its_rep_the_owner_and_a_full_owner_is_told(settings, topics):
    async with scenario(settings, topics) as s:
        first_rep = await s.rep("senior", capacity=1)
        account = uuid.uuid4()
        first = uuid.uuid4()
        await s.score(first, "hot", 90, account_id=account)
        offer = await s.until_status(first, "offered")
        assert (await s.client.post(f"/v1/assignments/{offer['id']}/accept")).status_code == 200
        changes = await account_events(s, until=lambda events: len(events) >= 1)
        assert changes[0]["data"]["owner"]["id"] == first_rep and changes[0]["data"]["by"] == "system"

        # The owner is full: the next lead of the account goes by the usual rules, naming the owner.
        other = await s.rep("senior")
        second = uuid.uuid4()
        await s.score(second, "hot", 85, account_id=account)
        assert (await s.until_status(second, "offered"))["rep_id"] == other
        decision = await routed(s, second)
        assert decision["data"]["account_owner"]["id"] == first_rep
        assert decision["data"]["account_owner"]["email"].endswith("@sales.example")

        # A second accept does not move the account to another rep.
        offer = await s.current(second)
        assert (await s.client.post(f"/v1/assignments/{offer['id']}/accept")).status_code == 200
        assert (await s.client.get(f"/v1/accounts/{account}/owner")).json()["owner"]["id"] == first_rep


@pytest.mark.parametrize("to_owner", [True, False], ids=["to the owner", "nurtured"])
async def test_a_cold_lead_of_an_owned_account_goes_to_the_owner_unless_the_setting_nurtures_it(
    settings, topics, to_owner
):
    async with scenario(settings, topics, cold_account_leads_to_owner=to_owner) as s:
        owner = await s.rep("junior")
        account = uuid.uuid4()
        named = await s.client.put(f"/v1/accounts/{account}/owner", json={"rep_id": owner})
        assert named.status_code == 200
        lead = uuid.uuid4()
        await s.score(lead, "cold", 10, account_id=account)
        if to_owner:
            assert (await s.until_status(lead, "offered"))["rep_id"] == owner
        else:
            await s.until_status(lead, "nurtured")
            assert (await routed(s, lead))["data"]["account_owner"]["id"] == owner


async def test_naming_an_unknown_rep_as_owner_is_refused(settings, topics):
    async with scenario(settings, topics) as s:
        response = await s.client.put(
            f"/v1/accounts/{uuid.uuid4()}/owner", json={"rep_id": str(uuid.uuid4())}
        )
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
