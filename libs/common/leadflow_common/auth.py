"""Who may call a route: the caller's principal, and each route's declared policy.

Every /v1 route declares one: `requires(Scope.x)` (the caller must hold that scope),
`Depends(authenticated)` (any known caller, about themselves) or `openapi_extra=PUBLIC`. The app
refuses to start with a route that declares none, and the policy is written into the OpenAPI
document (`x-leadflow-policy`), where the policy test reads it.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from leadflow_common.access import Principal, Scope
from leadflow_common.deps import common_state
from leadflow_common.errors import Forbidden

bearer = HTTPBearer(
    auto_error=False,
    description="`Authorization: Bearer <credential>`: an access token from the console, an API key, "
    "or `LEADFLOW_API_KEY`",
)


async def get_principal(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Principal:
    """Who is calling (401 when nobody known is; 503 when whether it is current cannot be told)."""
    current = common_state(request).credentials
    return await current.authenticate(credentials.credentials if credentials else None)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


class Requires:
    """A route's policy: the one scope its caller must hold (403 otherwise). The app refuses to
    start with a /v1 route that declares neither this nor `public` (`check_route_policies`)."""

    def __init__(self, scope: Scope):
        self.scope = scope

    async def __call__(self, principal: PrincipalDep) -> Principal:
        if not principal.may(self.scope):
            raise Forbidden(f"This needs the {self.scope} scope")
        return principal


async def authenticated(principal: PrincipalDep) -> Principal:
    """The policy of a route any known caller may use about themselves (who am I, log out)."""
    return principal


# The policy of a route anyone may call (forms, the popup, the SMS provider, logging in), given
# as `openapi_extra=PUBLIC`: a declaration, not a dependency, so the hot public routes pay nothing.
PUBLIC = {"x-leadflow-policy": "public"}


def public_route(openapi_extra: dict[str, object] | None = None) -> dict[str, object]:
    """`openapi_extra` for a public route that documents more (its body, say)."""
    return {**(openapi_extra or {}), **PUBLIC}


def requires(scope: Scope) -> Any:
    """`Annotated[Principal, requires(Scope.x)]`: the route's caller, holding `scope`."""
    return Depends(Requires(scope))


def route_policy(route: APIRoute) -> str | None:
    """The scope a route requires, `public`, `authenticated`, or None when it declares none."""
    if (route.openapi_extra or {}).get("x-leadflow-policy") == "public":
        return "public"
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        if isinstance(dependant.call, Requires):
            return str(dependant.call.scope)
        if dependant.call is authenticated:
            return "authenticated"
        pending.extend(dependant.dependencies)
    return None


def declared_policies(routers: list[APIRouter]) -> dict[tuple[str, str], str | None]:
    """(path, method) → policy of every route the routers declare. Read from the routers, not
    from the app: FastAPI resolves included routers lazily."""
    return {
        (route.path, method.lower()): route_policy(route)
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }


def check_route_policies(routers: list[APIRouter]) -> None:
    """Fail closed: an API route that names nobody who may call it stops the start."""
    for (path, method), policy in declared_policies(routers).items():
        if path.startswith("/v1/") and policy is None:
            raise RuntimeError(
                f"{method.upper()} {path} declares no policy (requires, authenticated or public)"
            )
