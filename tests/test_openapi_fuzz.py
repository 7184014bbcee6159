"""Schemathesis against every service's own OpenAPI document, calling the ASGI apps directly
with their real database and broker: for valid and invalid requests alike, no 5xx, and every
response documented and matching its schema."""

import asyncio
import importlib

import httpx
import pytest
import requests
import schemathesis
from harness import AUTH
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.integration

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 30
BASE_URL = "http://service"
REQUEST_FIELDS = ("method", "url", "headers", "params", "json", "data", "files", "cookies")


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


def fuzz_operation(operation, mode: GenerationMode, call) -> None:
    """Runs in a worker thread (Hypothesis is synchronous); `call` runs on the app's loop."""

    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case) -> None:
        arguments = case.as_transport_kwargs(base_url=BASE_URL, headers=AUTH)
        response = call(httpx_arguments(arguments))
        case.validate_response(response, checks=CHECKS)

    check()


@pytest.mark.parametrize("service", ["capture", "scoring", "routing", "console", "webhooks"])
async def test_every_operation_answers_as_documented_to_valid_and_invalid_requests(settings, service):
    app = importlib.import_module(f"leadflow_{service}.main").create_app(settings)
    schema = schemathesis.openapi.from_dict(app.openapi())
    loop = asyncio.get_running_loop()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:

            def call(arguments: dict) -> httpx.Response:
                return asyncio.run_coroutine_threadsafe(client.request(**arguments), loop).result(30)

            operations = [result.ok() for result in schema.get_all_operations()]
            assert operations
            for operation in operations:
                await asyncio.to_thread(fuzz_operation, operation, GenerationMode.POSITIVE, call)
                if has_inputs(operation):
                    await asyncio.to_thread(fuzz_operation, operation, GenerationMode.NEGATIVE, call)
