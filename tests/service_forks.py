"""Service processes for the tests, forked from one process that imported the five services once.

Every end-to-end test starts its own services (its own database, topics and settings), and each
start imported its service again: 1.2-1.5 s of CPU, about 400 starts a run, a quarter of the
suite's CPU on two cores. A fork of a process that has imported them starts serving in a tenth of
that. What runs is the same: the service's command (`leadflow_common.launch.serve`, its argument
parser, settings from its own environment, uvicorn on its own port) in a process of its own,
stopped by a signal; only the interpreter's start and the imports are shared. The commands
themselves are started as commands by the tests of start-up (`test_service_start.py`), packaging
and `leadflow run`.

Run as a script by a test worker (`ServiceForks`): it reads one JSON request a line on stdin and
answers the child's pid a line on stdout. When the worker goes (its end, or killed), stdin ends,
this process ends, and the kernel sends each service it forked SIGTERM (PR_SET_PDEATHSIG).
"""

import ctypes
import gc
import importlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path

SERVICES = ("capture", "scoring", "routing", "console", "webhooks")
PR_SET_PDEATHSIG = 1


def _serve_in_child(request: dict) -> None:
    """In the forked child: become the service's command, as its entry point would."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # scoring's training waits for its own children
    signal.signal(signal.SIGINT, signal.default_int_handler)
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() == 1:  # the fork server went before the line above
        os._exit(1)
    os.environ.clear()
    os.environ.update(request["environment"])
    nothing = os.open(os.devnull, os.O_RDONLY)  # not the fork server's requests
    os.dup2(nothing, 0)
    os.close(nothing)
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    sys.argv = [f"leadflow-{request['name']}", *request["arguments"]]
    from leadflow_common.launch import serve

    code = 0
    try:
        serve(f"leadflow_{request['name']}.main")
    except SystemExit as ended:
        code = ended.code if isinstance(ended.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def fork_server() -> None:
    """The fork server's loop: a request a line in, a pid a line out, until stdin ends."""
    for name in SERVICES:
        importlib.import_module(f"leadflow_{name}.main")
    gc.collect()
    gc.freeze()  # imported for good: the children's writes then copy fewer of these pages
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the services that end
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a ^C is for the test run and its services
    print("ready", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _serve_in_child(request)
        print(pid, flush=True)


class ForkedService:
    """A forked service, as much of `subprocess.Popen` as the fixtures use. Signals and waits go
    through a pidfd: the process is not this one's child, and its pid could be reused."""

    def __init__(self, pid: int):
        self.pid = pid
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:  # ended already
            self._pidfd = None

    def _signal(self, number: int) -> None:
        if self._pidfd is not None:
            try:
                signal.pidfd_send_signal(self._pidfd, number)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def wait(self, timeout: float) -> None:
        if self._pidfd is None:
            return
        readable, _, _ = select.select([self._pidfd], [], [], timeout)
        if not readable:
            raise subprocess.TimeoutExpired(f"service {self.pid}", timeout)
        os.close(self._pidfd)
        self._pidfd = None


class ServiceForks:
    """A test worker's fork server, started at its first service."""

    def __init__(self) -> None:
        self._server: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def start(self, name: str, arguments: list[str], environment: dict[str, str], log: Path) -> ForkedService:
        with self._lock:
            if self._server is None:
                self._server = subprocess.Popen(
                    [sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
                )
                assert self._server.stdout.readline().strip() == "ready", "the fork server did not start"
            request = {"name": name, "arguments": arguments, "environment": environment, "log": str(log)}
            self._server.stdin.write(json.dumps(request) + "\n")
            self._server.stdin.flush()
            return ForkedService(int(self._server.stdout.readline()))

    def close(self) -> None:
        if self._server is not None:
            self._server.stdin.close()
            self._server.wait(30)
            self._server.stdout.close()


if __name__ == "__main__":
    fork_server()
