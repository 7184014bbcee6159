"""Re-scoring B2B accounts in the caller's unit of work, after their people were scored or
joined or left: `account.scored` on leads.accounts only when the score or temperature changed
(an account turning hot is `previous_temperature` not hot, `temperature` hot).

The cost follows the batch, not the account: the changed people's parts of the score are stored
on their links (account_facts.py) and each account's facts are read from indexes."""

import uuid
from datetime import datetime

from leadflow_common.account_events import AccountPerson, AccountScored
from leadflow_common.unit_of_work import UnitOfWork
from leadflow_scoring.domain.account_score import (
    UNKNOWN_LEVEL,
    AccountFacts,
    AccountRules,
    score_facts,
    seniority_of,
    sum_enough,
)
from leadflow_scoring.store import account_facts
from leadflow_scoring.store import accounts as account_store
from leadflow_scoring.store.account_facts import AccountRow, PersonPart

PEOPLE_ON_EVENT = 25  # the highest scored people named on `account.scored`
BEST_READ = 50  # the best people read per account: the event's, and most often the whole sum


async def rescore_accounts(
    uow: UnitOfWork,
    account_ids: set[uuid.UUID],
    *,
    rules: AccountRules,
    topic: str,
    now: datetime,
    parts: list[PersonPart] | None = None,
) -> list[AccountScored]:
    """Score each account from its people as they stand (`parts`: those the caller just read,
    the batch's scored people; a person newly linked has her part read here); store and
    publish the changed ones. Without `parts` the caller has just linked people, whose parts
    are unknown: they are read before the facts, not after a first read found them missing."""
    if not account_ids:
        return []
    ordered = sorted(account_ids)
    if parts is None:
        parts = await account_facts.stale_people(uow.connection, [], ordered)
    await _refresh(uow, parts, rules)
    rows = await _facts(uow, ordered, rules)
    if any(row.stale for row in rows):  # people linked without their part, or new levels
        await _refresh(uow, await account_facts.stale_people(uow.connection, [], ordered), rules)
        rows = await _facts(uow, ordered, rules)
    enough = sum_enough(rules)
    partial = [
        row.account_id for row in rows if not row.top_is_all and (enough is None or row.top_sum < enough)
    ]
    sums = await account_facts.full_sums(uow.connection, partial) if partial else {}
    published = []
    for row in rows:
        event = await _rescore_one(uow, row, sums.get(row.account_id, row.top_sum), rules, topic, now)
        if event is not None:
            published.append(event)
    return published


async def _facts(uow: UnitOfWork, account_ids: list[uuid.UUID], rules: AccountRules) -> list[AccountRow]:
    return await account_facts.facts_of(
        uow.connection,
        account_ids,
        levels=[level.level for level in rules.seniority_levels],
        engaged=rules.engaged_people_counted,
        top=BEST_READ,
    )


async def _refresh(uow: UnitOfWork, parts: list[PersonPart], rules: AccountRules) -> None:
    """The people's parts stored anew, each with her level (None: unknown, or she does not count)."""
    leveled = []
    for person in parts:
        level = seniority_of(person.job_title, rules.seniority_levels) if person.score is not None else None
        leveled.append((person, None if level == UNKNOWN_LEVEL else level))
    await account_facts.refresh(uow.connection, leveled)


async def _rescore_one(
    uow: UnitOfWork, row: AccountRow, score_sum: float, rules: AccountRules, topic: str, now: datetime
) -> AccountScored | None:
    facts = AccountFacts(
        people=len(row.best_people),
        engaged=row.engaged,
        best=row.best_people[0][1] if row.best_people else None,
        score_sum=score_sum,
        levels=row.levels,
        last_active_at=row.last_active_at,
    )
    result = score_facts(facts, rules, now)
    if row.revision is not None and (row.current_score, row.current_temperature) == (
        result.score,
        result.temperature,
    ):
        return None
    if row.revision is None and not row.best_people:
        return None  # an account nobody scored belongs to yet: nothing to say
    revision = row.revision + 1 if row.revision is not None else 1
    await account_store.save_score(
        uow.connection,
        row.account_id,
        revision=revision,
        score=result.score,
        temperature=result.temperature.value,
        reasons=[reason.model_dump() for reason in result.reasons],
        scored_at=now,
    )
    event = AccountScored(
        account_id=row.account_id,
        revision=revision,
        score=result.score,
        previous_score=row.current_score,
        temperature=result.temperature,
        previous_temperature=row.current_temperature,
        reasons=result.reasons,
        people=[
            AccountPerson(lead_id=lead_id, score=score, temperature=band)
            for lead_id, score, band in row.best_people[:PEOPLE_ON_EVENT]
        ],
        scored_at=now,
    )
    await uow.publish(topic, event, subject=row.account_id)
    return event
