"""The admin's API keys page: the keys with their last use (following the present), making one
(its secret shown once, in the answer) and revoking one."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from leadflow_common.access import KEY_SCOPES, parse_scopes
from leadflow_common.errors import LeadflowError
from leadflow_common.inputs import UNSTORABLE_TEXT, unstorable
from leadflow_console.api.web import forms
from leadflow_console.api.web.deps import AdminOnly
from leadflow_console.api.web.forms import FormErrors
from leadflow_console.api.web.live_regions import Shown, live_region, redraws
from leadflow_console.api.web.render import format_time, page, redirect, templates
from leadflow_console.api.web.session import Viewer
from leadflow_console.app.services import AccountsService
from leadflow_console.deps import AccountsDep

router = APIRouter(include_in_schema=False)
KEYS = "_keys_live.html"


async def _keys(
    request: Request, viewer: Viewer, accounts: AccountsService, status: int = 200, **context: object
) -> Response:
    """The keys, following the present (another admin's key, a key's last use); a page that
    answers a form (the new key's secret, or what was wrong) stays as drawn."""
    keys = await accounts.list_keys()
    live = None if context else live_region(KEYS, "/admin/keys/stream", None, viewer=viewer, keys=keys)
    return page(
        request, "keys.html", viewer, status, keys=keys, scopes=sorted(KEY_SCOPES), live=live, **context
    )


@router.get("/admin/keys", summary="admin: API keys")
async def keys(request: Request, viewer: AdminOnly, accounts: AccountsDep) -> Response:
    return await _keys(request, viewer, accounts)


@router.get("/admin/keys/stream", summary="admin: the API keys as they change (text/event-stream)")
async def keys_stream(
    request: Request, viewer: AdminOnly, accounts: AccountsDep, shown: Shown = ""
) -> Response:
    async def draw() -> tuple[str, bool]:
        keys = await accounts.list_keys()
        return templates.get_template(KEYS).render(viewer=viewer, keys=keys), True

    return redraws(request, viewer, draw, accounts.admin_changed, page="keys", event="keys", shown=shown)


@router.post("/admin/keys", summary="admin: create an API key (shown once)")
async def create_key(
    request: Request,
    viewer: AdminOnly,
    accounts: AccountsDep,
    name: Annotated[str, Form(max_length=100)] = "",
    scopes: Annotated[list[str], Form(max_length=20)] = [],  # noqa: B006 (FastAPI copies it)
) -> Response:
    errors = FormErrors()
    if not name.strip():
        errors.add("name", "required: a name that says who uses the key")
    elif unstorable(name):
        errors.add("name", f"a key's name {UNSTORABLE_TEXT}")
    if not scopes:
        errors.add("scopes", "tick at least one scope: a key without one may do nothing")
    try:
        chosen = parse_scopes(scopes)
    except ValueError as error:
        errors.add("scopes", str(error))
    if errors:
        return await _keys(
            request, viewer, accounts, 422, errors=errors, form={"name": name, "scopes": scopes}
        )
    try:
        _stored, secret = await accounts.create_key(viewer.principal, name.strip(), chosen, None)
    except LeadflowError as refused:  # a live key has this name
        errors = forms.from_problem(refused, ("name", "scopes"))
        return await _keys(
            request, viewer, accounts, 422, errors=errors, form={"name": name, "scopes": scopes}
        )
    # The key is shown in this answer only, never stored or sent again.
    return await _keys(request, viewer, accounts, created=secret)


@router.post("/admin/keys/{key_id}/revoke", summary="admin: revoke an API key")
async def revoke_key(
    request: Request, key_id: uuid.UUID, viewer: AdminOnly, accounts: AccountsDep
) -> Response:
    revoked, newly = await accounts.revoke_key(viewer.principal, key_id)
    if not newly:  # another tab or admin was first
        when = format_time(revoked.revoked_at, viewer.zone)
        return redirect(request, "/admin/keys", f"This key was revoked already, at {when}.")
    return redirect(request, "/admin/keys", "Key revoked.")
