"""Schemathesis against every service's own OpenAPI document, calling the ASGI apps directly
with their real database and broker: for valid and invalid requests alike, no 5xx, and every
response documented and matching its schema.

Nulls too: valid bodies with some of their fields `null`, and `null` for each field of every
JSON body in turn, which must be refused naming the field wherever the document does not offer
`null`. Changes (PATCH, PUT) and the other operations on one record go, half of the time, to a
record that exists (made first), or a change would never get past its 404."""

import asyncio
import contextlib
import importlib
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import requests
import schemathesis
from harness import AUTH
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from leadflow_console.settings import ConsoleSettings

pytestmark = pytest.mark.integration

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 30
# Valid changes with nulls in them: fewer, since each field's null alone is also sent once.
EXAMPLES_WITH_NULLS = 15
BASE_URL = "http://service"
REQUEST_FIELDS = ("method", "url", "headers", "params", "json", "data", "files", "cookies")
JSON = "application/json"
CHANGES = ("PATCH", "PUT")
# The one rep the console's stand-in for routing knows (RoutingStub).
KNOWN_REP = str(uuid.uuid4())
# A record of each kind the services change, made before the fuzzing: service, path, body, and
# the path parameter that names it.
REP = {"name": "Fuzz", "email": "fuzz@sales.example", "tier": "mid", "capacity": 2}
ACCOUNT = {"email": "fuzz@team.example", "password": "x" * 12, "role": "rep", "rep_id": KNOWN_REP}
WEBHOOK = {"url": "https://receiver.example/in", "events": ["lead.routed"]}
RECORDS = [
    ("routing", "/v1/reps", REP, "rep_id"),
    ("console", "/v1/users", ACCOUNT, "user_id"),
    ("webhooks", "/v1/webhooks", WEBHOOK, "webhook_id"),
]


def httpx_arguments(requests_arguments: dict) -> dict:
    """Schemathesis prepares a call for `requests`: let `requests` encode it (JSON, forms,
    multipart, cookies) and send those very bytes with httpx."""
    request = requests.Request(
        **{key: value for key, value in requests_arguments.items() if key in REQUEST_FIELDS}
    ).prepare()
    body = request.body.encode() if isinstance(request.body, str) else request.body
    return {"method": request.method, "url": request.url, "headers": dict(request.headers), "content": body}


def has_inputs(operation) -> bool:
    """Whether there is anything to make invalid (a body or a parameter)."""
    return bool(list(operation.body) or list(operation.path_parameters) or list(operation.query))


def body_fields(operation) -> dict[str, dict]:
    """The top-level fields of an operation's JSON body, with their schemas: its object's, each
    `allOf` part's, the first `oneOf` branch's (a single lead, not a batch of them)."""
    bodies = [body for body in operation.body if body.media_type == JSON]
    if not bodies:
        return {}
    schema = bodies[0].resolved_schema
    bundled = schema.get("x-bundled", {})

    def fields(part: dict) -> dict[str, dict]:
        if "$ref" in part:
            part = bundled[part["$ref"].rsplit("/", 1)[-1]]
        found = dict(part.get("properties", {}))
        for branch in [*part.get("allOf", []), *part.get("oneOf", [])[:1]]:
            found = fields(branch) | found
        return found

    return fields(schema)


def offers_null(definition: dict) -> bool:
    """Whether a field's schema takes `null`: it says so, or it says nothing of the type."""
    if not {"type", "anyOf", "oneOf", "allOf", "$ref", "enum", "const"} & set(definition):
        return True
    types = [definition.get("type"), *(branch.get("type") for branch in definition.get("anyOf", []))]
    return any(kind == "null" or (isinstance(kind, list) and "null" in kind) for kind in types)


def on_records(operation, records: dict[str, str]) -> dict[str, str] | None:
    """The path parameters naming records made for the run, where every one of the operation's
    is such a record; None otherwise, and for DELETE (the records must outlive the run)."""
    names = [parameter.name for parameter in operation.path_parameters]
    if not names or operation.method.upper() == "DELETE" or not set(names) <= set(records):
        return None
    return {name: records[name] for name in names}


def fuzz_operation(
    operation, mode: GenerationMode, call, records: dict[str, str], *, nulls: bool = False
) -> None:
    """Runs in a worker thread (Hypothesis is synchronous); `call` runs on the app's loop. With
    `nulls`, valid bodies with one to three of their fields made `null`."""
    existing = on_records(operation, records)
    fields = sorted(body_fields(operation)) if nulls else []

    @hypothesis_settings(
        max_examples=EXAMPLES_WITH_NULLS if nulls else EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def check(case, data) -> None:
        if existing and data.draw(st.booleans(), label="a record that exists"):
            case.path_parameters = dict(existing)
        if fields and isinstance(case.body, dict):
            nulled = st.lists(st.sampled_from(fields), unique=True, min_size=1, max_size=3)
            case.body.update(dict.fromkeys(data.draw(nulled, label="nulls")))
        arguments = case.as_transport_kwargs(base_url=BASE_URL, headers=AUTH)
        response = call(httpx_arguments(arguments))
        case.validate_response(response, checks=CHECKS)

    check()


def null_each_field(operation, call, records: dict[str, str]) -> None:
    """`null` for each field of a JSON body alone, on a record that exists where there is one:
    where the document does not offer `null`, a 422 naming the field."""
    path = on_records(operation, records) or {p.name: str(uuid.uuid4()) for p in operation.path_parameters}
    for field, definition in sorted(body_fields(operation).items()):
        case = operation.Case(path_parameters=path, body={field: None}, media_type=JSON)
        response = call(httpx_arguments(case.as_transport_kwargs(base_url=BASE_URL, headers=AUTH)))
        case.validate_response(response, checks=CHECKS)
        if not offers_null(definition):
            assert response.status_code == 422, (operation.label, field, response.text)
            assert field in [f["name"] for f in response.json()["fields"]], (operation.label, response.text)


async def make_records(service: str, client: httpx.AsyncClient) -> dict[str, str]:
    records = {}
    for owner, path, body, name in RECORDS:
        if owner == service:
            response = await client.post(path, json=body, headers=AUTH)
            assert response.status_code == 201, response.text
            records[name] = response.json()["id"]
    return records


class RoutingStub(BaseHTTPRequestHandler):
    """Routing as the console asks it whether a rep exists: it knows one rep, and no generated
    rep_id is that one (a routing that does not answer is tests/test_null_changes.py's)."""

    def do_GET(self) -> None:
        self.send_response(200 if self.path == f"/v1/reps/{KNOWN_REP}" else 404)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *arguments) -> None:
        pass


@pytest.fixture
def routing_stub() -> str:
    server = ThreadingHTTPServer(("127.0.0.1", 0), RoutingStub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def create_app(service: str, settings, routing_url: str):
    module = importlib.import_module(f"leadflow_{service}.main")
    if service == "console":
        return module.create_app(settings, ConsoleSettings(routing_url=routing_url))
    return module.create_app(settings)


def asgi_client(app, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 123))
    return httpx.AsyncClient(transport=transport, base_url=BASE_URL)


@pytest.mark.long
@pytest.mark.parametrize("service", ["capture", "scoring", "routing", "console", "webhooks"])
async def test_every_operation_answers_as_documented_to_valid_and_invalid_requests(
    settings, routing_stub, service
):
    app = create_app(service, settings, routing_stub)
    schema = schemathesis.openapi.from_dict(app.openapi())
    loop = asyncio.get_running_loop()
    async with app.router.lifespan_context(app), contextlib.AsyncExitStack() as clients:
        fuzzing = await clients.enter_async_context(asgi_client(app, "127.0.0.1"))
        # The nulls come from an address of their own: the fuzzing uses up the public endpoints'
        # rate limit for its address, and a 429 says nothing of a null.
        nulls = await clients.enter_async_context(asgi_client(app, "127.0.0.2"))

        def caller(client: httpx.AsyncClient):
            def call(arguments: dict) -> httpx.Response:
                return asyncio.run_coroutine_threadsafe(client.request(**arguments), loop).result(30)

            return call

        records = await make_records(service, fuzzing)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert operations
        for operation in operations:
            call = caller(fuzzing)
            await asyncio.to_thread(fuzz_operation, operation, GenerationMode.POSITIVE, call, records)
            if has_inputs(operation):
                await asyncio.to_thread(fuzz_operation, operation, GenerationMode.NEGATIVE, call, records)
            if operation.method.upper() in CHANGES:
                await asyncio.to_thread(
                    fuzz_operation, operation, GenerationMode.POSITIVE, call, records, nulls=True
                )
            await asyncio.to_thread(null_each_field, operation, caller(nulls), records)
