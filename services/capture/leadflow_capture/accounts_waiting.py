"""People waiting for their company's account, pure. A free-mail person naming a company no
account has yet is linked to nothing (free-mail never makes an account); she waits, by her
company's name, and joins the account when one is made or named so that her name matches it
clearly (the matcher's rule: applied, never a weak match)."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from leadflow_capture.accounts_domain import LeadFacts, match_by_name, name_keys
from leadflow_capture.accounts_planning import AccountBook, AccountPlan, apply_match


@dataclass(frozen=True)
class Waiting:
    lead_id: uuid.UUID
    normalized_name: str


def opened_names(plan: AccountPlan) -> list[str]:
    """The name keys of the accounts this plan made or named: whom they may be waiting for."""
    names = {plan.accounts[i].normalized_name for i in plan.created | plan.renamed}
    return sorted({key for name in names if name for key in name_keys(name)})


def adopt_waiting(
    plan: AccountPlan, book: AccountBook, waiting: Iterable[Waiting], *, now: datetime
) -> list[uuid.UUID]:
    """Links each waiting person whose name now matches an account clearly; who was linked."""
    adopted = []
    candidates = [account.candidate() for account in book.live()]
    for person in waiting:
        if person.lead_id in plan.account_of:
            continue  # in this batch: matched (or not) as itself already
        match = match_by_name(person.normalized_name, candidates)
        if match is None or not match.applied:
            continue
        facts = LeadFacts(person.lead_id, None, None, None, person.normalized_name)
        apply_match(plan, book, facts, match, now=now, new_id=uuid.uuid4)
        plan.account_of[person.lead_id] = match.account_id
        adopted.append(person.lead_id)
    return adopted


def still_waiting(plan: AccountPlan, facts: Iterable[LeadFacts], links: dict) -> list[dict]:
    """The batch's people left without an account who named a company (not unlinked by hand)."""
    return [
        {
            "lead_id": f.lead_id,
            "normalized_name": f.normalized_name,
            "name_keys": name_keys(f.normalized_name),
        }
        for f in facts
        if f.normalized_name and plan.account_of.get(f.lead_id) is None and f.lead_id not in links
    ]
