"""The console's words for routing's decisions and changes (pure): a lead given to another rep by
hand reads as what it was, not as a queue's lead leaving for a rep."""

import uuid
from datetime import UTC, datetime

from leadflow_common.event_base import RepRef
from leadflow_common.events import (
    AssignmentChanged,
    AssignmentStatusName,
    LeadReassigned,
    Temperature,
    Tier,
    new_event,
)
from leadflow_console.domain import words
from leadflow_console.domain.projection import change_title, fold

ANA = RepRef(id=uuid.uuid4(), name="Ana", email="ana@sales.example", tier=Tier.senior)


def promoted(previous: AssignmentStatusName, reason: str) -> AssignmentChanged:
    return AssignmentChanged(
        assignment_id=uuid.uuid4(),
        lead_id=uuid.uuid4(),
        status=AssignmentStatusName.promoted,
        previous_status=previous,
        rep=ANA if previous != AssignmentStatusName.waiting else None,
        reason=reason,
        by="admin",
        at=datetime.now(UTC),
        temperature=Temperature.warm,
    )


def test_a_lead_taken_from_a_rep_by_hand_says_from_whom_and_why_and_a_queued_one_leaves_the_queue():
    taken = promoted(AssignmentStatusName.accepted, "reassigned by hand to Bo: Ana is out this week")
    assert change_title(taken) == "Given by hand to Bo, from Ana: Ana is out this week"
    offered = promoted(AssignmentStatusName.offered, "turned hot before it was accepted: to a senior rep")
    assert change_title(offered) == "Moved on from Ana: turned hot before it was accepted: to a senior rep"
    queued = promoted(AssignmentStatusName.waiting, "assigned by hand to Bo")
    assert change_title(queued) == "Left the queue for a rep"


def test_a_decision_by_hand_is_said_as_such_and_any_other_later_offer_as_offered_again():
    assert words.decision("lead.reassigned", "assigned by hand: Lee knows BigCo") == "assigned by hand"
    assert words.decision("lead.reassigned", "reassigned by hand: Ana is out") == "reassigned by hand"
    assert words.decision("lead.reassigned", "not accepted within 900s") == "offered again"
    assert words.decision("lead.routed", "hot lead to senior rep") == "routed"


def test_a_lead_given_by_hand_tells_its_new_rep_whom_it_came_from():
    bo = RepRef(id=uuid.uuid4(), name="Bo", email="bo@sales.example", tier=Tier.senior)
    given = LeadReassigned(
        assignment_id=uuid.uuid4(),
        lead_id=uuid.uuid4(),
        rep=bo,
        temperature=Temperature.warm,
        score=61,
        reason="reassigned by hand to Bo: Ana is out this week",
        previous_rep_id=ANA.id,
        previous_rep=ANA,
    )
    [entry] = fold([new_event(given, source="routing", subject=given.lead_id)]).timeline
    assert (entry["title"], entry["details"]) == (
        "To Bo (senior)",
        {"reason": "reassigned by hand: Ana is out this week", "from": "Ana"},
    )
