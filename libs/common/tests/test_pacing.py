"""How long a background loop sleeps when nothing is due (webhooks' delivery and notice loops,
routing's sweeper)."""

from datetime import UTC, datetime, timedelta

from leadflow_common.pacing import idle_wait

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_a_loop_with_nothing_pending_sleeps_the_longest_wait():
    assert idle_wait(None, NOW, 5.0) == 5.0


def test_a_loop_wakes_when_the_next_item_comes_due_but_never_later_than_the_longest_wait():
    assert idle_wait(NOW + timedelta(seconds=1.5), NOW, 5.0) == 1.5
    assert idle_wait(NOW + timedelta(minutes=10), NOW, 5.0) == 5.0


def test_an_item_already_due_means_no_sleep():
    assert idle_wait(NOW - timedelta(seconds=3), NOW, 5.0) == 0.0
