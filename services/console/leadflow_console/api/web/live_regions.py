"""Regions of a page that follow the present (Server-Sent Events): the inbox's offers, an
account's page, the live feed. One way for all three: the page draws the region and names, in the
region's stream URL, the digest of what it drew; the stream draws the region again whenever a
change may have touched it, and sends the HTML only when it differs from what the browser shows.
So a page that loads sends no redraw of what it already shows, and a change that lands between
the page and its stream is sent at once."""

import asyncio
import hashlib
import logging
import weakref
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import PlainTextResponse, Response
from markupsafe import Markup

from leadflow_console.api.web.render import live_stream, templates
from leadflow_console.api.web.session import Viewer, signed_in
from leadflow_console.api.web.upstream import UpstreamProblem
from leadflow_console.app.live import Changed, Keys

log = logging.getLogger(__name__)
# A replica that did not consume the change itself finds it within this time.
LOOK_AGAIN_SECONDS = 5.0
# A region dear to draw whose changes are all announced (a NOTIFY reaches every replica, and a
# listener that reconnects wakes every page): it looks again only this seldom at rest (an open
# funnel counted 30 days of leads every 5 s, 1-2% of a core doing nothing).
LOOK_AGAIN_DEAR_SECONDS = 30.0
# The digest the page drew its region with (`shown=` in the stream's URL).
Shown = Annotated[str, Query(max_length=64, pattern=r"^[0-9a-f]*$")]
# Live pages one person may have open in one console process at once (tabs, a phone, a screen).
STREAMS_PER_PERSON = 12
OPEN_STREAMS: Counter[str] = Counter()
END = "end"  # the last event of a stream with no more to follow (console.js closes it)


@dataclass
class StreamSlot:
    """One of a person's open streams, counted when the stream is answered (not when it starts:
    many opened at once all passed the check), released once."""

    person: str
    released: bool = False

    @classmethod
    def take(cls, person: str) -> "StreamSlot | None":
        if OPEN_STREAMS[person] >= STREAMS_PER_PERSON:
            return None
        OPEN_STREAMS[person] += 1
        return cls(person)

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        OPEN_STREAMS[self.person] -= 1
        if OPEN_STREAMS[self.person] <= 0:
            del OPEN_STREAMS[self.person]


TOO_MANY_STREAMS = "Too many live pages are open for this account: close some and reload this one."
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
    viewer: Viewer,
    draw: Draw,
    changed: Changed,
    *,
    page: str,
    event: str,
    shown: str,
    touching: Keys | None = None,
    settle: float = 0.0,
    look_again: float = LOOK_AGAIN_SECONDS,
) -> Response:
    """The stream of a region (`event`, of the `page`): drawn again at every change that may have
    touched `touching` (any change, for None), and at least every LOOK_AGAIN_SECONDS; sent when
    it differs from what the browser shows (`shown`: what the page drew). `settle`: a pause after
    a change, so a burst of them is drawn once; `look_again`: how often it looks at rest. Ends
    when the viewer's session does, or when `draw` says there is no more to follow. A person
    holds at most STREAMS_PER_PERSON open (a page opened 180 times over made routing refuse the
    console, cutting everyone's pages); a service that does not answer a redraw is asked again
    at the next change or look, and the stream stays open."""
    slot = StreamSlot.take(viewer.principal.id)
    if slot is None:
        return PlainTextResponse(TOO_MANY_STREAMS, status_code=429)  # a browser does not retry it

    async def events() -> AsyncIterator[dict[str, str]]:
        try:
            showing, version = shown, changed.version
            while await signed_in(request) is not None:  # a revoked or expired session ends it
                try:
                    html, more = await draw()
                except UpstreamProblem as problem:
                    log.info("a live region waits for a service", extra={"page": page, "error": str(problem)})
                    html, more = "", True
                if html and (drawn := digest(html)) != showing:
                    showing = drawn
                    yield {"event": event, "data": html}
                if not more:
                    # Said, so the page closes its stream: a browser reopens one that just ends.
                    yield {"event": END, "data": ""}
                    return
                version = await changed.next_touching(version, touching, look_again)
                if settle:
                    await asyncio.sleep(settle)
        finally:
            slot.release()

    stream = events()
    weakref.finalize(stream, slot.release)  # a stream never started (the client left first)
    return live_stream(stream, page)
