"""Service processes for the tests, forked from one process that imported the five services once.

Every end-to-end test starts its own services (its own database, topics and settings), and each
start imported its service again: 1.2-1.5 s of CPU (capture's imports and app: 1.49 s), some 350
starts a run on two cores. A fork of a process that has imported them skips that (a subset of
the suite: 89 -> 58 s of CPU; the untimed run on six workers: 12 min 51 s, 17-18.5 before). What
runs is the same: the service's command (`leadflow_common.launch.serve`, its argument
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
import traceback
from pathlib import Path

SERVICES = ("capture", "scoring", "routing", "console", "webhooks")
PR_SET_PDEATHSIG = 1
ANSWER_SECONDS = 60  # a fork answers at once; the first request waits for the imports too


def _serve_in_child(request: dict, server: int) -> None:
    """In the forked child: become the service's command, as its entry point would, and end
    with its exit code (never back into the fork server's loop)."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # scoring's training waits for its children
        signal.signal(signal.SIGINT, signal.default_int_handler)
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != server:  # the fork server went before the line above
            return
        nothing = os.open(os.devnull, os.O_RDONLY)  # not the fork server's requests
        os.dup2(nothing, 0)
        os.close(nothing)
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.environ.clear()
        os.environ.update(request["environment"])
        sys.argv = [f"leadflow-{request['name']}", *request["arguments"]]
        from leadflow_common.launch import serve

        serve(f"leadflow_{request['name']}.main")
        code = 0
    except SystemExit as ended:  # as the interpreter ends on it: a message is printed, None is 0
        if ended.code is None or isinstance(ended.code, int):
            code = ended.code or 0
        else:
            print(ended.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _reap_ended() -> None:
    """Ended services are reaped only here, before the next fork: by then the worker holds a
    pidfd of each service it started, so no pid it may signal has been given to another process."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def fork_server() -> None:
    """The fork server's loop: a request a line in, a pid a line out, until stdin ends."""
    for name in SERVICES:
        importlib.import_module(f"leadflow_{name}.main")
    gc.collect()
    gc.freeze()  # imported for good: the children's writes then copy fewer of these pages
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a ^C is for the test run and its services
    print("ready", flush=True)
    server = os.getpid()
    for line in sys.stdin:
        request = json.loads(line)
        _reap_ended()
        pid = os.fork()
        if pid == 0:
            _serve_in_child(request, server)
        print(pid, flush=True)


class ForkedService:
    """A forked service, as much of `subprocess.Popen` as the fixtures use. Signals and waits go
    through a pidfd: the process is not this one's child, and its pid could be reused."""

    def __init__(self, pid: int):
        self.pid = pid
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:  # reaped already (cannot be: the server reaps before a fork)
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
        self.wait(10)

    def wait(self, timeout: float) -> None:
        if self._pidfd is None:
            return
        readable, _, _ = select.select([self._pidfd], [], [], timeout)
        if not readable:
            raise subprocess.TimeoutExpired(f"service {self.pid}", timeout)
        os.close(self._pidfd)
        self._pidfd = None


class ServiceForks:
    """A test worker's fork server; started again if it ended, and its failure said with the
    end of its log (`log`)."""

    def __init__(self, log: Path) -> None:
        self._log = log
        self._server: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def start_server(self) -> None:
        with self._lock:
            self._running()

    def _running(self) -> subprocess.Popen:
        if self._server is not None and self._server.poll() is None:
            return self._server
        with open(self._log, "ab") as log:
            self._server = subprocess.Popen(
                [sys.executable, __file__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        if self._answer() != "ready":
            raise self._failed("did not start")
        return self._server

    def _answer(self) -> str:
        assert self._server is not None and self._server.stdout is not None
        readable, _, _ = select.select([self._server.stdout], [], [], ANSWER_SECONDS)
        return self._server.stdout.readline().strip() if readable else ""

    def _failed(self, what: str) -> RuntimeError:
        if self._server is not None:
            self._server.kill()
            self._server.wait()
        self._server = None
        said = self._log.read_text(errors="replace")[-2000:] if self._log.exists() else ""
        return RuntimeError(f"the service fork server {what}; its log ({self._log}) ends:\n{said}")

    def start(self, name: str, arguments: list[str], environment: dict[str, str], log: Path) -> ForkedService:
        with self._lock:
            server = self._running()
            assert server.stdin is not None
            request = {"name": name, "arguments": arguments, "environment": environment, "log": str(log)}
            try:
                server.stdin.write(json.dumps(request) + "\n")
                server.stdin.flush()
            except BrokenPipeError:
                raise self._failed("ended") from None
            answer = self._answer()
            if not answer.isdigit():
                raise self._failed(f"did not fork {name} (it answered {answer!r})")
            return ForkedService(int(answer))

    def close(self) -> None:
        if self._server is not None and self._server.stdin is not None:
            self._server.stdin.close()
            self._server.wait(30)


if __name__ == "__main__":
    fork_server()
