"""Capture across processes: two capture processes' relays share one outbox without breaking
per-lead order, and `leadflow import` posts a CSV through a running capture."""

import asyncio
import csv
import json
import os
import pty
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
        out = csv.writer(writer)
        out.writerow(rows.fieldnames)
        for index, row in enumerate(rows):
            if index == 120:
                break
            if index == 7:
                row["Country"] = "Atlantis"  # one row capture must refuse
            values = list(row.values())
            out.writerow([*values, "a stray value"] if index == 30 else values)  # one the file breaks
    command = import_command(sample, url, API_KEY, "--rejects", str(tmp_path / "rejects.jsonl"))
    first = await asyncio.to_thread(run_in_a_terminal, command)
    assert first.returncode == 1, first.stderr  # some rows refused: a script notices
    assert "120 rows: 118 stored, 2 refused" in first.stdout
    assert "120/120 rows" in first.stderr, "a progress bar, in a terminal"
    refused = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert [(r["line"], [(e["column"], e["field"]) for e in r["errors"]]) for r in refused] == [
        (9, [("Country", "country")]),  # named as the file names it, on the file's line
        (32, [(None, None)]),
    ]
    assert (
        refused[1]["errors"][0]["message"] == "the line holds more values than the first line names columns"
    )
    assert refused[0]["row"]["Country"] == "Atlantis", "the refused row's values, to mend and send again"
    again = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=120)
    assert "120 rows: 118 stored, 2 refused" in again.stdout and again.stderr == "", "no bar in a pipe"

    async def all_published():
        events = await read_to_end(settings.kafka_bootstrap_servers, topics.captured)
        return events if len(events) >= 118 else None

    events = await eventually(all_published, timeout=30, interval=0.5)
    assert {e["data"]["channel"] for e in events} == {"import"}
    engine = create_async_engine(settings.database_url)
    async with engine.connect() as connection:
        stored = await connection.scalar(text("SELECT count(*) FROM capture.submissions"))
        waiting = await connection.scalar(text("SELECT count(*) FROM capture.outbox"))
    await engine.dispose()
    assert (stored, waiting) == (118, 0), "running the same import twice stores nothing new"
    assert len(await read_to_end(settings.kafka_bootstrap_servers, topics.captured)) == 118


async def test_an_import_capture_refuses_stops_in_words_and_says_what_the_file_leaves_out(
    settings, start_service, tmp_path
):
    url = start_service("capture", settings)
    await eventually(lambda: is_ready(url), timeout=30)
    sample = tmp_path / "people.csv"
    sample.write_text("Mail,Notes\nann@example.com,met at the fair\nbo@example.com,\n")
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"columns": {"Mail": "email"}}))
    wrong_key = await asyncio.to_thread(
        subprocess.run,
        import_command(sample, url, "lf_not_a_key", mapping=mapping),
        capture_output=True,
        text=True,
    )
    assert wrong_key.returncode == 2 and "Traceback" not in wrong_key.stderr
    assert wrong_key.stderr.startswith("leadflow import: capture refused the rows from line 2 on: 401 ")
    done = await asyncio.to_thread(
        subprocess.run, import_command(sample, url, API_KEY, mapping=mapping), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        "2 rows: 2 stored, 0 refused",
        "columns the mapping does not name, not imported: Notes",
    ]


async def test_an_import_of_wide_rows_goes_in_batches_capture_takes_and_a_row_too_large_is_refused_alone(
    settings, start_service, tmp_path
):
    """500 ordinary rows of 2 KB made one 1.3 MB request, refused whole (413): the import
    stopped at line 2 and stored nothing, however often it was run again."""
    url = start_service("capture", settings, CAPTURE_MAX_BODY_BYTES="6000")  # 1 MB by default
    await eventually(lambda: is_ready(url), timeout=30)
    sample = tmp_path / "wide.csv"
    extras = ["Extra1", "Extra2", "Extra3"]
    with sample.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["Mail", "Notes", *extras])
        for index in range(60):
            wide = index == 17  # every field within its limit, the whole beyond capture's body limit
            notes = ("x" * 4_900) if wide else f"row {index} " + "y" * 1_500
            out.writerow([f"w{index}@wide.example", notes, *(("z" * 490 if wide else "a") for _ in extras)])
    mapping = tmp_path / "map.json"
    columns = {"Mail": "email", "Notes": "message", **{name: f"attributes.{name.lower()}" for name in extras}}
    mapping.write_text(json.dumps({"columns": columns}))
    command = import_command(
        sample, url, API_KEY, "--rejects", str(tmp_path / "rejects.jsonl"), mapping=mapping
    )
    done = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "60 rows: 59 stored, 1 refused" in done.stdout
    refused = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert [r["line"] for r in refused] == [19]
    assert refused[0]["errors"][0]["message"].startswith(
        "the line is larger than capture takes in one request"
    )
    again = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=120)
    assert "60 rows: 59 stored, 1 refused" in again.stdout
    engine = create_async_engine(settings.database_url)
    async with engine.connect() as connection:
        stored = await connection.scalar(text("SELECT count(*) FROM capture.submissions"))
    await engine.dispose()
    assert stored == 59, "the same import again stores nothing new"


def import_command(sample: Path, url: str, key: str, *more: str, mapping: Path | None = None) -> list[str]:
    mapping = mapping or ROOT / "data" / "x-education-leads" / "mapping.json"
    leadflow = str(Path(sys.executable).parent / "leadflow")
    return [leadflow, "import", str(sample), "--mapping", str(mapping), "--url", url, "--api-key", key, *more]


def run_in_a_terminal(command: list[str]) -> subprocess.CompletedProcess:
    """The command with its stderr on a terminal (a pseudo-terminal), as a person runs it."""
    leader, follower = pty.openpty()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=follower, text=True) as process:
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed: the command ended
                break
            if not chunk:
                break
            shown += chunk
        out = process.stdout.read() if process.stdout else ""
        process.wait(120)
    os.close(leader)
    return subprocess.CompletedProcess(command, process.returncode, out, shown.decode())
