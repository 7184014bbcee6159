"""The funnel by account (admins, marketers): for a date range, how many accounts had a person
captured, scored warm or hot, offered to a rep and won, with the conversion between them, and
the accounts that went furthest (bounded: LISTED)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from leadflow_console.api.web.deps import AccountReadsDep, Overseers
from leadflow_console.api.web.render import page
from leadflow_console.app import funnel
from leadflow_console.app.account_reads import FUNNEL_LISTED as LISTED
from leadflow_console.app.account_reads import FUNNEL_STAGES as STAGES

router = APIRouter(include_in_schema=False)
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
    chosen = {"since": str(start.date()), "until": str(funnel.last_day(end))}
    return page(
        request,
        "funnel_accounts.html",
        viewer,
        422 if errors else 200,
        errors=errors,
        typed={"since": since, "until": until} if errors else chosen,
        stages=stages,
        rows=found.rows,
        listed=LISTED,
        chosen=chosen,
    )
