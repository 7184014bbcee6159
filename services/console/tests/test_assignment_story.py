"""What a rep is told when her click reached an assignment that had already changed (pure)."""

import uuid

import pytest

from leadflow_console.domain.assignment_story import what_happened

MINE, NEXT = str(uuid.uuid4()), str(uuid.uuid4())


def detail(status: str, *steps: tuple[str, str, str]) -> dict:
    """Routing's answer: the assignment and its lead's history, oldest first."""
    history = [
        {"assignment_id": a, "status": s, "reason": r, "at": f"2026-12-02T12:0{i}:00Z"}
        for i, (a, s, r) in enumerate(steps)
    ]
    return {
        "assignment": {"id": MINE, "status": status, "updated_at": "2026-12-02T12:09:00Z"},
        "history": history,
    }


def at(value: str) -> str:
    return value[11:16]


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (
            detail(
                "reassigned",
                (MINE, "offered", ""),
                (MINE, "reassigned", "not accepted within 300s"),
                (NEXT, "waiting", ""),
            ),
            "This lead moved on at 12:01 because your time to accept it ran out;"
            " it went to the waiting queue.",
        ),
        (
            detail(
                "reassigned",
                (MINE, "offered", ""),
                (MINE, "reassigned", "not accepted within 300s"),
                (NEXT, "offered", ""),
            ),
            "This lead moved on at 12:01 because your time to accept it ran out;"
            " it was offered to another rep.",
        ),
        (
            detail(
                "rejected",
                (MINE, "offered", ""),
                (MINE, "rejected", "rejected: Not a fit"),
                (NEXT, "waiting", ""),
            ),
            "You passed on this lead at 12:01; it went to the waiting queue.",
        ),
        (
            detail("closed", (MINE, "offered", ""), (MINE, "closed", "outcome: won")),
            "This lead was closed at 12:01 (outcome: won).",
        ),
        (
            detail("completed", (MINE, "accepted", ""), (MINE, "completed", "")),
            "This lead was marked complete at 12:01.",
        ),
        (
            detail("accepted", (MINE, "offered", ""), (MINE, "accepted", "")),
            "This lead was accepted at 12:01: it is yours.",
        ),
        (detail("closed"), "This lead was closed at 12:09."),  # no history: the assignment's own time
    ],
)
def test_a_late_click_is_told_what_happened_and_where_the_lead_went(answer, said):
    assert what_happened(answer, at) == said
