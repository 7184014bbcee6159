"""How long a background loop sleeps when nothing is due (webhooks' delivery and notice loops,
routing's sweeper), and how far apart the passes of a loop every lead goes through start."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from leadflow_common.pacing import Spacing, idle_wait

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_a_loop_with_nothing_pending_sleeps_the_longest_wait():
    assert idle_wait(None, NOW, 5.0) == 5.0


def test_a_loop_wakes_when_the_next_item_comes_due_but_never_later_than_the_longest_wait():
    assert idle_wait(NOW + timedelta(seconds=1.5), NOW, 5.0) == 1.5
    assert idle_wait(NOW + timedelta(minutes=10), NOW, 5.0) == 5.0


def test_an_item_already_due_means_no_sleep():
    assert idle_wait(NOW - timedelta(seconds=3), NOW, 5.0) == 0.0


def test_passes_start_a_gap_apart_under_load_and_at_once_after_a_quiet_stretch():
    now = [100.0]
    spacing = Spacing(0.05, clock=lambda: now[0])
    assert spacing.wait() == 0.0  # the first pass: at once
    spacing.started()
    now[0] += 0.01  # work waiting 10 ms after a pass began: the rest of the gap
    assert spacing.wait() == pytest.approx(0.04)
    now[0] += 0.06  # a pass that took longer than the gap: the next at once
    assert spacing.wait() == 0.0
    spacing.started()
    now[0] += 30  # a quiet stretch: a lone item goes at once
    assert spacing.wait() == 0.0


async def test_next_pass_waits_out_the_gap_then_counts_the_pass():
    spacing = Spacing(0.05)
    await spacing.next_pass()
    started = time.monotonic()
    await spacing.next_pass()
    assert 0.04 <= time.monotonic() - started < 0.5
    assert spacing.wait() > 0.0
