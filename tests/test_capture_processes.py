"""Capture across processes: two capture processes' relays share one outbox without breaking
per-lead order, and `leadflow import` posts a CSV through a running capture."""

import asyncio
import csv
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from harness import API_KEY, eventually, is_ready, opened, read_to_end
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).parents[1]


async def test_two_capture_processes_keep_each_leads_events_in_order(settings, topics, start_service):
    urls = [start_service("capture", settings, CAPTURE_RATE_LIMIT="0") for _ in range(2)]
    for url in urls:
        await eventually(lambda url=url: is_ready(url), timeout=30)
    people, rounds = 20, 5
    async with httpx.AsyncClient(timeout=10) as client:
        for round_ in range(rounds):
            # Every person's round goes to both processes in turn, concurrently across people.
            responses = await asyncio.gather(
                *(
                    client.post(  # the API: a public form would not replace the attribute
                        f"{urls[(person + round_) % 2]}/v1/leads",
                        json={"email": f"p{person}@example.com", "attributes": {"round": round_}},
                        headers={"Authorization": f"Bearer {API_KEY}"},
                    )
                    for person in range(people)
                )
            )
            assert {r.status_code for r in responses} == {202}

    async def all_published():
        events = await read_to_end(settings.kafka_bootstrap_servers, topics.captured)
        return await opened(settings.database_url, events) if len(events) >= people * rounds else None

    events = await eventually(all_published, timeout=30, interval=0.5)
    for person in range(people):
        mine = [e["data"]["lead"] for e in events if e["data"]["lead"]["email"] == f"p{person}@example.com"]
        assert [lead["revision"] for lead in mine] == list(range(1, rounds + 1))
        assert [lead["attributes"]["round"] for lead in mine] == list(range(rounds))


async def test_import_posts_a_csv_in_batches_and_reports_what_was_refused(
    settings, topics, start_service, tmp_path
):
    url = start_service("capture", settings)
    await eventually(lambda: is_ready(url), timeout=30)
    source = ROOT / "data" / "x-education-leads" / "leads.csv"
    sample = tmp_path / "sample.csv"
    with source.open(newline="") as reader, sample.open("w", newline="") as writer:
        rows = csv.DictReader(reader)
        out = csv.DictWriter(writer, fieldnames=rows.fieldnames)
        out.writeheader()
        for index, row in enumerate(rows):
            if index == 120:
                break
            if index == 7:
                row["Country"] = "Atlantis"  # one row capture must refuse
            out.writerow(row)
    command = [
        str(Path(sys.executable).parent / "leadflow"),
        "import",
        str(sample),
        "--mapping",
        str(ROOT / "data" / "x-education-leads" / "mapping.json"),
        "--url",
        url,
        "--api-key",
        API_KEY,
        "--rejects",
        str(tmp_path / "rejects.jsonl"),
    ]
    first = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "120 rows: 119 accepted, 1 rejected" in first.stdout
    assert "120/120 rows" in first.stderr, "a progress bar"
    assert '"line": 9' in (tmp_path / "rejects.jsonl").read_text()
    again = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=120)
    assert "120 rows: 119 accepted, 1 rejected" in again.stdout

    async def all_published():
        events = await read_to_end(settings.kafka_bootstrap_servers, topics.captured)
        return events if len(events) >= 119 else None

    events = await eventually(all_published, timeout=30, interval=0.5)
    assert {e["data"]["channel"] for e in events} == {"import"}
    engine = create_async_engine(settings.database_url)
    async with engine.connect() as connection:
        stored = await connection.scalar(text("SELECT count(*) FROM capture.submissions"))
        waiting = await connection.scalar(text("SELECT count(*) FROM capture.outbox"))
    await engine.dispose()
    assert (stored, waiting) == (119, 0), "running the same import twice stores nothing new"
    assert len(await read_to_end(settings.kafka_bootstrap_servers, topics.captured)) == 119
