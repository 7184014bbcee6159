"""The console's pages with 100,000 leads in its read model: each page's latency, one user at a
time and four at once (`python -m leadflow_cli.bench_console`; the last phase of `make bench`).

Starts a system of its own on a database of its own, fills the console's read models with
synthetic leads (spread over 60 days, every channel and band, a fifth routed to 20 reps, three
timeline entries each) straight in SQL, then opens each page as a signed-in admin or rep."""

import argparse
import asyncio
import hashlib
import html
import json
import re
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

from leadflow_cli.infra import LocalSystem
from leadflow_cli.local_postgres import EmbeddedPostgres, create_database, postgres_answers
from leadflow_cli.reaper import Reaper
from leadflow_cli.run import stop_with_parent

MACHINE_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
TARGET_P95_MS = 200
ADMIN = ("admin@bench.example", "a bench admin password")
REP = ("rep@bench.example", "a bench rep password")

SEED = """
INSERT INTO console.lead_views (
    lead_id, revision, profile, email, phone, name, company, channel, source, campaign, segment,
    captured_at, score_revision, score, temperature, reasons, warm_at, hot_at, decided_at,
    assignment_id, assignment_status, rep_id, rep_name, tier, sla_deadline, offered_at,
    accepted_at, outcome, outcome_at)
SELECT
    md5('lead' || i)::uuid, 1,
    jsonb_build_object(
        'first_name', 'Lead', 'last_name', 'Number ' || i, 'email', 'lead' || i || '@bench.example',
        'company', 'Company ' || (i % 5000), 'job_title', 'CTO', 'channels', jsonb_build_array(channel)),
    'lead' || i || '@bench.example', '+1415' || lpad(i::text, 7, '0'), 'lead number ' || i,
    'company ' || (i % 5000), channel, (ARRAY['google', 'referral', 'newsletter', NULL])[i % 4 + 1],
    'campaign-' || (i % 40), (ARRAY['b2b', 'b2c'])[i % 2 + 1],
    captured, 1, score, band, '[{"factor": "fit:job_title:c_level", "points": 25}]'::jsonb,
    CASE WHEN band <> 'cold' THEN captured END, CASE WHEN band = 'hot' THEN captured END,
    CASE WHEN routed THEN captured END,
    CASE WHEN routed THEN md5('assignment' || i)::uuid END,
    CASE WHEN routed THEN (ARRAY['offered', 'accepted', 'completed'])[i % 3 + 1] END,
    CASE WHEN routed THEN ($1::uuid[])[i % 20 + 1] END,
    CASE WHEN routed THEN 'Rep ' || (i % 20) END, CASE WHEN routed THEN 'senior' END,
    CASE WHEN routed THEN captured + interval '5 minutes' END,
    CASE WHEN routed THEN captured END,
    CASE WHEN routed AND i % 3 > 0 THEN captured + interval '40 seconds' END,
    CASE WHEN routed AND i % 7 = 0 THEN 'won' WHEN routed AND i % 7 = 1 THEN 'lost' END,
    CASE WHEN routed AND i % 7 < 2 THEN captured + interval '3 days' END
FROM (
    SELECT i, (ARRAY['landing_page', 'popup', 'sms', 'api', 'import'])[i % 5 + 1] AS channel,
        now() - (i % 86400) * interval '1 minute' * 1 - (i % 60) * interval '1 day' AS captured,
        (i * 37 % 100)::float AS score,
        CASE WHEN i * 37 % 100 >= 70 THEN 'hot' WHEN i * 37 % 100 >= 40 THEN 'warm' ELSE 'cold' END AS band,
        i % 5 = 0 AS routed
    FROM generate_series(1, $2) AS i
) AS leads
"""
TIMELINE = """
INSERT INTO console.lead_timeline (event_id, lead_id, at, kind, title, details)
SELECT 'bench-' || i || '-' || k, md5('lead' || i)::uuid,
    now() - (i % 60) * interval '1 day' + k * interval '1 second',
    (ARRAY['submission', 'score', 'routing'])[k],
    (ARRAY['Came in by popup', 'Scored 60: warm', 'To Rep 1'])[k], '{}'
FROM generate_series(1, $1) AS i, generate_series(1, 3) AS k
"""
DECISIONS = """
INSERT INTO console.decisions (assignment_id, event_id, type, at, lead_id, rep_id, rep_name, tier,
    temperature, score, reason, sla_deadline, status, accepted_at, breached)
SELECT assignment_id, 'bench-decision-' || lead_id, 'lead.routed', decided_at, lead_id, rep_id,
    rep_name, tier, temperature, score, 'warm lead to senior rep', sla_deadline, assignment_status,
    accepted_at, (accepted_at IS NULL)::int
FROM console.lead_views WHERE assignment_id IS NOT NULL
"""


async def drop_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def seed(database_url: str, leads: int, rep_id: str) -> float:
    started = time.monotonic()
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    try:
        reps = [uuid.UUID(rep_id), *(uuid.uuid4() for _ in range(19))]
        await connection.execute(SEED, reps, leads)
        await connection.execute(TIMELINE, leads)
        await connection.execute(DECISIONS)
        await connection.execute(
            "ANALYZE console.lead_views; ANALYZE console.lead_timeline; ANALYZE console.decisions"
        )
    finally:
        await connection.close()
    return time.monotonic() - started


async def signed_in(console: str, email: str, password: str) -> tuple[httpx.AsyncClient, str]:
    client = httpx.AsyncClient(base_url=console, timeout=30)
    form = await client.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    await client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    page = await client.get("/leads")
    return client, re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


async def time_page(client: httpx.AsyncClient, request: tuple, times: int, at_once: int) -> list[float]:
    method, path, data = request
    latencies: list[float] = []

    async def user() -> None:
        async with httpx.AsyncClient(base_url=client.base_url, cookies=client.cookies, timeout=30) as her:
            for _ in range(times // at_once):
                started = time.perf_counter()
                response = await her.request(method, path, data=data, follow_redirects=True)
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200, (path, response.status_code)

    await asyncio.gather(*(user() for _ in range(at_once)))
    return latencies


async def measure(system: LocalSystem, database_url: str, leads: int, times: int) -> dict:
    auth = {"Authorization": f"Bearer {system.api_key}"}
    console, routing = system.url("console"), system.url("routing")
    async with httpx.AsyncClient(headers=auth, timeout=30) as api:
        rep = {"name": "Bench Rep", "email": "bench-rep@sales.example", "tier": "senior", "capacity": 100}
        rep_id = (await api.post(f"{routing}/v1/reps", json=rep)).json()["id"]
        for (email, password), role in ((ADMIN, "admin"), (REP, "rep")):
            body = {"email": email, "password": password, "role": role} | (
                {"rep_id": rep_id} if role == "rep" else {}
            )
            assert (await api.post(f"{console}/v1/users", json=body)).status_code == 201
    seconds = await seed(database_url, leads, rep_id)
    admin, admin_csrf = await signed_in(console, *ADMIN)
    rep_client, _ = await signed_in(console, *REP)
    lead_id = str(uuid.UUID(hashlib.md5(b"lead20").hexdigest()))  # routed to the bench's rep
    pages = {
        "rep: inbox": (rep_client, ("GET", "/inbox", None)),
        "rep: lead page": (rep_client, ("GET", f"/leads/{lead_id}", None)),
        "admin: live feed": (admin, ("GET", "/feed", None)),
        "admin: funnel by channel (30 days)": (admin, ("GET", "/funnel", None)),
        "admin: funnel by campaign (365 days)": (
            admin,
            (
                "GET",
                "/funnel?by=campaign&since="
                + time.strftime("%Y-%m-%d", time.gmtime(time.time() - 364 * 86400)),
                None,
            ),
        ),
        "admin: funnel CSV": (admin, ("GET", "/funnel.csv", None)),
        **leads_pages((admin, admin_csrf), rep_client, await next_page_of(admin, "/leads?sort=score")),
        "admin: lead page": (admin, ("GET", f"/leads/{lead_id}", None)),
        "admin: team": (admin, ("GET", "/team", None)),
        "admin: scoring rules": (admin, ("GET", "/scoring", None)),
        "admin: audit trail": (admin, ("GET", "/admin/audit", None)),
    }
    report = {"leads": leads, "seed_seconds": round(seconds, 1), "pages": {}}
    try:
        for name, (client, request) in pages.items():
            await time_page(client, request, 5, 1)  # warm: templates compiled, statements prepared
            one = await time_page(client, request, times, 1)
            four = await time_page(client, request, times, 4)
            report["pages"][name] = {
                "p50_ms": round(percentile(one, 0.5) * 1000, 1),
                "p95_ms": round(percentile(one, 0.95) * 1000, 1),
                "p95_ms_4_at_once": round(percentile(four, 0.95) * 1000, 1),
            }
    finally:
        await admin.aclose()
        await rep_client.aclose()
    return report


def leads_pages(admin: tuple[httpx.AsyncClient, str], rep: httpx.AsyncClient, next_page: str) -> dict:
    """The leads page: its search (posted: by a word, a phone as a person writes it, an email),
    its filters and sorts (in the URL), a later page (keyset), and a rep's own list."""
    client, csrf = admin
    since = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 30 * 86400))
    searches = {
        "words (number 4242)": "number 4242",
        "a word every lead has (lead)": "lead",
        "phone ((415) 000-7777)": "(415) 000-7777",
        "email": "lead777@bench.example",
    }
    lists = {
        "all, newest first": "/leads",
        "hot, sms, offered": "/leads?temperature=hot&channel=sms&status=offered",
        "cold, by score": "/leads?temperature=cold&sort=score",
        "campaign, 30 days, by score": f"/leads?campaign=campaign-7&from={since}&sort=score",
        "a later page by score (keyset)": next_page,
    }
    found = {
        f"admin: leads: search by {name}": (client, ("POST", "/leads", {"q": text, "csrf_token": csrf}))
        for name, text in searches.items()
    }
    found |= {f"admin: leads: {name}": (client, ("GET", path, None)) for name, path in lists.items()}
    return found | {"rep: leads, own, newest first": (rep, ("GET", "/leads", None))}


async def next_page_of(client: httpx.AsyncClient, path: str, pages: int = 20) -> str:
    """The address of the page `pages` after the first, following each page's Next link."""
    for _ in range(pages):
        text = (await client.get(path)).text
        path = html.unescape(re.search(r'<a [^>]*href="([^"]+)" rel="next">', text).group(1))
    return path


def markdown(report: dict) -> str:
    lines = [
        f"Console pages with {report['leads']:,} leads in the read model (target p95 ≤ {TARGET_P95_MS} ms)",
        "",
        "| page | p50 ms | p95 ms | p95 ms, 4 users at once |",
        "|---|---|---|---|",
    ]
    for name, figures in report["pages"].items():
        lines.append(
            f"| {name} | {figures['p50_ms']} | {figures['p95_ms']} | {figures['p95_ms_4_at_once']} |"
        )
    return "\n".join(lines) + "\n"


def run(output_dir: Path, leads: int, times: int) -> dict:
    reaper = Reaper()  # stops what was started should this process be SIGKILLed
    try:
        with tempfile.TemporaryDirectory(prefix="leadflow-bench-console-") as scratch:
            reaper.watch_scratch(Path(scratch))
            report = _measure_console(Path(scratch), reaper, leads, times)
    finally:
        reaper.release()
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "bench-console.json").write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(report))
    return report


def _measure_console(scratch: Path, reaper: Reaper, leads: int, times: int) -> dict:
    """On the machine's PostgreSQL when it answers (a database of its own, dropped after; one
    left by a SIGKILL is named `leadflow_bench_console_*`), else on an embedded one."""
    embedded, name = None, None
    if postgres_answers(MACHINE_POSTGRES):
        name = f"leadflow_bench_console_{uuid.uuid4().hex[:8]}"
        asyncio.run(create_database(MACHINE_POSTGRES, name))
        database_url = MACHINE_POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    else:
        reaper.watch_postgres(scratch / "postgres")  # before it starts: stopped however far it got
        embedded = EmbeddedPostgres(scratch / "postgres")
        embedded.create_database("leadflow")
        database_url = embedded.database_url("leadflow")
    system = LocalSystem(
        scratch / "data",
        {
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
            "LEADFLOW_ADMIN_EMAIL": "first@bench.example",
            "LEADFLOW_ADMIN_PASSWORD": "the first admin's password",
        },
    ).start()
    if system.process:
        reaper.watch_service(system.process.pid)
    try:
        return asyncio.run(measure(system, database_url, leads, times))
    finally:
        system.stop()
        if embedded:
            embedded.stop()
        if name:
            asyncio.run(drop_database(MACHINE_POSTGRES, name))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--times", type=int, default=100, help="requests per page, one user at a time")
    parser.add_argument("--output-dir", type=Path, default=Path("reports"))
    arguments = parser.parse_args()
    # As `leadflow bench`: SIGTERM unwinds, the parent's end is a SIGTERM, a SIGKILL is the reaper's.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    stop_with_parent()
    run(arguments.output_dir, arguments.leads, arguments.times)
