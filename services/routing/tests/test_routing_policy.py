import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from leadflow_common.events import Temperature, Tier
from leadflow_routing.policy import LeadToRoute, Rep, decide, is_eligible

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def rep(tier: Tier, **fields) -> Rep:
    return Rep(**{"id": uuid.uuid4(), "tier": tier, "capacity": 10, "open_leads": 0, **fields})


def lead(temperature: Temperature, **fields) -> LeadToRoute:
    return LeadToRoute(**{"lead_id": uuid.uuid4(), "temperature": temperature, "score": 50.0, **fields})


def test_hot_goes_to_senior_only():
    junior, mid, senior = rep(Tier.junior), rep(Tier.mid), rep(Tier.senior)
    assert decide(lead(Temperature.hot), [junior, mid, senior]).rep_id == senior.id
    assert decide(lead(Temperature.hot), [junior, mid]).kind == "wait"


def test_warm_goes_to_mid_then_senior():
    mid, senior = rep(Tier.mid), rep(Tier.senior)
    assert decide(lead(Temperature.warm), [mid, senior]).rep_id == mid.id
    full_mid = replace(mid, open_leads=10)
    assert decide(lead(Temperature.warm), [full_mid, senior]).rep_id == senior.id


def test_cold_goes_to_nurture():
    decision = decide(lead(Temperature.cold), [rep(Tier.senior)])
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
        ({"segments": ("b2b",)}, {"segment": "b2c"}, False),
        ({}, {"country": "FR", "language": "fr", "segment": "b2c"}, True),
    ],
)
def test_eligibility(rep_fields, lead_fields, eligible):
    assert is_eligible(rep(Tier.senior, **rep_fields), lead(Temperature.hot, **lead_fields)) is eligible


def test_fewest_open_leads_first_then_least_recently_assigned():
    busy = rep(Tier.senior, open_leads=3)
    recent = rep(Tier.senior, open_leads=1, last_assigned_at=NOW)
    earlier = rep(Tier.senior, open_leads=1, last_assigned_at=NOW - timedelta(hours=1))
    assert decide(lead(Temperature.hot), [busy, recent, earlier]).rep_id == earlier.id


def test_excluded_reps_are_skipped():
    first, second = rep(Tier.senior), rep(Tier.senior, open_leads=5)
    assert decide(lead(Temperature.hot), [first, second], exclude=frozenset({first.id})).rep_id == second.id


def test_three_equal_reps_split_300_leads_evenly():
    reps = {r.id: r for r in (rep(Tier.senior, capacity=1000) for _ in range(3))}
    counts: Counter = Counter()
    clock = NOW
    for _ in range(300):
        decision = decide(lead(Temperature.hot), list(reps.values()))
        chosen = reps[decision.rep_id]
        clock += timedelta(seconds=1)
        reps[chosen.id] = replace(chosen, open_leads=chosen.open_leads + 1, last_assigned_at=clock)
        counts[chosen.id] += 1
    assert sorted(counts.values()) == [100, 100, 100]
