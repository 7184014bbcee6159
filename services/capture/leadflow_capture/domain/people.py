"""Planning a batch of submissions, pure: which lead each one joins, which leads merge, and
every row and event the batch writes. The batch's submissions are applied in order, each seeing
the ones before it, exactly as if each had its own transaction."""

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from leadflow_capture.domain import consents
from leadflow_capture.domain.leads import NormalizedLead
from leadflow_capture.domain.merging import may_replace, merge_leads, merge_submission
from leadflow_common.event_base import Outgoing
from leadflow_common.events import (
    Channel,
    LeadCaptured,
    LeadMerged,
    LeadProfile,
    SubmissionSummary,
)


@dataclass(frozen=True)
class Submission:
    lead: NormalizedLead
    channel: Channel
    payload: dict[str, Any]
    # Already scoped to the channel and caller (`idempotency.py`); the hash tells a repeat from
    # another request under the same key.
    idempotency_key: str | None = None
    request_hash: str | None = None
    suppressed: bool = False  # its email or phone is on the do-not-contact list (privacy.py)
    # The ids a refused submission is answered with: the same person's lead id each time, and a
    # repeated key's submission id, as a stored person's are (privacy.decoy_id), so two
    # answers do not tell she is listed.
    decoy_ids: tuple[uuid.UUID, uuid.UUID | None] | None = None

    def lock_keys(self) -> list[str]:
        """What two transactions must not apply at once: the same person, the same key."""
        keys = [
            f"email:{self.lead.email}" if self.lead.email else "",
            f"phone:{self.lead.phone}" if self.lead.phone else "",
        ]
        if self.idempotency_key:
            keys.append(f"idempotency:{self.idempotency_key}")
        return [key for key in keys if key]


@dataclass(frozen=True)
class Accepted:
    lead_id: uuid.UUID
    submission_id: uuid.UUID
    replayed: bool = False
    request_hash: str | None = None
    suppressed: bool = False  # refused (do not contact): nothing stands behind these ids


@dataclass(frozen=True)
class KeyConflict:
    """The idempotency key was used before for another request: nothing was stored."""


@dataclass(frozen=True)
class StoredLead:
    """A lead as the database holds it; absorbed leads carry no profile."""

    lead_id: uuid.UUID
    email: str | None
    phone: str | None
    merged_into: uuid.UUID | None
    profile: LeadProfile | None


@dataclass
class BatchPlan:
    results: list[Accepted | KeyConflict] = field(default_factory=list)
    # In order: each absorbed lead, and the lead that absorbed it.
    absorptions: list[tuple[uuid.UUID, uuid.UUID, datetime]] = field(default_factory=list)
    # Every lead the batch changed or created, as it ends, with the lead it merged into if any.
    leads: dict[uuid.UUID, tuple[LeadProfile, uuid.UUID | None]] = field(default_factory=dict)
    submissions: list[dict[str, Any]] = field(default_factory=list)
    consents: list[dict[str, Any]] = field(default_factory=list)  # each change, for the ledger
    captured: list[Outgoing] = field(default_factory=list)  # for leads.captured
    merges: list[Outgoing] = field(default_factory=list)  # for leads.merged
    refused_keys: list[dict[str, Any]] = field(default_factory=list)  # refused submissions' keys


class People:
    """Who holds an email or a phone, and which lead absorbed which, as the batch goes."""

    def __init__(self, stored: Iterable[StoredLead]):
        self._profiles: dict[uuid.UUID, LeadProfile] = {}
        self._merged_into: dict[uuid.UUID, uuid.UUID] = {}
        self._keys: dict[uuid.UUID, tuple[str | None, str | None]] = {}
        self._holders: defaultdict[str, set[uuid.UUID]] = defaultdict(set)
        for lead in stored:
            if lead.merged_into:
                self._merged_into[lead.lead_id] = lead.merged_into
            if lead.profile is not None:
                self._profiles[lead.lead_id] = lead.profile
            self._index(lead.lead_id, lead.email, lead.phone)

    def _index(self, lead_id: uuid.UUID, email: str | None, phone: str | None) -> None:
        for key in self._keys.get(lead_id, (None, None)):
            if key:
                self._holders[key].discard(lead_id)
        self._keys[lead_id] = (email and f"email:{email}", phone and f"phone:{phone}")
        for key in self._keys[lead_id]:
            if key:
                self._holders[key].add(lead_id)

    def leads_of(self, email: str | None, phone: str | None) -> list[LeadProfile]:
        """The live leads an email or phone belongs to, oldest first; an absorbed lead's keys
        lead to the lead that absorbed it."""
        holders = set()
        for key in (email and f"email:{email}", phone and f"phone:{phone}"):
            if key:
                holders |= self._holders.get(key, set())
        live = {self._merged_into.get(lead_id, lead_id) for lead_id in holders}
        profiles = [self._profiles[lead_id] for lead_id in live if lead_id in self._profiles]
        return sorted(profiles, key=lambda profile: (profile.created_at, str(profile.lead_id)))

    def save(self, profile: LeadProfile) -> None:
        self._profiles[profile.lead_id] = profile
        self._index(profile.lead_id, profile.email, profile.phone)

    def absorb(self, absorbed: uuid.UUID, into: uuid.UUID) -> None:
        self._profiles.pop(absorbed, None)
        self._merged_into[absorbed] = into
        for lead_id, target in self._merged_into.items():
            if target == absorbed:
                self._merged_into[lead_id] = into

    def merged_into(self, lead_id: uuid.UUID) -> uuid.UUID | None:
        return self._merged_into.get(lead_id)

    def holder(self, key: str) -> uuid.UUID | None:
        """The live lead an `email:`/`phone:` key names now, if any."""
        live = {self._merged_into.get(lead_id, lead_id) for lead_id in self._holders.get(key, ())}
        return next(iter(live), None)


def _public_target(
    lead: NormalizedLead, existing: list[LeadProfile], people: People
) -> tuple[LeadProfile, NormalizedLead, list[str]]:
    """The lead a public submission joins when its email and phone name different people: the
    email's (or the phone's), unmerged; the identifier held by the other lead is withheld."""
    by_email = people.holder(f"email:{lead.email}") if lead.email else None
    target = next((p for p in existing if p.lead_id == by_email), existing[0])
    withheld = []
    if lead.email and by_email not in (None, target.lead_id):
        lead, withheld = replace(lead, email=None), [*withheld, "email"]
    by_phone = people.holder(f"phone:{lead.phone}") if lead.phone else None
    if lead.phone and by_phone not in (None, target.lead_id):
        lead, withheld = replace(lead, phone=None), [*withheld, "phone"]
    return target, lead, withheld


def _consent_rows(
    submission: Submission,
    lead: NormalizedLead,
    changed: tuple[LeadProfile | None, LeadProfile],
    submission_id: uuid.UUID,
) -> list[dict[str, Any]]:
    """Each consent the submission changed, with where it was given (the proof kept of it)."""
    where = consents.where_given(submission.channel, lead)
    before, after = changed
    return [
        {
            "lead_id": after.lead_id,
            "submission_id": submission_id,
            "consent": kind,
            "granted": grant.granted,
            "at": grant.at,
            "channel": grant.channel.value,
            "source": where or None,
        }
        for kind, grant in consents.changed(before.consent if before else {}, after.consent)
    ]


def _apply(
    submission: Submission, people: People, plan: BatchPlan, *, now: datetime, new_id: Callable[[], uuid.UUID]
) -> Accepted:
    """One submission into the plan: the leads it links merged (with a key), its lead as it
    ends, the submission's own record, and their events."""
    lead, withheld = submission.lead, []
    existing = people.leads_of(lead.email, lead.phone)
    survivor = existing[0] if existing else None
    if len(existing) > 1 and not may_replace(submission.channel):
        # Linking two people is for a caller with a key, not for an anonymous form.
        survivor, lead, withheld = _public_target(lead, existing, people)
        existing = [survivor]
    for younger in existing[1:]:
        survivor = merge_leads(survivor, younger, now=now)
        people.absorb(younger.lead_id, survivor.lead_id)
        plan.absorptions.append((younger.lead_id, survivor.lead_id, now))
        merged = LeadMerged(
            surviving_lead_id=survivor.lead_id, absorbed_lead_id=younger.lead_id, lead=survivor
        )
        plan.merges.append(Outgoing(merged, survivor.lead_id))
    merge = merge_submission(survivor, lead, lead_id=new_id(), channel=submission.channel, now=now)
    profile = merge.lead
    submission_id = new_id()
    plan.consents += _consent_rows(submission, lead, (survivor, profile), submission_id)
    people.save(profile)
    plan.leads[profile.lead_id] = (profile, None)
    plan.submissions.append(
        {
            "id": submission_id,
            "lead_id": profile.lead_id,
            "channel": submission.channel.value,
            "idempotency_key": submission.idempotency_key,
            "request_hash": submission.request_hash,
            "payload": submission.payload,
            "received_at": now,
        }
    )
    summary = SubmissionSummary(
        submission_id=submission_id,
        channel=submission.channel,
        received_at=now,
        message=lead.message,
        withheld=withheld + merge.withheld,
    )
    captured = LeadCaptured(lead=profile, channel=submission.channel, submission=summary)
    plan.captured.append(Outgoing(captured, profile.lead_id))
    return Accepted(
        lead_id=profile.lead_id, submission_id=submission_id, request_hash=submission.request_hash
    )


def _refuse(submission: Submission, plan: BatchPlan, new_id: Callable[[], uuid.UUID]) -> Accepted:
    """A listed person's submission, answered like any other (the caller does not learn who is
    on the list), its key kept with the ids answered."""
    lead_id, submission_id = submission.decoy_ids or (new_id(), None)
    refused = Accepted(
        lead_id, submission_id or new_id(), request_hash=submission.request_hash, suppressed=True
    )
    plan.results.append(refused)
    if submission.idempotency_key:
        plan.refused_keys.append(
            {
                "idempotency_key": submission.idempotency_key,
                "request_hash": submission.request_hash,
                "lead_id": refused.lead_id,
                "submission_id": refused.submission_id,
            }
        )
    return refused


def plan_batch(
    submissions: list[Submission],
    people: People,
    earlier: dict[str, Accepted],
    *,
    clock: Callable[[], datetime],
    new_id: Callable[[], uuid.UUID] = uuid.uuid4,
) -> BatchPlan:
    """Applies the submissions in order to `people` (changing it) and returns what to write.
    `earlier` holds the submissions already stored under an idempotency key."""
    plan = BatchPlan()
    seen = dict(earlier)
    for submission in submissions:
        key = submission.idempotency_key
        if key and key in seen:  # first: a refusal answers a reused key as a stored one does
            first = seen[key]
            repeat = not first.request_hash or submission.request_hash == first.request_hash
            plan.results.append(replace(first, replayed=True) if repeat else KeyConflict())
            continue
        if submission.suppressed:
            refused = _refuse(submission, plan, new_id)
            if key:
                seen[key] = refused
            continue
        accepted = _apply(submission, people, plan, now=clock(), new_id=new_id)
        plan.results.append(accepted)
        if key:
            seen[key] = accepted
    # A lead created or changed here and absorbed later in the batch is written absorbed.
    plan.leads = {
        lead_id: (profile, people.merged_into(lead_id)) for lead_id, (profile, _) in plan.leads.items()
    }
    return plan
