"""`leadflow run`: the whole system on one machine.

Starts tansu unless KAFKA_BOOTSTRAP_SERVERS is set and an embedded PostgreSQL unless DATABASE_URL
is set, creates the topics, applies every service's migrations, starts the five services (the
console with its first admin) and waits. SIGINT or SIGTERM stops every process it started.
"""

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from dotenv import dotenv_values

from leadflow_cli.infra import EmbeddedPostgres, LocalBroker, port_open, wait_until
from leadflow_common.kafka import create_topics
from leadflow_common.topics import Topics

# The console first: the others refresh their credentials from it.
SERVICES = {
    "console": ("CONSOLE_PORT", 8000),
    "capture": ("CAPTURE_PORT", 8001),
    "scoring": ("SCORING_PORT", 8002),
    "routing": ("ROUTING_PORT", 8003),
    "webhooks": ("WEBHOOKS_PORT", 8004),
}
LOCAL_KAFKA_PORT = "LEADFLOW_LOCAL_KAFKA_PORT"


class Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise Stop(signal.Signals(signum).name)


DEFAULT_ADMIN_EMAIL = "admin@example.com"


def kept_secret(data_dir: Path, variable: str, file_name: str) -> str:
    """The variable's value, or a secret generated once and kept in .data/ so it stays the same."""
    if os.environ.get(variable):
        return os.environ[variable]
    secret_file = data_dir / file_name
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(24))
        secret_file.chmod(0o600)
    return secret_file.read_text().strip()


def api_key(data_dir: Path) -> str:
    return kept_secret(data_dir, "LEADFLOW_API_KEY", "api_key")


def executable(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def run(data_dir: Path) -> int:
    data_dir.mkdir(exist_ok=True)
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    # The same precedence the services use: the environment first, then .env.
    env = {**{k: v for k, v in dotenv_values(".env").items() if v is not None}, **os.environ}
    env["LEADFLOW_API_KEY"] = api_key(data_dir)
    env["LEADFLOW_ADMIN_PASSWORD"] = kept_secret(data_dir, "LEADFLOW_ADMIN_PASSWORD", "admin_password")
    env.setdefault("LEADFLOW_ADMIN_EMAIL", DEFAULT_ADMIN_EMAIL)
    env.setdefault("LEADFLOW_CONSOLE_URL", f"http://127.0.0.1:{env.get('CONSOLE_PORT', 8000)}")
    # On one machine, webhooks may reach a local receiver (`leadflow webhook-listen`); deployments
    # name their own (compose and Kubernetes leave it empty).
    env.setdefault("WEBHOOKS_ALLOWED_HOSTS", "127.0.0.1,localhost")
    env.setdefault("WEBHOOKS_ROUTING_URL", f"http://127.0.0.1:{env.get('ROUTING_PORT', 8003)}")
    env.setdefault("ROUTING_PUBLIC_URL", f"http://127.0.0.1:{env.get('ROUTING_PORT', 8003)}")
    env.setdefault("ROUTING_LEAD_URL_BASE", f"http://127.0.0.1:{env.get('CAPTURE_PORT', 8001)}")
    # The console's web app sends reps' and marketers' commands to the services that own them.
    # Capture's export asks the others what they hold about a person.
    for name, (port_variable, default_port) in SERVICES.items():
        address = f"http://127.0.0.1:{env.get(port_variable, default_port)}"
        if name != "console":
            env.setdefault(f"CONSOLE_{name.upper()}_URL", address)
        if name not in ("console", "capture"):
            env.setdefault(f"CAPTURE_{name.upper()}_URL", address)
    broker: LocalBroker | None = None
    postgres: EmbeddedPostgres | None = None
    services: dict[str, subprocess.Popen] = {}
    try:
        if not env.get("KAFKA_BOOTSTRAP_SERVERS"):
            kafka_port = int(env.get(LOCAL_KAFKA_PORT, "9092"))
            if port_open("127.0.0.1", kafka_port):
                print(f"port {kafka_port} is taken: free it, or set KAFKA_BOOTSTRAP_SERVERS", file=sys.stderr)
                return 1
            broker = LocalBroker(kafka_port, log_path=data_dir / "tansu.log").start()
            env["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap_servers
            print(f"broker     tansu on {broker.bootstrap_servers} (in memory; log {data_dir}/tansu.log)")
        if not env.get("DATABASE_URL"):
            postgres = EmbeddedPostgres(data_dir.resolve() / "postgres")
            postgres.create_database("leadflow")
            env["DATABASE_URL"] = postgres.database_url("leadflow")
            print(f"database   embedded PostgreSQL, data in {data_dir}/postgres")
        topics = Topics(env.get("LEADFLOW_TOPIC_PREFIX", ""))
        asyncio.run(
            create_topics(
                env["KAFKA_BOOTSTRAP_SERVERS"],
                topics.all_topics(),
                partitions=int(env.get("KAFKA_TOPIC_PARTITIONS", "6")),
            )
        )
        for name in SERVICES:
            subprocess.run([executable(f"leadflow-{name}"), "migrate"], env=env, check=True)
        for name, (port_variable, default_port) in SERVICES.items():
            port = int(env.get(port_variable, default_port))
            services[name] = subprocess.Popen(
                [executable(f"leadflow-{name}"), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env
            )
        for name, (port_variable, default_port) in SERVICES.items():
            url = f"http://127.0.0.1:{env.get(port_variable, default_port)}"
            wait_until(lambda url=url: _healthy(url), timeout=60, what=f"{name} at {url}", interval=0.2)
        print()
        for name, (port_variable, default_port) in SERVICES.items():
            print(f"{name:<10} http://127.0.0.1:{env.get(port_variable, default_port)}/docs")
        # Secrets stay out of the output: terminals and CI logs get shipped and kept.
        console = f"http://127.0.0.1:{env.get('CONSOLE_PORT', 8000)}"
        password = (
            "LEADFLOW_ADMIN_PASSWORD"
            if os.environ.get("LEADFLOW_ADMIN_PASSWORD")
            else f"{data_dir}/admin_password"
        )
        login = f"log in as {env['LEADFLOW_ADMIN_EMAIL']}, password in {password}"
        print(f"\nconsole    {console}  (the web app: {login})")
        if os.environ.get("LEADFLOW_API_KEY"):
            print("API key    the one in LEADFLOW_API_KEY")
        else:
            print(f"API key    in {data_dir}/api_key: export LEADFLOW_API_KEY=$(cat {data_dir}/api_key)")
        print("\nReady. Follow the README's walkthrough; Ctrl-C stops everything.", flush=True)
        while True:
            for name, process in services.items():
                if process.poll() is not None:
                    print(f"{name} exited with {process.returncode}; stopping", file=sys.stderr)
                    return 1
            time.sleep(0.5)
    except Stop as stop:
        print(f"\n{stop}: stopping")
        return 0
    finally:
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


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
