"""The leads list: every lead the viewer may see (a rep: only their own, scoped in SQL), filtered
and sorted by what its URL says, so a link can be shared, and searched by a posted form; the
rows follow the present (a new lead, a score, an owner, a status) like every other page.

A search's stream names the search by its id and carries the ids of the leads it found, never
the words searched (which stay out of addresses and access logs, in a cookie only `/leads`
receives): it searches again as leads change, so a lead that comes to match joins; a browser that
no longer keeps the words follows the leads found."""

import dataclasses
import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from leadflow_common.access import Role
from leadflow_console.api.web.deps import LeadWorkers, ReadModelDep
from leadflow_console.api.web.live_regions import Shown, live_region, redraws
from leadflow_console.api.web.render import page, templates
from leadflow_console.api.web.searches import SEARCH_ID, keep_search, kept_searches, new_search_id
from leadflow_console.api.web.session import Viewer
from leadflow_console.app.read_model import LeadPage, Owner, ReadModel
from leadflow_console.deps import state_of
from leadflow_console.domain.lead_filters import (
    CHANNELS,
    MAX_QUERY,
    PAGE_SIZE,
    PARAMETERS,
    SORTS,
    STATUSES,
    TEMPERATURES,
    read_criteria,
    write_cursor,
)

router = APIRouter(include_in_schema=False)
ROWS = "_lead_rows.html"
# Changes come in bursts (a batch of leads captured, then scored, then routed): the list is
# drawn once a burst, within a second of its first change.
SETTLE_SECONDS = 0.5
# A search is dearer than a page of the list (12-19 ms p95 at 100,000 leads): drawn again at
# most once a second while leads change.
SEARCH_SETTLE_SECONDS = 1.0
CHOICES = {
    "temperatures": [(value, value) for value in TEMPERATURES],
    "statuses": STATUSES,
    "channels": [(value, value.replace("_", " ")) for value in CHANNELS],
    "sorts": SORTS,
}
_ID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
FOUND_IDS = f"^{_ID}(,{_ID}){{0,{PAGE_SIZE - 1}}}$"  # a search's page of leads, by id


# The list's address carries its filters, so a link to it can be shared. A search is posted
# instead (searches.py): emails and phone numbers stay out of access logs, browser history and
# referrers; the answer is a redirect to the list's address naming the search by an id, so Back
# and Reload show it again. Every field is read as text and checked here, so a bad value is said
# at its field rather than as JSON.
@router.get("/leads", summary="admin, manager, marketer, rep (their own): every lead, filtered and sorted")
async def leads(
    request: Request,
    viewer: LeadWorkers,
    read_model: ReadModelDep,
    search: Annotated[str, Query(max_length=16, pattern=SEARCH_ID)] = "",
) -> Response:
    typed = {name: request.query_params.get(name, "")[:1000] for name in PARAMETERS if name != "q"}
    words = kept_searches(request).get(search, "") if search else ""
    lost = bool(search) and not words  # another browser's, or dropped since
    return await _list(request, viewer, read_model, typed | {"q": words}, search if words else "", lost)


@router.post("/leads", summary="admin, manager, marketer, rep (their own): search by words, phone or email")
async def search_leads(request: Request, viewer: LeadWorkers, read_model: ReadModelDep) -> Response:
    form = await request.form()
    typed = {name: str(form.get(name) or "")[:1000] for name in PARAMETERS}
    filters = {name: value for name, value in typed.items() if value and name not in ("q", "after")}
    words = typed["q"].strip()
    if not words:
        return RedirectResponse("/leads" + ("?" + urlencode(filters) if filters else ""), status_code=303)
    if len(words) > MAX_QUERY:  # said at the field, on the page answering the post
        return await _list(request, viewer, read_model, typed, "", False)
    key = new_search_id()
    response = RedirectResponse("/leads?" + urlencode({"search": key} | filters), status_code=303)
    keep_search(request, response, key, words)
    return response


@router.get(
    "/leads/stream",
    summary="admin, manager, marketer, rep (their own): the leads list's rows as they change (event-stream)",
)
async def leads_stream(
    request: Request,
    viewer: LeadWorkers,
    read_model: ReadModelDep,
    shown: Shown = "",
    found: str | None = Query(None, max_length=PAGE_SIZE * 37, pattern=FOUND_IDS),
    search: Annotated[str, Query(max_length=16, pattern=SEARCH_ID)] = "",
) -> Response:
    """The rows the page drew, drawn again as leads change: the same filters and page (a
    search's: the same words searched again, or, when the browser no longer keeps them, the
    same leads by id, with its filters)."""
    typed = {name: request.query_params.get(name, "")[:1000] for name in PARAMETERS if name != "q"}
    typed["q"] = kept_searches(request).get(search, "") if search else ""
    searching = bool(typed["q"])
    only = tuple(uuid.UUID(lead_id) for lead_id in found.split(",")) if found and not searching else None
    if search and not searching and only is None:  # a search that found none, its words since forgotten
        only = ()  # still none (not the whole list, unsearched)
    continued = bool(typed["after"]) or "continued" in request.query_params
    if only is not None:  # the page's leads by id: no cursor past them
        typed["after"] = ""

    async def draw() -> tuple[str, bool]:
        leads_now, _, _ = await _read(request, viewer, read_model, typed, only, with_owners=False)
        rows = _rows(typed, leads_now, searched=searching or only is not None, continued=continued)
        return templates.get_template(ROWS).render(viewer=viewer, **rows), True

    changed, settle = read_model.leads_changed, SEARCH_SETTLE_SECONDS if searching else SETTLE_SECONDS
    # Rows by id change only with their own leads; a list's or a search's with any (one may join).
    touching = frozenset(only) if only is not None else None
    return redraws(
        request,
        viewer,
        draw,
        changed,
        page="leads",
        event="leads",
        shown=shown,
        touching=touching,
        settle=settle,
    )


async def _read(
    request: Request,
    viewer: Viewer,
    read_model: ReadModel,
    typed: dict[str, str],
    only: tuple[uuid.UUID, ...] | None = None,
    *,
    with_owners: bool = True,
) -> tuple[LeadPage, list[Owner], dict[str, str]]:
    """A page of the list as `typed` asks (`only`: of these leads), the owner filter's choices,
    and what could not be used, said at its field."""
    read = read_criteria(typed, state_of(request).default_region, viewer.tz)
    criteria = dataclasses.replace(read.criteria, only=only)
    only_rep = viewer.principal.rep_id if viewer.is_(Role.rep) else None
    found, owners = await read_model.lead_list(criteria, only_rep, with_owners=with_owners and not only_rep)
    return found, owners, read.errors


def _rows(typed: dict[str, str], found: LeadPage, *, searched: bool, continued: bool) -> dict[str, object]:
    """What the rows' region shows, for the page and its stream alike (never the words searched:
    the region is drawn without them, so they are not in it, and a search's pager is the page's)."""
    filters = {name: value for name, value in typed.items() if value and name not in ("q", "after")}
    after = write_cursor(found.next_cursor) if found.next_cursor else None
    return {
        "found": found.leads,
        "next_url": "/leads?" + urlencode(filters | {"after": after}) if after else None,
        "first_url": "/leads?" + urlencode(filters),
        "continued": continued,
        "filtered": any(name != "sort" for name in filters),
        "searched": searched,
        "sort": typed["sort"] or "newest",
        "sorts": SORTS,
    }


async def _list(
    request: Request, viewer: Viewer, read_model: ReadModel, typed: dict[str, str], search: str, lost: bool
) -> Response:
    """The list as `typed` asks: a search's (`search`: its id) or the filters'; `lost`: a search
    this browser no longer keeps, said at the search box."""
    found, owners, errors = await _read(request, viewer, read_model, typed)
    if lost:
        errors = {**errors, "q": "This search is no longer kept in this browser: search again."}
    shown = {name: value for name, value in typed.items() if name != "after"}
    filters = {name: value for name, value in shown.items() if value and name != "q"}
    after = write_cursor(found.next_cursor) if found.next_cursor else None  # a search's next page
    searched = bool(typed["q"].strip()) and "q" not in errors  # a search refused lists no rows of it
    continued = bool(typed["after"])
    rows = _rows(typed, found, searched=searched, continued=continued)
    if searched:  # the same search again, or, once the browser forgets it, the same leads by id
        ids = ",".join(str(lead.lead_id) for lead in found.leads)
        query = filters | {"search": search} | ({"found": ids} if ids else {})
        query |= {"after": typed["after"], "continued": "1"} if continued else {}
        live = live_region(ROWS, "/leads/stream", query, viewer=viewer, **rows)
    else:  # the same filters and page
        query = filters | ({"after": typed["after"]} if continued else {})
        live = live_region(ROWS, "/leads/stream", query, viewer=viewer, **rows)
    return page(
        request,
        "leads.html",
        viewer,
        422 if errors else 200,
        typed=shown,
        errors=errors,
        live=live,
        search_pages=_search_pages(search, filters, after),
        owners=[(str(owner.rep_id), owner.name) for owner in owners],
        **(CHOICES | rows),
    )


def _search_pages(search: str, filters: dict[str, str], after: str | None) -> dict[str, str | None]:
    """A search's first and next pages, by its id (its pager is the page's: the stream knows
    the leads found, not the search)."""
    if not search:
        return {"first": None, "next": None}
    asked = {"search": search} | filters
    return {
        "first": "/leads?" + urlencode(asked),
        "next": "/leads?" + urlencode(asked | {"after": after}) if after else None,
    }
