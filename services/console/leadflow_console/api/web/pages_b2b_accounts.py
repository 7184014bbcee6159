"""B2B accounts in the console: an account's page (its people with their scores and reps, the
timeline across them, its owner, its score and why) and the accounts list (search by name or
domain; the accounts turning hot this week, for marketers). A rep opens an account's page
through a lead of theirs and sees only their own leads of it; one with none gets the 403 page,
whether the account exists or not, as for a lead."""

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from leadflow_common.access import Role
from leadflow_console.api.web.deps import AccountReadsDep, Analysts, LeadWorkers, UpstreamDep
from leadflow_console.api.web.render import page
from leadflow_console.api.web.session import PageForbidden, Viewer
from leadflow_console.api.web.upstream import Upstream, UpstreamProblem

router = APIRouter(include_in_schema=False)


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


@router.get("/accounts", summary="admin, marketer: accounts turning hot this week; search by name or domain")
async def accounts(request: Request, viewer: Analysts, reads: AccountReadsDep) -> Response:
    words = request.query_params.get("q", "").strip()[:200]
    found = await reads.search(words) if words else None
    return page(request, "b2b_accounts.html", viewer, q=words, found=found, hot=await reads.hot_this_week())


@router.get("/accounts/{account_id}", summary="admin, marketer, rep (their own leads of it): an account")
async def account_page(
    request: Request,
    account_id: uuid.UUID,
    viewer: LeadWorkers,
    reads: AccountReadsDep,
    upstream: UpstreamDep,
) -> Response:
    only_rep = viewer.principal.rep_id if viewer.is_(Role.rep) else None
    shown = await reads.page(account_id, only_rep)
    if only_rep is not None and (shown is None or (not shown.people and shown.account.owner_id != only_rep)):
        raise PageForbidden("No lead of this account is offered to you.")
    if shown is None:
        return page(
            request,
            "error.html",
            viewer,
            404,
            title="No such account",
            message="Nothing is known by this id.",
        )
    # Weak matches, for those who may link or dismiss them (capture's leads:write).
    suggested = await suggestions_of(upstream, viewer, account_id) if only_rep is None else None
    return page(request, "b2b_account.html", viewer, shown=shown, account=shown.account, suggested=suggested)
