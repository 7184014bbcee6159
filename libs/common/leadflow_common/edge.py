"""ASGI middleware at every service's edge: a bounded, timed request body, and the response
headers a public API owes browsers (OWASP's REST and HTTP headers cheat sheets)."""

import asyncio
from collections.abc import Callable, Mapping

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadflow_common import metrics
from leadflow_common.http import Problem, problem_response

API_CSP = "default-src 'none'; frame-ancestors 'none'"

# A service's own answer to a refusal made before its routes run, for requests it answers with
# pages (a person's browser posting a form reads words, never JSON); None: problem+json.
RefusalPage = Callable[[Scope, "Problem"], Response | None]


def body_too_large(limit: int) -> Problem:
    return Problem(413, "Payload too large", f"The body may have at most {limit} bytes")


class BodyLimitMiddleware:
    """Refuses a body larger than the route allows (413, from Content-Length before reading
    when declared) or slower than `timeout` seconds to arrive (408). Routes named in
    `path_limits` get their own, smaller limit (public forms are a few KB); `refusal_page`
    answers the refusals made here where the service answers people with pages."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        timeout: float,
        path_limits: Mapping[str, int] | None = None,
        refusal_page: RefusalPage | None = None,
    ):
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.path_limits = dict(path_limits or {})
        self.refusal_page = refusal_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.path_limits.get(scope["path"], self.max_bytes)
        declared = next((value for name, value in scope["headers"] if name == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._answer(scope, receive, send, body_too_large(limit))
            return
        await self.app(scope, self._bounded(receive, limit), send)

    def _bounded(self, receive: Receive, limit: int) -> Receive:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        received = 0
        complete = False

        async def bounded_receive() -> Message:
            nonlocal received, complete
            if complete:  # after the body: waiting for a disconnect has no deadline
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):  # no task per call, unlike wait_for
                    message = await receive()
            except TimeoutError:
                metrics.CONNECTIONS_REFUSED.labels(reason="body_timeout").inc()
                raise Problem(408, "Request timeout", "The body did not arrive in time") from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise body_too_large(limit)
                complete = not message.get("more_body", False)
            return message

        return bounded_receive

    async def _answer(self, scope: Scope, receive: Receive, send: Send, problem: Problem) -> None:
        page = self.refusal_page(scope, problem) if self.refusal_page else None
        response = page or problem_response(problem, scope["path"])
        response.headers["connection"] = "close"  # the body it refused is not read
        await response(scope, receive, send)


class SecurityHeadersMiddleware:
    """`nosniff`, no framing, no referrer, no caching of answers that may hold personal data, a
    Content-Security-Policy that allows nothing (a page that needs more sets its own), and HSTS
    where the service is served over TLS (production)."""

    def __init__(self, app: ASGIApp, *, hsts: bool):
        self.app = app
        headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if hsts:
            headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(header for header in self.headers if header[0] not in present)
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", API_CSP.encode()))
                if b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
