"""A person's last searches of the leads list, kept in her browser: a search is posted (emails
and phone numbers stay out of addresses, access logs and history), then answered by a redirect
to the list's address naming the search by a short id, so Back and Reload show its results
again (a posted page asked to be sent again: a manager's hour). The words live in a cookie only
the leads pages receive (`/leads` and under it), dropped at sign-in and sign-out."""

import json
import secrets
from urllib.parse import quote, unquote

from fastapi import Request, Response

from leadflow_console.api.web.session import cookie_options
from leadflow_console.domain.lead_filters import MAX_QUERY

SEARCHES_COOKIE = "leadflow_searches"
KEPT = 4  # searches a browser goes back to
# A browser keeps a cookie of up to 4,096 bytes and silently drops a larger one: a search of
# 200 characters takes at most 2,400 (12 a character, an emoji's UTF-8 URL-quoted).
MOST_BYTES = 3800
KEPT_SECONDS = 12 * 3600
SEARCH_ID = r"^[A-Za-z0-9_-]{0,16}$"


def kept_searches(request: Request) -> dict[str, str]:
    """The searches this browser keeps, by id (none when the cookie is missing or not one this
    console wrote: too long, too deep, or not pairs of texts)."""
    text = request.cookies.get(SEARCHES_COOKIE, "")
    if not text or len(text) > MOST_BYTES:
        return {}
    try:
        pairs = json.loads(unquote(text))
    except (ValueError, RecursionError):
        return {}
    if not isinstance(pairs, list) or len(pairs) > KEPT:
        return {}
    return {
        key: words[:MAX_QUERY]
        for pair in pairs
        if isinstance(pair, list) and len(pair) == 2 and all(isinstance(part, str) for part in pair)
        for key, words in [pair]
    }


def new_search_id() -> str:
    return secrets.token_urlsafe(6)


def keep_search(request: Request, response: Response, key: str, words: str) -> None:
    """Keeps `words` as this browser's newest search, by `key` (the oldest beyond KEPT dropped)."""
    pairs = [*list(kept_searches(request).items())[-(KEPT - 1) :], (key, words[:MAX_QUERY])]
    value = _written(pairs)
    while len(value) > MOST_BYTES and len(pairs) > 1:  # the oldest go first (a browser drops it all)
        pairs = pairs[1:]
        value = _written(pairs)
    options = cookie_options(request, KEPT_SECONDS)
    options["path"] = "/leads"
    response.set_cookie(SEARCHES_COOKIE, value, **options)


def _written(pairs: list[tuple[str, str]]) -> str:
    return quote(json.dumps(pairs, ensure_ascii=False, separators=(",", ":")))


def forget_searches(response: Response) -> None:
    response.delete_cookie(SEARCHES_COOKIE, path="/leads")
