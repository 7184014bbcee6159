"""`leadflow import FILE.csv --mapping MAP.json`: post a CSV's rows to capture in batches.

The mapping (`import_mapping.py`) and the file's first line are checked before a row is sent.
Exit status: 0 every row stored; 1 some rows refused (the rest stored, each refusal said by line
and column); 2 the import could not start or stopped (a file, the mapping, capture refusing the
batches or not answering). Running the same import again adds only what is missing: each batch
carries an idempotency key made from the file's and the mapping's hash.
"""

import csv
import hashlib
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx

from leadflow_cli.import_mapping import ImportProblem, Mapping, check_header, read_mapping, row_to_lead

BATCH_SIZE = 500
# A batch's JSON stays well within capture's body limit (1 MB by default): 500 wide rows were
# 1.3 MB, refused whole (413), and the import stopped at line 2.
BATCH_BYTES = 400_000
ATTEMPTS = 5
SHOWN_REFUSALS = 10
EXTRA = "\0more"  # where csv puts the values of a line longer than the header


@dataclass
class ImportSummary:
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)
    unused_columns: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    line: int  # in the file, the header being line 1
    values: dict[str, str]
    fault: str | None = None  # a row capture cannot be sent (more or fewer values than columns)


def read_header(path: Path) -> list[str]:
    with _opened(path) as handle:
        try:
            header = next(csv.reader(handle), None)
        except (csv.Error, UnicodeDecodeError) as error:
            raise ImportProblem(f"{path}: line 1 cannot be read: {_said(error)}") from None
    if not header:
        raise ImportProblem(f"{path} is empty: a CSV file's first line names its columns")
    return header


def rows(path: Path) -> Iterator[Row]:
    with _opened(path) as handle:
        reader = csv.DictReader(handle, restkey=EXTRA)
        line = 1
        try:
            for values in reader:
                line = reader.line_num
                fault = None
                if EXTRA in values:
                    fault = "holds more values than the first line names columns"
                elif None in values.values():
                    fault = "holds fewer values than the first line names columns"
                yield Row(line, {name: value for name, value in values.items() if name != EXTRA}, fault)
        except (csv.Error, UnicodeDecodeError) as error:
            raise ImportProblem(
                f"{path}: the line after line {line} cannot be read: {_said(error)}"
            ) from None


def run_import(
    path: Path,
    mapping: Mapping,
    *,
    client: httpx.Client,
    summary: ImportSummary,
    batch_size: int = BATCH_SIZE,
    progress: TextIO | None = None,
) -> None:
    """Post every row; a batch is retried on a network error or 5xx, and its Idempotency-Key
    (the file's and the mapping's hash and the batch's lines) makes a retried or repeated import
    add nothing."""
    summary.unused_columns = check_header(mapping, read_header(path))
    with path.open("rb") as handle:  # the file and the mapping: a mended mapping sends anew
        hashed = hashlib.file_digest(handle, "sha256")
    hashed.update(mapping.canonical().encode())
    digest = hashed.hexdigest()[:16]
    total = sum(1 for _ in rows(path))
    for batch in _batches(rows(path), batch_size):
        _send(client, f"import:{digest}", batch, mapping, summary)
        _show(progress, summary, total)
    if progress:
        progress.write("\n")


def _batches(found: Iterator[Row], batch_size: int) -> Iterator[list[Row]]:
    """Rows in batches of `batch_size`, or fewer when their JSON would pass BATCH_BYTES (the same
    boundaries for the same file, so a repeated import's keys match)."""
    batch: list[Row] = []
    size = 0
    for row in found:
        row_size = len(json.dumps(row.values))
        if batch and (len(batch) == batch_size or size + row_size > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(row)
        size += row_size
    if batch:
        yield batch


class TooLarge(Exception):
    """Capture refused the batch's size (413): fewer rows at a time, or the row said alone."""


def _send(
    client: httpx.Client, prefix: str, batch: list[Row], mapping: Mapping, summary: ImportSummary
) -> None:
    first_refusal = len(summary.rejections)
    for row in batch:
        if row.fault:
            _refused(summary, mapping, row, [{"name": "", "message": f"the line {row.fault}"}])
    _post_rows(client, prefix, [row for row in batch if row.fault is None], mapping, summary)
    summary.rows += len(batch)
    summary.rejections[first_refusal:] = sorted(summary.rejections[first_refusal:], key=lambda r: r["line"])


def _post_rows(
    client: httpx.Client, prefix: str, sent: list[Row], mapping: Mapping, summary: ImportSummary
) -> None:
    """The rows posted in one request, keyed by the file's lines they are (capture keys each row
    by the key and its place in it: a key that named other lines in an earlier run, another
    version's batches or halves, would be refused as used for another lead); when capture finds
    the request too large, in two halves, and a single row it finds too large is refused by its line."""
    if not sent:
        return
    leads = [row_to_lead(row.values, mapping) for row in sent]
    key = f"{prefix}:L{sent[0].line}-{sent[-1].line}"
    headers = {"Idempotency-Key": key, "X-Leadflow-Channel": "import"}
    try:
        answer = _post_with_retries(client, {"leads": leads}, headers, first_line=sent[0].line)
    except TooLarge as refused:
        if len(sent) == 1:
            said = f"the line is larger than capture takes in one request ({refused})"
            _refused(summary, mapping, sent[0], [{"name": "", "message": said}])
            return
        half = len(sent) // 2
        _post_rows(client, prefix, sent[:half], mapping, summary)
        _post_rows(client, prefix, sent[half:], mapping, summary)
        return
    for result in answer["results"]:
        if result["status"] == 202:
            summary.accepted += 1
        else:
            _refused(summary, mapping, sent[result["index"]], result.get("errors") or [])


def _refused(summary: ImportSummary, mapping: Mapping, row: Row, errors: list[dict[str, str]]) -> None:
    """A refused row with its errors named by the file's column (capture names `leads[3].email`)."""
    said = []
    for error in errors:
        lead_field = error.get("name", "").partition(".")[2]
        said.append(
            {
                "column": mapping.column_of(lead_field),
                "field": lead_field or None,
                "message": error["message"],
            }
        )
    summary.rejected += 1
    summary.rejections.append({"line": row.line, "errors": said, "row": row.values})


def _post_with_retries(
    client: httpx.Client, body: dict[str, object], headers: dict[str, str], *, first_line: int
) -> dict[str, Any]:
    failure = ""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            response = client.post("/v1/leads", json=body, headers=headers)
        except httpx.TransportError as error:
            failure = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        else:
            if response.status_code == 202:
                return response.json()  # type: ignore[no-any-return]
            failure = _problem_words(response)
            if response.status_code == 413:
                raise TooLarge(failure)
            if response.status_code < 500:
                raise ImportProblem(f"capture refused the rows from line {first_line} on: {failure}")
        if attempt < ATTEMPTS:
            time.sleep(min(2**attempt * 0.25, 5))
    raise ImportProblem(
        f"capture at {client.base_url} did not take the rows from line {first_line} on after "
        f"{ATTEMPTS} tries ({failure})"
    )


def _problem_words(response: httpx.Response) -> str:
    try:
        problem = response.json()
    except ValueError:
        return f"{response.status_code} {response.reason_phrase}"
    if not isinstance(problem, dict):
        return f"{response.status_code} {response.reason_phrase}"
    words = f"{response.status_code} {problem.get('title') or response.reason_phrase}"
    return f"{words}: {problem['detail']}" if problem.get("detail") else words


def _show(progress: TextIO | None, summary: ImportSummary, total: int) -> None:
    if progress is None:
        return
    width = 30
    filled = int(width * summary.rows / total) if total else width
    progress.write(
        f"\r[{'#' * filled}{'.' * (width - filled)}] {summary.rows}/{total} rows"
        f"  accepted {summary.accepted}  refused {summary.rejected}"
    )
    progress.flush()


def _opened(path: Path) -> TextIO:
    try:
        return path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        raise ImportProblem(f"{path} cannot be read: {error.strerror or error}") from None


def _said(error: Exception) -> str:
    return "it is not UTF-8 text" if isinstance(error, UnicodeDecodeError) else str(error)


def report(summary: ImportSummary, rejects: Path | None, out: TextIO) -> None:
    """What was stored and refused, in words; the refused rows to `rejects` as JSON lines."""
    out.write(f"{summary.rows} rows: {summary.accepted} stored, {summary.rejected} refused\n")
    if summary.unused_columns:
        out.write(f"columns the mapping does not name, not imported: {', '.join(summary.unused_columns)}\n")
    if rejects and summary.rejections:
        rejects.write_text("".join(json.dumps(rejection) + "\n" for rejection in summary.rejections))
        out.write(f"refused rows, their values and why: {rejects}\n")
        return
    for rejection in summary.rejections[:SHOWN_REFUSALS]:
        reasons = "; ".join(_error_words(error) for error in rejection["errors"])
        out.write(f"  line {rejection['line']}: {reasons}\n")
    if len(summary.rejections) > SHOWN_REFUSALS:
        out.write(f"  and {len(summary.rejections) - SHOWN_REFUSALS} more: --rejects FILE lists every one\n")


def _error_words(error: dict[str, Any]) -> str:
    if error["column"]:
        return f"{error['column']} ({error['field']}): {error['message']}"
    return f"{error['field']}: {error['message']}" if error["field"] else error["message"]


def main(file: Path, mapping_file: Path, url: str, api_key: str, rejects: Path | None) -> int:
    summary = ImportSummary()
    progress = sys.stderr if sys.stderr.isatty() else None
    try:
        mapping = read_mapping(mapping_file)
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {api_key}"}, timeout=60) as client:
            run_import(file, mapping, client=client, summary=summary, progress=progress)
    except ImportProblem as problem:
        if progress and summary.rows:
            progress.write("\n")
        if summary.rows:
            report(summary, rejects, sys.stdout)
            sys.stdout.write("Running the same import again adds only what is missing.\n")
        sys.stdout.flush()
        sys.stderr.write(f"leadflow import: {problem}\n")
        return 2
    report(summary, rejects, sys.stdout)
    return 1 if summary.rejected else 0
