"""The short version of `make chaos`: 5,000 leads posted while the broker is killed for 30 s,
scoring and routing are killed and restarted, PostgreSQL restarts and a second routing process
joins and leaves. Nothing accepted is lost or doubled, no rep overfills, nothing is dead-lettered.

Run by `make chaos-short`, not by `make test`: after a SIGKILL, tansu's S3-backed store sometimes
stops serving fetches from the committed offsets (seen in 2 of 3 full runs), which stalls the
restarted consumer; a test that fails on the local broker's bug would block every change."""

import pytest

from leadflow_cli.chaos import run_chaos

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]


def test_every_accepted_lead_is_captured_scored_and_assigned_exactly_once_through_faults(tmp_path):
    report = run_chaos(leads=5000, rate=100, workdir=tmp_path)
    accepted = report["accepted"]
    assert accepted >= 4500, report["statuses"]  # 503s while PostgreSQL restarts are refused, not lost
    assert report["submissions"] == report["leads"] == accepted, report
    assert report["scored"] == accepted, report
    assert report["assigned"] == report["open_assignments"] == accepted, report
    assert report["over_capacity"] == 0 and report["two_reps"] == 0, report
    assert not any(report["dead_letters"].values()), report["dead_letters"]
    assert len(report["faults"]) == 10, report["faults"]
