"""`leadflow import FILE.csv --mapping MAP.json`: post a CSV's rows to capture in batches.

A mapping is JSON: `columns` maps a CSV column to a lead field (`email`, `country`,
`consent.email`, `attribution.source`, `attributes.<name>`, ...) either as a plain string or as
`{"field": ..., "type": "string"|"number"|"bool", "map": {raw: value}}`, where a mapped value of
null leaves the field empty; `templates` builds fields from other columns
(`"email": "lead-{Lead Number}@example.com"`); `empty` lists raw values meaning "not given".
Columns the mapping does not name are not sent.
"""

import csv
import hashlib
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

BATCH_SIZE = 500


@dataclass
class ImportSummary:
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)


def _convert(raw: str, kind: str) -> str | int | float | bool:
    if kind == "number":
        number = float(raw.replace(",", ""))
        return int(number) if number.is_integer() else number
    if kind == "bool":
        return raw.strip().lower() in ("1", "true", "yes", "y", "on")
    return raw


def row_to_lead(row: dict[str, str], mapping: dict[str, Any]) -> dict[str, Any]:
    """One CSV row as a lead body for `POST /v1/leads`."""
    empty = set(mapping.get("empty", [""]))
    lead: dict[str, Any] = {}

    def put(path: str, value: Any) -> None:
        target = lead
        *parents, name = (
            path.split(".", 1) if path.startswith(("consent.", "attribution.", "attributes.")) else [path]
        )
        for parent in parents:
            target = target.setdefault(parent, {})
        target[name] = value

    for column, spec in mapping.get("columns", {}).items():
        raw = (row.get(column) or "").strip()
        if raw in empty:
            continue
        spec = {"field": spec} if isinstance(spec, str) else spec
        if raw in spec.get("map", {}):
            value = spec["map"][raw]
            if value is None:
                continue
        else:
            try:
                value = _convert(raw, spec.get("type", "string"))
            except ValueError:
                value = raw  # left for capture to judge, and reported if it refuses it
        put(spec["field"], value)
    for path, template in mapping.get("templates", {}).items():
        put(path, template.format_map(row))
    return lead


def batches(path: Path, size: int) -> Iterator[list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        batch: list[dict[str, str]] = []
        for row in csv.DictReader(handle):
            batch.append(row)
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch


def count_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def progress(done: int, total: int, summary: ImportSummary) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    sys.stderr.write(
        f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} rows"
        f"  accepted {summary.accepted}  rejected {summary.rejected}"
    )
    sys.stderr.flush()


def run_import(
    path: Path,
    mapping: dict[str, Any],
    *,
    client: httpx.Client,
    batch_size: int = BATCH_SIZE,
    show_progress: bool = True,
) -> ImportSummary:
    """Post every row; a batch is retried on a network error or 5xx, and its Idempotency-Key
    (the file's hash and the batch number) makes a retried or repeated import add nothing."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    total = count_rows(path)
    summary = ImportSummary()
    for number, rows in enumerate(batches(path, batch_size)):
        leads = [row_to_lead(row, mapping) for row in rows]
        headers = {
            "Idempotency-Key": f"import:{digest}:{batch_size}:{number}",
            "X-Leadflow-Channel": "import",
        }
        response = _post_with_retries(client, {"leads": leads}, headers)
        for result in response.json()["results"]:
            if result["status"] == 202:
                summary.accepted += 1
            else:
                summary.rejected += 1
                line = summary.rows + result["index"] + 2  # the header is line 1
                summary.rejections.append({"line": line, "errors": result.get("errors")})
        summary.rows += len(rows)
        if show_progress:
            progress(summary.rows, total, summary)
    if show_progress:
        sys.stderr.write("\n")
    return summary


def _post_with_retries(
    client: httpx.Client, body: dict[str, object], headers: dict[str, str], attempts: int = 5
) -> httpx.Response:
    for attempt in range(1, attempts + 1):
        try:
            response = client.post("/v1/leads", json=body, headers=headers)
        except httpx.TransportError:
            if attempt == attempts:
                raise
        else:
            if response.status_code < 500:
                if response.status_code != 202:
                    raise SystemExit(f"capture refused the batch: {response.status_code} {response.text}")
                return response
            if attempt == attempts:
                response.raise_for_status()
        time.sleep(min(2**attempt * 0.25, 5))
    raise AssertionError("unreachable")


def main(file: Path, mapping_file: Path, url: str, api_key: str, rejects: Path | None) -> int:
    mapping = json.loads(mapping_file.read_text())
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {api_key}"}, timeout=60) as client:
        summary = run_import(file, mapping, client=client)
    print(f"{summary.rows} rows: {summary.accepted} accepted, {summary.rejected} rejected")
    if rejects and summary.rejections:
        rejects.write_text("\n".join(json.dumps(rejection) for rejection in summary.rejections) + "\n")
        print(f"rejected rows and their errors: {rejects}")
    elif summary.rejections:
        for rejection in summary.rejections[:10]:
            print(f"  line {rejection['line']}: {rejection['errors']}")
    return 0 if summary.accepted or not summary.rows else 1
