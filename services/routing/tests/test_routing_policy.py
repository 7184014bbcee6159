import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from leadflow_common.events import Temperature, Tier
from leadflow_routing.domain.policy import (
    CURRENT_STATUSES,
    TRANSITIONS,
    AssignmentStatus,
    InvalidTransition,
    LeadToRoute,
    Rep,
    WorkingHours,
    check_transition,
    decide,
    is_eligible,
    waiting_order,
)

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def rep(tier: Tier, **fields) -> Rep:
    return Rep(**{"id": uuid.uuid4(), "tier": tier, "capacity": 10, "open_leads": 0, **fields})


def lead(temperature: Temperature, **fields) -> LeadToRoute:
    return LeadToRoute(**{"lead_id": uuid.uuid4(), "temperature": temperature, "score": 50.0, **fields})


def test_hot_goes_to_senior_only():
    junior, mid, senior = rep(Tier.junior), rep(Tier.mid), rep(Tier.senior)
    assert decide(lead(Temperature.hot), [junior, mid, senior], now=NOW).rep_id == senior.id
    assert decide(lead(Temperature.hot), [junior, mid], now=NOW).kind == "wait"


def test_warm_goes_to_mid_then_senior():
    mid, senior = rep(Tier.mid), rep(Tier.senior)
    assert decide(lead(Temperature.warm), [mid, senior], now=NOW).rep_id == mid.id
    full_mid = replace(mid, open_leads=10)
    assert decide(lead(Temperature.warm), [full_mid, senior], now=NOW).rep_id == senior.id


def test_cold_goes_to_nurture():
    decision = decide(lead(Temperature.cold), [rep(Tier.senior)], now=NOW)
    assert (decision.kind, decision.queue) == ("nurture", "nurture")


@pytest.mark.parametrize(
    ("rep_fields", "lead_fields", "eligible"),
    [
        ({"active": False}, {}, False),
        ({"available": False}, {}, False),
        ({"open_leads": 10}, {}, False),
        ({"territories": ("DE", "AT")}, {"country": "DE"}, True),
        ({"territories": ("DE",)}, {"country": "FR"}, False),
        ({"territories": ("DE",)}, {}, False),
        ({"languages": ("de",)}, {"language": "DE"}, True),
        ({"languages": ("de",)}, {"language": "en"}, False),
        ({"languages": ("en",)}, {}, True),  # a lead that gives no language: any rep (most give none)
        ({"segments": ("b2b",)}, {}, False),
        ({"segments": ("b2b",)}, {"segment": "b2c"}, False),
        ({}, {"country": "FR", "language": "fr", "segment": "b2c"}, True),
    ],
)
def test_eligibility(rep_fields, lead_fields, eligible):
    assert is_eligible(rep(Tier.senior, **rep_fields), lead(Temperature.hot, **lead_fields), NOW) is eligible


def test_fewest_open_leads_first_then_least_recently_assigned():
    busy = rep(Tier.senior, open_leads=3)
    recent = rep(Tier.senior, open_leads=1, last_assigned_at=NOW)
    earlier = rep(Tier.senior, open_leads=1, last_assigned_at=NOW - timedelta(hours=1))
    assert decide(lead(Temperature.hot), [busy, recent, earlier], now=NOW).rep_id == earlier.id


def test_excluded_reps_are_skipped():
    first, second = rep(Tier.senior), rep(Tier.senior, open_leads=5)
    assert (
        decide(lead(Temperature.hot), [first, second], exclude=frozenset({first.id}), now=NOW).rep_id
        == second.id
    )


def test_three_equal_reps_split_300_leads_evenly():
    reps = {r.id: r for r in (rep(Tier.senior, capacity=1000) for _ in range(3))}
    counts: Counter = Counter()
    clock = NOW
    for _ in range(300):
        decision = decide(lead(Temperature.hot), list(reps.values()), now=NOW)
        chosen = reps[decision.rep_id]
        clock += timedelta(seconds=1)
        reps[chosen.id] = replace(chosen, open_leads=chosen.open_leads + 1, last_assigned_at=clock)
        counts[chosen.id] += 1
    assert sorted(counts.values()) == [100, 100, 100]


BERLIN_DAY = WorkingHours(timezone="Europe/Berlin", start=time(9), end=time(17))


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (datetime(2026, 11, 23, 8, 30, tzinfo=UTC), True),  # Monday 09:30 in Berlin
        (datetime(2026, 11, 23, 7, 30, tzinfo=UTC), False),  # Monday 08:30 in Berlin
        (datetime(2026, 11, 23, 16, 0, tzinfo=UTC), False),  # Monday 17:00 in Berlin: the shift is over
        (datetime(2026, 11, 22, 10, 0, tzinfo=UTC), False),  # Sunday
    ],
)
def test_working_hours_are_read_in_the_reps_time_zone(moment, inside):
    assert BERLIN_DAY.contains(moment) is inside
    assert is_eligible(rep(Tier.senior, working_hours=BERLIN_DAY), lead(Temperature.hot), moment) is inside


def test_a_night_shift_spans_midnight():
    night = WorkingHours(timezone="UTC", start=time(22), end=time(6), days=tuple(range(7)))
    assert night.contains(datetime(2026, 11, 23, 23, tzinfo=UTC))
    assert night.contains(datetime(2026, 11, 23, 5, tzinfo=UTC))
    assert not night.contains(datetime(2026, 11, 23, 12, tzinfo=UTC))


def test_the_senior_pool_takes_any_temperature():
    mid, senior = rep(Tier.mid), rep(Tier.senior)
    decision = decide(lead(Temperature.warm), [mid, senior], now=NOW, senior_pool=True)
    assert decision.rep_id == senior.id and decision.reason.startswith("senior pool")


def test_waiting_leads_are_served_hottest_first_then_by_score_then_first_come():
    waiting = [
        ("warm-90", Temperature.warm, 90, NOW),
        ("hot-70-late", Temperature.hot, 70, NOW + timedelta(minutes=1)),
        ("hot-70-early", Temperature.hot, 70, NOW),
        ("hot-95", Temperature.hot, 95, NOW + timedelta(minutes=5)),
    ]
    ordered = sorted(waiting, key=lambda w: waiting_order(w[1], w[2], w[3]))
    assert [name for name, *_ in ordered] == ["hot-95", "hot-70-early", "hot-70-late", "warm-90"]


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (AssignmentStatus.offered, AssignmentStatus.accepted, True),
        (AssignmentStatus.offered, AssignmentStatus.reassigned, True),
        (AssignmentStatus.accepted, AssignmentStatus.completed, True),
        (AssignmentStatus.accepted, AssignmentStatus.accepted, False),  # accepted twice
        (AssignmentStatus.accepted, AssignmentStatus.reassigned, False),  # the SLA is met
        (AssignmentStatus.waiting, AssignmentStatus.promoted, True),
        (AssignmentStatus.waiting, AssignmentStatus.accepted, False),  # nobody was offered it
        (AssignmentStatus.nurtured, AssignmentStatus.completed, False),
        (AssignmentStatus.completed, AssignmentStatus.rejected, False),  # endings are final
        (AssignmentStatus.closed, AssignmentStatus.closed, False),
    ],
)
def test_an_assignment_moves_only_along_the_allowed_transitions(current, target, allowed):
    if allowed:
        check_transition(current, target)
    else:
        with pytest.raises(InvalidTransition) as refused:
            check_transition(current, target)
        assert refused.value.status == 409 and str(current) in str(refused.value)


def test_every_status_has_its_transitions_and_only_offered_and_accepted_hold_a_slot():
    assert set(TRANSITIONS) == set(AssignmentStatus)
    assert {status for status in AssignmentStatus if status.is_open} == {"offered", "accepted"}
    assert all(not TRANSITIONS[status] for status in AssignmentStatus if status not in CURRENT_STATUSES)
