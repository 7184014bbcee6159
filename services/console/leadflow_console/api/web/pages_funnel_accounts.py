"""The funnel by account (admins, marketers): for a date range, how many accounts had a person
captured, scored warm or hot, offered to a rep and won, with the conversion between them, and
the accounts that went furthest (bounded: LISTED). It follows the present: counted again as
people move through it (a live region, live_regions.py)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from leadflow_console.api.web.deps import AccountReadsDep, Overseers, ReadModelDep
from leadflow_console.api.web.live_regions import LOOK_AGAIN_DEAR_SECONDS as DEAR
from leadflow_console.api.web.live_regions import Shown, live_region, redraws
from leadflow_console.api.web.render import page, templates
from leadflow_console.app import funnel
from leadflow_console.app.account_reads import FUNNEL_LISTED as LISTED
from leadflow_console.app.account_reads import FUNNEL_STAGES as STAGES
from leadflow_console.app.account_reads import AccountReads

router = APIRouter(include_in_schema=False)
LIVE_PART = "_funnel_accounts_live.html"
# Counted again about once a second under load, within a second of the change that began a burst.
SETTLE_SECONDS = 0.8
LABELS = {
    "captured": "A person captured",
    "scored": "Scored warm or hot",
    "assigned": "Offered to a rep",
    "won": "Won",
}


@router.get("/funnel/accounts", summary="admin, manager, marketer: the funnel by account for a date range")
async def funnel_by_account(
    request: Request,
    viewer: Overseers,
    reads: AccountReadsDep,
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    start, end, errors = funnel.date_range_or_default(since, until, viewer.today, viewer.tz)
    chosen = {"since": str(start.date()), "until": str(funnel.last_day(end))}
    shown = await _shown(reads, start, end)
    live = live_region(LIVE_PART, "/funnel/accounts/stream", chosen, viewer=viewer, **shown)
    return page(
        request,
        "funnel_accounts.html",
        viewer,
        422 if errors else 200,
        errors=errors,
        typed={"since": since, "until": until} if errors else chosen,
        chosen=chosen,
        live=live,
    )


@router.get(
    "/funnel/accounts/stream",
    summary="admin, manager, marketer: the funnel by account as people move through it (event-stream)",
)
async def funnel_by_account_stream(
    request: Request,
    viewer: Overseers,
    reads: AccountReadsDep,
    read_model: ReadModelDep,
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    shown: Shown = "",
) -> Response:
    """The same days counted again as their people are captured, scored, offered and won, or
    join an account (what the page asked for, read as the page reads it)."""
    start, end, _ = funnel.date_range_or_default(since, until, viewer.today, viewer.tz)

    async def draw() -> tuple[str, bool]:
        now_shown = await _shown(reads, start, end)
        return templates.get_template(LIVE_PART).render(viewer=viewer, **now_shown), True

    changed, settle = read_model.leads_changed, SETTLE_SECONDS
    return redraws(
        request,
        viewer,
        draw,
        changed,
        page="funnel_accounts",
        event="funnel",
        shown=shown,
        settle=settle,
        look_again=DEAR,
    )


async def _shown(reads: AccountReads, start: datetime, end: datetime) -> dict[str, object]:
    """What the live region shows, for the page and its stream alike: the stages' counts and
    the accounts that went furthest, from one moment."""
    found = await reads.funnel(start, end)
    stages = [
        {
            "stage": stage,
            "label": LABELS[stage],
            "accounts": found.accounts[stage],
            "rate": funnel.rate(found.accounts[stage], found.accounts[STAGES[index - 1]]) if index else None,
        }
        for index, stage in enumerate(STAGES)
    ]
    return {"stages": stages, "rows": found.rows, "listed": LISTED}
