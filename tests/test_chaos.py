"""The short version of `make chaos`: 3,000 leads posted over a minute (the fault schedule's
55 s inside it) while the broker is killed for 30 s, scoring, routing and webhooks are killed
and restarted, PostgreSQL restarts and a second routing process joins and leaves. Nothing
accepted is lost or doubled, no rep overfills, nothing is dead-lettered."""

import contextlib
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from leadflow_cli.chaos import run_chaos
from leadflow_cli.reaper import Reaper

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]
LEADS = 3000


def test_every_accepted_lead_is_captured_scored_and_assigned_exactly_once_through_faults():
    # Not under pytest's base temp: every pytest session makes that 0700 again, and the embedded
    # PostgreSQL runs as another user that must reach its data directory to restart.
    reaper = Reaper()
    with tempfile.TemporaryDirectory(prefix="leadflow-chaos-") as workdir:
        report = run_chaos(leads=LEADS, rate=50, workdir=Path(workdir), reaper=reaper)
        reaper.release()
        # Nothing the run started outlives it: not the PostgreSQL it restarted either.
        left = [
            p.pid for p in psutil.process_iter(["cmdline"]) if workdir in " ".join(p.info["cmdline"] or [])
        ]
        assert not left, f"still running after the run: {left}"
    accepted = report["accepted"]
    assert accepted >= 0.9 * LEADS, report["statuses"]  # 503s while PostgreSQL restarts are refused, not lost
    assert report["submissions"] == report["leads"] == accepted, report
    assert report["scored"] == accepted, report
    assert report["assigned"] == report["open_assignments"] == accepted, report
    assert report["over_capacity"] == 0 and report["two_reps"] == 0, report
    assert not any(report["dead_letters"].values()), report["dead_letters"]
    # The hand-off through the faults: each decision one delivery, none lost, none doubled.
    assert report["webhook_deliveries"] == accepted and report["webhook_doubled"] == 0, report
    assert len(report["faults"]) == 12, report["faults"]


def _started_by(run: psutil.Process, workdir: str) -> list[psutil.Process]:
    """The run's processes, and the PostgreSQL it started (pg_ctl leaves that to init)."""
    named = [p for p in psutil.process_iter(["cmdline"]) if workdir in " ".join(p.info["cmdline"] or [])]
    return run.children(recursive=True) + named


def test_a_sigkilled_run_leaves_nothing_running():
    """A SIGKILLed run cannot stop what it started: its reaper does (the services get their
    grace, then the broker, the S3 store and PostgreSQL; then the scratch). A SIGTERM takes the
    path of a run's normal end (its cleanup, asserted by the test above), so it is not run again
    here: each of these runs starts the whole system, about 100 s of a loaded worker."""
    run = subprocess.Popen(
        [str(Path(sys.executable).parent / "leadflow"), "chaos", "--leads", "2000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    started: list[psutil.Process] = []
    try:
        assert run.stdout is not None
        # Posting begins once the store, broker, database and services all answer.
        line = next(line for line in run.stdout if "posting" in line)
        workdir = line.removeprefix("logs in ").split(";")[0]
        parts = ("tansu", "local_s3", "leadflow-routing", "postgres", "loadgen", "leadflow_cli.reaper")
        deadline = time.monotonic() + 10  # the load generator starts just after the line
        while True:
            started = _started_by(psutil.Process(run.pid), workdir)
            names = " ".join(" ".join(p.cmdline()) for p in started)
            missing = [part for part in parts if part not in names]
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert not missing, (missing, names)
        run.send_signal(signal.SIGKILL)
        assert run.wait(60) == -signal.SIGKILL
        _, alive = psutil.wait_procs(started, timeout=60)
        assert not alive, [p.cmdline() for p in alive]
        assert not Path(workdir).exists()
    finally:
        run.kill()  # nothing, once it has exited
        for process in started:
            with contextlib.suppress(psutil.Error):
                process.kill()
