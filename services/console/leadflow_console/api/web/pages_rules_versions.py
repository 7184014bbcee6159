"""Two people editing the scoring rules at once. Each form carries the version it started from
(`based_on`); a save names it to the scoring service (`If-Match`) and is refused when another
version was saved since, so nobody replaces a colleague's rules unseen: the form comes back with
what was typed and says so. The page tells its editor as soon as it happens, before a save: a
live region follows the audit trail, where every save of the rules is filed."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from leadflow_console.api.web.deps import Analysts
from leadflow_console.api.web.live_regions import LiveRegion, Shown, live_region, redraws
from leadflow_console.api.web.render import templates
from leadflow_console.api.web.session import Viewer
from leadflow_console.api.web.upstream import JsonObject, Upstream
from leadflow_console.app.services import AccountsService
from leadflow_console.deps import AccountsDep

router = APIRouter(include_in_schema=False)
NEWER = "_rules_newer.html"
SAVED = "rules.updated"  # the scoring service's audit action for a saved version
MAX_VERSION = 999_999_999
STALE = 412  # the scoring service's answer to a save based on another version than the newest
Editor = Literal["forms", "json"]
EDITORS: dict[str, str] = {"forms": "/scoring", "json": "/scoring/json"}  # where to start again


def newest_of(in_use: JsonObject) -> int:
    """The newest version stored, as the scoring service's rules say it (a new form starts from it)."""
    newest = in_use.get("latest_version", in_use.get("version"))
    return newest if isinstance(newest, int) else 0


async def save_rules(
    upstream: Upstream, viewer: Viewer, document: object, based_on: int | None
) -> JsonObject:
    """The rules saved as a new version, unless another was saved after `based_on` (412)."""
    headers = {"if-match": f'"{based_on}"'} if based_on is not None else {}
    return await upstream.call_object(
        "scoring", "PUT", "/v1/scoring/rules", viewer.token, json=document, headers=headers
    )


async def _newer(accounts: AccountsService, based_on: int, editor: Editor) -> dict[str, object]:
    """The newest save of the rules filed in the audit trail, when it is newer than `based_on`."""
    entries = await accounts.audit_trail("", SAVED, limit=1) or []
    newest = entries[0] if entries else None
    saved = _version(newest.target_id) if newest is not None else None
    newer = newest if saved is not None and saved > based_on else None
    return {"newer": newer, "based_on": based_on, "again": EDITORS[editor]}


def newer_region(viewer: Viewer, based_on: int, editor: Editor) -> LiveRegion:
    """The region saying whether rules were saved since `based_on`, drawn for the page as not
    yet (the page has just read the rules): its stream says so at once when they were."""
    shown = {"newer": None, "based_on": based_on, "again": EDITORS[editor]}
    query = {"based_on": str(based_on), "editor": editor}
    return live_region(NEWER, "/scoring/stream", query, viewer=viewer, **shown)


def posted_based_on(typed: object) -> int:
    """The version a posted form started from. One that does not say, or says nonsense (a page
    from before forms carried it, a mangled field), started from the built-in rules: its save is
    refused once any version was saved, never stored unchecked over a colleague's (a probe)."""
    return _version(typed) or 0


def _version(text: object) -> int | None:
    """A version number written as text (ASCII digits: `isdigit` alone takes "²", which int refuses)."""
    if isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= len(str(MAX_VERSION)):
        return int(text)
    return None


@router.get(
    "/scoring/stream",
    summary="admin, marketer: whether rules were saved since the version a page edits (event-stream)",
)
async def rules_stream(
    request: Request,
    viewer: Analysts,
    accounts: AccountsDep,
    based_on: Annotated[int, Query(ge=0, le=MAX_VERSION)] = 0,
    editor: Editor = "forms",
    shown: Shown = "",
) -> Response:
    async def draw() -> tuple[str, bool]:
        now_shown = await _newer(accounts, based_on, editor)
        return templates.get_template(NEWER).render(viewer=viewer, **now_shown), True

    return redraws(
        request, viewer, draw, accounts.audit_changed, page="scoring", event="rules", shown=shown, settle=0.2
    )
