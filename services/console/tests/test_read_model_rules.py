"""The console's pure read-model rules: what events change (folded per lead, newest wins), the
funnel's numbers and CSV, the date range, and CSRF tokens."""

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from leadflow_common.errors import Invalid
from leadflow_common.events import (
    AssignmentChanged,
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
from leadflow_console.api.web.session import csrf_token
from leadflow_console.app import funnel
from leadflow_console.domain import projection
from leadflow_console.store.read_queries import FunnelRow, SpeedRow

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


def change(
    status: str, assignment: uuid.UUID, at: datetime, rep: RepRef | None = ADA, **fields
) -> CloudEvent:
    data = AssignmentChanged(
        assignment_id=assignment,
        lead_id=LEAD,
        status=status,
        previous_status=fields.pop("previous", "offered"),
        rep=rep,
        reason=fields.pop("reason", ""),
        by=fields.pop("by", "rep"),
        at=at,
        temperature=Temperature.warm,
        **fields,
    )
    return event(data, at, "assignment.changed")


def test_an_assignments_state_comes_from_its_changes_not_from_the_audit_trail():
    assignment = uuid.uuid4()
    audit = AuditRecorded(
        actor="user:1",
        action="assignment.accepted",
        target_type="assignment",
        target_id=str(assignment),
        service="routing",
        details={"lead_id": str(LEAD)},
    )
    assert projection.fold([event(audit, T0, "audit.recorded")]).actions == []
    changes = projection.fold([change("accepted", assignment, T0)])
    assert changes.actions == [{"assignment_id": assignment, "status": "accepted", "at": T0, "breached": 0}]
    assert changes.reps == {ADA.id}, "her inbox is told"
    assert [entry["title"] for entry in changes.timeline] == ["Accepted by Ada"]


def test_an_offer_that_ran_out_then_waits_is_the_leads_current_state_with_what_it_waits_for():
    offered, waiting = uuid.uuid4(), uuid.uuid4()
    expired = change("expired", offered, T0, reason="not accepted within 300s", by="system")
    queued = change(
        "waiting",
        waiting,
        T0 + timedelta(milliseconds=1),
        rep=None,
        previous=None,
        queue="waiting",
        waiting_for="a senior rep with capacity",
        by="system",
    )
    changes = projection.fold([expired, queued])
    assert changes.actions == [{"assignment_id": offered, "status": "moved on", "at": T0, "breached": 1}]
    current = changes.assignments[LEAD]
    assert (current["assignment_id"], current["assignment_status"], current["rep_id"]) == (
        waiting,
        "waiting",
        None,
    )
    titles = [entry["title"] for entry in changes.timeline]
    assert titles == ["Moved on: Ada did not accept it in time", "Waiting for a senior rep with capacity"]
    assert changes.reps == {ADA.id}


@pytest.mark.parametrize(
    ("status", "fields", "title"),
    [
        ("rejected", {"reason": "rejected: Not a fit"}, "Passed on by Ada: Not a fit"),
        ("completed", {"previous": "accepted"}, "Completed by Ada"),
        ("closed", {"reason": "outcome: won", "by": "system"}, "Closed: won"),
        ("promoted", {"previous": "waiting", "rep": None}, "Left the queue for a rep"),
        ("offered", {"previous": None}, None),  # the decision's own line says it, with the card
        ("waiting", {"previous": None, "queue": "nurture", "rep": None}, None),
    ],
)
def test_each_change_has_its_line_on_the_timeline(status, fields, title):
    changes = projection.fold([change(status, uuid.uuid4(), T0, **fields)])
    assert [entry["title"] for entry in changes.timeline] == ([title] if title else [])


def test_funnel_totals_conversions_and_bars():
    rows = [
        FunnelRow("popup", captured=10, warm=6, hot=3, offered=4, accepted=2, won=1, lost=1),
        FunnelRow("sms", captured=10, warm=4, hot=1, offered=2, accepted=2, won=1, lost=0),
    ]
    counts = funnel.totals(rows)
    stages = {"captured": 20, "warm": 10, "hot": 4, "offered": 6, "accepted": 4, "won": 2, "lost": 1}
    assert counts == {**stages, "won_unaccepted": 0}
    bars = {bar.stage: bar for bar in funnel.bars(counts)}
    assert bars["captured"].length == funnel.BAR_WIDTH and bars["captured"].rate is None
    assert bars["warm"].rate == 0.5 and bars["warm"].length == funnel.BAR_WIDTH // 2
    assert bars["won"].rate == 0.5 and bars["won"].of == "accepted"
    # Offers go to warm and hot leads: a share of warm (hot: 6 of 4 would read 150%).
    assert bars["offered"].rate == 0.6 and bars["offered"].of == "warm"
    assert bars["lost"].rate == round(1 / 3, 4)  # of the decided outcomes
    assert funnel.bars({stage: 0 for stage in funnel.STAGES})[1].rate is None  # nothing: no rate


def test_the_csv_export_has_every_stage_and_cannot_smuggle_a_formula():
    rows = [FunnelRow("=HYPERLINK(1)", captured=2, warm=1, hot=0, offered=1, accepted=1, won=0, lost=0)]
    speed = [SpeedRow("@Ada", "senior", accepted=1, median_seconds=30.0, p90_seconds=50.0, breaches=0)]
    lines = funnel.to_csv("campaign", rows, speed).splitlines()
    assert lines[0].startswith("campaign,captured,warm,hot,offered,accepted,won,lost,captured_to_warm")
    assert lines[1].startswith("'=HYPERLINK(1),2,1,0,1,1,0,0,0.5")
    assert lines[-1] == "'@Ada,senior,1,30.0,50.0,0"
    wide = funnel.to_csv("campaign", [FunnelRow("\uff1dHYPERLINK(1)", 1, 0, 0, 0, 0, 0, 0)], []).splitlines()
    assert wide[1].startswith("'\uff1dHYPERLINK(1),")  # a full-width sign starts a formula too


def test_won_as_a_share_of_accepted_counts_only_the_leads_a_rep_accepted():
    row = FunnelRow(
        "spring", captured=9, warm=6, hot=4, offered=4, accepted=2, won=3, lost=1, won_unaccepted=2
    )
    counts = funnel.totals([row])
    won = next(bar for bar in funnel.bars(counts) if bar.stage == "won")
    assert (won.count, won.rate, won.of) == (3, 0.5, "accepted")  # 1 of the 2 accepted, not 3 of 2
    header, line = funnel.to_csv("campaign", [row], []).splitlines()[:2]
    assert header.endswith("accepted_to_won,won_unaccepted") and line.endswith(",0.5,2")


def test_the_date_range_defaults_to_thirty_days_and_refuses_nonsense():
    today = date(2026, 11, 26)
    since, until = funnel.date_range("", "", today)
    assert (since, until) == (datetime(2026, 10, 28, tzinfo=UTC), datetime(2026, 11, 27, tzinfo=UTC))
    # The calendar's ends were a 500 (a day added to the last one, 29 taken from the first).
    ends = (("", "9999-12-31"), ("", "0001-01-01"), ("0001-01-01", "0001-01-02"))
    for bad in (("2026-12-01", "2026-11-01"), ("yesterday", ""), ("2020-01-01", "2026-01-01"), *ends):
        with pytest.raises(Invalid):
            funnel.date_range(*bad, today)


def test_the_date_range_is_whole_days_in_the_viewers_zone():
    zone = ZoneInfo("America/Los_Angeles")
    since, until = funnel.date_range("2026-12-06", "2026-12-06", date(2026, 12, 6), zone)
    assert (since, until) == (datetime(2026, 12, 6, 8, tzinfo=UTC), datetime(2026, 12, 7, 8, tzinfo=UTC))
    assert funnel.last_day(until) == date(2026, 12, 6)
    # The day the clocks go back is 25 hours long.
    since, until = funnel.date_range("2026-11-01", "2026-11-01", date(2026, 11, 1), zone)
    assert until.astimezone(UTC) - since.astimezone(UTC) == timedelta(hours=25)
    assert funnel.last_day(until) == date(2026, 11, 1)


def test_a_csrf_token_belongs_to_one_session_and_one_deployment():
    secret = b"s" * 32
    assert csrf_token(secret, "session-1") == csrf_token(secret, "session-1")
    assert csrf_token(secret, "session-1") != csrf_token(secret, "session-2")
    assert csrf_token(secret, "session-1") != csrf_token(b"t" * 32, "session-1")


def test_a_timeline_line_says_a_thing_once():
    """Seen on a lead page: "Accepted by Ada accepted by the rep", "Moved on: Ada did not accept
    it in time not accepted within 120s", "To Ada (senior) assigned by hand to Ada"."""
    accepted = change("accepted", uuid.uuid4(), T0, reason="accepted by the rep")
    expired = change("expired", uuid.uuid4(), T0, reason="not accepted within 120s", by="system")
    _, by_hand = routed(T0, ADA, reason=f"assigned by hand to {ADA.name}: knows the account")
    lines = {
        entry["title"]: entry["details"] for entry in projection.fold([accepted, expired, by_hand]).timeline
    }
    assert lines["Accepted by Ada"].get("reason") is None
    assert lines["Moved on: Ada did not accept it in time"].get("reason") is None
    assert lines["To Ada (senior)"]["reason"] == "assigned by hand: knows the account"
