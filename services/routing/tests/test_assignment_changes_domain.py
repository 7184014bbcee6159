"""What a waiting lead waits for, and how routing's statuses reach subscribers (pure)."""

import uuid
from datetime import UTC, datetime, time

import pytest

from leadflow_common.events import AssignmentChanged, AssignmentStatusName, RepRef, Temperature, Tier
from leadflow_common.lead_access import rep_now
from leadflow_routing.app.changes import PUBLIC_STATUS, Change, as_event
from leadflow_routing.domain.policy import (
    AssignmentStatus,
    LeadToRoute,
    Rep,
    WorkingHours,
    decide,
    what_is_missing,
)

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)  # a Wednesday, noon
GONE_WORDS = "who has not passed on it, let it run out or had it taken away"


def rep(tier: Tier = Tier.senior, **fields) -> Rep:
    return Rep(**{"id": uuid.uuid4(), "tier": tier, "capacity": 2, "open_leads": 0, **fields})


def hot(**fields) -> LeadToRoute:
    return LeadToRoute(lead_id=uuid.uuid4(), temperature=Temperature.hot, score=90.0, **fields)


NIGHT_SHIFT = WorkingHours(timezone="UTC", start=time(22), end=time(6))


@pytest.mark.parametrize(
    ("reps", "lead", "missing"),
    [
        ([], hot(), "an active senior rep"),
        ([rep(active=False)], hot(), "an active senior rep"),
        ([rep(territories=("FR",))], hot(country="DE"), "a senior rep for country DE"),
        ([rep(territories=("FR",))], hot(), "a senior rep taking leads with no country"),
        ([rep(languages=("de",))], hot(language="en"), "a senior rep for language en"),
        ([rep(segments=("b2b",))], hot(segment="b2c"), "a senior rep for segment b2c"),
        ([rep(available=False)], hot(), "a senior rep available now (presence, working hours)"),
        ([rep(working_hours=NIGHT_SHIFT)], hot(), "a senior rep available now (presence, working hours)"),
        ([rep(open_leads=2)], hot(), "a senior rep with capacity"),
        # The first requirement nobody meets is named: the language here, not the capacity.
        ([rep(open_leads=2), rep(languages=("de",))], hot(language="en"), "a senior rep with capacity"),
        ([rep(open_leads=2, languages=("de",))], hot(language="en"), "a senior rep for language en"),
    ],
)
def test_a_waiting_lead_names_what_no_rep_offers(reps, lead, missing):
    decision = decide(lead, reps, now=NOW)
    assert decision.kind == "wait"
    assert decision.waiting_for == missing
    assert decision.reason == f"no eligible senior rep: waiting for {missing}"


def test_reps_who_passed_on_the_lead_are_named_as_such():
    passed = rep(Tier.mid)
    lead = LeadToRoute(lead_id=uuid.uuid4(), temperature=Temperature.warm, score=60.0)
    decision = decide(lead, [passed], now=NOW, exclude=frozenset({passed.id}))
    assert decision.waiting_for == f"a mid or senior rep {GONE_WORDS}"
    assert what_is_missing(lead, [passed], NOW, "mid", frozenset()) == "a mid rep with capacity"
    # Beside a later requirement, who passed is named: the one rep with a slot let it run out.
    mike, sara = rep(Tier.mid, name="Mike Mid"), rep(Tier.senior, name="Sara", open_leads=2)
    missing = what_is_missing(lead, [mike, sara], NOW, "mid or senior", frozenset({mike.id}))
    gone = "passed on it, let it run out or had it taken away"
    assert missing == f"a mid or senior rep with capacity, besides Mike Mid ({gone})"
    # Only one who would do but for that: a rep who passed and lacks the language is not named.
    german = LeadToRoute(lead_id=uuid.uuid4(), temperature=Temperature.warm, score=60.0, language="de")
    mo = rep(Tier.mid, name="Mo", languages=("en",))
    ines = rep(Tier.mid, name="Ines", languages=("de",), open_leads=2)
    assert what_is_missing(german, [mo, ines], NOW, "mid", frozenset({mo.id})) == "a mid rep with capacity"


def test_a_cold_lead_waits_for_a_warmer_score():
    cold = LeadToRoute(lead_id=uuid.uuid4(), temperature=Temperature.cold, score=5.0)
    assert decide(cold, [rep()], now=NOW).waiting_for == "a warm or hot score"


def test_every_routing_status_has_a_contract_name():
    assert set(PUBLIC_STATUS) == set(AssignmentStatus)
    assert PUBLIC_STATUS[AssignmentStatus.reassigned] is AssignmentStatusName.expired
    assert PUBLIC_STATUS[AssignmentStatus.nurtured] is AssignmentStatusName.waiting


def test_a_change_as_subscribers_see_it():
    ada = rep(name="Ada", email="ada@sales.example")
    change = Change(
        assignment_id=uuid.uuid4(),
        lead_id=uuid.uuid4(),
        status=AssignmentStatus.reassigned,
        previous=AssignmentStatus.offered,
        rep_id=ada.id,
        queue=None,
        reason="not accepted within 300s",
        temperature=Temperature.warm,
        attempt=2,
        at=NOW,
    )
    ref = RepRef(id=ada.id, name="Ada", email="ada@sales.example", tier=Tier.senior)
    event = as_event(change, ref)
    assert (event.status, event.previous_status, event.by) == ("expired", "offered", "system")
    assert event.rep == ref and event.waiting_for is None and event.at == NOW


def test_who_may_read_a_lead_follows_its_changes():
    ref = RepRef(id=uuid.uuid4(), name="Ada", email="ada@sales.example", tier=Tier.senior)

    def changed(status: AssignmentStatusName) -> AssignmentChanged:
        return AssignmentChanged(
            assignment_id=uuid.uuid4(),
            lead_id=uuid.uuid4(),
            status=status,
            previous_status=AssignmentStatusName.offered,
            rep=ref,
            reason="",
            by="rep",
            at=NOW,
            temperature=Temperature.hot,
        )

    held = {AssignmentStatusName.offered, AssignmentStatusName.accepted, AssignmentStatusName.assigned}
    let_go = {AssignmentStatusName.rejected, AssignmentStatusName.expired, AssignmentStatusName.waiting}
    for status in AssignmentStatusName:
        says, rep_id = rep_now(changed(status))
        if status in held:
            assert (says, rep_id) == (True, ref.id)
        elif status in let_go:
            assert (says, rep_id) == (True, None), "a rep who let the lead go no longer reads it"
        else:
            assert not says, f"{status}: whoever worked on it keeps reading it"


def test_a_lead_that_waited_long_enough_relaxes_its_soft_constraints_then_its_tier():
    from datetime import timedelta

    from leadflow_routing.domain.policy import Relaxation, relaxation_after

    step = timedelta(minutes=2)
    assert relaxation_after(timedelta(minutes=1), step) == Relaxation()
    assert relaxation_after(timedelta(minutes=2), step) == Relaxation(soft=True)
    assert relaxation_after(timedelta(minutes=4), step) == Relaxation(soft=True, next_tier=True)
    assert relaxation_after(timedelta(days=1), None) == Relaxation()

    lead = hot(language="en", segment="b2c")
    german, mid = rep(languages=("de",)), rep(Tier.mid)
    assert decide(lead, [german, mid], now=NOW).kind == "wait"
    soft = decide(lead, [german, mid], now=NOW, relaxed=Relaxation(soft=True))
    assert soft.rep_id == german.id and soft.reason.startswith(
        "after its wait, any territory, language or segment:"
    )
    busy = rep(open_leads=2)
    tier = decide(lead, [busy, mid], now=NOW, relaxed=Relaxation(soft=True, next_tier=True))
    assert tier.rep_id == mid.id and "and the next tier" in tier.reason
    assert (
        decide(lead, [busy, mid], now=NOW, relaxed=Relaxation(soft=True)).waiting_for
        == "a senior rep with capacity"
    )
