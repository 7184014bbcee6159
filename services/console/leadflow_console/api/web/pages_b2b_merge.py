"""An account's page's commands (admins and marketers: capture's `leads:write`), sent to capture
as the signed-in user, who is audited there. Merging two accounts by hand: the person names the
other account by its domain, its name or its page's address; capture merges (people, domains and
missing fit fields move) and answers 303 for the merged one from then on. What is wrong is said
at the field, in words, with what was typed kept. The weak matches suggested for the account,
each linked or dismissed (capture then never suggests it again)."""

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from leadflow_console.api.web.deps import AccountReadsDep, Analysts, UpstreamDep
from leadflow_console.api.web.forms import WHOLE_FORM, FormErrors, from_problem
from leadflow_console.api.web.pages_b2b_accounts import no_such_account, show_account, suggestions_of
from leadflow_console.api.web.render import redirect
from leadflow_console.api.web.session import Viewer
from leadflow_console.api.web.upstream import Upstream, UpstreamProblem
from leadflow_console.domain.merge_form import MAX_TYPED, MergeTarget, merge_target

router = APIRouter(include_in_schema=False)
FIELD = "into"
SHOWN = 5  # accounts named when several match


def _named(found: list[dict[str, Any]]) -> str:
    listed = [f"{item['name']} ({', '.join(item['domains'][:2])})" for item in found[:SHOWN]]
    return "; ".join(listed) + ("…" if len(found) > SHOWN else "")


async def _resolve(upstream: Upstream, viewer: Viewer, target: MergeTarget) -> str:
    """The other account's id; a sentence for the field (ValueError) when the words name no
    one account that is still its own."""
    if target.kind == "id":
        found = await upstream.call("capture", "GET", f"/v1/accounts/{target.value}", viewer.token)
        if not isinstance(found, dict) or found.get("account_id") != target.value:
            raise ValueError("that account was merged into another already: name the one it is part of now")
        return target.value
    query = {"domain": target.value} if target.kind == "domain" else {"q": target.value}
    answer = await upstream.call(
        "capture", "GET", "/v1/accounts", viewer.token, params={**query, "limit": 20}
    )
    found = answer["accounts"] if isinstance(answer, dict) else []
    if not found:
        what = "has the domain" if target.kind == "domain" else "is named like"
        raise ValueError(f"no account {what} “{target.value}”")
    if len(found) > 1:
        raise ValueError(f"{len(found)} accounts match “{target.value}”: {_named(found)}. Give its domain.")
    return str(found[0]["account_id"])


async def _merge(upstream: Upstream, viewer: Viewer, account_id: uuid.UUID, typed: str) -> str:
    """Merges the account into the one typed; the survivor's id, or ValueError/UpstreamProblem."""
    target = merge_target(typed)
    if isinstance(target, str):
        raise ValueError(target)
    into = await _resolve(upstream, viewer, target)
    if into == str(account_id):
        raise ValueError("that is this account itself: name the other one")
    answered = await upstream.call(
        "capture", "POST", f"/v1/accounts/{account_id}/merge", viewer.token, json={"into": into}
    )
    if answered is not None:  # 303: one of the two was merged meanwhile
        raise ValueError("one of the two accounts was merged meanwhile: reload the page and look again")
    return into


@router.post("/accounts/{account_id}/merge", summary="admin, marketer: merge this account into another")
async def merge_account(
    request: Request,
    account_id: uuid.UUID,
    viewer: Analysts,
    reads: AccountReadsDep,
    upstream: UpstreamDep,
    into: Annotated[str, Form(max_length=MAX_TYPED * 2)] = "",
) -> Response:
    errors = FormErrors()
    try:
        survivor = await _merge(upstream, viewer, account_id, into)
    except ValueError as refused:
        errors.add(FIELD, str(refused))
    except UpstreamProblem as problem:
        if problem.status not in (404, 409, 422):
            raise
        from_problem(problem, [FIELD], into=errors)
        if errors.general and not errors.get(FIELD):  # a 404: one of the two is unknown
            errors.add(FIELD, errors.fields.pop(WHOLE_FORM))
    if errors:
        shown = await reads.page(account_id, None)
        if shown is None:
            return no_such_account(request, viewer)
        suggested = await suggestions_of(upstream, viewer, account_id)
        shown_now = {"shown": shown, "account": shown.account, "suggested": suggested}
        return show_account(request, viewer, shown_now, 422, errors=errors, typed=into)
    return redirect(
        request,
        f"/accounts/{survivor}",
        "Merged. The other account's people and domains are this one's now; they appear here in a moment.",
    )


@router.post(
    "/accounts/{account_id}/suggestions/{lead_id}/{action}",
    summary="admin, marketer: link a lead suggested for the account, or dismiss the suggestion",
)
async def decide_suggestion(
    request: Request,
    account_id: uuid.UUID,
    lead_id: uuid.UUID,
    action: Literal["link", "dismiss"],
    viewer: Analysts,
    upstream: UpstreamDep,
) -> Response:
    here = f"/accounts/{account_id}"
    try:
        if action == "link":
            body = {"lead_id": str(lead_id)}
            await upstream.call(
                "capture", "POST", f"/v1/accounts/{account_id}/people", viewer.token, json=body
            )
        else:
            await upstream.call(
                "capture", "DELETE", f"/v1/accounts/{account_id}/suggestions/{lead_id}", viewer.token
            )
    except UpstreamProblem as problem:
        if problem.status not in (404, 409, 422):
            raise
        return redirect(request, here, f"Nothing changed: {problem.detail or problem.title}.", problem=True)
    if action == "link":
        return redirect(request, here, "Linked. The person is one of this account's people now.")
    return redirect(request, here, "Dismissed. This person will not be suggested for this account again.")
