"""B2B accounts in scoring, against the real broker and database: a lead's account travels to
routing on lead.scored, and an account is scored from its people (`account.scored` on
leads.accounts), turning hot when a third warm person joins the buying group."""

import uuid
from datetime import UTC, datetime

import pytest
from harness import IdleRelay, read_events
from sqlalchemy import insert, text
from test_scoring_flow import scoring

from leadflow_common.account_events import LeadMatched, MatchMethod
from leadflow_common.db import create_engine
from leadflow_common.events import Channel, LeadCaptured, LeadProfile, SubmissionSummary, Temperature
from leadflow_common.unit_of_work import UnitOfWork
from leadflow_scoring.app.account_scorer import rescore_accounts
from leadflow_scoring.domain.account_score import AccountRules
from leadflow_scoring.store import account_facts, tables
from leadflow_scoring.store import accounts as account_store

pytestmark = pytest.mark.integration
# Warm under the default rules (a manager or VP of a large company, reachable).
WARM = {"email": "someone@acme.example", "phone": "+14155550100", "company": "Acme", "company_size_min": 1000}


async def capture(s, account_id: uuid.UUID | None, **fields) -> uuid.UUID:
    lead_id, now = uuid.uuid4(), datetime.now(UTC)
    profile = LeadProfile(
        lead_id=lead_id, revision=1, created_at=now, updated_at=now, channels=[Channel.api], **fields
    )
    submission = SubmissionSummary(submission_id=uuid.uuid4(), channel=Channel.api, received_at=now)
    captured = LeadCaptured(lead=profile, account_id=account_id, channel=Channel.api, submission=submission)
    await s.publish(s.topics.captured, captured, lead_id)
    return lead_id


def warm_score(lead_id: uuid.UUID, now: datetime):
    """A lead's stored score, warm at 60: her part of an account's score."""
    return insert(tables.scores).values(
        lead_id=lead_id, revision=1, score=60.0, temperature="warm", reasons=[], model={}, scored_at=now
    )


async def account_scores(s, account_id, until) -> list[dict]:
    def mine(events):
        return [
            e for e in events if e["type"] == "account.scored" and e["data"]["account_id"] == str(account_id)
        ]

    read = await read_events(
        s.settings.kafka_bootstrap_servers, s.topics.accounts, until=lambda e: until(mine(e))
    )
    return mine(read)


async def test_an_account_turns_hot_when_a_third_warm_person_engages(settings, topics):
    account = uuid.uuid4()
    async with scoring(settings, topics) as s:
        manager = await capture(s, account, job_title="Engineering Manager", **WARM)
        vp = await capture(s, account, job_title="VP Sales", **WARM)
        two = await account_scores(
            s, account, until=lambda events: any(len(e["data"]["people"]) == 2 for e in events)
        )
        assert two[-1]["data"]["temperature"] == "warm", "two warm people are not yet a hot account"
        third = await capture(s, account, job_title="Marketing Manager", **WARM)
        events = await account_scores(
            s, account, until=lambda events: any(e["data"]["temperature"] == "hot" for e in events)
        )
        # The preview says what candidate account rules would do to it (nothing is stored).
        rules = (await s.client.get("/v1/scoring/rules")).json()["rules"]
        rules["account"]["thresholds"]["hot"] = 99
        preview = (await s.client.post("/v1/scoring/rules/preview", json=rules)).json()["accounts"]
        assert preview["accounts"] == 1 and preview["moves"] == [{"from": "hot", "to": "warm", "accounts": 1}]
        scored = await read_events(
            settings.kafka_bootstrap_servers,
            topics.scored,
            until=lambda events: (
                {e["data"]["lead_id"] for e in events} >= {str(manager), str(vp), str(third)}
            ),
        )
    hot = next(e for e in events if e["data"]["temperature"] == "hot")
    assert hot["data"]["previous_temperature"] == "warm"
    assert hot["subject"] == str(account)
    assert {person["lead_id"] for person in hot["data"]["people"]} == {str(manager), str(vp), str(third)}
    assert all(person["temperature"] == "warm" for person in hot["data"]["people"])
    factors = {reason["factor"] for reason in hot["data"]["reasons"]}
    assert {"account:engaged_people", "account:seniority:vp", "account:seniority:manager"} <= factors
    assert round(sum(reason["points"] for reason in hot["data"]["reasons"]), 1) == hot["data"]["score"]
    assert [e["data"]["revision"] for e in events] == list(range(1, len(events) + 1))
    # The lead's account travels with its score, for routing's owner-first rule.
    assert {e["data"]["routing"]["account_id"] for e in scored} == {str(account)}


async def test_a_lead_unlinked_from_its_account_leaves_the_account_score(settings, topics):
    account = uuid.uuid4()
    async with scoring(settings, topics) as s:
        first = await capture(s, account, job_title="VP Sales", **WARM)
        second = await capture(s, account, job_title="Engineering Manager", **WARM)
        await account_scores(
            s, account, until=lambda events: any(len(e["data"]["people"]) == 2 for e in events)
        )
        unlinked = LeadMatched(
            lead_id=second,
            account_id=None,
            previous_account_id=account,
            method=MatchMethod.manual,
            confidence=1,
            by="user",
            at=datetime.now(UTC),
        )
        await s.publish(s.topics.accounts, unlinked, account)
        events = await account_scores(
            s, account, until=lambda events: len(events[-1]["data"]["people"]) == 1 if events else False
        )
    assert [person["lead_id"] for person in events[-1]["data"]["people"]] == [str(first)]
    assert events[-1]["data"]["score"] < events[-1]["data"]["previous_score"]


def _points(event: dict, factor: str) -> float:
    return sum(reason["points"] for reason in event["data"]["reasons"] if reason["factor"] == factor)


async def test_an_account_of_many_people_is_scored_from_all_of_them(settings, topics):
    """Past the best people read per account (account_scorer.BEST_READ), the sum of the
    people's scores still counts every one of them, and the event names the best 25."""
    account = uuid.uuid4()
    async with scoring(settings, topics) as s:
        rules = (await s.client.get("/v1/scoring/rules")).json()["rules"]
        rules["account"] |= {"people_sum_weight": 0.01, "people_sum_cap": 100}  # the sum never capped
        assert (await s.client.put("/v1/scoring/rules", json=rules)).status_code == 200
        people = set()
        for n in range(60):
            extra = {"phone": f"+1415555{n:04d}", "company_size_min": 1000} if n % 3 == 0 else {}
            title = "Intern" if n % 2 else "Engineering Manager"
            people.add(str(await capture(s, account, email=f"p{n}@big.example", job_title=title, **extra)))
        scored = await read_events(
            settings.kafka_bootstrap_servers,
            topics.scored,
            until=lambda events: {e["data"]["lead_id"] for e in events} >= people,
            timeout=60,
        )
        latest = {e["data"]["lead_id"]: e["data"]["score"] for e in scored if e["data"]["lead_id"] in people}
        expected = round(sum(latest.values()) * 0.01, 1)

        def settled(events: list[dict]) -> bool:
            mine = [e for e in events if e["data"].get("account_id") == str(account)]
            return bool(mine) and _points(mine[-1], "account:people_sum") == expected

        events = await read_events(
            settings.kafka_bootstrap_servers, topics.accounts, until=settled, timeout=60
        )
    last = [e for e in events if e["data"].get("account_id") == str(account)][-1]
    assert [person["score"] for person in last["data"]["people"]] == sorted(latest.values(), reverse=True)[
        :25
    ]
    factors = {reason["factor"] for reason in last["data"]["reasons"]}
    assert {"account:seniority:junior", "account:seniority:manager", "account:engaged_people"} <= factors


async def test_people_just_linked_are_read_before_the_account_facts_which_are_read_once(
    settings, monkeypatch
):
    """The links' path (no parts given): the people just linked are read first, so the account's
    facts are read once (they were read twice: the first read found the new people unread), and
    the account is scored from all of them."""
    engine = create_engine(settings.database_url, application_name="test")
    account, people = uuid.uuid4(), [uuid.uuid4() for _ in range(3)]
    now = datetime.now(UTC)
    reads = []
    read_facts = account_facts.facts_of

    async def counted(*args, **kwargs):
        rows = await read_facts(*args, **kwargs)
        reads.append(rows)
        return rows

    monkeypatch.setattr(account_facts, "facts_of", counted)
    try:
        async with engine.begin() as connection:
            for lead in people:
                profile = {"job_title": "VP Sales", "updated_at": now.isoformat()}
                await connection.execute(
                    insert(tables.leads).values(lead_id=lead, revision=1, profile=profile)
                )
                await connection.execute(warm_score(lead, now))
        async with UnitOfWork(engine, outbox=tables.outbox, relay=IdleRelay(), source="test") as uow:
            await account_store.link_many(uow.connection, [(lead, account) for lead in people])
            [scored] = await rescore_accounts(uow, {account}, rules=AccountRules(), topic="accounts", now=now)
    finally:
        await engine.dispose()
    assert len(reads) == 1, f"the account's facts were read {len(reads)} times"
    assert {person.lead_id for person in scored.people} == set(people)
    assert scored.temperature == Temperature.hot, "three warm people, one a VP, active today"


async def test_a_link_that_says_what_is_stored_writes_nothing_and_an_unscored_person_is_stored_read(
    settings,
):
    """Each new B2B lead is linked twice (lead.captured, then lead.matched): the second link
    writes no row version (7 indexes each) and re-scores no account. A person not scored yet is
    stored with her empty part read; a scored one is read when her account is scored next."""
    engine = create_engine(settings.database_url, application_name="test")
    account, elsewhere = uuid.uuid4(), uuid.uuid4()
    scored, unscored = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    rows = "SELECT lead_id, account_id, refreshed, xmin::text AS version FROM scoring.lead_accounts"
    try:
        async with engine.begin() as connection:
            await connection.execute(warm_score(scored, now))
        links = [(scored, account), (unscored, account)]
        async with engine.begin() as connection:
            first = await account_store.link_many(connection, links)
        async with engine.connect() as connection:
            stored = {
                row.lead_id: row
                for row in await connection.execute(text(f"{rows} WHERE account_id = :a"), {"a": account})
            }
        assert first == account_store.Relinked(left=set(), joined={account})
        assert (stored[scored].refreshed, stored[unscored].refreshed) == (False, True)

        async with engine.begin() as connection:
            again = await account_store.link_many(connection, links)
        async with engine.connect() as connection:
            after = {
                row.lead_id: row
                for row in await connection.execute(text(f"{rows} WHERE account_id = :a"), {"a": account})
            }
        assert again == account_store.Relinked(left=set(), joined=set())
        assert {lead: row.version for lead, row in after.items()} == {
            lead: row.version for lead, row in stored.items()
        }, "the repeated links wrote new row versions"

        async with engine.begin() as connection:
            moved = await account_store.link_many(connection, [(unscored, elsewhere)])
        assert moved == account_store.Relinked(left={account}, joined={elsewhere})
    finally:
        await engine.dispose()
