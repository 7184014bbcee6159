"""The model in use, its metrics, retraining, and warm and hot thresholds proposed from the
outcomes (adopted through the rules form's Preview). All of it is the scoring service's, called
as the signed-in user; the page follows it (a live region)."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from leadflow_console.api.web.deps import Analysts, UpstreamDep
from leadflow_console.api.web.live_regions import Shown, live_region, redraws
from leadflow_console.api.web.render import page, redirect, templates
from leadflow_console.api.web.session import Viewer
from leadflow_console.api.web.upstream import Upstream, UpstreamProblem
from leadflow_console.deps import AccountsDep

router = APIRouter(include_in_schema=False)
LIVE_PART = "_model_live.html"


@router.get("/scoring/model", summary="admin, marketer: the model in use, its metrics, conversion per band")
async def model_page(request: Request, viewer: Analysts, upstream: UpstreamDep) -> Response:
    shown = await _shown(upstream, viewer)
    live = live_region(LIVE_PART, "/scoring/model/stream", None, viewer=viewer, **shown)
    return page(request, "model.html", viewer, live=live)


@router.get(
    "/scoring/model/stream",
    summary="admin, marketer: the model page as models are retrained and outcomes come (event-stream)",
)
async def model_stream(
    request: Request, viewer: Analysts, upstream: UpstreamDep, accounts: AccountsDep, shown: Shown = ""
) -> Response:
    """Drawn again at each audit entry (a retrain is filed there, a person's or the automatic
    one's) and every 5 s: the outcomes received and the conversion per band as they come."""

    async def draw() -> tuple[str, bool]:
        now_shown = await _shown(upstream, viewer)
        return templates.get_template(LIVE_PART).render(viewer=viewer, **now_shown), True

    changed = accounts.audit_changed
    return redraws(request, viewer, draw, changed, page="model", event="model", shown=shown, settle=0.5)


async def _shown(upstream: Upstream, viewer: Viewer) -> dict[str, object]:
    """What the page's live region shows, for the page and its stream alike."""
    model = await upstream.call_object("scoring", "GET", "/v1/scoring/model", viewer.token)
    trained = await upstream.call_list("scoring", "GET", "/v1/scoring/models", viewer.token)
    shown = next((m for m in trained if m["in_use"]), trained[0] if trained else None)
    points = shown["metrics"].get("calibration", []) if shown else []
    proposals = await upstream.call_object("scoring", "GET", "/v1/scoring/bands", viewer.token)
    return {"model": model, "trained": trained, "shown": shown, "points": points, "proposals": proposals}


@router.post("/scoring/retrain", summary="admin, marketer: learn from the outcomes so far")
async def retrain(request: Request, viewer: Analysts, upstream: UpstreamDep) -> Response:
    try:
        result = await upstream.call_object("scoring", "POST", "/v1/scoring/retrain", viewer.token)
    except UpstreamProblem as problem:
        if problem.status == 409:  # too few outcomes, or a retraining running
            return redirect(request, "/scoring/model", f"Not retrained: {problem.detail}.", problem=True)
        # Whatever else went wrong, said on the page it was asked from, not an error page.
        said = "Not retrained: scoring could not do it just now"
        if problem.status == 503:
            said = "Not retrained: scoring is not answering just now"
        return redirect(
            request, "/scoring/model", f"{said}; the model in use stays. Try again later.", problem=True
        )
    verdict = "put into use" if result["adopted"] else "kept aside (the model in use ranks better)"
    return redirect(request, "/scoring/model", f"Model version {result['version']} trained and {verdict}.")
