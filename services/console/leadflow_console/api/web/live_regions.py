"""Regions of a page that follow the present (Server-Sent Events): the inbox's offers, an
account's page, the live feed. One way for all three: the page draws the region and names, in the
region's stream URL, the digest of what it drew; the stream draws the region again whenever a
change may have touched it, and sends the HTML only when it differs from what the browser shows.
So a page that loads sends no redraw of what it already shows, and a change that lands between
the page and its stream is sent at once."""

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request
from markupsafe import Markup
from sse_starlette.sse import EventSourceResponse

from leadflow_console.api.web.render import live_stream, templates
from leadflow_console.api.web.session import signed_in
from leadflow_console.app.live import Changed

# A replica that did not consume the change itself finds it within this time.
LOOK_AGAIN_SECONDS = 5.0
# The digest the page drew its region with (`shown=` in the stream's URL).
Shown = Annotated[str, Query(max_length=64, pattern=r"^[0-9a-f]*$")]
# The region's HTML now, and whether there is more to follow (False: the stream ends after it).
Draw = Callable[[], Awaitable[tuple[str, bool]]]


def digest(html: str) -> str:
    return hashlib.sha256(html.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class LiveRegion:
    """A region as the page shows it: its HTML, and its stream's URL carrying that HTML's digest."""

    html: Markup
    stream: str


def live_region(
    template: str, stream: str, query: dict[str, str] | None = None, **context: object
) -> LiveRegion:
    """The region drawn from its own template (the same the stream draws it with), for the page."""
    html = templates.get_template(template).render(**context)
    url = f"{stream}?{urlencode({**(query or {}), 'shown': digest(html)})}"
    return LiveRegion(Markup(html), url)  # rendered by the autoescaping templates


def redraws(
    request: Request,
    draw: Draw,
    changed: Changed,
    *,
    page: str,
    event: str,
    shown: str,
    touching: uuid.UUID | None = None,
    settle: float = 0.0,
) -> EventSourceResponse:
    """The stream of a region (`event`, of the `page`): drawn again at every change that may have
    touched `touching` (any change, for None), and at least every LOOK_AGAIN_SECONDS; sent when
    it differs from what the browser shows (`shown`: what the page drew). `settle`: a pause after
    a change, so a burst of them is drawn once. Ends when the viewer's session does, or when
    `draw` says there is no more to follow."""

    async def events() -> AsyncIterator[dict[str, str]]:
        showing, version = shown, changed.version
        while await signed_in(request) is not None:  # a revoked or expired session ends the stream
            html, more = await draw()
            if (drawn := digest(html)) != showing:
                showing = drawn
                yield {"event": event, "data": html}
            if not more:
                return
            version = await changed.next_touching(version, touching, LOOK_AGAIN_SECONDS)
            if settle:
                await asyncio.sleep(settle)

    return live_stream(events(), page)
