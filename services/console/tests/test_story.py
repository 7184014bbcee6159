"""A lead's story tells a long wait once: of the wait's reasons, its first line and the newest."""

from dataclasses import dataclass

from leadflow_console.domain.story import told_once


@dataclass(frozen=True)
class Line:
    kind: str
    title: str


def test_a_waits_later_reasons_are_told_by_the_newest_and_other_lines_stay():
    newest_first = [
        Line("routing", "Accepted by Ana"),
        Line("routing", "Still waiting for a senior rep with capacity"),
        Line("routing", "Still waiting for a senior rep available now (presence, working hours)"),
        Line("routing", "Still waiting for a senior rep with capacity"),
        Line("routing", "Waiting for a senior rep for language de"),
        Line("score", "Scored 91 (hot)"),
        Line("routing", "Still waiting for a mid rep with capacity"),  # an earlier wait's
        Line("routing", "Waiting for a mid rep with capacity"),
    ]
    assert [line.title for line in told_once(newest_first)] == [
        "Accepted by Ana",
        "Still waiting for a senior rep with capacity",
        "Waiting for a senior rep for language de",
        "Scored 91 (hot)",
        "Still waiting for a mid rep with capacity",
        "Waiting for a mid rep with capacity",
    ]
    submission = [Line("submission", "Still waiting is what she typed"), Line("submission", "Still waiting")]
    assert told_once(submission) == submission  # only routing's lines fold
