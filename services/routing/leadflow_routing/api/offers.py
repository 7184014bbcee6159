"""The pages behind a rep's accept and reject links, and the links themselves for the notifier.
GET shows what the link will do and changes nothing; the form's POST acts."""

import base64
import hashlib
import html
from typing import Annotated

from fastapi import APIRouter, Form, Path
from fastapi.responses import HTMLResponse

from leadflow_common.access import Scope
from leadflow_common.auth import PUBLIC, requires
from leadflow_common.errors import LeadflowError
from leadflow_routing.api.schemas import OfferLinksList, OfferLinksOut, OfferLinksRequest
from leadflow_routing.deps import OffersDep
from leadflow_routing.domain.status import AssignmentStatus

router = APIRouter(prefix="/v1", tags=["offers"])
# The link's pages answer a person: their errors are pages too, saying what happened.
HTML_PAGE = {"description": "A page saying why nothing was changed", "content": {"text/html": {}}}
# A link that is not even well formed (too long, a reason too long) is refused before any page.
HTML_OR_PROBLEM = {
    "description": "A page for a link that cannot be used; problem+json for a malformed request",
    "content": {
        "text/html": {},
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}},
    },
}

# Readable on a phone, a button a thumb hits (it was a 21 px button in the browser's default
# type); allowed by its hash alone (the service's policy allows nothing else).
STYLE = (
    "body{font:17px/1.5 system-ui,sans-serif;margin:0;padding:16px;max-width:40em}"
    "h1{font-size:22px}button,input{font:inherit;min-height:44px;padding:8px 16px}"
    "input{width:100%;box-sizing:border-box}"
)
CSP = (
    "default-src 'none'; frame-ancestors 'none'; form-action 'self'; "
    f"style-src 'sha256-{base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()}'"
)
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>{style}</style></head>
<body><main><h1>{title}</h1>{body}</main></body></html>"""


Token = Annotated[str, Path(max_length=512)]


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    shown = PAGE.format(title=html.escape(title), style=STYLE, body=body)
    return HTMLResponse(shown, status_code=status, headers={"content-security-policy": CSP})


@router.post(
    "/offer-links",
    summary="Signed one-time accept and reject links for offers' reps (the notifier's, in batches)",
    dependencies=[requires(Scope.routing_admin)],
)
async def offer_links(request: OfferLinksRequest, offers: OffersDep) -> OfferLinksList:
    made = await offers.make_links(request.assignment_ids)
    return OfferLinksList(
        links=[
            OfferLinksOut(
                assignment_id=assignment_id,
                accept_url=link.accept_url,
                reject_url=link.reject_url,
                expires_at=link.expires_at,
            )
            for assignment_id, link in made.items()
        ]
    )


@router.get(
    "/offers/{token}",
    summary="What an accept or reject link will do: a confirmation page (changes nothing)",
    response_class=HTMLResponse,
    responses={422: HTML_OR_PROBLEM},
    openapi_extra=PUBLIC,
)
async def confirm_offer(token: Token, offers: OffersDep) -> HTMLResponse:
    try:
        shown = await offers.shown(token)
    except LeadflowError as invalid:
        said = invalid.fields[0].message if invalid.fields else str(invalid)
        return page("This link cannot be used", f"<p>{html.escape(said)}</p>", 422)
    who = html.escape(shown.who)
    if shown.status is not AssignmentStatus.offered:  # said before a click, not after
        now = f"it is {shown.status.value} now" if shown.status else "routing does not know it"
        return page("Nothing to do here", f"<p>{who} is no longer offered to you: {now}.</p>")
    verb = "Accept" if shown.action == "accept" else "Pass on"
    until = f" until {shown.deadline:%H:%M UTC}" if shown.deadline else ""
    field = '<label for="reason">Why (optional)</label><br><input id="reason" name="reason" maxlength="500">'
    reason = f"<p>{field}</p>" if shown.action == "reject" else ""
    button = f'<button type="submit">{verb} {who}</button>'
    body = f'<p>Offered to you{until}.</p><form method="post">{reason}<p>{button}</p></form>'
    return page(f"{verb} {shown.who}?", body)


@router.post(
    "/offers/{token}",
    summary="Act on an accept or reject link (once)",
    response_class=HTMLResponse,
    responses={403: HTML_PAGE, 404: HTML_PAGE, 409: HTML_PAGE, 422: HTML_OR_PROBLEM},
    openapi_extra=PUBLIC,
)
async def use_offer(
    token: Token, offers: OffersDep, reason: Annotated[str | None, Form(max_length=500)] = None
) -> HTMLResponse:
    try:
        assignment = await offers.use(token, reason)
    except LeadflowError as refused:
        detail = refused.fields[0].message if refused.fields else refused.detail or refused.title
        return page("Nothing was changed", f"<p>{html.escape(detail)}</p>", refused.status)
    accepted = assignment.status is AssignmentStatus.accepted
    done = "accepted: it is yours" if accepted else "passed on to the next rep"
    return page("Done", f"<p>The lead was {done}.</p>")
