"""The live feed of routing decisions, and the funnel with speed to lead (chart, table, CSV)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from leadflow_common.access import Role
from leadflow_common.errors import FieldError, Invalid
from leadflow_console.api.web.deps import Overseers, ReadModelDep, UpstreamDep, Watchers
from leadflow_console.api.web.live_regions import LOOK_AGAIN_DEAR_SECONDS as DEAR
from leadflow_console.api.web.live_regions import Shown, live_region, redraws
from leadflow_console.api.web.render import page, templates
from leadflow_console.api.web.session import PageInvalid, Viewer
from leadflow_console.app import funnel
from leadflow_console.app.funnel import DIMENSIONS
from leadflow_console.app.read_model import FunnelRows, ReadModel, SpeedRows

router = APIRouter(include_in_schema=False)
Temperature = Literal["", "cold", "warm", "hot"]
Tier = Literal["", "junior", "mid", "senior"]
# Read as text and checked here: a bad one is said at the By field in words (FastAPI's own
# check of a Literal answered a page naming URL parameters).
Dimension = Annotated[str, Query(max_length=20)]
BY_WORDS = "Choose channel, source, campaign or segment."
DECISIONS = "_decisions.html"
FEED_SETTLE_SECONDS = 0.2  # a burst of decisions redraws the feed once
FUNNEL = "_funnel_live.html"
# The funnel counts every lead of its days (50-90 ms for 30 days of 100,000 leads): under load it
# is drawn again about once a second, within a second of the change that started a burst.
FUNNEL_SETTLE_SECONDS = 0.8


@dataclass(frozen=True)
class FeedFilter:
    """The feed's filters as asked (for the form) and as the read model takes them."""

    temperature: str
    tier: str
    rep: str

    @property
    def query(self) -> dict[str, object]:
        return {
            "temperature": self.temperature or None,
            "tier": self.tier or None,
            "rep_id": uuid.UUID(self.rep) if self.rep else None,
        }

    @property
    def asked(self) -> dict[str, str]:
        """As the page's address carries them (the stream's too)."""
        return {"temperature": self.temperature, "tier": self.tier, "rep": self.rep}


def feed_filter(
    temperature: Temperature = "",
    tier: Tier = "",
    rep: Annotated[str, Query(pattern=r"^([0-9a-fA-F-]{36})?$")] = "",
) -> FeedFilter:
    return FeedFilter(temperature, tier, rep)


FeedFilterDep = Annotated[FeedFilter, Depends(feed_filter)]


@router.get("/feed", summary="admin, manager, marketer, viewer: routing decisions as they happen")
async def feed(
    request: Request, viewer: Watchers, read_model: ReadModelDep, upstream: UpstreamDep, chosen: FeedFilterDep
) -> Response:
    shown = await _decisions(read_model, viewer, chosen.query)
    reps = await upstream.call_list("routing", "GET", "/v1/reps", viewer.token)
    live = live_region(DECISIONS, "/feed/stream", chosen.asked, viewer=viewer, **shown)
    return page(request, "feed.html", viewer, live=live, chosen=chosen, reps=reps)


@router.get("/feed/stream", summary="admin, manager, marketer, viewer: the feed as it changes (event-stream)")
async def feed_stream(
    request: Request, viewer: Watchers, read_model: ReadModelDep, chosen: FeedFilterDep, shown: Shown = ""
) -> Response:
    filters = chosen.query

    async def draw() -> tuple[str, bool]:
        shown = await _decisions(read_model, viewer, filters)
        return templates.get_template(DECISIONS).render(viewer=viewer, **shown), True

    changed = read_model.changed
    settle = FEED_SETTLE_SECONDS
    return redraws(request, viewer, draw, changed, page="feed", event="decisions", shown=shown, settle=settle)


async def _decisions(read_model: ReadModel, viewer: Viewer, filters: dict) -> dict[str, object]:
    """The latest decisions and, for those who may read who a lead is (not a viewer: no
    personal data), who each one is about (`views`, by lead)."""
    decisions = await read_model.feed(**filters)
    named = viewer.role in (Role.admin, Role.manager, Role.marketer)
    views = await read_model.leads([decision.lead_id for decision in decisions]) if named else None
    return {"decisions": decisions, "views": views}


async def _funnel(
    read_model: ReadModel, viewer: Viewer, since: str, until: str, by: str
) -> tuple[datetime, datetime, FunnelRows, SpeedRows]:
    try:
        start, end = funnel.date_range(since, until, viewer.today, viewer.tz)
    except Invalid as refused:  # the CSV: a download has no form to show the errors at
        field = (refused.fields or [FieldError(name="", message=refused.detail or refused.title)])[0]
        raise PageInvalid(f"{LABELS.get(field.name, field.name)}: {field.message}") from None
    rows, speed = await read_model.funnel(start, end, by)
    return start, end, rows, speed


LABELS = {"since": "From", "until": "To"}


@dataclass(frozen=True)
class FunnelAsked:
    """The funnel's days and grouping as its address asks them (text, checked by each route)."""

    since: str
    until: str
    by: str


def funnel_asked(
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    by: Dimension = "channel",
) -> FunnelAsked:
    return FunnelAsked(since, until, by)


FunnelAskedDep = Annotated[FunnelAsked, Depends(funnel_asked)]


@router.get("/funnel", summary="admin, manager, marketer: the funnel by channel, source, campaign or segment")
async def funnel_page(
    request: Request,
    viewer: Overseers,
    read_model: ReadModelDep,
    asked: FunnelAskedDep,
) -> Response:
    since, until, by = asked.since, asked.until, asked.by
    start, end, date_errors = funnel.date_range_or_default(since, until, viewer.today, viewer.tz)
    errors = {**date_errors, **({} if by in DIMENSIONS else {"by": BY_WORDS})}
    by = by if by in DIMENSIONS else "channel"
    days = {"since": str(start.date()), "until": str(funnel.last_day(end))}
    chosen = {**days, "by": by}
    shown = await _funnel_shown(read_model, start, end, chosen)
    live = live_region(FUNNEL, "/funnel/stream", chosen, viewer=viewer, **shown)
    return page(
        request,
        "funnel.html",
        viewer,
        422 if errors else 200,
        errors=errors,
        typed={"since": since, "until": until} if date_errors else days,
        dimensions=DIMENSIONS,
        chosen=chosen,
        live=live,
    )


@router.get(
    "/funnel/stream", summary="admin, manager, marketer: the funnel as leads move through it (event-stream)"
)
async def funnel_stream(
    request: Request,
    viewer: Overseers,
    read_model: ReadModelDep,
    asked: FunnelAskedDep,
    shown: Shown = "",
) -> Response:
    """The same days and grouping as the page drew, counted again as leads are captured, routed,
    accepted and won (what the page asked for, checked as the page checks it)."""
    start, end, _ = funnel.date_range_or_default(asked.since, asked.until, viewer.today, viewer.tz)
    chosen = {"since": str(start.date()), "until": str(funnel.last_day(end))}
    chosen["by"] = asked.by if asked.by in DIMENSIONS else "channel"

    async def draw() -> tuple[str, bool]:
        now_shown = await _funnel_shown(read_model, start, end, chosen)
        return templates.get_template(FUNNEL).render(viewer=viewer, **now_shown), True

    changed, settle = read_model.leads_changed, FUNNEL_SETTLE_SECONDS
    return redraws(
        request,
        viewer,
        draw,
        changed,
        page="funnel",
        event="funnel",
        shown=shown,
        settle=settle,
        look_again=DEAR,
    )


async def _funnel_shown(
    read_model: ReadModel, start: datetime, end: datetime, chosen: dict[str, str]
) -> dict[str, object]:
    """What the funnel's region shows, for the page and its stream alike."""
    rows, speed = await read_model.funnel(start, end, chosen["by"])
    counts = funnel.totals(rows)
    return {
        "rows": rows,
        "speed": speed,
        "bars": funnel.bars(counts),
        "unaccepted": counts[funnel.UNACCEPTED],
        "width": funnel.BAR_WIDTH,
        "stages": funnel.STAGES,
        "chosen": chosen,
    }


@router.get("/funnel.csv", summary="admin, manager, marketer: the funnel as CSV")
async def funnel_csv(
    viewer: Overseers,
    read_model: ReadModelDep,
    asked: FunnelAskedDep,
) -> Response:
    by = asked.by
    if by not in DIMENSIONS:  # a download has no form to say it at
        raise PageInvalid(f"By: {BY_WORDS}")
    start, end, rows, speed = await _funnel(read_model, viewer, asked.since, asked.until, by)
    # The days the page says (the range's end is exclusive: the day after its last).
    name = f"leadflow-funnel-{by}-{start.date()}-{funnel.last_day(end)}.csv"
    return Response(
        funnel.to_csv(by, rows, speed),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"},
    )
