"""The account backfill, against the real database and broker: the leads a system captured
before it had accounts (here: their account rows wiped, as on the day of the upgrade) join their
companies' accounts when capture next starts, once; a person unlinked by hand, a free-mail user
and an erased person are left alone; a second start changes nothing."""

import asyncio
import uuid

import pytest
from harness import AUTH, capture_in_process, eventually, read_to_end
from sqlalchemy import text

from leadflow_common.db import create_engine

pytestmark = pytest.mark.integration

WIPE = (
    "DELETE FROM capture.lead_accounts",
    "DELETE FROM capture.account_domains",
    "DELETE FROM capture.account_suggestions",
    "DELETE FROM capture.company_names",
    "DELETE FROM capture.accounts",
    "DELETE FROM capture.account_backfill",
)


async def sql(database_url: str, *statements: str, **values) -> list:
    engine = create_engine(database_url, application_name="test-backfill")
    try:
        async with engine.begin() as connection:
            rows: list = []
            for statement in statements:
                result = await connection.execute(text(statement), values)
                rows = list(result) if result.returns_rows else []
            return rows
    finally:
        await engine.dispose()


async def matched_on_topic(settings, topics, *, besides: set[str] = frozenset()) -> dict[str, dict]:
    """The `lead.matched` events on the topic by id (but for those in `besides`): the topic's
    partitions are read one after another, so order on it says nothing of time."""
    events = await read_to_end(settings.kafka_bootstrap_servers, topics.accounts)
    return {e["id"]: e["data"] for e in events if e["type"] == "lead.matched" and e["id"] not in besides}


@pytest.mark.long
async def test_leads_from_before_accounts_join_their_accounts_once(settings, topics):
    people = {
        "ada": {"email": "ada@acme.example", "company": "Acme Inc.", "country": "GB"},
        "bob": {"email": "bob@sales.acme.example", "company": "ACME"},
        "cy": {"email": "cy@acme.example"},
        "dee": {"email": "dee@gmail.com", "company": "Beta"},  # free mail: no account
        "eve": {"email": "eve@acme.example"},  # unlinked by hand: stays out
        "fay": {"email": "fay@acme.example"},  # erased: stays out
    }
    async with capture_in_process(settings) as (client, _app):
        ids = {}
        for name, body in people.items():
            answer = await client.post("/v1/leads", json=body, headers=AUTH)
            assert answer.status_code == 202, answer.text
            ids[name] = answer.json()["lead_id"]
        erased = await client.post("/v1/privacy/erasures", json={"lead_id": ids["fay"]}, headers=AUTH)
        assert erased.status_code in (200, 202), erased.text
    live = set(await matched_on_topic(settings, topics))
    assert live  # matched as they came

    # The day of the upgrade: these leads were stored, and no account knew them.
    await sql(settings.database_url, *WIPE)
    await sql(
        settings.database_url,
        "INSERT INTO capture.lead_accounts (lead_id, account_id, method, confidence, linked_by, at)"
        " VALUES (:lead, NULL, 'manual', 1, 'user', now())",
        lead=uuid.UUID(ids["eve"]),
    )

    async with capture_in_process(settings) as (client, _app):

        async def finished():
            rows = await sql(settings.database_url, "SELECT * FROM capture.account_backfill")
            assert rows and rows[0].finished_at is not None
            return rows[0]

        progress = await eventually(finished, timeout=30)
        assert progress.looked_at == len(people) and progress.matched == 3
        found = (await client.get("/v1/accounts", params={"domain": "acme.example"}, headers=AUTH)).json()
        [account] = found["accounts"]
        detail = (await client.get(f"/v1/accounts/{account['account_id']}", headers=AUTH)).json()
        assert sorted(p["lead_id"] for p in detail["people"]) == sorted(ids[n] for n in ("ada", "bob", "cy"))
        assert all(p["method"] == "domain" for p in detail["people"])
        assert (detail["name"], detail["country"]) == ("Acme Inc.", "GB")
        gmail = (await client.get("/v1/accounts", params={"domain": "gmail.com"}, headers=AUTH)).json()
        assert gmail["accounts"] == []

    backfilled = list((await matched_on_topic(settings, topics, besides=live)).values())
    assert sorted(m["lead_id"] for m in backfilled) == sorted(ids[n] for n in ("ada", "bob", "cy"))
    assert all(m["account_id"] == account["account_id"] and m["applied"] for m in backfilled)

    # A second start: the backfill is over; only a new person of the company is matched.
    async with capture_in_process(settings) as (client, _app):
        answer = await client.post("/v1/leads", json={"email": "gus@acme.example"}, headers=AUTH)
        gus = answer.json()["lead_id"]

        async def gus_matched():
            return [m for m in (await matched_on_topic(settings, topics)).values() if m["lead_id"] == gus]

        await eventually(gus_matched, timeout=15)
        await asyncio.sleep(1)  # a backfill wrongly starting again would have published by now
    after = await matched_on_topic(settings, topics, besides=live)
    assert sorted(m["lead_id"] for m in after.values()) == sorted(
        [gus, *(ids[n] for n in ("ada", "bob", "cy"))]
    )
