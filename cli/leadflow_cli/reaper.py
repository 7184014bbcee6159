"""What a process started is stopped when that process is gone, however it ended: SIGKILL too,
which no handler of its own can see. `leadflow run` and the tests' broker and database use it.

A small process of its own reads a pipe only its owner holds open, so the pipe ends when the owner
does. Told "done", the owner stopped everything itself and the reaper just exits; otherwise it
stops what it was told of: the services (SIGTERM, SIGKILL after a grace), then the infrastructure
processes the same way, then the embedded PostgreSQL servers (daemonized by pg_ctl: no process of
the owner's tree), and last removes the scratch directories it was given. Processes are held by
pidfd from the moment the reaper reads their number (the owner tells it right after starting
each), so a number reused after one ended later is never hit.
"""

import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

GRACE_SECONDS = 20.0
SERVICE, INFRASTRUCTURE, POSTGRES, SCRATCH, DONE = "service", "infrastructure", "postgres", "scratch", "done"


class Reaper:
    """The owner's side: start it first, tell it each thing started, release it after stopping
    them all."""

    def __init__(self) -> None:
        read_end, self._write_end = os.pipe()  # not inheritable: only this process holds it
        # A session of its own: Ctrl-C reaches the owner's process group, not the reaper.
        self._process = subprocess.Popen(
            [sys.executable, "-m", "leadflow_cli.reaper"], stdin=read_end, start_new_session=True
        )
        os.close(read_end)

    @property
    def pid(self) -> int:
        return self._process.pid

    def watch_service(self, pid: int) -> None:
        self._tell(SERVICE, str(pid))

    def watch_infrastructure(self, pid: int) -> None:
        self._tell(INFRASTRUCTURE, str(pid))

    def watch_postgres(self, data_dir: Path) -> None:
        self._tell(POSTGRES, str(data_dir))

    def watch_scratch(self, directory: Path) -> None:
        """A temporary directory, removed after everything is stopped."""
        self._tell(SCRATCH, str(directory))

    def release(self, wait_seconds: float = 10.0) -> None:
        """Everything was stopped by the owner: the reaper exits without touching anything.
        Never raises: callers release in a `finally`, where an error of its own would hide the
        one that got them there."""
        try:
            self._tell(DONE, "")
        except OSError:  # the reaper is gone already (killed with the owner's group, say)
            pass
        os.close(self._write_end)
        try:
            self._process.wait(wait_seconds)
        except subprocess.TimeoutExpired:  # stuck (stopped, say): told "done", it has nothing to do
            self._process.kill()
            self._process.wait()

    def _tell(self, kind: str, value: str) -> None:
        os.write(self._write_end, f"{kind} {value}\n".encode())


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    processes: dict[str, list[int]] = {SERVICE: [], INFRASTRUCTURE: []}
    paths: dict[str, list[Path]] = {POSTGRES: [], SCRATCH: []}
    for line in sys.stdin.buffer:  # until the owner releases it, or is gone
        kind, _, value = line.decode().strip().partition(" ")
        if kind == DONE:
            return 0
        if kind in paths:
            paths[kind].append(Path(value))
        elif kind in processes and (handle := _pidfd(int(value))) is not None:
            processes[kind].append(handle)
    print("leadflow: the process that started these ended without stopping them: stopping", file=sys.stderr)
    stop_processes(processes[SERVICE])
    stop_processes(processes[INFRASTRUCTURE])
    from leadflow_cli.local_postgres import stop_server

    for data_dir in paths[POSTGRES]:
        stop_server(data_dir)
    for directory in paths[SCRATCH]:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except ProcessLookupError:  # already gone
        return None


def stop_processes(handles: Iterable[int], grace: float = GRACE_SECONDS) -> None:
    """SIGTERM to each, then SIGKILL to those still running after `grace` seconds."""
    running = [handle for handle in handles if _signal(handle, signal.SIGTERM)]
    deadline = time.monotonic() + grace
    while running and time.monotonic() < deadline:
        ended, _, _ = select.select(running, [], [], max(0.0, deadline - time.monotonic()))
        running = [handle for handle in running if handle not in ended]
    for handle in running:
        _signal(handle, signal.SIGKILL)


def _signal(handle: int, signum: signal.Signals) -> bool:
    try:
        signal.pidfd_send_signal(handle, signum)
    except ProcessLookupError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
