"""The routing policy, pure: which reps may take a lead, which of them should, and how an
assignment's status may change.

Hot leads go to senior reps; warm leads to mid reps, then senior ones when no mid rep can take
them; cold leads to the nurture queue. Among eligible reps the one with the fewest open leads
wins, ties going to the rep assigned least recently, so equal reps share leads evenly.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

from leadflow_common.events import Temperature, Tier
from leadflow_routing.domain.relaxation import NEXT_TIER as NEXT_TIER
from leadflow_routing.domain.relaxation import Relaxation as Relaxation
from leadflow_routing.domain.relaxation import relaxation_after as relaxation_after
from leadflow_routing.domain.status import (
    CURRENT_STATUSES,
    OPEN_STATUSES,
    PASSED_STATUSES,
    STATUS_OF_DECISION,
    TRANSITIONS,
    AssignmentStatus,
    InvalidTransition,
    check_transition,
)

# The statuses live in `status.py`; the names stay importable from here.
__all__ = [
    "CURRENT_STATUSES",
    "OPEN_STATUSES",
    "PASSED_STATUSES",
    "STATUS_OF_DECISION",
    "TRANSITIONS",
    "AssignmentStatus",
    "InvalidTransition",
    "check_transition",
]

NURTURE_QUEUE = "nurture"
WAITING_QUEUE = "waiting"
RANK = {Temperature.cold: 0, Temperature.warm: 1, Temperature.hot: 2}
TIERS_BY_TEMPERATURE: dict[Temperature, list[Tier]] = {
    Temperature.hot: [Tier.senior],
    Temperature.warm: [Tier.mid, Tier.senior],
    Temperature.cold: [],
}


@dataclass(frozen=True)
class Assignment:
    """Where a lead stands with routing: a rep's offer, or a place in a queue."""

    id: uuid.UUID
    lead_id: uuid.UUID
    rep_id: uuid.UUID | None
    queue: str | None
    status: AssignmentStatus
    reason: str
    temperature: Temperature
    score: float
    attempt: int
    sla_deadline: datetime | None
    created_at: datetime
    updated_at: datetime
    waiting_for: str | None = None


@dataclass(frozen=True)
class WorkingHours:
    """When a rep takes leads, in their own time zone; `days` are 0 (Monday) to 6."""

    timezone: str
    start: time
    end: time
    days: tuple[int, ...] = (0, 1, 2, 3, 4)

    @classmethod
    def from_document(cls, document: dict) -> "WorkingHours":
        return cls(
            timezone=document["timezone"],
            start=time.fromisoformat(document["start"]),
            end=time.fromisoformat(document["end"]),
            days=tuple(document.get("days", (0, 1, 2, 3, 4))),
        )

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.timezone))
        if local.weekday() not in self.days:
            return False
        clock = local.time().replace(tzinfo=None)
        if self.start <= self.end:
            return self.start <= clock < self.end
        return clock >= self.start or clock < self.end  # a shift past midnight


@dataclass(frozen=True)
class Rep:
    id: uuid.UUID
    tier: Tier
    capacity: int
    open_leads: int
    name: str = ""
    email: str = ""
    active: bool = True
    available: bool = True
    territories: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    last_assigned_at: datetime | None = None
    working_hours: WorkingHours | None = None

    def available_at(self, moment: datetime) -> bool:
        return self.available and (self.working_hours is None or self.working_hours.contains(moment))


@dataclass(frozen=True)
class LeadToRoute:
    lead_id: uuid.UUID
    temperature: Temperature
    score: float
    country: str | None = None
    language: str | None = None
    segment: str | None = None
    account_id: uuid.UUID | None = None  # its B2B account: offered to the account's owner first


@dataclass(frozen=True)
class Decision:
    kind: Literal["assign", "nurture", "wait"]
    reason: str
    rep_id: uuid.UUID | None = None
    queue: str | None = None
    waiting_for: str | None = None  # "wait": what no rep offers now


def matches(named: tuple[str, ...], value: str | None) -> bool:
    """A rep who names no values takes any; one who does takes only those (case-insensitive)."""
    if not named:
        return True
    return value is not None and value.lower() in {item.lower() for item in named}


def speaks(rep: Rep, language: str | None) -> bool:
    """A rep's languages bind only a lead that gives one: most leads never say theirs, and a
    rep who listed English took none of them (territories and segments stay strict: a lead
    with no country waits for a rep who takes those, as the queue says)."""
    return language is None or matches(rep.languages, language)


def is_eligible(rep: Rep, lead: LeadToRoute, now: datetime, *, soft_relaxed: bool = False) -> bool:
    return (
        rep.active
        and rep.available_at(now)
        and rep.open_leads < rep.capacity
        and (
            soft_relaxed
            or (
                matches(rep.territories, lead.country)
                and speaks(rep, lead.language)
                and matches(rep.segments, lead.segment)
            )
        )
    )


def fairness_order(rep: Rep) -> tuple:
    last = rep.last_assigned_at.timestamp() if rep.last_assigned_at else float("-inf")
    return (rep.open_leads, last, rep.id)


def decide(
    lead: LeadToRoute,
    reps: list[Rep],
    *,
    now: datetime,
    exclude: frozenset[uuid.UUID] = frozenset(),
    senior_pool: bool = False,
    relaxed: Relaxation = Relaxation(),
) -> Decision:
    """Where the lead goes. `senior_pool` sends it to senior reps whatever its temperature:
    where a lead lands after too many reps let it pass; `relaxed`: what a lead that waited long
    enough no longer requires."""
    tiers = [Tier.senior] if senior_pool else TIERS_BY_TEMPERATURE[lead.temperature]
    if relaxed.next_tier:
        tiers = [*tiers, *(tier for tier in NEXT_TIER[lead.temperature] if tier not in tiers)]
    if not tiers:
        return Decision(
            kind="nurture",
            queue=NURTURE_QUEUE,
            reason=f"{lead.temperature.value} lead: nurture until it warms up",
            waiting_for="a warm or hot score",
        )
    for tier in tiers:
        candidates = [
            rep
            for rep in reps
            if rep.tier == tier
            and rep.id not in exclude
            and is_eligible(rep, lead, now, soft_relaxed=relaxed.soft)
        ]
        if candidates:
            chosen = min(candidates, key=fairness_order)
            pool = "senior pool after too many attempts: " if senior_pool else relaxed.said()
            return Decision(
                kind="assign",
                rep_id=chosen.id,
                reason=(
                    f"{pool}{lead.temperature.value} lead to {tier.value} rep with fewest open leads "
                    f"({chosen.open_leads}/{chosen.capacity})"
                ),
            )
    wanted = " or ".join(tier.value for tier in tiers)
    missing = what_is_missing(
        lead, [rep for rep in reps if rep.tier in tiers], now, wanted, exclude, relaxed.soft
    )
    return Decision(
        kind="wait",
        queue=WAITING_QUEUE,
        reason=f"no eligible {wanted} rep: waiting for {missing}",
        waiting_for=missing,
    )


def what_is_missing(
    lead: LeadToRoute,
    reps: list[Rep],
    now: datetime,
    wanted: str,
    exclude: frozenset[uuid.UUID],
    soft_relaxed: bool = False,
) -> str:
    """What no rep of the wanted tiers offers, named by the first requirement that leaves none
    (in the order a person fixes them: someone active, who has not passed on it, let it run
    out or had it taken away by hand, who covers the lead's country, language and segment, who
    is working now, who has a free slot)."""

    def covering(what: str, value: str | None) -> str:
        if value:
            return f"a {wanted} rep for {what} {value}"
        return f"a {wanted} rep taking leads with no {what}"

    requirements: list[tuple[str, Callable[[Rep], bool]]] = [
        (f"an active {wanted} rep", lambda rep: rep.active),
        (
            f"a {wanted} rep who has not passed on it, let it run out or had it taken away",
            lambda rep: rep.id not in exclude,
        ),
        (
            covering("country", lead.country),
            lambda rep: soft_relaxed or matches(rep.territories, lead.country),
        ),
        (
            covering("language", lead.language),
            lambda rep: soft_relaxed or speaks(rep, lead.language),
        ),
        (covering("segment", lead.segment), lambda rep: soft_relaxed or matches(rep.segments, lead.segment)),
        (f"a {wanted} rep available now (presence, working hours)", lambda rep: rep.available_at(now)),
        (f"a {wanted} rep with capacity", lambda rep: rep.open_leads < rep.capacity),
    ]
    # Who would do but for having passed on it, let it run out or lost it by hand (every other
    # requirement met): named beside what is missing (a queue read "waiting for a mid rep with
    # capacity" beside a mid rep with a free slot: the one who had let it run out).
    others = [need for index, (_, need) in enumerate(requirements) if index != 1]
    passed = sorted(rep.name for rep in reps if rep.id in exclude and all(need(rep) for need in others))
    gone = "passed on it, let it run out or had it taken away"
    besides = f", besides {', '.join(passed)} ({gone})" if passed else ""
    left = reps
    for step, (missing, requirement) in enumerate(requirements):
        left = [rep for rep in left if requirement(rep)]
        if not left:
            return missing + (besides if step > 1 else "")
    return f"a {wanted} rep with capacity"  # all met: a slot was taken while deciding


def turned_hotter(offer: Assignment, lead: LeadToRoute) -> bool:
    """An offer not yet accepted whose lead is now hotter than when it was offered. An accepted
    lead stays with the rep who took it."""
    return offer.status is AssignmentStatus.offered and RANK[lead.temperature] > RANK[offer.temperature]


def outgrows(rep_tier: Tier | None, lead: LeadToRoute) -> bool:
    """Whether a rep of this tier no longer takes the lead at its temperature (a mid rep, a lead
    turned hot): it should go to a rep of the new temperature's tiers."""
    return rep_tier not in TIERS_BY_TEMPERATURE[lead.temperature]


def waiting_order(temperature: Temperature, score: float, since: datetime) -> tuple:
    """Waiting leads are served hottest first, then by score, then first come."""
    return (-RANK[temperature], -score, since)
