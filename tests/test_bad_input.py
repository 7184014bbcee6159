"""Malformed, truncated, oversized, mistyped, unstorable and too deeply nested bodies against
every public write endpoint: a clear 4xx as problem+json, nothing stored or enqueued, and the
lead accepted before left as it was."""

import dataclasses
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from harness import AUTH, capture_in_process, fresh_database, fresh_topics, settings_for
from sqlalchemy import func, select, text

from leadflow_capture.store.tables import leads, submissions

pytestmark = pytest.mark.integration

KNOWN = "known@example.com"
MAX_BODY = 4096
JSON = {"content-type": "application/json"}


def nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth):
        value = {"a": value}
    return value


# Each endpoint: a valid body for KNOWN, and the field its free-form map lives in (if any).
ENDPOINTS = {
    "/v1/leads/landing-page": ({"email": KNOWN, "first_name": "Ada"}, "attributes"),
    "/v1/leads/popup": ({"email": KNOWN, "popup_id": "spring"}, "attributes"),
    "/v1/leads": ({"email": KNOWN, "company": "Acme"}, "attributes"),
    "/v1/activities": ({"email": KNOWN, "type": "page_view"}, "properties"),
    "/v1/outcomes": ({"email": KNOWN, "outcome": "won"}, None),
}


def bad_requests(valid: dict, free_map: str | None) -> dict[str, tuple[dict, int, str | None]]:
    """name → (httpx arguments, status, the field the problem must name)."""
    requests = {
        "truncated json": ({"content": b'{"email": "known@exa', "headers": JSON}, 400, None),
        "invalid utf-8": ({"content": b'{"email": "\xff\xfe"}', "headers": JSON}, 400, None),
        "wrong content type": (
            {"content": b"<lead/>", "headers": {"content-type": "application/xml"}},
            415,
            None,
        ),
        "no content type": ({"content": b'{"email": "a@example.com"}'}, 415, None),
        "deeply nested json": ({"content": b"[" * 2000 + b"]" * 2000, "headers": JSON}, 400, None),
        "not an object": ({"json": ["email", KNOWN]}, 422, "body"),
        "oversized": ({"json": {**valid, "note": "x" * MAX_BODY}}, 413, None),
        "nul in text": ({"json": {**valid, "email": KNOWN + "\x00"}}, 422, "email"),
        "unpaired surrogate": (
            {"content": b'{"email": "known@example.com\\ud800"}', "headers": JSON},
            422,
            "email",
        ),
        "nul in a key": ({"json": {**valid, "na\x00me": "x"}}, 422, "body"),
        # Valid texts whose instants fall outside the years 1-9999 in UTC: accepted, an activity
        # was dead-lettered by scoring and a lead's batch failed there before.
        "a time past the year 9999 in utc": (
            {"json": {**valid, "occurred_at": "9999-12-31T23:59:59-23:59"}},
            422,
            "occurred_at",
        ),
        "a time before the year 1 in utc": (
            {"json": {**valid, "occurred_at": "0001-01-01T00:00:00+00:01"}},
            422,
            "occurred_at",
        ),
        "a time a year ahead": (
            {"json": {**valid, "occurred_at": (datetime.now(UTC) + timedelta(days=365)).isoformat()}},
            422,
            "occurred_at",
        ),
    }
    if "outcome" not in valid and "type" not in valid:  # a lead
        requests["a company of a trillion people"] = (
            {"json": {**valid, "company_size": 10**12}},
            422,
            "company_size",
        )
        requests["a company of no one"] = ({"json": {**valid, "company_size": "0"}}, 422, "company_size")
    if free_map:
        requests["huge map"] = (
            {"json": {**valid, free_map: {f"k{i}": i for i in range(200)}}},
            422,
            free_map,
        )
        requests["nested map"] = ({"json": {**valid, free_map: nested(40)}}, 422, free_map)
    return requests


CASES = [
    pytest.param(path, name, *case, id=f"{path} {name}")
    for path, (valid, free_map) in ENDPOINTS.items()
    for name, case in bad_requests(valid, free_map).items()
]


async def scalar(app, statement):
    async with app.state.runtime.engine.connect() as connection:
        return await connection.scalar(statement)


async def last_outbox_id(app) -> int:
    return await scalar(app, text("SELECT last_value FROM capture.outbox_id_seq"))


@dataclasses.dataclass(frozen=True)
class Accepted:
    """A capture app that took one lead, and what it held then."""

    client: httpx.AsyncClient
    app: FastAPI
    profile: dict
    outbox_id: int


@pytest.fixture(scope="module")
async def accepted(kafka_bootstrap, postgres_server, template_database, database_dropper):
    """One app for the module's cases: each checks that it changed nothing, so each starts from
    the same state as if it had the app to itself (starting one per case took 2-5 s)."""
    topics = await fresh_topics(kafka_bootstrap)
    async with fresh_database(postgres_server, template_database, database_dropper) as url:
        settings = settings_for(kafka_bootstrap, url, topics)
        limits = {"max_body_bytes": MAX_BODY, "public_max_body_bytes": MAX_BODY}
        async with capture_in_process(settings, **limits) as (client, app):
            response = await client.post("/v1/leads/landing-page", json={"email": KNOWN, "first_name": "Ada"})
            assert response.status_code == 202
            yield Accepted(client, app, await scalar(app, select(leads.c.profile)), await last_outbox_id(app))


@pytest.mark.parametrize(("path", "name", "arguments", "status", "field"), CASES)
async def test_bad_bodies_get_a_clear_4xx_and_change_nothing(accepted, path, name, arguments, status, field):
    headers = AUTH | arguments.get("headers", {})
    body = {key: value for key, value in arguments.items() if key != "headers"}
    response = await accepted.client.post(path, headers=headers, **body)

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status and response.json()["title"]
    if field:
        named = {f["name"] for f in response.json()["fields"]}
        assert any(n == field or n.startswith(f"{field}.") for n in named), named
    app = accepted.app
    assert await scalar(app, select(func.count()).select_from(leads)) == 1
    assert await scalar(app, select(func.count()).select_from(submissions)) == 1
    assert await scalar(app, select(leads.c.profile)) == accepted.profile
    assert await last_outbox_id(app) == accepted.outbox_id
