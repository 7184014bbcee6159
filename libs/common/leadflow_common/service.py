"""The command line every service's entry point shares: `serve` (default) and `migrate`."""

import argparse
import resource
from pathlib import Path

import uvicorn

from leadflow_common import migrate
from leadflow_common.edge_protocol import ConnectionLimits, protocol_with
from leadflow_common.settings import CommonSettings


def _raise_open_files_limit() -> None:
    """Sockets count against the soft limit of open files (often 1,024): use the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def service_main(*, name: str, app_factory: str, port: int, migrations_dir: Path, argv=None) -> None:
    parser = argparse.ArgumentParser(prog=f"leadflow-{name}", description=f"Leadflow {name} service")
    parser.add_argument("command", nargs="?", choices=["serve", "migrate"], default="serve")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=port)
    args = parser.parse_args(argv)
    settings = CommonSettings()
    if args.command == "migrate":
        migrate.upgrade(migrations_dir, settings.database_url)
        return
    _raise_open_files_limit()
    limits = ConnectionLimits(
        header_timeout=settings.http_header_timeout_seconds,
        max_header_bytes=settings.http_max_header_bytes,
        max_connections_per_client=settings.http_max_connections_per_client,
        trusted_proxies=settings.trusted_proxies,
    )
    uvicorn.run(
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
