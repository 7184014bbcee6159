"""Re-scoring B2B accounts in the caller's unit of work, after their people were scored or
joined or left: `account.scored` on leads.accounts only when the score or temperature changed
(an account turning hot is `previous_temperature` not hot, `temperature` hot)."""

import uuid
from datetime import datetime

from leadflow_common.account_events import AccountPerson, AccountScored
from leadflow_common.unit_of_work import UnitOfWork
from leadflow_scoring.domain.account_score import AccountRules, score_account
from leadflow_scoring.store import accounts as account_store

PEOPLE_ON_EVENT = 25  # the highest scored people named on `account.scored`


async def rescore_accounts(
    uow: UnitOfWork, account_ids: set[uuid.UUID], *, rules: AccountRules, topic: str, now: datetime
) -> list[AccountScored]:
    """Score each account from its people as they stand; store and publish the changed ones."""
    if not account_ids:
        return []
    ordered = sorted(account_ids)
    people = await account_store.people_of(uow.connection, ordered)
    currents = await account_store.current_scores(uow.connection, ordered)
    published = []
    for account_id in ordered:
        result = score_account(people[account_id], rules, now)
        current = currents.get(account_id)
        if current is not None and (current.score, current.temperature) == (result.score, result.temperature):
            continue
        if current is None and not people[account_id]:
            continue  # an account nobody scored belongs to yet: nothing to say
        revision = current.revision + 1 if current else 1
        await account_store.save_score(
            uow.connection,
            account_id,
            revision=revision,
            score=result.score,
            temperature=result.temperature.value,
            reasons=[reason.model_dump() for reason in result.reasons],
            scored_at=now,
        )
        by_score = sorted(people[account_id], key=lambda person: -person.score)[:PEOPLE_ON_EVENT]
        event = AccountScored(
            account_id=account_id,
            revision=revision,
            score=result.score,
            previous_score=current.score if current else None,
            temperature=result.temperature,
            previous_temperature=current.temperature if current else None,
            reasons=result.reasons,
            people=[
                AccountPerson(lead_id=person.lead_id, score=person.score, temperature=person.temperature)
                for person in by_score
            ],
            scored_at=now,
        )
        await uow.publish(topic, event, subject=account_id)
        published.append(event)
    return published
