"""The admin's webhook pages follow the present. Their state lives in the webhooks service, which
tells the console nothing directly: an endpoint added, changed or disabled (by an admin, or by
the service after failures) is filed in the audit trail, so the list is drawn again at each
entry; deliveries are made as leads are routed and change, so an endpoint's page is drawn again
after each change of leads (settled: the delivery has usually been answered by then), and, like
every live page, every 5 s (a retry's later answer); one that no longer exists ends."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from leadflow_console.api.web.deps import AdminOnly, ReadModelDep, UpstreamDep
from leadflow_console.api.web.live_regions import Shown, redraws
from leadflow_console.api.web.pages_webhooks import ENDPOINT_PART, LIST_PART, endpoint_shown
from leadflow_console.api.web.render import templates
from leadflow_console.api.web.upstream import UpstreamProblem
from leadflow_console.deps import AccountsDep

router = APIRouter(include_in_schema=False)
# A lead's event reaches the console and the webhooks service at about the same time; its
# delivery is answered a moment later (a receiver's time): drawn after this pause, at most once
# in it while leads arrive (each draw asks the webhooks service twice: twelve open pages under
# 18 leads/s cost it 10% of a core with a second's pause).
DELIVERY_SETTLE_SECONDS = 2.0
GONE = '<p class="notice warning">This endpoint is gone: <a href="/admin/webhooks">all webhooks</a>.</p>'


@router.get("/admin/webhooks/stream", summary="admin: the webhook endpoints as they change (event-stream)")
async def webhooks_stream(
    request: Request, viewer: AdminOnly, upstream: UpstreamDep, accounts: AccountsDep, shown: Shown = ""
) -> Response:
    async def draw() -> tuple[str, bool]:
        endpoints = await upstream.call_list("webhooks", "GET", "/v1/webhooks", viewer.token)
        return templates.get_template(LIST_PART).render(viewer=viewer, endpoints=endpoints), True

    changed = accounts.audit_changed
    return redraws(request, viewer, draw, changed, page="webhooks", event="webhooks", shown=shown, settle=0.2)


@router.get(
    "/admin/webhooks/{webhook_id}/stream",
    summary="admin: an endpoint and its deliveries as they are made and answered (event-stream)",
)
async def webhook_stream(
    request: Request,
    webhook_id: uuid.UUID,
    viewer: AdminOnly,
    upstream: UpstreamDep,
    read_model: ReadModelDep,
    before: Annotated[int | None, Query(ge=1)] = None,
    shown: Shown = "",
) -> Response:
    async def draw() -> tuple[str, bool]:
        try:
            now_shown = await endpoint_shown(upstream, viewer, str(webhook_id), before)
        except UpstreamProblem as problem:
            if problem.status not in (404, 422):  # a service away: asked again at the next look
                raise
            return GONE, False  # deleted, or a page of deliveries that cannot be: nothing to follow
        return templates.get_template(ENDPOINT_PART).render(viewer=viewer, **now_shown), True

    changed, settle = read_model.leads_changed, DELIVERY_SETTLE_SECONDS
    return redraws(
        request, viewer, draw, changed, page="webhook", event="webhook", shown=shown, settle=settle
    )
