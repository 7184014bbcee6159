import argparse
import asyncio
import contextlib
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = command_parser()
    args = parser.parse_args(argv)
    run_command(parser, args)


def command_parser() -> argparse.ArgumentParser:
    """Every `leadflow` command and its options."""
    parser = argparse.ArgumentParser(prog="leadflow", description="Leadflow operator commands")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="start the whole system locally")
    run.add_argument("--data-dir", type=Path, default=Path(".data"))
    run.add_argument(
        "--logs",
        action="store_true",
        help="print the services' JSON logs here (also LEADFLOW_RUN_LOGS=1); otherwise DATA_DIR/logs/",
    )
    tail = commands.add_parser("tail", help="print a topic's events")
    tail.add_argument("topic", nargs="?", default="leads.routed")
    tail.add_argument("--from-beginning", action="store_true")
    importer = commands.add_parser(
        "import",
        help="post a CSV file's rows to capture as leads",
        epilog="exit status: 0 every row stored; 1 some rows refused (the rest stored); "
        "2 the import could not start or stopped (file, mapping, capture). Running the same "
        "import again adds only what is missing.",
    )
    importer.add_argument("file", type=Path)
    importer.add_argument(
        "--mapping", type=Path, required=True, help="JSON mapping of columns to lead fields"
    )
    importer.add_argument("--url", default=os.environ.get("CAPTURE_URL", "http://127.0.0.1:8001"))
    importer.add_argument("--api-key", default=_given_api_key() or _saved_api_key())
    importer.add_argument(
        "--rejects", type=Path, help="write rejected rows and their errors here (JSON lines)"
    )
    evaluation = commands.add_parser("eval-scoring", help="the X Education leads through the system, scored")
    evaluation.add_argument("--output", type=Path, default=Path("reports/eval-scoring.json"))
    commands.add_parser("asyncapi", help="print the AsyncAPI document of every topic")
    chaos = commands.add_parser("chaos", help="post leads while the broker, services and database fail")
    chaos.add_argument("--leads", type=int, default=10_000)
    chaos.add_argument("--rate", type=float, default=100)
    listen = commands.add_parser("webhook-listen", help="receive webhooks locally, verify and print them")
    listen.add_argument("--port", type=int, default=9000)
    listen.add_argument(
        "--secret-file", type=Path, help="a file holding the webhook's secret (whsec_…), to verify signatures"
    )
    listen.add_argument(
        "--secret", help="the secret itself: readable by every user (ps); prefer LEADFLOW_WEBHOOK_SECRET"
    )
    bench = commands.add_parser("bench", help="measure throughput, latency and memory on this machine")
    bench.add_argument("--output-dir", type=Path, default=Path("reports"))
    return parser


def run_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """The command asked for; each imports what it needs only when it runs (a fast `--help`)."""
    if args.command == "run":
        from leadflow_cli.run import run as run_system

        sys.exit(run_system(args.data_dir, show_logs=args.logs))
    if args.command == "import":
        from leadflow_cli.importer import main as import_main

        if not args.api_key:
            parser.error("set LEADFLOW_API_KEY or pass --api-key")
        sys.exit(import_main(args.file, args.mapping, args.url, args.api_key, args.rejects))
    if args.command == "eval-scoring":
        from leadflow_cli.eval_scoring import main as eval_main

        sys.exit(eval_main(args.output))
    if args.command == "chaos":
        from leadflow_cli.chaos import main as chaos_main

        sys.exit(chaos_main(args.leads, args.rate))
    if args.command == "bench":
        from leadflow_cli.bench import main as bench_main

        sys.exit(bench_main(args.output_dir))
    if args.command == "webhook-listen":
        from leadflow_cli.listen import ListenProblem, chosen_secret
        from leadflow_cli.listen import listen as listen_for_webhooks

        try:
            listen_for_webhooks(args.port, chosen_secret(args.secret_file, args.secret))
        except ListenProblem as problem:
            sys.exit(f"leadflow webhook-listen: {problem}")
        return
    if args.command == "asyncapi":
        import json

        from leadflow_common.asyncapi import asyncapi_document

        print(json.dumps(asyncapi_document(), indent=2))
        return
    if args.command == "tail":
        from leadflow_cli.tail import tail as tail_topic

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(tail_topic(args.topic, from_beginning=args.from_beginning))


def _given_api_key() -> str | None:
    """The environment's key, then .env's, as `leadflow run` reads them."""
    from leadflow_cli.run import environment

    return environment().get("LEADFLOW_API_KEY")


def _saved_api_key() -> str | None:
    """The key `leadflow run` generated, when run from the project directory."""
    saved = Path(".data/api_key")
    return saved.read_text().strip() if saved.exists() else None
