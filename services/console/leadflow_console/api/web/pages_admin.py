"""The admin's pages: accounts and roles, and the audit trail. The team has its own page
(pages_team.py), and so have API keys (pages_keys.py) and webhooks (pages_webhooks.py). Every
form answers at its fields (forms.py)."""

import uuid
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from leadflow_common.access import Role
from leadflow_common.errors import LeadflowError
from leadflow_console.api.web import forms
from leadflow_console.api.web.deps import AdminOnly, UpstreamDep
from leadflow_console.api.web.forms import FormErrors
from leadflow_console.api.web.live_regions import LOOK_AGAIN_DEAR_SECONDS as DEAR
from leadflow_console.api.web.live_regions import Shown, live_region, redraws
from leadflow_console.api.web.pages_team import mail_on
from leadflow_console.api.web.render import page, redirect, templates
from leadflow_console.api.web.session import Viewer
from leadflow_console.api.web.upstream import Upstream, UpstreamProblem
from leadflow_console.app.services import AccountsService, NamedEntry
from leadflow_console.deps import AccountsDep

router = APIRouter(include_in_schema=False)
USERS = "_users_live.html"


async def _users(
    request: Request,
    viewer: Viewer,
    accounts: AccountsService,
    upstream: Upstream,
    status: int = 200,
    **context: object,
) -> Response:
    """The accounts, following the present (another admin's change, a rep renamed); a page
    answering a form that went wrong stays as drawn."""
    shown = await _accounts(viewer, accounts, upstream)
    live = None if context else live_region(USERS, "/admin/users/stream", None, viewer=viewer, **shown)
    return page(request, "users.html", viewer, status, live=live, **{**shown, **context})


async def _accounts(viewer: Viewer, accounts: AccountsService, upstream: Upstream) -> dict[str, object]:
    users = await accounts.list_users()
    reps = await upstream.call_list("routing", "GET", "/v1/reps", viewer.token)
    return {"users": users, "reps": reps, "roles": list(Role)}


@router.get("/admin/users", summary="admin: accounts and roles")
async def users(
    request: Request, viewer: AdminOnly, accounts: AccountsDep, upstream: UpstreamDep
) -> Response:
    return await _users(request, viewer, accounts, upstream)


@router.get("/admin/users/stream", summary="admin: the accounts as they change (text/event-stream)")
async def users_stream(
    request: Request, viewer: AdminOnly, accounts: AccountsDep, upstream: UpstreamDep, shown: Shown = ""
) -> Response:
    async def draw() -> tuple[str, bool]:
        now_shown = await _accounts(viewer, accounts, upstream)
        return templates.get_template(USERS).render(viewer=viewer, **now_shown), True

    return redraws(request, viewer, draw, accounts.admin_changed, page="users", event="users", shown=shown)


AUDIT_PAGE = 200  # entries a page of the audit trail shows (audit_trail.named_entries' limit)
AUDIT = "_audit_entries.html"
AuditBefore = Annotated[int | None, Query(ge=1, le=2**63 - 1)]  # an entry's id (bigint): the next page
USER_FIELDS = ("email", "password", "role", "rep_id", "confirm_admin")


@router.post("/admin/users", summary="admin: create an account (an admin only once confirmed)")
async def create_user(
    request: Request,
    viewer: AdminOnly,
    accounts: AccountsDep,
    upstream: UpstreamDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    rep_id: Annotated[str, Form(max_length=36)] = "",
    confirm_admin: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    typed = {"email": email, "role": role, "rep_id": rep_id, "confirm_admin": confirm_admin}
    errors = account_errors(email, password, role, rep_id, confirm_admin)
    if not errors:
        try:
            rep = uuid.UUID(rep_id) if rep_id and role == Role.rep else None
            await accounts.create_user(viewer.principal, email, password, Role(role), rep)
        except LeadflowError as refused:
            errors = forms.from_problem(refused, USER_FIELDS)
    if errors:
        if password and not errors.get("password"):
            errors.add("password", "type the password again: it is never sent back to the page")
        return await _users(request, viewer, accounts, upstream, 422, errors=errors, form=typed)
    return redirect(request, "/admin/users", "Account created.")


def account_errors(email: str, password: str, role: str, rep_id: str, confirm_admin: str) -> FormErrors:
    """What the form itself can tell; the account rules (password length, the rep record) are
    the accounts service's."""
    errors = FormErrors()
    if not email.strip():
        errors.add("email", "required")
    if not password:
        errors.add("password", "required: 12 characters or more")
    if role not in set(Role):
        errors.add("role", "pick a role from the list")
    if rep_id and not _is_uuid(rep_id):
        errors.add("rep_id", "pick a rep from the list")
    if role == Role.admin and confirm_admin != "yes":
        errors.add(
            "confirm_admin",
            "tick to confirm: an admin may change every account, key, webhook and setting",
        )
    return errors


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


@router.post("/admin/users/{user_id}/role", summary="admin: change an account's role (ends its sessions)")
async def set_role(
    request: Request,
    user_id: uuid.UUID,
    viewer: AdminOnly,
    accounts: AccountsDep,
    upstream: UpstreamDep,
    role: Annotated[Role, Form()],
    rep_id: Annotated[str, Form(pattern=r"^([0-9a-fA-F-]{36})?$")] = "",
    confirm_admin: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    if role is Role.admin and confirm_admin != "yes":
        # As at creation: making an admin is confirmed, so a slip in a list cannot do it.
        errors = forms.FormErrors()
        errors.add(
            forms.WHOLE_FORM,
            "The role was not changed: to make an account an admin, also tick the box confirming"
            " it may change every account, key, webhook and setting.",
        )
        return await _users(request, viewer, accounts, upstream, 422, role_errors=errors)
    change = {"role": role, "rep_id": uuid.UUID(rep_id) if rep_id and role is Role.rep else None}
    before = next((user for user in await accounts.list_users() if user.id == user_id), None)
    try:
        after = await accounts.update_user(viewer.principal, user_id, change)
    except LeadflowError as refused:
        errors = forms.from_problem(refused, ())
        return await _users(request, viewer, accounts, upstream, refused.status, role_errors=errors)
    left = before.rep_id if before and before.active and before.rep_id != after.rep_id else None
    return redirect(
        request,
        "/admin/users",
        "Role changed; the account's sessions ended." + await _rep_left(upstream, viewer, left),
    )


@router.post("/admin/users/{user_id}/active", summary="admin: enable or disable an account")
async def set_active(
    request: Request,
    user_id: uuid.UUID,
    viewer: AdminOnly,
    accounts: AccountsDep,
    active: Annotated[Literal["yes", "no"], Form()],
    upstream: UpstreamDep,
) -> Response:
    before = next((user for user in await accounts.list_users() if user.id == user_id), None)
    try:
        after = await accounts.update_user(viewer.principal, user_id, {"active": active == "yes"})
    except LeadflowError as refused:
        errors = forms.from_problem(refused, ())
        return await _users(request, viewer, accounts, upstream, refused.status, role_errors=errors)
    if before is not None and before.active == after.active:
        # A second tab's click, say: no session ended and nothing else changed, so nothing to warn of.
        return redirect(request, "/admin/users", f"The account was already {_state(after.active)}.")
    if after.active:
        return redirect(request, "/admin/users", "Account enabled.")
    return redirect(
        request,
        "/admin/users",
        "Account disabled; its sessions ended." + await _rep_left(upstream, viewer, after.rep_id),
    )


def _state(active: bool) -> str:
    return "enabled" if active else "disabled"


async def _rep_left(upstream: Upstream, viewer: Viewer, rep_id: uuid.UUID | None) -> str:
    """What an account leaving its rep record does not change: routing still offers an active
    rep leads (by mail), so the admin is told where to take the rep off (the team page)."""
    if rep_id is None:
        return ""
    try:
        rep = await upstream.call_object("routing", "GET", f"/v1/reps/{rep_id}", viewer.token)
    except UpstreamProblem:
        return " Its rep record may still be active: see the Team page."
    if not rep.get("active"):
        return ""
    how = {True: " by mail", False: " (by Slack only, where set: no mail server is set up)", None: ""}
    told = how[await mail_on(upstream, viewer)]
    return (
        f" Its rep record stays active: leads are still offered to that rep{told} until the rep is"
        " made inactive on the Team page."
    )


@router.get("/admin/audit", summary="admin: the audit trail, newest first, actors and targets named")
async def audit(
    request: Request,
    viewer: AdminOnly,
    accounts: AccountsDep,
    upstream: UpstreamDep,
    actor: Annotated[str, Query(max_length=200)] = "",
    action: Annotated[str, Query(max_length=100)] = "",
    before: AuditBefore = None,
) -> Response:
    chosen = {"actor": actor, "action": action}
    shown = await _audit_shown(accounts, upstream, viewer, chosen, before)
    errors = {"actor": "No account has this email, and no key this name."} if shown["unknown"] else {}
    query = {**chosen, **({"before": str(before)} if before else {})}
    live = live_region(AUDIT, "/admin/audit/stream", query, viewer=viewer, **shown)
    shown = {**shown, "chosen": chosen, "errors": errors, "live": live}
    return page(request, "audit.html", viewer, 422 if errors else 200, **shown)


@router.get("/admin/audit/stream", summary="admin: the audit trail as entries are filed (event-stream)")
async def audit_stream(
    request: Request,
    viewer: AdminOnly,
    accounts: AccountsDep,
    upstream: UpstreamDep,
    actor: Annotated[str, Query(max_length=200)] = "",
    action: Annotated[str, Query(max_length=100)] = "",
    before: AuditBefore = None,
    shown: Shown = "",
) -> Response:
    """The same filters and page, drawn again as entries are filed by any service."""
    chosen = {"actor": actor, "action": action}

    async def draw() -> tuple[str, bool]:
        now_shown = await _audit_shown(accounts, upstream, viewer, chosen, before)
        return templates.get_template(AUDIT).render(viewer=viewer, **now_shown), True

    changed = accounts.audit_changed
    return redraws(
        request, viewer, draw, changed, page="audit", event="audit", shown=shown, settle=0.2, look_again=DEAR
    )


async def _audit_shown(
    accounts: AccountsService, upstream: Upstream, viewer: Viewer, chosen: dict[str, str], before: int | None
) -> dict[str, object]:
    """The entries the filters and page ask for, named, with the next page's address."""
    entries = await accounts.audit_trail(chosen["actor"], chosen["action"].strip() or None, before)
    older = None
    if entries and len(entries) == AUDIT_PAGE:  # there may be more: the next page starts after the last
        filters = {name: value for name, value in chosen.items() if value}
        older = "/admin/audit?" + urlencode({**filters, "before": entries[-1].id})
    reps = await _rep_names(upstream, viewer, entries or [])
    return {
        "entries": entries or [],
        "unknown": entries is None,
        "older": older,
        "continued": before is not None,
        "reps": reps,
        "rep_actions": REP_ACTIONS,
        "chosen": chosen,
    }


# The actions whose details name a rep they went to (a lead given by hand, an account's owner).
REP_ACTIONS = frozenset({"lead.assigned", "account.owner_changed"})


async def _rep_names(upstream: Upstream, viewer: Viewer, entries: list[NamedEntry]) -> dict[str, str]:
    """The names of the reps the entries name by id (a rep changed, a lead given to one), from
    routing, which keeps them: asked only when an entry names one; ids stay while it is away."""
    named = any(e.target_type == "rep" or e.action in REP_ACTIONS for e in entries)
    if not named:
        return {}
    try:
        reps = await upstream.call_list("routing", "GET", "/v1/reps", viewer.token)
    except UpstreamProblem:
        return {}
    return {str(rep["id"]): str(rep["name"]) for rep in reps}
