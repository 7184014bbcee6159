"""The company names people give, pure: the rows kept of them (each person's, with her account
or none), and people waiting for their company's account. A free-mail person naming a company
no account is known by is linked to nothing (free-mail never makes an account); she waits, by
her company's name, and joins the account that comes to be known by a name hers matches
clearly (the matcher's rule: applied, never a weak match)."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from leadflow_capture.domain.account_planning import AccountBook, AccountPlan, Link, apply_match
from leadflow_capture.domain.accounts import LeadFacts, match_by_name, name_keys


@dataclass(frozen=True)
class Waiting:
    lead_id: uuid.UUID
    normalized_name: str
    typed_name: str


def opened_names(plan: AccountPlan) -> list[str]:
    """The keys of the names accounts are known by since this plan: whom they may be waited for."""
    return sorted({key for name in plan.new_names if name for key in name_keys(name)})


def adopt_waiting(
    plan: AccountPlan, book: AccountBook, waiting: Iterable[Waiting], *, now: datetime
) -> list[Waiting]:
    """Links each waiting person whose name now matches an account clearly; who was linked."""
    adopted = []
    candidates = [account.candidate() for account in book.live()]
    for person in waiting:
        if person.lead_id in plan.account_of:
            continue  # in this batch: matched (or not) as itself already
        match = match_by_name(person.normalized_name, candidates)
        if match is None or not match.applied:
            continue
        facts = LeadFacts(person.lead_id, None, None, person.typed_name, person.normalized_name)
        apply_match(plan, book, facts, match, now=now, new_id=uuid.uuid4)
        plan.account_of[person.lead_id] = match.account_id
        adopted.append(person)
    return adopted


def name_rows(
    plan: AccountPlan, facts: Iterable[LeadFacts], links: dict[uuid.UUID, Link], adopted: Iterable[Waiting]
) -> list[dict[str, object]]:
    """Each company name given in the batch (and by the people adopted), with the account of
    the person who gave it, or none: she waits. A person unlinked by hand gives none."""
    given = [(f.lead_id, f.normalized_name, f.company or "") for f in facts if f.normalized_name]
    given += [(w.lead_id, w.normalized_name, w.typed_name) for w in adopted]
    return [
        {
            "lead_id": lead_id,
            "account_id": plan.account_of.get(lead_id),
            "normalized_name": normalized,
            "typed_name": typed.strip(),
            "name_keys": name_keys(normalized),
        }
        for lead_id, normalized, typed in given
        if not (lead_id in links and links[lead_id].account_id is None)
    ]
