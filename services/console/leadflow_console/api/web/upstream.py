"""Commands and reads sent to the services that own them, as the signed-in user: every rule
(who may accept what, what a valid rules document is) stays in the owning service."""

from collections.abc import Mapping
from typing import Any, TypedDict, Unpack

import httpx

from leadflow_common.errors import FieldError
from leadflow_console.api.web.session import PageError
from leadflow_console.settings import ConsoleSettings

TIMEOUT = httpx.Timeout(10.0, connect=3.0)
LIMITS = httpx.Limits(max_connections=32, max_keepalive_connections=16)
# A JSON object a service answered: its fields are the service's contract, read by pages and templates.
JsonObject = dict[str, Any]
Params = Mapping[str, str | int] | None  # a call's query string


class UpstreamProblem(PageError):
    """A service refused or failed: its problem+json, for the page to show (its own status and
    title; a status a page does not show as is, 502)."""

    SHOWN_AS_IS = (403, 404, 409, 422, 503)

    def __init__(self, status: int, title: str, detail: str = "", fields: list[dict[str, str]] | None = None):
        super().__init__(detail, fields=[FieldError(**field) for field in fields or []])
        self.status = status
        self.title = title
        self.detail = detail

    def page_status(self) -> int:
        return self.status if self.status in self.SHOWN_AS_IS else 502

    def listed(self) -> list[dict[str, str]]:
        """The fields at fault as `{name, message}`."""
        return [field.model_dump() for field in self.fields or []]

    def __str__(self) -> str:
        return f"{self.title}: {self.detail}" if self.detail else self.title


class CallOptions(TypedDict, total=False):
    """What a call may carry besides the user's token: a JSON body, query parameters, headers."""

    json: object
    params: Params
    headers: dict[str, str]


class Upstream:
    def __init__(self, settings: ConsoleSettings):
        self._urls = {
            "capture": settings.capture_url,
            "scoring": settings.scoring_url,
            "routing": settings.routing_url,
            "webhooks": settings.webhooks_url,
        }
        # Fewer connections than a service takes from one address (64 by default): many live
        # pages redrawing at once wait their turn here instead of being refused there.
        self._client = httpx.AsyncClient(timeout=TIMEOUT, limits=LIMITS)

    async def close(self) -> None:
        await self._client.aclose()

    async def call_object(
        self, service: str, method: str, path: str, token: str, **options: Unpack[CallOptions]
    ) -> JsonObject:
        """A call whose answer is one JSON object (502 when the service answers anything else)."""
        body = await self.call(service, method, path, token, **options)
        if not isinstance(body, dict):
            raise _unexpected(service, "an object")
        return body

    async def call_list(
        self, service: str, method: str, path: str, token: str, **options: Unpack[CallOptions]
    ) -> list[JsonObject]:
        """A call whose answer is a JSON list of objects (502 when the service answers anything else)."""
        body = await self.call(service, method, path, token, **options)
        if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
            raise _unexpected(service, "a list of objects")
        return body

    async def send(
        self, service: str, method: str, path: str, token: str, **options: Unpack[CallOptions]
    ) -> None:
        """A command whose answer the page does not read."""
        await self.call(service, method, path, token, **options)

    async def call(
        self, service: str, method: str, path: str, token: str, **options: Unpack[CallOptions]
    ) -> object:
        """Any answer, as JSON decoded (None when empty); `call_object` and `call_list` check its shape."""
        try:
            response = await self._client.request(
                method,
                f"{self._urls[service]}{path}",
                headers={**(options.get("headers") or {}), "authorization": f"Bearer {token}"},
                json=options.get("json"),
                params=options.get("params"),
            )
        except httpx.HTTPError:
            raise UpstreamProblem(
                503, f"The {service} service does not answer", "Try again shortly."
            ) from None
        if response.status_code >= 400:
            raise _problem(service, response)
        answer: object = response.json() if response.content else None
        return answer


def _unexpected(service: str, shape: str) -> UpstreamProblem:
    return UpstreamProblem(502, f"The {service} service answered something other than {shape}")


def _problem(service: str, response: httpx.Response) -> UpstreamProblem:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    detail = str(body.get("detail") or "")
    if response.status_code == 403:
        # The services speak of credentials; a person is told what it means for them.
        detail = "You may not see or change this: it is not yours, or no longer."
    return UpstreamProblem(
        status=response.status_code,
        title=str(body.get("title") or f"The {service} service answered {response.status_code}"),
        detail=detail,
        fields=fields_of(body),
    )


def fields_of(body: JsonObject) -> list[dict[str, str]]:
    """The fields at fault as `{name, message}`, whichever way a problem lists them: Leadflow's
    `fields`, RFC 7807's `invalid_params` (`name`, `reason`), or `errors` (`pointer` or `loc`)."""
    found: list[dict[str, str]] = []
    for key in ("fields", "invalid_params", "errors"):
        for item in body.get(key) or []:
            if not isinstance(item, dict):
                continue
            name = item.get("name") or item.get("field") or item.get("pointer") or item.get("loc") or ""
            if isinstance(name, list):
                name = ".".join(str(part) for part in name if part not in ("body", "query"))
            name = str(name).lstrip("/").replace("/", ".")
            message = item.get("message") or item.get("reason") or item.get("detail") or item.get("msg")
            found.append({"name": name, "message": str(message or "is not valid")})
    return found
