"""Planning a batch's account changes, pure: each captured lead matched in order (each seeing the
accounts the ones before it made), the links, accounts and events to write. The same rules as
a person's manual link and unlink, so a hand's change and the matcher's read alike."""

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from leadflow_capture.domain.accounts import (
    Candidate,
    LeadFacts,
    Match,
    decide,
    domain_label,
    name_keys,
    normalize_name,
)
from leadflow_common.account_events import AccountUpdated, LeadMatched, MatchMethod
from leadflow_common.event_base import Outgoing


@dataclass
class AccountState:
    """An account as stored: what the planner changes and writes back."""

    account_id: uuid.UUID
    revision: int
    name: str  # its domain's label (domain_label)
    domains: list[str]
    people: int
    company_size: str | None = None
    industry: str | None = None
    country: str | None = None
    merged_into: uuid.UUID | None = None
    names: set[str] = field(default_factory=set)  # company names its people gave, normalized

    @property
    def normalized_name(self) -> str:
        return normalize_name(self.name)

    def candidate(self) -> Candidate:
        return Candidate(
            self.account_id, frozenset(self.names | {self.normalized_name}), frozenset(self.domains)
        )

    def event(self, at: datetime) -> AccountUpdated:
        return AccountUpdated(
            account_id=self.account_id,
            revision=self.revision,
            name=self.name,
            domains=sorted(self.domains),
            company_size=self.company_size,
            industry=self.industry,
            country=self.country,
            people=self.people,
            merged_into=self.merged_into,
            at=at,
        )


@dataclass(frozen=True)
class Link:
    """A lead's account as stored; `account_id` None: unlinked by hand, never matched again."""

    lead_id: uuid.UUID
    account_id: uuid.UUID | None
    method: MatchMethod
    confidence: float
    by: str  # system or user
    at: datetime


@dataclass
class AccountPlan:
    """What a batch writes. Stored accounts change by deltas (people added or gone, domains and
    fit fields that fill what is missing), applied in SQL so that two batches touching one
    account both count; the events are made from the rows as they end (`events`)."""

    accounts: dict[uuid.UUID, AccountState] = field(default_factory=dict)  # changed, as planned
    created: set[uuid.UUID] = field(default_factory=set)
    new_names: set[str] = field(default_factory=set)  # names accounts are known by since this plan
    people_delta: dict[uuid.UUID, int] = field(default_factory=dict)
    links: dict[uuid.UUID, Link] = field(default_factory=dict)  # written (upserted)
    unlinked: list[uuid.UUID] = field(default_factory=list)  # links deleted
    suggestions: list[dict] = field(default_factory=list)
    new_domains: list[tuple[str, uuid.UUID]] = field(default_factory=list)
    matched: list[Outgoing] = field(default_factory=list)  # lead.matched, in order
    account_of: dict[uuid.UUID, uuid.UUID | None] = field(default_factory=dict)  # per lead

    def events(self, stored: Iterable[AccountState], at: datetime) -> list[Outgoing]:
        """account.updated for each changed account as stored after the batch, then the
        lead.matched events that explain it; all keyed by account id."""
        updated = [Outgoing(account.event(at), account.account_id) for account in stored]
        return updated + self.matched


class AccountBook:
    """The accounts a batch knows (stored ones it read, new ones it made) and their domains."""

    def __init__(self, accounts: Iterable[AccountState]):
        self.accounts = {account.account_id: account for account in accounts}
        self.by_domain = {d: a for a in self.accounts.values() if not a.merged_into for d in a.domains}

    def live(self) -> list[AccountState]:
        return [account for account in self.accounts.values() if account.merged_into is None]

    def add(self, account: AccountState) -> None:
        self.accounts[account.account_id] = account
        for domain in account.domains:
            self.by_domain.setdefault(domain, account)

    def give_domain(self, account: AccountState, domain: str) -> bool:
        """The domain joins the account unless another account has it; whether it joined."""
        if domain in self.by_domain:
            return False
        account.domains.append(domain)
        self.by_domain[domain] = account
        return True


def _touch(plan: AccountPlan, account: AccountState, people: int = 0) -> None:
    account.people += people
    plan.people_delta[account.account_id] = plan.people_delta.get(account.account_id, 0) + people
    plan.accounts[account.account_id] = account


def _bring_fit(plan: AccountPlan, account: AccountState, facts: LeadFacts) -> bool:
    """The fit fields a person brings fill what the account lacks (whether any did); the
    company name she gives is one more the account is known by (a new one may be what someone
    waits for)."""
    before = (account.company_size, account.industry, account.country)
    account.company_size = account.company_size or facts.company_size
    account.industry = account.industry or facts.industry
    account.country = account.country or facts.country
    if facts.normalized_name and facts.normalized_name not in account.names:
        account.names.add(facts.normalized_name)
        plan.new_names.add(facts.normalized_name)
    return before != (account.company_size, account.industry, account.country)


def apply_match(
    plan: AccountPlan, book: AccountBook, facts: LeadFacts, match: Match, *, now: datetime, new_id
) -> AccountState:
    if match.account_id is None:
        account = AccountState(new_id(), 1, domain_label(match.new_domain or ""), [], 0)
        book.add(account)
        plan.created.add(account.account_id)
        plan.new_names.add(account.normalized_name)
    else:
        account = book.accounts[match.account_id]
    if match.new_domain and book.give_domain(account, match.new_domain):
        plan.new_domains.append((match.new_domain, account.account_id))
    _bring_fit(plan, account, facts)
    _touch(plan, account, people=1)
    link = Link(facts.lead_id, account.account_id, match.method, match.confidence, "system", now)
    plan.links[facts.lead_id] = link
    plan.matched.append(Outgoing(_matched(link, None, True), account.account_id))
    return account


def _matched(link: Link, previous: uuid.UUID | None, applied: bool) -> LeadMatched:
    return LeadMatched(
        lead_id=link.lead_id,
        account_id=link.account_id,
        previous_account_id=previous,
        method=link.method,
        confidence=link.confidence,
        applied=applied,
        by="user" if link.by == "user" else "system",
        at=link.at,
    )


def unlink(
    plan: AccountPlan,
    book: AccountBook,
    link: Link,
    *,
    by: str,
    now: datetime,
    method: MatchMethod | None = None,
) -> None:
    """A lead leaves its account (erased, absorbed into another lead, or by hand)."""
    account = book.accounts.get(link.account_id) if link.account_id else None
    if account is None:
        return
    _touch(plan, account, people=-1)
    gone = replace(link, account_id=None, by=by, at=now, method=method or link.method)
    plan.matched.append(Outgoing(_matched(gone, account.account_id, True), account.account_id))


def link_by_hand(
    plan: AccountPlan,
    book: AccountBook,
    lead_id: uuid.UUID,
    current: Link | None,
    account: AccountState,
    now: datetime,
) -> None:
    """A person links the lead to the account (moving it from another): applied, certain."""
    previous = current.account_id if current else None
    if previous is not None:
        unlink(plan, book, current, by="user", now=now, method=MatchMethod.manual)
        plan.matched.pop()  # one event says the move: from `previous` to `account`
    _touch(plan, account, people=1)
    link = Link(lead_id, account.account_id, MatchMethod.manual, 1.0, "user", now)
    plan.links[lead_id] = link
    plan.matched.append(Outgoing(_matched(link, previous, True), account.account_id))


def unlink_by_hand(plan: AccountPlan, book: AccountBook, current: Link, now: datetime) -> None:
    """A person takes the lead out of its account; the matcher will not put it back."""
    unlink(plan, book, current, by="user", now=now, method=MatchMethod.manual)
    plan.links[current.lead_id] = Link(current.lead_id, None, MatchMethod.manual, 1.0, "user", now)


def plan_merge(
    plan: AccountPlan, source: AccountState, target: AccountState, links: Iterable[Link], now: datetime
) -> None:
    """A person merges `source` into `target`: its people move (each keeps how it matched), its
    domains and the fit fields it has that `target` lacks go with them. (`source` itself is
    retired by the store: merged, no people, no domains.)"""
    moved = 0
    for link in links:
        plan.links[link.lead_id] = replace(link, account_id=target.account_id, by="user", at=now)
        plan.matched.append(
            Outgoing(_matched(plan.links[link.lead_id], source.account_id, True), target.account_id)
        )
        moved += 1
    target.domains = sorted(set(target.domains) | set(source.domains))
    target.company_size = target.company_size or source.company_size
    target.industry = target.industry or source.industry
    target.country = target.country or source.country
    _touch(plan, target, people=moved)


def plan_accounts(
    leads: list[LeadFacts],
    absorbed: list[uuid.UUID],
    links: dict[uuid.UUID, Link],
    book: AccountBook,
    *,
    now: datetime,
    new_id: Callable[[], uuid.UUID] = uuid.uuid4,
) -> AccountPlan:
    """The batch's account changes: leads absorbed into another lead leave their accounts (the
    survivor is matched as itself); each lead with no link yet is matched, in order; a lead
    with a link (or unlinked by hand) keeps it."""
    plan = AccountPlan()
    for lead_id in absorbed:
        if (link := links.pop(lead_id, None)) is not None:
            unlink(plan, book, link, by="system", now=now)
            plan.unlinked.append(lead_id)
    for facts in leads:
        if facts.lead_id in links:
            linked = links[facts.lead_id].account_id
            plan.account_of[facts.lead_id] = linked
            # A person of the account who now says more of her company: it fills what it lacks.
            if linked in book.accounts and _bring_fit(plan, book.accounts[linked], facts):
                _touch(plan, book.accounts[linked])
            continue
        # Made only if the domains do not decide (a known company's people never compare names).
        candidates = (account.candidate() for account in book.live())
        by_domain = {d: book.by_domain[d].candidate() for d in facts.domains() if d in book.by_domain}
        decision = decide(facts, by_domain, candidates)
        account = None
        if decision.applied:
            account = apply_match(plan, book, facts, decision.applied, now=now, new_id=new_id)
            links[facts.lead_id] = plan.links[facts.lead_id]
        plan.account_of[facts.lead_id] = account.account_id if account else None
        if (weak := decision.suggested) is not None and weak.account_id != plan.account_of[facts.lead_id]:
            suggestion = Link(facts.lead_id, weak.account_id, weak.method, weak.confidence, "system", now)
            plan.suggestions.append(
                {
                    "account_id": weak.account_id,
                    "lead_id": facts.lead_id,
                    "method": weak.method.value,
                    "confidence": weak.confidence,
                    "at": now,
                }
            )
            plan.matched.append(Outgoing(_matched(suggestion, None, False), weak.account_id))
    return plan


def search_keys(facts: Iterable[LeadFacts]) -> tuple[list[str], list[str]]:
    """The domains and name keys whose accounts a batch reads."""
    domains = sorted({d for f in facts for d in f.domains()})
    keys = sorted({k for f in facts if f.normalized_name for k in name_keys(f.normalized_name)})
    return domains, keys
