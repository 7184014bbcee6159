"""The yardsticks for `make bench`, served with the same uvicorn settings as capture:

- bare: a FastAPI endpoint that parses the same JSON body into the same model as capture and
  answers 202 (capture's throughput is reported as a ratio to it, since these machines are too
  noisy for absolute figures);
- naive durable (`--database URL`): the same, then INSERTs the submission in the same
  PostgreSQL as capture (an asyncpg pool, one commit per request) before answering 202 — the
  simplest endpoint that keeps the promise capture keeps, with none of its work (normalization,
  identity, outbox, events).

    python -m leadflow_cli.bare PORT [--database postgresql://…]
"""

import argparse
import contextlib
import subprocess
import sys
import uuid

import asyncpg
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from leadflow_capture.domain.leads import LeadInput
from leadflow_cli.infra import LocalSystem, free_port

POOL_SIZE = 10


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/leads/landing-page", status_code=202)
    async def landing_page(lead: LeadInput) -> JSONResponse:
        return JSONResponse(
            {"lead_id": str(uuid.uuid4()), "submission_id": str(uuid.uuid4())}, status_code=202
        )

    return app


def naive_durable_app(database_url: str) -> FastAPI:
    pool: asyncpg.Pool | None = None

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        nonlocal pool
        pool = await asyncpg.create_pool(database_url, min_size=POOL_SIZE, max_size=POOL_SIZE)
        await pool.execute(
            "CREATE SCHEMA IF NOT EXISTS bench_naive;"
            "CREATE TABLE IF NOT EXISTS bench_naive.submissions"
            " (id uuid PRIMARY KEY, received_at timestamptz NOT NULL DEFAULT now(), body jsonb NOT NULL)"
        )
        yield
        await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/v1/leads/landing-page", status_code=202)
    async def landing_page(lead: LeadInput) -> JSONResponse:
        submission_id = uuid.uuid4()
        await pool.execute(
            "INSERT INTO bench_naive.submissions (id, body) VALUES ($1, $2)",
            submission_id,
            lead.model_dump_json(),
        )
        return JSONResponse(
            {"lead_id": str(uuid.uuid4()), "submission_id": str(submission_id)}, status_code=202
        )

    return app


def start_yardstick(*args: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "leadflow_cli.bare", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, f"http://127.0.0.1:{port}"


def system_database(system: LocalSystem) -> str:
    """The embedded PostgreSQL's database, from its pid file (the port and the socket's directory)."""
    lines = (system.data_dir / "postgres" / "postmaster.pid").read_text().splitlines()
    return f"postgresql://postgres@/leadflow?host={lines[4]}&port={lines[3]}"


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--database", help="a PostgreSQL URL: serve the naive durable endpoint")
    args = parser.parse_args()
    uvicorn.run(
        naive_durable_app(args.database) if args.database else bare_app(),
        host="127.0.0.1",
        port=args.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
