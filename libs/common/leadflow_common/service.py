"""The command line every service's entry point shares: `serve` (default) and `migrate`."""

import argparse
from pathlib import Path

import uvicorn

from leadflow_common import migrate
from leadflow_common.settings import CommonSettings


def service_main(*, name: str, app_factory: str, port: int, migrations_dir: Path, argv=None) -> None:
    parser = argparse.ArgumentParser(prog=f"leadflow-{name}", description=f"Leadflow {name} service")
    parser.add_argument("command", nargs="?", choices=["serve", "migrate"], default="serve")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=port)
    args = parser.parse_args(argv)
    if args.command == "migrate":
        migrate.upgrade(migrations_dir, CommonSettings().database_url)
        return
    uvicorn.run(
        app_factory,
        factory=True,
        host=args.host,
        port=args.port,
        log_config=None,
        timeout_graceful_shutdown=10,
        access_log=False,
    )
