import argparse
import asyncio
import contextlib
import sys
from pathlib import Path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="leadflow", description="Leadflow operator commands")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="start the whole system locally")
    run.add_argument("--data-dir", type=Path, default=Path(".data"))
    tail = commands.add_parser("tail", help="print a topic's events")
    tail.add_argument("topic", nargs="?", default="leads.routed")
    tail.add_argument("--from-beginning", action="store_true")
    args = parser.parse_args(argv)

    if args.command == "run":
        from leadflow_cli.run import run as run_system

        sys.exit(run_system(args.data_dir))
    if args.command == "tail":
        from leadflow_cli.tail import tail as tail_topic

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(tail_topic(args.topic, from_beginning=args.from_beginning))
