"""Who is looking at a page: the session cookie (the user's access token, HttpOnly), each
page's policy (the roles that may open it), and CSRF tokens bound to the session."""

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, TypedDict
from zoneinfo import ZoneInfo

from fastapi import Request

from leadflow_common.access import Principal, PrincipalKind, Role
from leadflow_common.errors import LeadflowError, Unauthenticated
from leadflow_console.deps import state_of
from leadflow_console.domain import choices

SESSION_COOKIE = "leadflow_session"
LOGIN_COOKIE = "leadflow_login"  # the login form's own CSRF token, before there is a session
NOTICE_COOKIE = "leadflow_notice"
BROWSER_ZONE_COOKIE = "leadflow_browser_zone"  # set by console.js: the browser's own time zone
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
EVERYONE = frozenset(Role)


class PageError(LeadflowError):
    """A page that cannot be shown, in the one error family: the class carries the status and
    the title, and one handler (render.py) answers every one as the error page, in words."""

    def page_status(self) -> int:
        return self.status


class LoginRequired(PageError):
    """No valid session: the page sends the browser to the login page."""

    status, title = 401, "Sign in"


class PageForbidden(PageError):
    """The viewer's role may not open this page, or the thing on it is not theirs."""

    status, title = 403, "Not yours"


class PageInvalid(PageError):
    """What the page was asked for cannot be shown (a date range the wrong way round, say)."""

    status, title = 422, "Cannot show that"


class CsrfRejected(PageError):
    """A form came without this session's CSRF token."""

    status, title = 403, "Form refused"

    def __init__(self) -> None:
        super().__init__("The form had expired or came from elsewhere. Reload the page and try again.")


@dataclass(frozen=True)
class Viewer:
    principal: Principal
    token: str  # forwarded to the other services as the user's own credential
    csrf: str
    zone: str = "UTC"  # the time zone every time on the page is shown in
    zone_chosen: bool = False  # their own setting, rather than the browser's or the default

    @property
    def role(self) -> Role:
        return self.principal.role

    @property
    def tz(self) -> ZoneInfo:
        """The zone as an object: a day the viewer names (a date filter) is a day there."""
        return ZoneInfo(self.zone)

    @property
    def today(self) -> date:
        return datetime.now(self.tz).date()

    def is_(self, *roles: Role) -> bool:
        return self.principal.role in roles


def csrf_token(secret: bytes, session_id: str) -> str:
    return hmac.new(secret, f"csrf:{session_id}".encode(), hashlib.sha256).hexdigest()


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


class CookieOptions(TypedDict):
    httponly: bool
    samesite: Literal["lax"]
    secure: bool
    max_age: int
    path: str


def cookie_options(request: Request, max_age: int) -> CookieOptions:
    """HttpOnly and SameSite=Lax always; Secure when the page came over TLS."""
    return {
        "httponly": True,
        "samesite": "lax",
        "secure": request.url.scheme == "https",
        "max_age": max_age,
        "path": "/",
    }


async def viewer_of(request: Request) -> Viewer | None:
    """The signed-in viewer, judged by credentials as they are now (a session ended a moment
    ago opens nothing); None without a live session. Raises `Unavailable` (503) when that
    cannot be told."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        principal = await state_of(request).credentials.authenticate(token)
    except Unauthenticated:
        return None
    if principal.kind is not PrincipalKind.user or principal.session_id is None:
        return None
    chosen = await state_of(request).preferences.time_zone(uuid.UUID(principal.id))
    browser = request.cookies.get(BROWSER_ZONE_COOKIE, "")
    zone = chosen or (browser if choices.known_zone(browser) else "UTC")
    csrf = csrf_token(state_of(request).page_secret, principal.session_id)
    return Viewer(principal, token, csrf, zone, chosen is not None)


async def signed_in(request: Request) -> Viewer | None:
    """The viewer, or None also when that cannot be told now: for what only decorates a page
    (an error page's menu) and for live streams, which end rather than fail."""
    try:
        return await viewer_of(request)
    except LeadflowError:
        return None


class Page:
    """A page's policy: the roles that may open it. A form posted to it must carry the session's
    CSRF token (in the form, or the X-CSRF-Token header)."""

    def __init__(self, roles: Iterable[Role] = EVERYONE):
        self.roles = frozenset(roles)

    async def __call__(self, request: Request) -> Viewer:
        viewer = await viewer_of(request)
        if viewer is None:
            raise LoginRequired()
        if viewer.role not in self.roles:
            raise PageForbidden("Your role may not open this page.")
        if request.method not in ("GET", "HEAD"):
            sent = request.headers.get(CSRF_HEADER) or (await request.form()).get(CSRF_FIELD)
            if not isinstance(sent, str) or not hmac.compare_digest(sent, viewer.csrf):
                raise CsrfRejected()
        return viewer
