"""The pages behind a rep's accept and reject links, and the links themselves for the notifier.
GET shows what the link will do and changes nothing; the form's POST acts."""

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

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>
<body><main><h1>{title}</h1>{body}</main></body></html>"""


Token = Annotated[str, Path(max_length=512)]


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(PAGE.format(title=html.escape(title), body=body), status_code=status)


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
        link = offers.read(token)
    except LeadflowError as invalid:
        said = invalid.fields[0].message if invalid.fields else str(invalid)
        return page("This link cannot be used", f"<p>{html.escape(said)}</p>", 422)
    verb = "Accept" if link.action == "accept" else "Reject"
    field = '<label for="reason">Why (optional)</label><br><input id="reason" name="reason" maxlength="500">'
    reason = f"<p>{field}</p>" if link.action == "reject" else ""
    body = f'<form method="post">{reason}<p><button type="submit">{verb} this lead</button></p></form>'
    return page(f"{verb} the lead offered to you?", body)


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
