"""The console's pure read-model rules: what events change (folded per lead, newest wins), the
funnel's numbers and CSV, the date range, and CSRF tokens."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from leadflow_common.errors import Invalid
from leadflow_common.events import (
    AuditRecorded,
    Channel,
    CloudEvent,
    LeadCaptured,
    LeadProfile,
    LeadReassigned,
    LeadRouted,
    LeadScored,
    ModelRef,
    RepRef,
    SubmissionSummary,
    Temperature,
    Tier,
)
from leadflow_console import funnel, projection
from leadflow_console.read_queries import FunnelRow, SpeedRow
from leadflow_console.web.session import csrf_token

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
LEAD = uuid.uuid4()
ADA = RepRef(id=uuid.uuid4(), name="Ada", email="ada@sales.example", tier=Tier.senior)
GRACE = RepRef(id=uuid.uuid4(), name="Grace", email="grace@sales.example", tier=Tier.senior)


def event(data, at: datetime, kind: str) -> CloudEvent:
    return CloudEvent(id=uuid.uuid4().hex, source="test", type=kind, time=at, subject=str(LEAD), data=data)


def captured(revision: int, at: datetime, first_name: str) -> CloudEvent:
    profile = LeadProfile(
        lead_id=LEAD,
        revision=revision,
        email="pat@bigco.example",
        first_name=first_name,
        last_name="Lee",
        company="BigCo",
        channels=[Channel.popup],
        created_at=T0,
        updated_at=at,
    )
    submission = SubmissionSummary(submission_id=uuid.uuid4(), channel=Channel.popup, received_at=at)
    return event(
        LeadCaptured(lead=profile, channel=Channel.popup, submission=submission), at, "lead.captured"
    )


def scored(revision: int, at: datetime, score: float, temperature: Temperature) -> CloudEvent:
    data = LeadScored(
        lead_id=LEAD,
        revision=revision,
        score=score,
        temperature=temperature,
        reasons=[],
        model=ModelRef(kind="rules", version=0),
        scored_at=at,
    )
    return event(data, at, "lead.scored")


def routed(at: datetime, rep: RepRef, kind=LeadRouted, reason="warm lead to senior rep") -> tuple:
    assignment = uuid.uuid4()
    data = kind(
        assignment_id=assignment,
        lead_id=LEAD,
        rep=rep,
        temperature=Temperature.warm,
        score=60,
        reason=reason,
        sla_deadline=at + timedelta(minutes=5),
    )
    return assignment, event(data, at, "lead.reassigned" if kind is LeadReassigned else "lead.routed")


def test_the_newest_profile_and_score_win_in_any_order_and_the_first_warm_and_hot_times_are_kept():
    events = [
        captured(2, T0 + timedelta(seconds=2), "Patricia"),
        captured(1, T0, "Pat"),
        scored(3, T0 + timedelta(seconds=9), 40, Temperature.warm),
        scored(2, T0 + timedelta(seconds=5), 80, Temperature.hot),
        scored(1, T0 + timedelta(seconds=3), 45, Temperature.warm),
    ]
    changes = projection.fold(events)
    assert changes.profiles[LEAD]["name"] == "patricia lee"
    assert changes.profiles[LEAD]["company"] == "bigco"  # search matches lower case
    score = changes.scores[LEAD]
    assert (score["score_revision"], score["temperature"]) == (3, "warm")
    assert score["warm_at"] == T0 + timedelta(seconds=3)
    assert score["hot_at"] == T0 + timedelta(seconds=5)
    assert [entry["kind"] for entry in changes.timeline].count("submission") == 2


def test_the_latest_decision_is_the_current_assignment_and_a_reassignment_marks_a_breach():
    first, offered = routed(T0, ADA)
    second, moved = routed(T0 + timedelta(minutes=5), GRACE, LeadReassigned, "not accepted within 300s")
    changes = projection.fold([moved, offered])
    current = changes.assignments[LEAD]
    assert (current["assignment_id"], current["rep_id"], current["assignment_status"]) == (
        second,
        GRACE.id,
        "offered",
    )
    by_id = {row["assignment_id"]: row for row in changes.decisions}
    assert by_id[second]["moved_on"] and by_id[second]["breached"] == 1
    assert not by_id[first]["moved_on"]
    assert changes.reps == {ADA.id, GRACE.id}


def test_a_reps_accept_is_read_from_routings_audit_entry_and_a_refused_one_is_not():
    assignment = uuid.uuid4()

    def audit(outcome: str) -> CloudEvent:
        data = AuditRecorded(
            actor="user:1",
            action="assignment.accepted",
            target_type="assignment",
            target_id=str(assignment),
            service="routing",
            outcome=outcome,
            details={"lead_id": str(LEAD)},
        )
        return event(data, T0, "audit.recorded")

    changes = projection.fold([audit("succeeded"), audit("refused")])
    assert changes.actions == [{"assignment_id": assignment, "status": "accepted", "at": T0}]


def test_funnel_totals_conversions_and_bars():
    rows = [
        FunnelRow("popup", captured=10, warm=6, hot=3, offered=4, accepted=2, won=1, lost=1),
        FunnelRow("sms", captured=10, warm=4, hot=1, offered=2, accepted=2, won=1, lost=0),
    ]
    counts = funnel.totals(rows)
    assert counts == {"captured": 20, "warm": 10, "hot": 4, "offered": 6, "accepted": 4, "won": 2, "lost": 1}
    bars = {bar.stage: bar for bar in funnel.bars(counts)}
    assert bars["captured"].length == funnel.BAR_WIDTH and bars["captured"].rate is None
    assert bars["warm"].rate == 0.5 and bars["warm"].length == funnel.BAR_WIDTH // 2
    assert bars["won"].rate == 0.5  # of the accepted
    assert bars["lost"].rate == round(1 / 3, 4)  # of the decided outcomes
    assert funnel.bars({stage: 0 for stage in funnel.STAGES})[1].rate is None  # nothing: no rate


def test_the_csv_export_has_every_stage_and_cannot_smuggle_a_formula():
    rows = [FunnelRow("=HYPERLINK(1)", captured=2, warm=1, hot=0, offered=1, accepted=1, won=0, lost=0)]
    speed = [SpeedRow("@Ada", "senior", accepted=1, median_seconds=30.0, p90_seconds=50.0, breaches=0)]
    lines = funnel.to_csv("campaign", rows, speed).splitlines()
    assert lines[0].startswith("campaign,captured,warm,hot,offered,accepted,won,lost,captured_to_warm")
    assert lines[1].startswith("'=HYPERLINK(1),2,1,0,1,1,0,0,0.5")
    assert lines[-1] == "'@Ada,senior,1,30.0,50.0,0"


def test_the_date_range_defaults_to_thirty_days_and_refuses_nonsense():
    today = date(2026, 11, 26)
    since, until = funnel.date_range("", "", today)
    assert (since, until) == (datetime(2026, 10, 28, tzinfo=UTC), datetime(2026, 11, 27, tzinfo=UTC))
    for bad in (("2026-12-01", "2026-11-01"), ("yesterday", ""), ("2020-01-01", "2026-01-01")):
        with pytest.raises(Invalid):
            funnel.date_range(*bad, today)


def test_a_csrf_token_belongs_to_one_session_and_one_deployment():
    secret = b"s" * 32
    assert csrf_token(secret, "session-1") == csrf_token(secret, "session-1")
    assert csrf_token(secret, "session-1") != csrf_token(secret, "session-2")
    assert csrf_token(secret, "session-1") != csrf_token(b"t" * 32, "session-1")
