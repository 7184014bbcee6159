"""What account events change in the console's account read model, as plain rows. Pure: no I/O.

Folded per account and per lead so that the newest account revision, the newest score revision,
the latest owner change and the latest match win; the writes (account_read_writes.py) apply the
same rules against what is stored. A lead joining an account is a line on that lead's timeline."""

import uuid
from dataclasses import dataclass, field

from leadflow_common.account_events import (
    AccountOwnerChanged,
    AccountScored,
    AccountSuggestionDismissed,
    AccountUpdated,
    LeadMatched,
)
from leadflow_common.event_base import EventData
from leadflow_common.events import CloudEvent, LeadCaptured, Temperature


@dataclass
class AccountChanges:
    accounts: dict[uuid.UUID, dict] = field(default_factory=dict)
    scores: dict[uuid.UUID, dict] = field(default_factory=dict)
    owners: dict[uuid.UUID, dict] = field(default_factory=dict)
    links: dict[uuid.UUID, dict] = field(default_factory=dict)  # per lead; account_id None: unlinked
    timeline: list[dict] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.accounts or self.scores or self.owners or self.links)


def _keep_newer(rows: dict, key, row: dict, version: str) -> None:
    if key not in rows or rows[key][version] <= row[version]:
        rows[key] = row


def _fold_score(changes: AccountChanges, data: AccountScored) -> None:
    turned_hot = data.temperature == Temperature.hot and data.previous_temperature != Temperature.hot
    row = {
        "account_id": data.account_id,
        "score_revision": data.revision,
        "score": data.score,
        "temperature": data.temperature.value,
        "reasons": [reason.model_dump() for reason in data.reasons],
        "hot_at": data.scored_at if turned_hot else None,
    }
    earlier = changes.scores.get(data.account_id)
    _keep_newer(changes.scores, data.account_id, row, "score_revision")
    if earlier is not None and earlier["hot_at"] and not turned_hot and data.temperature == Temperature.hot:
        # Turned hot earlier in the batch and scored again since, still hot: it keeps that
        # date (the newer row alone said nothing of it, and the date was lost).
        row["hot_at"] = earlier["hot_at"]


def fold_accounts(events: list[CloudEvent]) -> AccountChanges:
    changes = AccountChanges()
    # Scores in revision order (a batch may hold them in any): the date an account turned hot
    # is carried through its later revisions only while they stay hot.
    scores = sorted((e.data for e in events if isinstance(e.data, AccountScored)), key=lambda d: d.revision)
    for score in scores:
        _fold_score(changes, score)
    for event in events:
        data = event.data
        if isinstance(data, AccountUpdated):
            row = {
                "account_id": data.account_id,
                "revision": data.revision,
                "name": data.name,
                "search_name": data.name.lower(),
                "domains": data.domains,
                "people": data.people,
                "merged_into": data.merged_into,
            }
            _keep_newer(changes.accounts, data.account_id, row, "revision")
        elif isinstance(data, AccountOwnerChanged):
            row = {
                "account_id": data.account_id,
                "owner_at": data.at,
                "owner_id": data.owner.id if data.owner else None,
                "owner_name": data.owner.name if data.owner else None,
            }
            _keep_newer(changes.owners, data.account_id, row, "owner_at")
        elif isinstance(data, LeadMatched) and data.applied:
            row = {
                "lead_id": data.lead_id,
                "account_id": data.account_id,
                "method": data.method.value,
                "confidence": data.confidence,
                "at": data.at,
            }
            earlier = changes.links.get(data.lead_id)
            if earlier is not None and earlier["method"] is None:
                del changes.links[data.lead_id]  # lead.captured's fallback: a match says more
            _keep_newer(changes.links, data.lead_id, row, "at")
            if data.account_id is not None or data.by == "user":
                # A person leaving by the system's doing is an erasure taking her out: her
                # timeline keeps its lines as they were (nothing about her is added).
                changes.timeline.append(_joined(event, data))
        elif isinstance(data, LeadCaptured) and data.account_id is not None:
            row = {
                "lead_id": data.lead.lead_id,
                "account_id": data.account_id,
                "method": None,
                "confidence": None,
            }
            if data.lead.lead_id not in changes.links:  # a match in the batch says more (how, how sure)
                changes.links[data.lead.lead_id] = row | {"at": event.time}
    return changes


def _joined(event: CloudEvent, data: LeadMatched) -> dict:
    if data.account_id is None:
        title = "Left its account" + (" (by hand)" if data.by == "user" else "")
    else:
        how = {"domain": "by email domain", "website": "by website", "name": "by company name"}
        title = f"Joined an account {how.get(data.method.value, 'by hand')} ({data.confidence:.0%} sure)"
    return {
        "event_id": event.id,
        "lead_id": data.lead_id,
        "at": event.time,
        "kind": "account",
        "title": title,
        "details": {"account_id": str(data.account_id or data.previous_account_id)},
    }


ACCOUNT_EVENTS = (AccountUpdated, AccountScored, AccountOwnerChanged, LeadMatched, AccountSuggestionDismissed)


def touched(events: list[CloudEvent]) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """The accounts a batch changed itself, and the leads it may have changed (each lead's
    account's page shows her score, rep and timeline): what the live account pages follow."""
    accounts: set[uuid.UUID] = set()
    leads: set[uuid.UUID] = set()
    for event in events:
        data = event.data
        if isinstance(data, ACCOUNT_EVENTS):
            accounts.update(_accounts_named(data))
            continue
        lead_id = data.lead.lead_id if isinstance(data, LeadCaptured) else getattr(data, "lead_id", None)
        if isinstance(lead_id, uuid.UUID):
            leads.add(lead_id)
    return accounts, leads


def _accounts_named(data: EventData) -> set[uuid.UUID]:
    named = {getattr(data, name, None) for name in ("account_id", "previous_account_id", "merged_into")}
    return {account for account in named if isinstance(account, uuid.UUID)}


def matched_leads(events: list[CloudEvent]) -> set[uuid.UUID]:
    """The leads a batch moved into or out of an account: their pages, and the funnel by
    account, show which account they count for."""
    return {event.data.lead_id for event in events if isinstance(event.data, LeadMatched)}
