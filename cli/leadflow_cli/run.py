"""`leadflow run`: the whole system on one machine.

Starts tansu unless KAFKA_BOOTSTRAP_SERVERS is set and an embedded PostgreSQL unless DATABASE_URL
is set, creates the topics, applies every service's migrations, starts the five services (the
console with its first admin) and waits. SIGINT or SIGTERM stops every process it started; so
does its reaper if it is SIGKILLed, and its parent's end (a `make run` SIGKILLed) is a SIGTERM.
"""

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import httpx
from dotenv import dotenv_values

from leadflow_cli.banner import banner
from leadflow_cli.drain import drain, prepare_topics
from leadflow_cli.infra import LocalBroker, port_open, wait_until
from leadflow_cli.local_postgres import EmbeddedPostgres
from leadflow_cli.reaper import Reaper

# The console first: the others refresh their credentials from it (start_services).
SERVICES = {
    "console": ("CONSOLE_PORT", 8000),
    "capture": ("CAPTURE_PORT", 8001),
    "scoring": ("SCORING_PORT", 8002),
    "routing": ("ROUTING_PORT", 8003),
    "webhooks": ("WEBHOOKS_PORT", 8004),
}
LOCAL_KAFKA_PORT = "LEADFLOW_LOCAL_KAFKA_PORT"
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class Refused(Exception):
    """A service refused to start: what it said is the message."""


class Stop(Exception):
    pass


def stop_with_parent() -> None:
    """SIGTERM to this process when its parent ends (Linux): a `make run` that is SIGKILLed
    would otherwise leave `leadflow run` and everything it started running without a terminal."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it ended before the request was made
        os.kill(os.getpid(), signal.SIGTERM)


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


DEFAULT_ADMIN_EMAIL = "admin@example.com"


def environment() -> dict[str, str]:
    """The same precedence the services use: the environment first, then .env."""
    return {**{k: v for k, v in dotenv_values(".env").items() if v is not None}, **os.environ}


def kept_secret(data_dir: Path, variable: str, file_name: str, env: dict[str, str] | None = None) -> str:
    """The variable's value (the environment, then .env: a key set in .env was ignored), or a
    secret generated once and kept in .data/ so it stays the same."""
    given = (environment() if env is None else env).get(variable)
    if given:
        return given
    secret_file = data_dir / file_name
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(24))
        secret_file.chmod(0o600)
    return secret_file.read_text().strip()


def api_key(data_dir: Path, env: dict[str, str] | None = None) -> str:
    return kept_secret(data_dir, "LEADFLOW_API_KEY", "api_key", env)


def executable(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def service_url(env: dict[str, str], name: str) -> str:
    port_variable, default_port = SERVICES[name]
    return f"http://127.0.0.1:{env.get(port_variable, default_port)}"


def wire(env: dict[str, str], data_dir: Path) -> None:
    """Secrets kept in .data/ and every address the services need of each other."""
    env["LEADFLOW_API_KEY"] = api_key(data_dir, env)
    env["LEADFLOW_ADMIN_PASSWORD"] = kept_secret(data_dir, "LEADFLOW_ADMIN_PASSWORD", "admin_password", env)
    env.setdefault("LEADFLOW_ADMIN_EMAIL", DEFAULT_ADMIN_EMAIL)
    env.setdefault("LEADFLOW_CONSOLE_URL", service_url(env, "console"))
    # On one machine, webhooks may reach a local receiver (`leadflow webhook-listen`); deployments
    # name their own (compose and Kubernetes leave it empty).
    env.setdefault("WEBHOOKS_ALLOWED_HOSTS", "127.0.0.1,localhost")
    env.setdefault("WEBHOOKS_ROUTING_URL", service_url(env, "routing"))
    env.setdefault("ROUTING_PUBLIC_URL", service_url(env, "routing"))
    env.setdefault("ROUTING_LEAD_URL_BASE", service_url(env, "capture"))
    # The console's web app sends reps' and marketers' commands to the services that own them.
    # Capture's export asks the others what they hold about a person.
    for name in SERVICES:
        if name != "console":
            env.setdefault(f"CONSOLE_{name.upper()}_URL", service_url(env, name))
        if name not in ("console", "capture"):
            env.setdefault(f"CAPTURE_{name.upper()}_URL", service_url(env, name))


def log_target(logs: Path | None, name: str):
    """Where a process's output goes: its own file under `logs`, or this terminal (None)."""
    return open(logs / f"{name}.log", "ab") if logs else None


def start_services(env: dict[str, str], logs: Path | None, reaper: Reaper) -> dict[str, subprocess.Popen]:
    """Migrations, then the console, then the others once it answers: they ask it for their
    credentials as they start, and would warn that they cannot while it is still starting."""
    for name in SERVICES:
        migrated = subprocess.run(
            [executable(f"leadflow-{name}"), "migrate"],
            env=env,
            stdout=log_target(logs, "migrations"),
            stderr=subprocess.PIPE,
            text=True,
        )
        if migrated.returncode != 0:
            # Its own words (a bad setting names its variable), not a traceback of this process.
            raise Refused(f"{name} did not start:\n{migrated.stderr.strip()[-2000:]}")
    services: dict[str, subprocess.Popen] = {}
    for name, (port_variable, default_port) in SERVICES.items():
        port = int(env.get(port_variable, default_port))
        services[name] = subprocess.Popen(
            [executable(f"leadflow-{name}"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log_target(logs, name),
            stderr=subprocess.STDOUT if logs else None,
        )
        reaper.watch_service(services[name].pid)
        url = service_url(env, name)
        wait_until(lambda url=url: _healthy(url), timeout=60, what=f"{name} at {url}", interval=0.2)
    return services


def run(data_dir: Path, *, show_logs: bool = False) -> int:
    data_dir.mkdir(exist_ok=True)
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    stop_with_parent()
    env = environment()
    given = {name for name in ("LEADFLOW_API_KEY", "LEADFLOW_ADMIN_PASSWORD") if env.get(name)}
    wire(env, data_dir)
    show_logs = show_logs or env.get("LEADFLOW_RUN_LOGS", "").lower() in ("1", "true", "yes")
    logs = None if show_logs else data_dir / "logs"
    if logs:
        logs.mkdir(exist_ok=True)
    broker: LocalBroker | None = None
    postgres: EmbeddedPostgres | None = None
    services: dict[str, subprocess.Popen] = {}
    reaper = Reaper()  # stops all of it if this process is SIGKILLed
    try:
        print("Starting Leadflow: broker, database, migrations, five services…", flush=True)
        if not env.get("KAFKA_BOOTSTRAP_SERVERS"):
            kafka_port = int(env.get(LOCAL_KAFKA_PORT, "9092"))
            if port_open("127.0.0.1", kafka_port):
                print(f"port {kafka_port} is taken: free it, or set KAFKA_BOOTSTRAP_SERVERS", file=sys.stderr)
                return 1
            broker = LocalBroker(kafka_port, log_path=(logs or data_dir) / "tansu.log")
            broker.start(on_spawn=reaper.watch_infrastructure)
            env["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap_servers
        if not env.get("DATABASE_URL"):
            reaper.watch_postgres(data_dir.resolve() / "postgres")
            postgres = EmbeddedPostgres(data_dir.resolve() / "postgres")
            postgres.create_database("leadflow")
            env["DATABASE_URL"] = postgres.database_url("leadflow")
        asyncio.run(prepare_topics(env, list(SERVICES), new_broker=broker is not None))
        services = start_services(env, logs, reaper)
        print(
            banner(
                {name: service_url(env, name) for name in SERVICES},
                env,
                data_dir=data_dir,
                logs=logs,
                admin_password_from_env="LEADFLOW_ADMIN_PASSWORD" in given,
                api_key_from_env="LEADFLOW_API_KEY" in given,
                infrastructure=infrastructure(env, broker, postgres, data_dir),
            ),
            flush=True,
        )
        # The broker too: killed, it was not noticed (the banner kept saying "Ready.").
        tansu = {"the broker (tansu)": broker.process} if broker and broker.process else {}
        return watch({**services, **tansu}, logs)
    except Refused as refused:
        print(refused, file=sys.stderr)
        return 1
    except Stop as stop:
        print(f"\n{stop}: stopping")
        if broker and all(process.poll() is None for process in services.values()):
            settle([service_url(env, name) for name in services])
        return 0
    finally:
        stop_all(services, broker, postgres)
        reaper.release()


def watch(processes: dict[str, subprocess.Popen], logs: Path | None) -> int:
    """Until a service or the broker exits (then 1: the system is not whole) or Stop is raised."""
    while True:
        for name, process in processes.items():
            if process.poll() is not None:
                log_name = "tansu" if "broker" in name else name
                where = f"; see {logs}/{log_name}.log" if logs else ""
                print(f"{name} exited with {process.returncode}{where}; stopping", file=sys.stderr)
                return 1
        time.sleep(0.5)


def settle(urls: list[str]) -> None:
    """Its broker keeps topics in memory: what the services have not consumed yet is waited for
    (drain.py), or said; a second Ctrl-C stops at once."""
    print("waiting for the services to take what the broker holds (its topics live in memory)…", flush=True)
    try:
        left = drain(urls)
    except Stop:
        left = -1
    if left:
        print(
            "the broker still held events not yet consumed: leads captured just now may not be"
            " scored or routed (the database keeps them; see docs/operating.md)",
            file=sys.stderr,
        )


def stop_all(
    services: dict[str, subprocess.Popen], broker: LocalBroker | None, postgres: EmbeddedPostgres | None
) -> None:
    """Services first (terminated, killed after 20 s), then the broker and the database."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for process in services.values():
        if process.poll() is None:
            process.terminate()
    for process in services.values():
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
    if broker:
        broker.stop()
    if postgres:
        postgres.stop()


def infrastructure(
    env: dict[str, str], broker: LocalBroker | None, postgres: EmbeddedPostgres | None, data_dir: Path
) -> str:
    kafka = env["KAFKA_BOOTSTRAP_SERVERS"] + (" (tansu, in memory)" if broker else "")
    database = f"embedded PostgreSQL in {data_dir}/postgres" if postgres else "DATABASE_URL"
    return f"Data       broker {kafka}; database {database}"


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
