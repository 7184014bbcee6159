"""B2B accounts in the console: an account's page (its people with their scores and reps, the
timeline across them, its owner, its score and why) and the accounts list (search by name or
domain; the accounts turning hot this week, for marketers). A rep opens an account's page
through a lead of theirs and sees only their own leads of it; one with none gets the 403 page,
whether the account exists or not, as for a lead. The page follows the account live (Server-Sent
Events): a person joining or leaving, a score, an owner, a person's rep, a dismissed suggestion;
a rep whose last lead of it leaves them is told so and hears nothing more of it."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from leadflow_common.access import Role
from leadflow_common.inputs import UNSTORABLE_TEXT, unstorable
from leadflow_console.api.web.deps import AccountReadsDep, LeadWorkers, Overseers, ReadModelDep, UpstreamDep
from leadflow_console.api.web.live_regions import LOOK_AGAIN_DEAR_SECONDS as DEAR
from leadflow_console.api.web.live_regions import Shown, live_region, redraws
from leadflow_console.api.web.render import page, templates
from leadflow_console.api.web.session import PageForbidden, Viewer
from leadflow_console.api.web.upstream import Upstream, UpstreamProblem
from leadflow_console.app.account_reads import AccountReads

router = APIRouter(include_in_schema=False)
LIVE_PART = "_account_live.html"
LIST_PART = "_accounts_live.html"
# Any account's change may touch the list (one may come to match, or turn hot): a burst of them
# is drawn once, within a second of its first.
LIST_SETTLE_SECONDS = 0.8


async def suggestions_of(
    upstream: Upstream, viewer: Viewer, account_id: uuid.UUID
) -> list[dict[str, Any]] | None:
    """The leads suggested for the account (weak matches), as capture says to this viewer; None
    when capture cannot say now (the page shows the rest)."""
    try:
        found = await upstream.call("capture", "GET", f"/v1/accounts/{account_id}", viewer.token)
    except UpstreamProblem:
        return None
    return found.get("suggested", []) if isinstance(found, dict) else []


def no_such_account(request: Request, viewer: Viewer) -> Response:
    """The 404 page of an account id nobody knows."""
    return page(
        request, "error.html", viewer, 404, title="No such account", message="Nothing is known by this id."
    )


@router.get("/accounts", summary="admin, manager, marketer: accounts turning hot this week; search them")
async def accounts(request: Request, viewer: Overseers, reads: AccountReadsDep) -> Response:
    words = request.query_params.get("q", "").strip()[:200]
    errors = {"q": f"the words {UNSTORABLE_TEXT}"} if unstorable(words) else {}
    shown = "" if errors else words  # what cannot be searched for is not shown back either
    listed = await _listed(reads, shown)
    live = live_region(LIST_PART, "/accounts/stream", {"q": shown} if shown else {}, viewer=viewer, **listed)
    return page(
        request, "b2b_accounts.html", viewer, 422 if errors else 200, q=shown, live=live, errors=errors
    )


@router.get(
    "/accounts/stream",
    summary="admin, manager, marketer: the accounts found and turning hot, as they change (event-stream)",
)
async def accounts_stream(
    request: Request,
    viewer: Overseers,
    reads: AccountReadsDep,
    read_model: ReadModelDep,
    q: Annotated[str, Query(max_length=200)] = "",
    shown: Shown = "",
) -> Response:
    """The same words searched again as accounts change: an account that comes to match joins
    the found, a score or an owner changes in place, one turning hot joins the week's."""
    words = "" if unstorable(q.strip()) else q.strip()

    async def draw() -> tuple[str, bool]:
        listed = await _listed(reads, words)
        return templates.get_template(LIST_PART).render(viewer=viewer, **listed), True

    changed, settle = read_model.accounts_changed, LIST_SETTLE_SECONDS
    return redraws(
        request,
        viewer,
        draw,
        changed,
        page="accounts",
        event="accounts",
        shown=shown,
        settle=settle,
        look_again=DEAR,
    )


async def _listed(reads: AccountReads, words: str) -> dict[str, object]:
    """What the list's region shows, for the page and its stream alike (`found`: None unsearched)."""
    found = await reads.search(words) if words else None
    return {"found": found, "hot": await reads.hot_this_week()}


@router.get(
    "/accounts/{account_id}", summary="admin, manager, marketer, rep (their own leads of it): an account"
)
async def account_page(
    request: Request,
    account_id: uuid.UUID,
    viewer: LeadWorkers,
    reads: AccountReadsDep,
    upstream: UpstreamDep,
) -> Response:
    shown = await _shown(reads, upstream, viewer, account_id)
    if shown is None:
        return no_such_account(request, viewer)
    return show_account(request, viewer, shown)


def show_account(
    request: Request, viewer: Viewer, shown: dict[str, Any], status: int = 200, **context: object
) -> Response:
    """The account's page (`shown` as `_shown` makes it), its live part drawn once for the page
    and named to its stream (live_regions.py)."""
    stream = f"/accounts/{shown['account'].account_id}/stream"
    live = live_region(LIVE_PART, stream, viewer=viewer, **shown)
    return page(request, "b2b_account.html", viewer, status, live=live, **shown, **context)


async def _shown(
    reads: AccountReads, upstream: Upstream, viewer: Viewer, account_id: uuid.UUID
) -> dict[str, Any] | None:
    """What the account's page shows this viewer, for the page and its live updates alike;
    None when the account is unknown. Raises `PageForbidden` for a rep with none of its people
    (and not its owner), whether it exists or not."""
    only_rep = viewer.principal.rep_id if viewer.is_(Role.rep) else None
    shown = await reads.page(account_id, only_rep)
    if only_rep is not None and (shown is None or (not shown.people and shown.account.owner_id != only_rep)):
        raise PageForbidden("No lead of this account is offered to you.")
    if shown is None:
        return None
    # Weak matches, only for those who may link or dismiss them (capture's accounts:write).
    curates = viewer.is_(Role.admin) or viewer.is_(Role.marketer)
    suggested = await suggestions_of(upstream, viewer, account_id) if curates else None
    return {"shown": shown, "account": shown.account, "suggested": suggested}


@router.get(
    "/accounts/{account_id}/stream",
    summary="admin, manager, marketer, rep (their own leads of it): an account as it changes (event-stream)",
)
async def account_stream(
    request: Request,
    account_id: uuid.UUID,
    viewer: LeadWorkers,
    reads: AccountReadsDep,
    upstream: UpstreamDep,
    read_model: ReadModelDep,
    shown: Shown = "",
) -> Response:
    if await _shown(reads, upstream, viewer, account_id) is None:  # the page's 403 or 404 first
        return Response(status_code=404)

    async def draw() -> tuple[str, bool]:
        """The live part's HTML, and whether the viewer may still see the account."""
        try:
            now = await _shown(reads, upstream, viewer, account_id)
        except PageForbidden:
            return templates.get_template("_account_gone.html").render(viewer=viewer), False
        if now is None:
            return "", True
        return templates.get_template(LIVE_PART).render(viewer=viewer, **now), True

    changed = read_model.accounts_changed
    return redraws(
        request, viewer, draw, changed, page="account", event="account", shown=shown, touching=account_id
    )
