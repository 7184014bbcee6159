"""One's own settings (any signed-in user): the time zone the console shows times in, and her
password (every session of hers ends with the change: she signs in again)."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from leadflow_common.errors import LeadflowError
from leadflow_console.api.web import forms
from leadflow_console.api.web.deps import AnyoneSignedIn
from leadflow_console.api.web.forms import FormErrors
from leadflow_console.api.web.render import page, redirect
from leadflow_console.api.web.session import Viewer
from leadflow_console.deps import AccountsDep, PreferencesDep
from leadflow_console.domain import choices

router = APIRouter(include_in_schema=False)


def _settings(request: Request, viewer: Viewer, status: int = 200, **context: object) -> Response:
    now = datetime.now(UTC)
    return page(request, "account.html", viewer, status, timezones=choices.timezones(), now=now, **context)


@router.get("/account", summary="any signed-in user: their own settings")
async def settings(request: Request, viewer: AnyoneSignedIn) -> Response:
    return _settings(request, viewer)


@router.post("/account", summary="any signed-in user: change their own time zone (empty: the browser's)")
async def save_settings(
    request: Request,
    viewer: AnyoneSignedIn,
    preferences: PreferencesDep,
    time_zone: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    errors = FormErrors()
    zone = forms.time_zone(errors, "time_zone", time_zone, required=False)
    if not errors:
        try:
            await preferences.set_time_zone(viewer.principal, zone)
        except LeadflowError as refused:
            errors = forms.from_problem(refused, ("time_zone",))
    if errors:
        return _settings(request, viewer, 422, errors=errors, form={"time_zone": time_zone})
    shown = zone or "this browser's time zone"
    return redirect(request, "/account", f"Times are shown in {shown}.")


PASSWORD_FIELDS = ("current_password", "new_password", "new_password_again")


@router.post("/account/password", summary="any signed-in user: change their own password")
async def change_password(
    request: Request,
    viewer: AnyoneSignedIn,
    accounts: AccountsDep,
    current_password: Annotated[str, Form(max_length=256)] = "",
    new_password: Annotated[str, Form(max_length=256)] = "",
    new_password_again: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    errors = FormErrors()
    if not current_password:
        errors.add("current_password", "required: the password you signed in with")
    if new_password != new_password_again:
        errors.add("new_password_again", "not the same as the new password: type it again")
    if not errors:
        try:
            await accounts.change_own_password(viewer.principal, current_password, new_password)
        except LeadflowError as refused:
            errors = forms.from_problem(refused, PASSWORD_FIELDS)
    if errors:  # nothing typed is sent back: passwords never return to a page
        return _settings(request, viewer, 422, password_errors=errors)
    return redirect(request, "/", "Your password was changed: sign in with the new one.")
