"""What each event changes in the console's read models, as plain rows. Pure: no I/O.

A batch of events may hold several changes to one lead in any order (the topics are read
together): the rows here are folded per lead so that the newest profile revision, the newest
score revision and the latest routing decision win, and the first time a lead turned warm or hot
is the earliest seen. The repository writes them with the same rules against what is stored."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from leadflow_common.events import (
    AssignmentChanged,
    AssignmentEvent,
    AssignmentStatusName,
    CloudEvent,
    LeadActivity,
    LeadCaptured,
    LeadMerged,
    LeadOutcome,
    LeadProfile,
    LeadReassigned,
    LeadScored,
    LeadWaitingTooLong,
    Temperature,
)
from leadflow_common.in_words import channel_words
from leadflow_common.routing_reasons import REASSIGNED_BY_HAND, RELEASED
from leadflow_console.domain.status import ShownStatus
from leadflow_console.domain.story import STILL_WAITING

SLA_REASON = "not accepted within"
_S = AssignmentStatusName
# How the console names an assignment that changed (routing's `assignment.changed`, the one
# source of an assignment's state; the audit trail only says who did it).
BY_HAND = f"{REASSIGNED_BY_HAND} to "  # how routing's reason for a lead taken by hand begins
ENDED = {
    _S.accepted: ShownStatus.accepted,
    _S.rejected: ShownStatus.rejected,
    _S.expired: ShownStatus.moved_on,
    _S.completed: ShownStatus.completed,
    _S.closed: ShownStatus.closed,
    _S.promoted: ShownStatus.promoted,
}


@dataclass
class Changes:
    profiles: dict[uuid.UUID, dict] = field(default_factory=dict)
    scores: dict[uuid.UUID, dict] = field(default_factory=dict)
    assignments: dict[uuid.UUID, dict] = field(default_factory=dict)  # per lead: the latest decision
    decisions: list[dict] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    outcomes: dict[uuid.UUID, dict] = field(default_factory=dict)
    merges: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    timeline: list[dict] = field(default_factory=list)

    changed_reps: set[uuid.UUID] = field(default_factory=set)  # named by assignment changes

    @property
    def leads(self) -> set[uuid.UUID]:
        """Leads whose page these changes touched."""
        touched = set().union(self.profiles, self.scores, self.assignments, self.outcomes)
        touched |= set(self.merges) | set(self.merges.values())
        return touched | {row["lead_id"] for row in self.timeline}

    @property
    def reps(self) -> set[uuid.UUID]:
        """Reps whose inbox a decision or a change of an assignment touched."""
        return {row["rep_id"] for row in self.decisions if row["rep_id"]} | self.changed_reps


def profile_row(profile: LeadProfile, channel: str) -> dict:
    name = " ".join(part for part in (profile.first_name, profile.last_name) if part)
    return {
        "lead_id": profile.lead_id,
        "revision": profile.revision,
        "profile": profile.model_dump(mode="json"),
        "email": profile.email,
        "phone": profile.phone,
        "name": name.lower() or None,
        "company": profile.company.lower() if profile.company else None,
        "channel": profile.channels[0].value if profile.channels else channel,
        "source": profile.attribution.source,
        "campaign": profile.attribution.campaign,
        "segment": profile.segment,
        "captured_at": profile.created_at,
    }


def _keep_newer(rows: dict, key, row: dict, version: str) -> None:
    if key not in rows or rows[key][version] < row[version]:
        rows[key] = row


def fold(events: list[CloudEvent]) -> Changes:
    changes = Changes()
    for event in events:
        data = event.data
        if isinstance(data, LeadCaptured):
            _keep_newer(
                changes.profiles, data.lead.lead_id, profile_row(data.lead, data.channel.value), "revision"
            )
            changes.timeline.append(
                _entry(
                    event,
                    data.lead.lead_id,
                    "submission",
                    f"Came in through {channel_words(data.channel.value)}",
                    {
                        "channel": data.channel.value,
                        "message": data.submission.message,
                    },
                )
            )
        elif isinstance(data, LeadMerged):
            changes.merges[data.absorbed_lead_id] = data.surviving_lead_id
            _keep_newer(changes.profiles, data.lead.lead_id, profile_row(data.lead, "api"), "revision")
        elif isinstance(data, LeadActivity):
            changes.timeline.append(
                _entry(event, data.lead_id, "activity", data.type.replace("_", " "), {"at": data.occurred_at})
            )
        elif isinstance(data, LeadScored):
            _fold_score(changes, event, data)
        elif isinstance(data, AssignmentEvent):
            _fold_decision(changes, event, data)
        elif isinstance(data, LeadOutcome):
            changes.outcomes[data.lead_id] = {
                "lead_id": data.lead_id,
                "outcome": data.outcome,
                "at": data.occurred_at,
            }
            title = f"Outcome corrected to {data.outcome}" if data.corrects else f"Outcome: {data.outcome}"
            # Its id: what a correction names (the lead page's Correct the outcome).
            details = {"amount": data.amount, "reason": data.reason, "outcome_id": str(data.outcome_id)}
            changes.timeline.append(_entry(event, data.lead_id, "outcome", title, details))
        elif isinstance(data, AssignmentChanged):
            _fold_change(changes, event, data)
        elif isinstance(data, LeadWaitingTooLong):
            minutes = max(1, round(data.limit_seconds / 60))
            title = f"Waited over {minutes} min for a rep: admins told"
            details = {"waiting_for": data.waiting_for}
            changes.timeline.append(_entry(event, data.lead_id, "assignment", title, details))
    return changes


def _fold_score(changes: Changes, event: CloudEvent, data: LeadScored) -> None:
    row = {
        "lead_id": data.lead_id,
        "score_revision": data.revision,
        "score": data.score,
        "temperature": data.temperature.value,
        "reasons": [reason.model_dump() for reason in data.reasons],
        "warm_at": data.scored_at if data.temperature is not Temperature.cold else None,
        "hot_at": data.scored_at if data.temperature is Temperature.hot else None,
    }
    earlier = changes.scores.get(data.lead_id)
    if earlier is not None:
        for first in ("warm_at", "hot_at"):
            seen = [at for at in (earlier[first], row[first]) if at is not None]
            row[first] = earlier[first] = min(seen) if seen else None
    _keep_newer(changes.scores, data.lead_id, row, "score_revision")
    if data.previous_temperature is not data.temperature:
        title = f"Scored {data.score:g}: {data.temperature}"
        changes.timeline.append(_entry(event, data.lead_id, "score", title, {"reasons": row["reasons"][:5]}))


def _fold_decision(changes: Changes, event: CloudEvent, data: AssignmentEvent) -> None:
    rep = data.rep
    status = ShownStatus.offered if rep else (data.queue or "queued")  # a queue: its name
    decision = {
        "assignment_id": data.assignment_id,
        "event_id": event.id,
        "type": event.type,
        "at": event.time,
        "lead_id": data.lead_id,
        "rep_id": rep.id if rep else None,
        "rep_name": rep.name if rep else None,
        "tier": rep.tier.value if rep else None,
        "queue": data.queue,
        "temperature": data.temperature.value,
        "score": data.score,
        "reason": data.reason,
        "sla_deadline": data.sla_deadline,
        "status": status,
        "moved_on": isinstance(data, LeadReassigned),
        "breached": int(isinstance(data, LeadReassigned) and data.reason.startswith(SLA_REASON)),
    }
    changes.decisions.append(decision)
    current = {
        "lead_id": data.lead_id,
        "decided_at": event.time,
        "assignment_id": data.assignment_id,
        "assignment_status": status,
        "rep_id": decision["rep_id"],
        "rep_name": decision["rep_name"],
        "tier": decision["tier"],
        "sla_deadline": data.sla_deadline,
        "offered_at": event.time if rep else None,
    }
    _keep_newer(changes.assignments, data.lead_id, current, "decided_at")
    who = f"{rep.name} ({rep.tier})" if rep else f"the {data.queue} queue"
    # The rep is named by the title: "To Ana (senior)", "assigned by hand: …", not twice.
    reason = data.reason.replace(f" to {rep.name}", "", 1) if rep else data.reason
    details = {"reason": reason}
    if isinstance(data, LeadReassigned) and data.previous_rep is not None:
        details["from"] = data.previous_rep.name  # whom it came from: the new rep's card says so
    changes.timeline.append(_entry(event, data.lead_id, "routing", f"To {who}", details))


def _fold_change(changes: Changes, event: CloudEvent, data: AssignmentChanged) -> None:
    """A change of an assignment: a new place in the waiting queue is the lead's current
    assignment; any other change updates the assignment it names (a new offer and the nurture
    queue arrive as decisions, with the card)."""
    if data.rep is not None:
        changes.changed_reps.add(data.rep.id)
    if data.status in ENDED:
        status = _ended_as(data)
        breached = int(data.status is _S.expired)
        changes.actions.append(
            {"assignment_id": data.assignment_id, "status": status, "at": data.at, "breached": breached}
        )
    elif data.status is _S.waiting and data.queue != "nurture":
        current = {
            "lead_id": data.lead_id,
            "decided_at": event.time,
            "assignment_id": data.assignment_id,
            "assignment_status": ShownStatus.waiting,
            "rep_id": None,
            "rep_name": None,
            "tier": None,
            "sla_deadline": None,
            "offered_at": None,
        }
        _keep_newer(changes.assignments, data.lead_id, current, "decided_at")
    title = change_title(data)
    if title is not None:
        # The title says the change in words (what a wait is for, a rep's reason, an outcome);
        # the rule's own words would say it again ("Accepted by Ana accepted by the rep").
        details = {"waiting_for": data.waiting_for, "by": data.by}
        changes.timeline.append(_entry(event, data.lead_id, "routing", title, details))


def _ended_as(data: AssignmentChanged) -> ShownStatus:
    """How the change ended its assignment, for the rep's "Lately" and the feed: a lead taken
    from a rep was given to another by hand, released from an inactive rep, or outgrew her tier."""
    if data.status is _S.promoted and data.previous_status in (_S.offered, _S.accepted):
        if data.reason.startswith(RELEASED):
            return ShownStatus.released
        if data.by == "admin":
            return ShownStatus.given
    return ENDED[data.status]


def change_title(data: AssignmentChanged) -> str | None:
    """The timeline's line for a change (None: the decision's own line says it)."""
    rep = data.rep.name if data.rep else "the rep"
    if data.status is _S.waiting:
        if data.queue == "nurture":
            return None
        still = STILL_WAITING if data.previous_status is _S.waiting else "Waiting"
        return f"{still} for {data.waiting_for}" if data.waiting_for else f"{still} for a rep"
    return {
        _S.accepted: f"Accepted by {rep}",
        _S.rejected: f"Passed on by {rep}: {data.reason.removeprefix('rejected: ')}",
        _S.expired: f"Moved on: {rep} did not accept it in time",
        _S.completed: f"Completed by {rep}",
        _S.closed: f"Closed: {data.reason.removeprefix('outcome: ')}",
        _S.promoted: _taken_title(data, rep)
        if data.previous_status in (_S.offered, _S.accepted)  # accepted: given to another by hand
        else "Left the queue for a rep",
    }.get(data.status)


def _taken_title(data: AssignmentChanged, rep: str) -> str:
    """A lead leaving its rep: given to another by hand (who, and why), released from a rep
    made inactive, or outgrown (routing's reason)."""
    if data.reason.startswith(BY_HAND):
        to, _, why = data.reason.removeprefix(BY_HAND).partition(": ")
        return f"Given by hand to {to}, from {rep}" + (f": {why}" if why else "")
    return f"Moved on from {rep}: {data.reason.removeprefix(RELEASED).strip()}"


def _entry(event: CloudEvent, lead_id: uuid.UUID, kind: str, title: str, details: dict) -> dict:
    return {
        "event_id": event.id,
        "lead_id": lead_id,
        "at": event.time,
        "kind": kind,
        "title": title,
        "details": {key: _plain(value) for key, value in details.items() if value is not None},
    }


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value
