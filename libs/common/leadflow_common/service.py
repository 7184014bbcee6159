"""The command line every service's entry point shares: `serve` (default) and `migrate`."""

import argparse
import asyncio
import contextlib
import gc
import resource
import sys
from pathlib import Path
from types import FrameType
from typing import TypeVar

import uvicorn
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from leadflow_common.edge_protocol import ConnectionLimits, protocol_with
from leadflow_common.settings import CommonSettings

TICK_SECONDS = 1.0
T = TypeVar("T", bound=BaseSettings)


class QuietServer(uvicorn.Server):
    """uvicorn's server without its ten wake-ups a second: its main loop looks once a second
    (to refresh the Date header, as uvicorn does) and at once when a signal asks it to stop.
    Idle, the ticks were a third of a service's CPU (a bare uvicorn app: 0.17% of a core, 0.03%
    with this), and five services idle on the same machine."""

    _loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        # Started (the lifespan's start-up done): what start-up made (modules, tables, compiled
        # models and statements) lives as long as the process. Out of the collector's sight, a
        # full collection no longer walks it (webhooks, under load: collection 6.4% → 3.5% of
        # its samples). Start-up's own garbage is collected first, not kept for good. Only in a
        # served process: tests that start apps in theirs would keep each app for good.
        gc.collect()
        gc.freeze()
        gc.enable()  # paused while the service started (leadflow_common.launch)
        self._exit_asked = asyncio.Event()
        self._loop = asyncio.get_running_loop()  # last: handle_exit uses the event once this is set
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            # uvicorn's ticks are a tenth of a second: every tenth refreshes the Date header.
            counter = (counter + 10) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exit_asked.wait(), TICK_SECONDS)
            should_exit = await self.on_tick(counter)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self._loop is not None:  # a signal handler: the loop is woken through its own pipe
            with contextlib.suppress(RuntimeError):  # the loop closed already
                self._loop.call_soon_threadsafe(self._exit_asked.set)


def _raise_open_files_limit() -> None:
    """Sockets count against the soft limit of open files (often 1,024): use the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


SECRET_WORDS = ("key", "secret", "password", "token", "url")


def settings_or_exit(settings_class: type[T]) -> T:
    """The settings, or each bad one said by its variable's name and the process ended (a
    bad value in .env printed a traceback naming a field, the variable only in a log)."""
    try:
        return settings_class()
    except ValidationError as error:
        prefix = str(settings_class.model_config.get("env_prefix", ""))
        for problem in error.errors():
            field = str(problem["loc"][0]) if problem["loc"] else ""
            variable = f"{prefix}{field}".upper() if field else "settings"
            secret = not field or any(word in field for word in SECRET_WORDS)
            shown = "" if secret else f" (got {problem['input']!r})"
            print(f"{variable}: {problem['msg']}{shown}", file=sys.stderr)
        sys.exit(2)


def service_main(
    *,
    name: str,
    app_factory: str,
    settings_class: type[BaseSettings],
    migrations_dir: Path,
    argv: list[str] | None = None,
) -> None:
    settings = settings_or_exit(CommonSettings)
    port = int(settings_or_exit(settings_class).model_dump()["port"])  # each service's own
    parser = argparse.ArgumentParser(prog=f"leadflow-{name}", description=f"Leadflow {name} service")
    parser.add_argument("command", nargs="?", choices=["serve", "migrate"], default="serve")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=port)
    args = parser.parse_args(argv)
    if args.command == "migrate":
        gc.enable()  # paused for a service's start-up (leadflow_common.launch), not for this
        from leadflow_common import migrate  # Alembic: only this command needs it

        migrate.upgrade(migrations_dir, settings.database_url)
        return
    _raise_open_files_limit()
    limits = ConnectionLimits(
        header_timeout=settings.http_header_timeout_seconds,
        max_header_bytes=settings.http_max_header_bytes,
        max_connections_per_client=settings.http_max_connections_per_client,
        trusted_proxies=settings.trusted_proxies,
    )
    config = uvicorn.Config(
        app_factory,
        factory=True,
        host=args.host,
        port=args.port,
        http=protocol_with(limits),
        # Clients are told apart by the app (leadflow_common.clients), not by uvicorn, which
        # would take any X-Forwarded-For from a trusted peer verbatim.
        proxy_headers=False,
        server_header=False,
        limit_concurrency=settings.http_limit_concurrency,
        log_config=None,
        timeout_graceful_shutdown=10,
        access_log=False,
    )
    server = QuietServer(config)
    server.run()
    if not server.started:
        sys.exit(3)  # as uvicorn.run does: the service could not start
