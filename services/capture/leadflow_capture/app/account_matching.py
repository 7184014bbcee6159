"""Matching a batch's leads to accounts, in the batch's unit of work (capture owns identity):
read the links and the accounts the batch may match, plan (pure), write, and publish
`account.updated` and `lead.matched` on leads.accounts; each `lead.captured` then carries its
lead's account."""

import functools
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from leadflow_capture.domain.account_planning import (
    AccountBook,
    AccountPlan,
    AccountState,
    Link,
    plan_accounts,
    search_keys,
)
from leadflow_capture.domain.account_waiting import adopt_waiting, name_rows, opened_names
from leadflow_capture.domain.accounts import LeadFacts, lead_facts
from leadflow_capture.domain.people import BatchPlan
from leadflow_capture.store import accounts as accounts_store
from leadflow_common.events import LeadCaptured
from leadflow_common.topics import Topics
from leadflow_common.unit_of_work import Outgoing, UnitOfWork


def _facts_of(plan: BatchPlan) -> list[LeadFacts]:
    """Each live lead the batch captured, once, as it ends (in the order first captured)."""
    seen: dict[uuid.UUID, LeadFacts] = {}
    for outgoing in plan.captured:
        lead = outgoing.data.lead
        if plan.leads.get(lead.lead_id, (None, None))[1] is None and lead.lead_id not in seen:
            profile, _ = plan.leads[lead.lead_id]
            seen[lead.lead_id] = lead_facts(lead.lead_id, profile.email, profile.model_dump())
    return list(seen.values())


ReadAccounts = Callable[[list[str], list[str]], Awaitable[list[AccountState]]]
LockKeys = Callable[[list[str]], Awaitable[None]]


async def accounts_to_match(read: ReadAccounts, lock: LockKeys, unmatched: list[LeadFacts]) -> AccountBook:
    """The accounts these leads may join: those of their domains, and those whose names are like
    the companies named by people with no company email. The names of people whose company
    domain no account has yet (a subsidiary's, a new company's) are looked up only then, so a
    known company's people cost one read, whatever words their company's name shares.

    A domain no account has is locked, then read again: two batches bringing one new domain
    make one account (the second finds the first's), and a known company's batches, which
    make none, never wait on each other for it."""
    domains, _ = search_keys(unmatched)
    _, keys = search_keys([f for f in unmatched if not f.email_domain])
    book = AccountBook(await read(domains, keys))
    if missing := sorted({d for d in domains if d not in book.by_domain}):
        await lock([f"account-domain:{domain}" for domain in missing])
        _add(book, await read(missing, []))
    new_domains = [f for f in unmatched if f.email_domain and f.email_domain not in book.by_domain]
    _, more_keys = search_keys(new_domains)
    if more := sorted(set(more_keys) - set(keys)):
        _add(book, await read([], more))
    return book


def _tells(facts: LeadFacts) -> bool:
    return bool(facts.company_size or facts.industry or facts.country)


def _add(book: AccountBook, accounts: list[AccountState]) -> None:
    for account in accounts:
        if account.account_id not in book.accounts:
            book.add(account)


async def match_batch(
    uow: UnitOfWork, plan: BatchPlan, known: set[uuid.UUID], topics: Topics, now: datetime
) -> AccountPlan:
    """Matches the batch's leads and sets `account_id` on its `lead.captured` events. `known`:
    the leads stored before the batch (only they can have links already)."""
    facts = _facts_of(plan)
    absorbed = [absorbed for absorbed, _, _ in plan.absorptions if absorbed in known]
    links = await accounts_store.links_of(
        uow.connection, sorted({f.lead_id for f in facts if f.lead_id in known} | set(absorbed))
    )
    accounts = await match_leads(uow, facts, absorbed, links, topics, now)
    plan.captured = [_with_account(outgoing, accounts.account_of) for outgoing in plan.captured]
    return accounts


async def match_leads(
    uow: UnitOfWork,
    facts: list[LeadFacts],
    absorbed: list[uuid.UUID],
    links: dict[uuid.UUID, Link],
    topics: Topics,
    now: datetime,
) -> AccountPlan:
    """Matches these leads (`links`: those of them, and of the `absorbed`, that have one), writes
    the accounts and names, and publishes the changes; the intake's batches and the backfill of
    leads captured before accounts existed (account_backfill.py) alike."""
    read = functools.partial(accounts_store.accounts_for_matching, uow.connection)
    book = await accounts_to_match(read, uow.lock, [f for f in facts if f.lead_id not in links])
    # Read too: the accounts absorbed leads leave (their people count drops), and those of linked
    # people who say something of their company (it may fill what the account lacks).
    leaving = {link.account_id for lead, link in links.items() if lead in absorbed and link.account_id}
    telling = {links[f.lead_id].account_id for f in facts if f.lead_id in links and _tells(f)}
    named = {account_id for account_id in {*leaving, *telling} if account_id is not None}
    if wanted := sorted(named - book.accounts.keys()):
        _add(book, await accounts_store.accounts_by_id(uow.connection, wanted))
    accounts = plan_accounts(facts, absorbed, links, book, now=now)
    adopted = []
    if opened := opened_names(accounts):
        batch = [f.lead_id for f in facts]
        waiting = await accounts_store.waiting_for(uow.connection, opened, batch)
        adopted = adopt_waiting(accounts, book, waiting, now=now)
    if accounts.accounts or accounts.suggestions:
        stored = await accounts_store.write_accounts(uow.connection, accounts, now)
        await uow.publish_all(topics.accounts, accounts.events(stored, now))
    await accounts_store.forget_names(uow.connection, absorbed)  # the survivor's name is its own
    await accounts_store.write_names(uow.connection, name_rows(accounts, facts, links, adopted))
    return accounts


def _with_account(outgoing: Outgoing, account_of: dict[uuid.UUID, uuid.UUID | None]) -> Outgoing:
    data = outgoing.data
    if not isinstance(data, LeadCaptured):
        return outgoing
    account_id = account_of.get(data.lead.lead_id)
    return Outgoing(data.model_copy(update={"account_id": account_id}), outgoing.subject)
