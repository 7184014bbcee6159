"""The reaper stops what its owner started once the owner is gone, however it ended, and leaves
everything alone once released."""

import signal
import subprocess
import sys
import time

import psutil

from leadflow_cli.reaper import Reaper

OWNER = """
import subprocess, sys, time
from pathlib import Path
from leadflow_cli.reaper import Reaper

reaper = Reaper()
service = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
stubborn = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print(flush=True); time.sleep(600)"],
    stdout=subprocess.PIPE)
stubborn.stdout.readline()  # it ignores SIGTERM from here on
reaper.watch_service(service.pid)
reaper.watch_infrastructure(stubborn.pid)
reaper.watch_scratch(Path(sys.argv[1]))
if sys.argv[2] == "release":
    reaper.release()
print(service.pid, stubborn.pid, flush=True)
time.sleep(600)
"""


def start_owner(scratch, mode: str) -> tuple[subprocess.Popen, list[psutil.Process]]:
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(scratch), mode], stdout=subprocess.PIPE, text=True
    )
    pids = [int(pid) for pid in owner.stdout.readline().split()]
    return owner, [psutil.Process(pid) for pid in pids]


def test_a_sigkilled_owners_processes_are_stopped_and_its_scratch_removed(tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "left").write_text("data")
    owner, started = start_owner(scratch, "watch")
    owner.send_signal(signal.SIGKILL)
    owner.wait(10)
    began = time.monotonic()
    # One ends at the SIGTERM; the other ignores it and gets SIGKILL after the 20 s grace.
    _, alive = psutil.wait_procs(started, timeout=40)
    assert alive == []
    assert time.monotonic() - began > 15, "the grace was given before the SIGKILL"
    deadline = time.monotonic() + 10
    while scratch.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not scratch.exists()


def test_a_released_reaper_touches_nothing(tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    owner, started = start_owner(scratch, "release")
    try:
        owner.send_signal(signal.SIGKILL)
        owner.wait(10)
        time.sleep(2)
        assert all(process.is_running() and process.status() != psutil.STATUS_ZOMBIE for process in started)
        assert scratch.exists()
    finally:
        for process in started:
            process.kill()


def test_releasing_a_reaper_already_gone_raises_nothing():
    """Released in a `finally`, an error of its own would hide the one that got there."""
    reaper = Reaper()
    psutil.Process(reaper.pid).kill()
    psutil.Process(reaper.pid).wait(10)
    reaper.release()


def test_a_reaper_that_does_not_exit_when_released_is_killed_without_an_error():
    reaper = Reaper()
    stuck = psutil.Process(reaper.pid)
    stuck.suspend()  # it cannot read "done"
    began = time.monotonic()
    reaper.release(wait_seconds=0.5)
    assert time.monotonic() - began < 5
    assert not stuck.is_running() or stuck.status() == psutil.STATUS_ZOMBIE
