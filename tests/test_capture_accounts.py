"""B2B accounts on capture against the real database and broker (the app in-process): people of
one company are one account whatever channel they came by, free-mail makes none, a weak name
match is only suggested, links by hand are audited, erasure takes a person out."""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from harness import AUTH, capture_in_process, eventually, kafka_producer, opened, read_events, read_to_end

from leadflow_common.account_events import AccountOwnerChanged, AccountScored
from leadflow_common.events import RepRef, new_event

pytestmark = pytest.mark.integration


async def captured_accounts(settings, topics, count: int) -> dict[str, str | None]:
    """Each lead's account_id as its (latest) lead.captured says."""
    events = await opened(
        settings.database_url,
        await read_events(settings.kafka_bootstrap_servers, topics.captured, until=lambda e: len(e) >= count),
    )
    return {
        event["subject"]: event["data"]["account_id"] for event in events if event["type"] == "lead.captured"
    }


async def test_three_channels_of_one_company_make_one_account_and_gmail_makes_none(settings, topics):
    async with capture_in_process(settings) as (client, _app):
        form = await client.post(
            "/v1/leads/landing-page",
            data={
                "email": "ada@acme.example",
                "company": "Acme Inc.",
                "company_size": "51-200",
                "country": "GB",
            },
        )
        api = await client.post(
            "/v1/leads",
            json={"email": "bob@acme.example", "company": "ACME", "industry": "Software"},
            headers=AUTH,
        )
        popup = await client.post("/v1/leads/popup", json={"email": "cy@acme.example", "popup_id": "spring"})
        gmail = await client.post(
            "/v1/leads/landing-page", json={"email": "dee@gmail.com", "company": "Beta"}
        )
        subdomain = await client.post("/v1/leads/landing-page", json={"email": "eve@sales.acme.example"})
        ids = [r.json()["lead_id"] for r in (form, api, popup, gmail, subdomain)]
        accounts = await captured_accounts(settings, topics, 5)
        acme = accounts[ids[0]]
        assert acme is not None
        assert [accounts[i] for i in ids] == [acme, acme, acme, None, acme]

        account = (await client.get(f"/v1/accounts/{acme}", headers=AUTH)).json()
        assert account["name"] == "Acme Inc." and account["domains"] == ["acme.example"]
        assert (account["company_size"], account["industry"], account["country"]) == (
            "51-200",
            "Software",
            "GB",
        )
        assert account["people_count"] == 4 and account["owner"] is None and account["score"] is None
        assert [(p["lead_id"], p["method"], p["confidence"]) for p in account["people"]] == [
            (lead_id, "domain", 1.0) for lead_id in ids if lead_id != ids[3]
        ]
        found = (
            await client.get("/v1/accounts", params={"domain": "mail.acme.example"}, headers=AUTH)
        ).json()
        assert [a["account_id"] for a in found["accounts"]] == [acme]
        by_name = (await client.get("/v1/accounts", params={"q": "acme"}, headers=AUTH)).json()
        assert [a["account_id"] for a in by_name["accounts"]] == [acme]

    on_topic = await read_to_end(settings.kafka_bootstrap_servers, topics.accounts)
    matched = [e["data"] for e in on_topic if e["type"] == "lead.matched"]
    assert sorted(m["lead_id"] for m in matched) == sorted(i for i in ids if i != ids[3])
    assert all(m["account_id"] == acme and m["applied"] and m["method"] == "domain" for m in matched)
    updates = [e["data"] for e in on_topic if e["type"] == "account.updated"]
    assert all(e["subject"] == acme for e in on_topic)
    newest = max(updates, key=lambda u: u["revision"])
    assert newest["people"] == 4 and newest["domains"] == ["acme.example"]
    # On the wire an account is named by its domain: the names people give are theirs (erasable).
    assert newest["name"] == "Acme"
    assert "ada@" not in json.dumps(on_topic), "an account's events carry no person's data"


async def test_a_weak_name_match_is_only_suggested_and_a_person_links_and_unlinks_by_hand(settings, topics):
    async with capture_in_process(settings) as (client, _app):
        first = await client.post(
            "/v1/leads/landing-page", json={"email": "ada@acme.example", "company": "Acme"}
        )
        # A typo close enough to suggest, not to apply; a clear one with a company name applies.
        weak = await client.post(
            "/v1/leads/landing-page", json={"email": "dee@gmail.com", "company": "Acmee"}
        )
        strong = await client.post(
            "/v1/leads/landing-page", json={"email": "fay@acme-labs.example", "company": "ACME, Inc."}
        )
        ids = [r.json()["lead_id"] for r in (first, weak, strong)]
        accounts = await captured_accounts(settings, topics, 3)
        acme = accounts[ids[0]]
        assert accounts[ids[1]] is None and accounts[ids[2]] == acme

        account = (await client.get(f"/v1/accounts/{acme}", headers=AUTH)).json()
        assert [p["lead_id"] for p in account["suggested"]] == [ids[1]]
        assert account["suggested"][0]["method"] == "name" and account["suggested"][0]["confidence"] < 0.85
        assert account["domains"] == ["acme-labs.example", "acme.example"], "a subsidiary's domain joins"
        assert [(p["lead_id"], p["method"]) for p in account["people"]] == [
            (ids[0], "domain"),
            (ids[2], "name"),
        ]

        linked = await client.post(f"/v1/accounts/{acme}/people", json={"lead_id": ids[1]}, headers=AUTH)
        assert linked.status_code == 200, linked.text
        account = (await client.get(f"/v1/accounts/{acme}", headers=AUTH)).json()
        assert account["people_count"] == 3 and account["suggested"] == []
        assert account["people"][-1]["method"] == "manual" and account["people"][-1]["linked_by"] == "user"

        unlinked = await client.delete(f"/v1/accounts/{acme}/people/{ids[2]}", headers=AUTH)
        assert unlinked.status_code == 204
        assert (await client.delete(f"/v1/accounts/{acme}/people/{ids[2]}", headers=AUTH)).status_code == 404
        # Unlinked by hand: the matcher does not put her back when she writes again.
        await client.post("/v1/leads/landing-page", json={"email": "fay@acme-labs.example", "message": "hi"})
        accounts = await captured_accounts(settings, topics, 4)
        assert accounts[ids[2]] is None
        assert (await client.get(f"/v1/accounts/{acme}", headers=AUTH)).json()["people_count"] == 2
        refused = await client.post(f"/v1/accounts/{acme}/people", json={"lead_id": ids[0]})
        assert refused.status_code == 401

    suggestions = [
        e["data"]
        for e in await read_to_end(settings.kafka_bootstrap_servers, topics.accounts)
        if e["type"] == "lead.matched" and not e["data"]["applied"]
    ]
    assert [s["lead_id"] for s in suggestions] == [ids[1]]
    trail = await read_to_end(settings.kafka_bootstrap_servers, topics.audit)
    actions = [(e["data"]["action"], e["data"]["details"].get("lead_id")) for e in trail]
    assert ("account.person_linked", ids[1]) in actions and ("account.person_unlinked", ids[2]) in actions


async def test_erasure_takes_the_person_out_of_her_account_and_the_export_lists_her_link(settings, topics):
    # No other service here: the export is capture's alone.
    alone = {"scoring_url": "", "routing_url": "", "webhooks_url": ""}
    async with capture_in_process(settings, **alone) as (client, _app):
        ada = (await client.post("/v1/leads/landing-page", json={"email": "ada@acme.example"})).json()[
            "lead_id"
        ]
        await client.post("/v1/leads/landing-page", json={"email": "bob@acme.example"})
        acme = (await captured_accounts(settings, topics, 2))[ada]
        exported = await client.get("/v1/privacy/export", params={"email": "ada@acme.example"}, headers=AUTH)
        assert exported.status_code == 200, exported.text
        links = exported.json()["services"]["capture"]["capture.lead_accounts"]
        assert [(row["lead_id"], row["account_id"], row["method"]) for row in links] == [
            (ada, acme, "domain")
        ]
        erased = await client.post("/v1/privacy/erasures", json={"email": "ada@acme.example"}, headers=AUTH)
        assert erased.status_code == 202, erased.text
        account = (await client.get(f"/v1/accounts/{acme}", headers=AUTH)).json()
        assert account["people_count"] == 1 and ada not in json.dumps(account["people"])
    left = [
        e["data"]
        for e in await read_to_end(settings.kafka_bootstrap_servers, topics.accounts)
        if e["type"] == "lead.matched" and e["data"]["lead_id"] == ada
    ]
    assert left[-1]["account_id"] is None and left[-1]["previous_account_id"] == acme


async def test_a_free_mail_person_waits_for_her_company_and_joins_when_its_account_is_made(settings, topics):
    async with capture_in_process(settings) as (client, _app):
        early = await client.post(
            "/v1/leads/landing-page", json={"email": "gus@gmail.com", "company": "Contoso Ltd"}
        )
        founder = await client.post(
            "/v1/leads/landing-page", json={"email": "hal@contoso.example", "company": "Contoso"}
        )
        ids = [early.json()["lead_id"], founder.json()["lead_id"]]
        accounts = await captured_accounts(settings, topics, 2)
        contoso = accounts[ids[1]]
        assert accounts[ids[0]] is None, "she came first: no account yet, and free-mail makes none"
        account = (await client.get(f"/v1/accounts/{contoso}", headers=AUTH)).json()
        # Her colleague, linked already, says where they are: the account lacked it, takes it.
        again = {"email": "hal@contoso.example", "country": "FR"}
        assert (await client.post("/v1/leads/landing-page", json=again)).status_code == 202
        account = (await client.get(f"/v1/accounts/{contoso}", headers=AUTH)).json()
        assert account["country"] == "FR" and account["people_count"] == 2
        # Linked in one batch, at one time: in either order.
        assert {(p["lead_id"], p["method"]) for p in account["people"]} == {
            (ids[1], "domain"),
            (ids[0], "name"),
        }
    matched = [
        e["data"]
        for e in await read_to_end(settings.kafka_bootstrap_servers, topics.accounts)
        if e["type"] == "lead.matched" and e["data"]["lead_id"] == ids[0]
    ]
    assert [(m["account_id"], m["applied"]) for m in matched] == [(contoso, True)]


async def test_an_accounts_owner_and_score_from_routing_and_scoring_show_on_capture(settings, topics):
    async with capture_in_process(settings) as (client, _app):
        lead = await client.post("/v1/leads/landing-page", json={"email": "ada@acme.example"})
        acme = (await captured_accounts(settings, topics, 1))[lead.json()["lead_id"]]
        rep = RepRef(id=uuid.uuid4(), name="Grace", email="grace@sales.example", tier="senior")
        now = datetime.now(UTC)
        news = [
            AccountOwnerChanged(account_id=acme, owner=rep, by="admin", at=now),
            AccountOwnerChanged(account_id=acme, owner=None, by="admin", at=now - timedelta(minutes=1)),
            AccountScored(account_id=acme, revision=2, score=81, temperature="hot", scored_at=now),
            AccountScored(account_id=acme, revision=1, score=40, temperature="warm", scored_at=now),
        ]
        async with kafka_producer(settings.kafka_bootstrap_servers) as producer:
            for data in news:  # an older owner and score after the newer: the newer stays
                event = new_event(data, source="test", subject=str(acme))
                await producer.send_and_wait(
                    topics.accounts, event.model_dump_json().encode(), key=str(acme).encode()
                )

        async def told() -> dict:
            account = (await client.get(f"/v1/accounts/{acme}", headers=AUTH)).json()
            assert account["owner"] is not None and account["score"] == 81, account
            return account

        account = await eventually(told)
        assert account["owner"]["id"] == str(rep.id) and account["temperature"] == "hot"


async def test_two_accounts_merged_by_hand_are_one_and_the_merged_one_points_to_it(settings, topics):
    async with capture_in_process(settings) as (client, _app):
        first = await client.post("/v1/leads/landing-page", json={"email": "ada@initech.example"})
        second = await client.post(
            "/v1/leads/landing-page", json={"email": "bob@initech-corp.example", "company_size": "500+"}
        )
        ids = [first.json()["lead_id"], second.json()["lead_id"]]
        accounts = await captured_accounts(settings, topics, 2)
        keep, merged = accounts[ids[0]], accounts[ids[1]]
        assert keep != merged
        answer = await client.post(f"/v1/accounts/{merged}/merge", json={"into": keep}, headers=AUTH)
        assert answer.status_code == 204, answer.text
        account = (await client.get(f"/v1/accounts/{keep}", headers=AUTH)).json()
        assert account["domains"] == ["initech-corp.example", "initech.example"]
        assert account["people_count"] == 2 and account["company_size"] == "500+"
        assert {p["lead_id"] for p in account["people"]} == set(ids)
        gone = await client.get(f"/v1/accounts/{merged}", headers=AUTH, follow_redirects=False)
        assert gone.status_code == 303 and gone.headers["location"] == f"/v1/accounts/{keep}"
        again = await client.post(f"/v1/accounts/{merged}/merge", json={"into": keep}, headers=AUTH)
        assert again.status_code == 303
        # A newcomer from the merged account's domain joins the account it went into.
        later = await client.post("/v1/leads/landing-page", json={"email": "cy@initech-corp.example"})
        accounts = await captured_accounts(settings, topics, 3)
        assert accounts[later.json()["lead_id"]] == keep
    on_topic = await read_to_end(settings.kafka_bootstrap_servers, topics.accounts)
    retired = [
        e["data"] for e in on_topic if e["type"] == "account.updated" and e["data"]["account_id"] == merged
    ]
    assert max(retired, key=lambda u: u["revision"])["merged_into"] == keep
    trail = await read_to_end(settings.kafka_bootstrap_servers, topics.audit)
    assert [e["data"]["details"]["merged"] for e in trail if e["data"]["action"] == "account.merged"] == [
        merged
    ]


async def test_people_of_a_new_company_arriving_at_once_make_one_account(settings, topics):
    """Several writers commit batches at once: the first to bring the domain makes the account,
    the others find it (the domain is locked, then read again)."""
    async with capture_in_process(settings, writers=4, write_batch=3) as (client, _app):
        answers = await asyncio.gather(
            *(
                client.post("/v1/leads", json={"email": f"p{n}@newco.example"}, headers=AUTH)
                for n in range(24)
            )
        )
        ids = [answer.json()["lead_id"] for answer in answers]
        accounts = await captured_accounts(settings, topics, 24)
        assert len({accounts[lead_id] for lead_id in ids}) == 1
        found = (await client.get("/v1/accounts", params={"domain": "newco.example"}, headers=AUTH)).json()
        assert [a["people_count"] for a in found["accounts"]] == [24]
