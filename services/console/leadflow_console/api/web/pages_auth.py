"""Signing in and out. The login page is at `/`."""

import hmac
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from leadflow_common.errors import LeadflowError
from leadflow_console.api.web.render import HOME, page, redirect
from leadflow_console.api.web.searches import forget_searches
from leadflow_console.api.web.session import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    CsrfRejected,
    Page,
    Viewer,
    cookie_options,
    new_login_token,
    signed_in,
)
from leadflow_console.deps import AccountsDep, ClientDep, CredentialsDep

router = APIRouter(include_in_schema=False)
LOGIN_FORM_SECONDS = 3600


@router.get("/", summary="public: the login page, or the viewer's home when signed in")
async def login_page(request: Request) -> Response:
    viewer = await signed_in(request)
    if viewer is not None:
        return redirect(request, HOME[viewer.role])
    return _login_form(request)


def _login_form(request: Request, error: str | None = None, status: int = 200) -> Response:
    token = new_login_token()
    response = page(request, "login.html", None, status, login_token=token, error=error)
    response.set_cookie(LOGIN_COOKIE, token, **cookie_options(request, LOGIN_FORM_SECONDS))
    return response


@router.post("/login", summary="public: sign in with email and password")
async def log_in(
    request: Request,
    accounts: AccountsDep,
    credentials: CredentialsDep,
    client: ClientDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=100)],
) -> Response:
    # Login CSRF: the form's token must match the cookie set with the form.
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        raise CsrfRejected()
    try:
        token, expires_at = await accounts.login(email, password, client)
    except LeadflowError as refused:
        return _login_form(request, refused.detail or refused.title, refused.status)
    principal = await credentials.authenticate(token)
    response = redirect(request, HOME[principal.role])
    lifetime = int((expires_at - datetime.now(UTC)).total_seconds())
    response.set_cookie(SESSION_COOKIE, token, **cookie_options(request, lifetime))
    response.delete_cookie(LOGIN_COOKIE, path="/")
    forget_searches(response)  # another person's, on a shared browser
    return response


@router.post("/logout", summary="any signed-in user: end this session")
async def log_out(
    request: Request, viewer: Annotated[Viewer, Depends(Page())], accounts: AccountsDep
) -> Response:
    await accounts.logout(viewer.principal)
    response = redirect(request, "/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    forget_searches(response)
    return response
