"""The admin's pages: the team (reps, their load, the waiting queue), accounts and roles, API
keys, webhooks with their deliveries, and the audit trail. Reps and webhooks belong to routing
and webhooks and are changed there, as the admin."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from leadflow_common.access import KEY_SCOPES, Role, parse_scopes
from leadflow_common.errors import LeadflowError
from leadflow_console.deps import AccountsDep
from leadflow_console.web.deps import AdminOnly, UpstreamDep
from leadflow_console.web.render import page, redirect
from leadflow_console.web.upstream import UpstreamProblem

router = APIRouter(include_in_schema=False)
Tier = Literal["junior", "mid", "senior"]


def _codes(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


async def _team(request, viewer, upstream, status: int = 200, **context) -> Response:
    reps = await upstream.call("routing", "GET", "/v1/reps", viewer.token)
    waiting = await upstream.call("routing", "GET", "/v1/assignments?status=waiting&limit=50", viewer.token)
    return page(request, "team.html", viewer, status, reps=reps, waiting=waiting, **context)


@router.get("/team", summary="admin: reps with load against capacity, the waiting queue")
async def team(request: Request, viewer: AdminOnly, upstream: UpstreamDep) -> Response:
    return await _team(request, viewer, upstream)


@router.post("/team/reps", summary="admin: add a rep")
async def create_rep(
    request: Request,
    viewer: AdminOnly,
    upstream: UpstreamDep,
    name: Annotated[str, Form(max_length=200)],
    email: Annotated[str, Form(max_length=320)],
    tier: Annotated[Tier, Form()],
    capacity: Annotated[int, Form(ge=0, le=10_000)],
    territories: Annotated[str, Form(max_length=500)] = "",
    languages: Annotated[str, Form(max_length=500)] = "",
    segments: Annotated[str, Form(max_length=50)] = "",
) -> Response:
    body = {
        "name": name,
        "email": email,
        "tier": tier,
        "capacity": capacity,
        "territories": _codes(territories),
        "languages": _codes(languages),
        "segments": _codes(segments),
    }
    try:
        await upstream.call("routing", "POST", "/v1/reps", viewer.token, json=body)
    except UpstreamProblem as problem:
        if problem.status not in (409, 422):
            raise
        return await _team(request, viewer, upstream, problem.status, problem=problem, form=body)
    return redirect(request, "/team", f"Rep {name} added.")


@router.post("/team/reps/{rep_id}", summary="admin: change a rep's tier, capacity, activity or presence")
async def change_rep(
    request: Request,
    rep_id: uuid.UUID,
    viewer: AdminOnly,
    upstream: UpstreamDep,
    tier: Annotated[Tier, Form()],
    capacity: Annotated[int, Form(ge=0, le=10_000)],
    active: Annotated[Literal["yes", "no"], Form()],
    available: Annotated[Literal["yes", "no"], Form()],
) -> Response:
    body = {"tier": tier, "capacity": capacity, "active": active == "yes", "available": available == "yes"}
    rep = await upstream.call("routing", "PATCH", f"/v1/reps/{rep_id}", viewer.token, json=body)
    return redirect(request, "/team", f"Rep {rep['name']} changed.")


async def _users(request, viewer, accounts, upstream, status: int = 200, **context) -> Response:
    users = await accounts.list_users()
    reps = await upstream.call("routing", "GET", "/v1/reps", viewer.token)
    return page(request, "users.html", viewer, status, users=users, reps=reps, roles=list(Role), **context)


@router.get("/admin/users", summary="admin: accounts and roles")
async def users(
    request: Request, viewer: AdminOnly, accounts: AccountsDep, upstream: UpstreamDep
) -> Response:
    return await _users(request, viewer, accounts, upstream)


@router.post("/admin/users", summary="admin: create an account")
async def create_user(
    request: Request,
    viewer: AdminOnly,
    accounts: AccountsDep,
    upstream: UpstreamDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=256)],
    role: Annotated[Role, Form()],
    rep_id: Annotated[str, Form(pattern=r"^([0-9a-fA-F-]{36})?$")] = "",
) -> Response:
    try:
        rep = uuid.UUID(rep_id) if rep_id and role is Role.rep else None
        await accounts.create_user(viewer.principal, email, password, role, rep)
    except LeadflowError as refused:
        return await _users(
            request,
            viewer,
            accounts,
            upstream,
            refused.status,
            error=refused,
            form={"email": email, "role": role},
        )
    return redirect(request, "/admin/users", "Account created.")


@router.post("/admin/users/{user_id}/role", summary="admin: change an account's role (ends its sessions)")
async def set_role(
    request: Request,
    user_id: uuid.UUID,
    viewer: AdminOnly,
    accounts: AccountsDep,
    upstream: UpstreamDep,
    role: Annotated[Role, Form()],
    rep_id: Annotated[str, Form(pattern=r"^([0-9a-fA-F-]{36})?$")] = "",
) -> Response:
    change = {"role": role, "rep_id": uuid.UUID(rep_id) if rep_id and role is Role.rep else None}
    try:
        await accounts.update_user(viewer.principal, user_id, change)
    except LeadflowError as refused:
        return await _users(request, viewer, accounts, upstream, refused.status, error=refused)
    return redirect(request, "/admin/users", "Role changed; the account's sessions ended.")


@router.post("/admin/users/{user_id}/active", summary="admin: enable or disable an account")
async def set_active(
    request: Request,
    user_id: uuid.UUID,
    viewer: AdminOnly,
    accounts: AccountsDep,
    active: Annotated[Literal["yes", "no"], Form()],
) -> Response:
    await accounts.update_user(viewer.principal, user_id, {"active": active == "yes"})
    return redirect(
        request,
        "/admin/users",
        "Account enabled." if active == "yes" else "Account disabled; its sessions ended.",
    )


@router.get("/admin/keys", summary="admin: API keys")
async def keys(request: Request, viewer: AdminOnly, accounts: AccountsDep) -> Response:
    return page(request, "keys.html", viewer, keys=await accounts.list_keys(), scopes=sorted(KEY_SCOPES))


@router.post("/admin/keys", summary="admin: create an API key (shown once)")
async def create_key(
    request: Request,
    viewer: AdminOnly,
    accounts: AccountsDep,
    name: Annotated[str, Form(min_length=1, max_length=100)],
    scopes: Annotated[list[str], Form(max_length=20)],
) -> Response:
    try:
        chosen = parse_scopes(scopes)
    except ValueError as error:
        return page(
            request,
            "keys.html",
            viewer,
            422,
            keys=await accounts.list_keys(),
            scopes=sorted(KEY_SCOPES),
            error=str(error),
        )
    _stored, secret = await accounts.create_key(viewer.principal, name, chosen, None)
    # The key is shown in this answer only, never stored or sent again.
    return page(
        request,
        "keys.html",
        viewer,
        keys=await accounts.list_keys(),
        scopes=sorted(KEY_SCOPES),
        created=secret,
    )


@router.post("/admin/keys/{key_id}/revoke", summary="admin: revoke an API key")
async def revoke_key(
    request: Request, key_id: uuid.UUID, viewer: AdminOnly, accounts: AccountsDep
) -> Response:
    await accounts.revoke_key(viewer.principal, key_id)
    return redirect(request, "/admin/keys", "Key revoked.")


@router.get("/admin/webhooks", summary="admin: webhook endpoints and their latest deliveries")
async def webhooks(request: Request, viewer: AdminOnly, upstream: UpstreamDep) -> Response:
    endpoints = await upstream.call("webhooks", "GET", "/v1/webhooks", viewer.token)
    deliveries = {}
    for endpoint in endpoints[:20]:
        path = f"/v1/webhooks/{endpoint['id']}/deliveries?limit=10"
        deliveries[endpoint["id"]] = await upstream.call("webhooks", "GET", path, viewer.token)
    return page(request, "webhooks.html", viewer, endpoints=endpoints, deliveries=deliveries)


@router.get("/admin/audit", summary="admin: the audit trail, newest first, actors and targets named")
async def audit(
    request: Request,
    viewer: AdminOnly,
    accounts: AccountsDep,
    actor: Annotated[str, Query(max_length=200)] = "",
    action: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    entries = await accounts.audit_trail(actor, action.strip() or None)
    errors = {}
    if entries is None:
        errors["actor"] = "No account has this email, and no key this name."
    chosen = {"actor": actor, "action": action}
    status = 422 if errors else 200
    return page(request, "audit.html", viewer, status, entries=entries or [], chosen=chosen, errors=errors)
