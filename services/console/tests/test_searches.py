"""A browser's kept searches (the cookie behind a search's address): only what this console
wrote is read, and what it writes stays within what a browser keeps."""

import json
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from leadflow_console.api.web.searches import KEPT, MOST_BYTES, SEARCHES_COOKIE, keep_search, kept_searches


def request_with(cookie: str | None) -> Request:
    headers = [(b"cookie", f"{SEARCHES_COOKIE}={cookie}".encode())] if cookie is not None else []
    return Request({"type": "http", "headers": headers, "scheme": "http", "path": "/leads"})


def written(response: Response) -> str:
    header = response.headers["set-cookie"]
    return header.split(";", 1)[0].split("=", 1)[1]


def test_a_cookie_this_console_did_not_write_is_no_search():
    nested = quote("[" * 1100 + "]" * 1100)  # a RecursionError: a 500 on the list (a hostile probe)
    for cookie in (None, "", "not json", nested, quote('{"a": "b"}'), quote('[["a", 1]]'), "x" * 5000):
        assert kept_searches(request_with(cookie)) == {}
    assert kept_searches(request_with(quote(json.dumps([["a1", "ada"], ["b2", "bob"]])))) == {
        "a1": "ada",
        "b2": "bob",
    }


def test_searches_in_any_script_stay_within_what_a_browser_keeps_newest_kept():
    request = request_with(None)
    for number, letter in enumerate("中文字한글"):  # 200 characters each, 9 bytes each quoted
        response = Response()
        keep_search(request, response, f"id{number}", letter * 200)
        value = written(response)
        assert len(value) <= MOST_BYTES, len(value)
        request = request_with(value)
    kept = kept_searches(request)
    assert list(kept)[-1] == "id4" and kept["id4"] == "글" * 200  # the newest, whole
    assert 1 <= len(kept) <= KEPT
