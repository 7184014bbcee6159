"""Fixtures for integration and end-to-end tests: the real broker and PostgreSQL.

Kafka: KAFKA_BOOTSTRAP_SERVERS when set, else a tansu broker started for the run; every test
gets its own topic prefix. PostgreSQL: TEST_DATABASE_URL (an admin URL) when set, else an
embedded server per worker; each worker migrates a template database once and every test gets a
fresh copy of it.
"""

import asyncio
import concurrent.futures
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import asyncpg
import pytest
from harness import fresh_database, fresh_topics, service_environment, settings_for
from service_forks import ForkedService, ServiceForks
from sqlalchemy.engine import make_url

from leadflow_capture.main import MIGRATIONS as CAPTURE_MIGRATIONS
from leadflow_cli.infra import LocalBroker, LocalS3, free_port
from leadflow_cli.local_postgres import EmbeddedPostgres, postgres_answers
from leadflow_cli.reaper import Reaper
from leadflow_common import migrate
from leadflow_common.settings import CommonSettings
from leadflow_common.topics import Topics
from leadflow_console.main import MIGRATIONS as CONSOLE_MIGRATIONS
from leadflow_routing.main import MIGRATIONS as ROUTING_MIGRATIONS
from leadflow_scoring.main import MIGRATIONS as SCORING_MIGRATIONS
from leadflow_webhooks.main import MIGRATIONS as WEBHOOKS_MIGRATIONS

ALL_MIGRATIONS = (
    CAPTURE_MIGRATIONS,
    SCORING_MIGRATIONS,
    ROUTING_MIGRATIONS,
    CONSOLE_MIGRATIONS,
    WEBHOOKS_MIGRATIONS,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first (the fault run, then those marked `long`): a parallel run's
    workers then finish together instead of one running a long test alone at the end. (Those
    marked `timed` run on their own after the rest: the Makefile.) The order is the same on
    every xdist worker, as xdist requires."""

    def rank(item: pytest.Item) -> int:
        return 0 if item.get_closest_marker("chaos") else 1 if item.get_closest_marker("long") else 2

    items.sort(key=rank)


@pytest.fixture(scope="session")
def reaper() -> Reaper:
    """Stops this worker's broker and database if the run is killed before its teardown (a
    SIGTERM to pytest left brokers running, seen)."""
    watcher = Reaper()
    yield watcher
    watcher.release()


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory, reaper) -> str:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        return
    log = tmp_path_factory.mktemp("tansu") / "tansu.log"
    broker = LocalBroker(free_port(), log_path=log).start(on_spawn=reaper.watch_infrastructure)
    yield broker.bootstrap_servers
    broker.stop()


class PostgresServer:
    """Where test databases are made: an admin URL, and how to reach a database by name."""

    def __init__(self, admin_url: str, url_for):
        self.admin_url = admin_url
        self.url_for = url_for

    async def execute(self, sql: str) -> None:
        connection = await asyncpg.connect(self.admin_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await connection.execute(sql)
        finally:
            await connection.close()


@pytest.fixture(scope="session")
def postgres_server(reaper) -> PostgresServer:
    """TEST_DATABASE_URL's server when set; else one embedded server per worker, allowing 300
    connections. Not the machine's server on 127.0.0.1:5432: its 100 connections are shared by
    every worker's systems (five services, each pool growing to 20 under load), and a run using
    it failed twice with "too many clients already" (up to 90 in use, sampled, on this machine)."""
    admin_url = os.environ.get("TEST_DATABASE_URL")
    if admin_url:
        if not postgres_answers(admin_url):
            pytest.fail(f"TEST_DATABASE_URL does not answer: {admin_url}")
        server = make_url(admin_url)
        yield PostgresServer(admin_url, lambda name: server.set(database=name).render_as_string(False))
        return
    # Not under pytest's base directory: another pytest run on the machine removes all but the
    # three newest of those, data directory and all, under a server still running (seen).
    place = Path(tempfile.mkdtemp(prefix="leadflow-test-postgres-"))
    reaper.watch_postgres(place / "data")
    reaper.watch_scratch(place)
    embedded = EmbeddedPostgres(place / "data")
    try:
        yield PostgresServer(embedded.database_url("postgres"), embedded.database_url)
    finally:
        embedded.stop()
        shutil.rmtree(place, ignore_errors=True)


@pytest.fixture(scope="session")
def template_database(postgres_server) -> str:
    """A database migrated once per run, cloned by every test."""
    name = f"leadflow_template_{uuid.uuid4().hex[:10]}"
    asyncio.run(postgres_server.execute(f'CREATE DATABASE "{name}"'))
    for migrations in ALL_MIGRATIONS:
        migrate.upgrade(migrations, postgres_server.url_for(name))
    yield name
    asyncio.run(postgres_server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def database_dropper(postgres_server):
    """Drops the tests' databases one after another beside the run: a drop under load takes
    1-3 s, which no test needs to wait for (all are dropped before the run ends)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-db") as dropper:

        def drop(name: str) -> concurrent.futures.Future:
            sql = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
            return dropper.submit(asyncio.run, postgres_server.execute(sql))

        yield drop


@pytest.fixture
async def database_url(postgres_server, template_database, database_dropper) -> str:
    async with fresh_database(postgres_server, template_database, database_dropper) as url:
        yield url


@pytest.fixture
async def topics(kafka_bootstrap) -> Topics:
    return await fresh_topics(kafka_bootstrap)


@pytest.fixture
def settings(kafka_bootstrap, database_url, topics) -> CommonSettings:
    return settings_for(kafka_bootstrap, database_url, topics)


@pytest.fixture(scope="session")
def service_forks(tmp_path_factory) -> ServiceForks:
    """This worker's fork server: its services start without importing themselves again.
    Started here, once, not within a test's event loop (its imports take seconds)."""
    forks = ServiceForks(tmp_path_factory.mktemp("forks") / "fork-server.log")
    forks.start_server()
    yield forks
    forks.close()


@pytest.fixture
def start_service(tmp_path, service_forks):
    """Start a service as a real process serving on its own port, stopped with SIGTERM after.
    Forked from the worker's fork server (`service_forks.py`); `command=True` runs its entry
    point instead, for the tests of the command itself."""
    processes: list[subprocess.Popen | ForkedService] = []
    bin_dir = Path(os.sys.executable).parent

    def start(
        name: str, settings: CommonSettings, port: int | None = None, *, command: bool = False, **extra: str
    ) -> str:
        port = port or free_port()
        log = tmp_path / f"{name}-{port}.log"
        arguments = ["serve", "--host", "127.0.0.1", "--port", str(port)]
        environment = service_environment(settings, **extra)
        if command:
            with open(log, "wb") as output:
                process = subprocess.Popen(
                    [str(bin_dir / f"leadflow-{name}"), *arguments],
                    env=environment,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
        else:
            process = service_forks.start(name, arguments, environment, log)
        processes.append(process)
        return f"http://127.0.0.1:{port}"

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


ADMIN_EMAIL = "admin@leadflow.example"
ADMIN_PASSWORD = "a long admin password"


class System:
    """The five services as real processes, each verifying credentials with the console."""

    def __init__(self, urls: dict[str, str], settings: CommonSettings):
        self.urls = urls
        self.settings = settings

    def __getattr__(self, name: str) -> str:
        if name in self.__dict__.get("urls", {}):
            return self.urls[name]
        raise AttributeError(name)


@pytest.fixture
async def system(settings, start_service) -> System:
    return await start_system(settings, start_service)


async def start_system(settings, start_service, **routing_env: str) -> System:
    """The five services as processes, wired to each other; `routing_env`: routing's settings."""
    from harness import eventually, is_ready

    ports = {name: free_port() for name in ("console", "capture", "scoring", "routing", "webhooks")}
    # The console's web app sends commands to the others, and they verify credentials with it:
    # every address is chosen first, then the five start together, as compose starts them.
    peers = {
        f"CONSOLE_{name.upper()}_URL": f"http://127.0.0.1:{port}"
        for name, port in ports.items()
        if name != "console"
    }
    console = start_service(
        "console",
        settings,
        ports["console"],
        LEADFLOW_ADMIN_EMAIL=ADMIN_EMAIL,
        LEADFLOW_ADMIN_PASSWORD=ADMIN_PASSWORD,
        **peers,
    )
    wired = settings.model_copy(update={"leadflow_console_url": console})
    urls = {"console": console}
    capture_peers = {  # capture's export asks the others what they hold
        f"CAPTURE_{name.upper()}_URL": f"http://127.0.0.1:{port}"
        for name, port in ports.items()
        if name not in ("capture", "console")
    }
    extra = {"capture": capture_peers, "routing": routing_env}
    for name in ("capture", "scoring", "routing"):
        urls[name] = start_service(name, wired, ports[name], **extra.get(name, {}))
    urls["webhooks"] = start_service("webhooks", wired, ports["webhooks"], WEBHOOKS_ALLOWED_HOSTS="127.0.0.1")
    # Five interpreters starting at once on a machine running other tests: 60 s, not a hang.
    await asyncio.gather(*(eventually(lambda url=url: is_ready(url), timeout=60) for url in urls.values()))
    return System(urls, wired)


@pytest.fixture
async def browser():
    """Real Chromium (Debian's), for the console's browser tests; skips, saying why, without it.
    Every page a test loads is checked with axe-core: serious or critical violations fail it."""
    from browser import AccessibilityCheck, checked_for_accessibility, chromium_or_skip

    executable = chromium_or_skip()
    from playwright.async_api import async_playwright

    check = AccessibilityCheck()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield checked_for_accessibility(browser, check)
        try:
            await check.verify()
        finally:
            await browser.close()


@pytest.fixture
def durable_broker(tmp_path):
    """A broker of its own that keeps its data in a local S3 (moto), so that, like a real Kafka,
    it survives being killed: tests stop and start it."""
    store = LocalS3(free_port()).start()
    broker = LocalBroker(
        free_port(), storage_engine="s3://tansu/", env=store.broker_env(), log_path=tmp_path / "tansu.log"
    ).start()
    yield broker
    broker.stop(kill=True)
    store.stop()
