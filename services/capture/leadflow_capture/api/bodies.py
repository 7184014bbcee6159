"""Reading a submission's body (JSON or a form) as a hostile client may send it: bounded in size
and time by the edge middleware, bounded here in keys before anything validates it, so an answer
costs the server about what the request cost the client."""

import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request

from leadflow_capture.domain.leads import form_to_lead_fields
from leadflow_common.errors import Invalid
from leadflow_common.http import Problem
from leadflow_common.inputs import TOO_MANY_FIELDS, OversizedObject, bounded_object, unacceptable_field

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# A lead has 18 fields and at most 50 attributes: a form with more is not a lead form.
MAX_FORM_FIELDS = 200


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object: 400 when it is not JSON, 422 when it is not an object. An
    object with more keys than a valid body has is dropped while parsing (`bounded_object`) and
    named by `storable`, before any validation spends time on its keys."""
    try:
        fields = json.loads(body, object_pairs_hook=bounded_object)
    except (ValueError, RecursionError):
        raise Problem(400, "Malformed JSON", "The body is not valid UTF-8 JSON") from None
    if isinstance(fields, OversizedObject):
        raise Invalid.field("body", TOO_MANY_FIELDS)
    if not isinstance(fields, dict):
        raise Invalid.field("body", "must be an object", "The body must be a JSON object")
    return fields


def parse_form(body: bytes) -> list[tuple[str, str]]:
    """A form's fields in order (repeats kept, so callers can refuse them)."""
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS, strict_parsing=False
        )
    except UnicodeDecodeError:
        raise Problem(400, "Malformed form", "The body is not valid UTF-8") from None
    except ValueError:
        raise Invalid.field("body", f"a form may have at most {MAX_FORM_FIELDS} fields") from None
    return pairs


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def from_browser_form(request: Request) -> bool:
    """A person's browser posting a form (rather than a script): they read pages, not JSON."""
    return media_type(request) in FORM_TYPES and "text/html" in request.headers.get("accept", "")


def storable(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields, or a 422 naming the first one that cannot be stored."""
    if (found := unacceptable_field(fields)) is not None:
        raise Invalid.field(*found)
    return fields


async def read_fields(request: Request, *, allow_form: bool) -> dict[str, Any]:
    """The submission's fields from a JSON or form body, with 413 (the edge), 415 and 400 for
    bodies that are too large, of another type, or malformed, and 422 for too many fields or
    text and numbers that cannot be stored."""
    kind = media_type(request)
    if kind == "application/json" or kind.endswith("+json"):
        return storable(parse_json_object(await request.body()))
    if allow_form and kind == FORM_TYPES[0]:
        return storable(form_to_lead_fields(dict(parse_form(await request.body()))))
    if allow_form and kind == FORM_TYPES[1]:
        await request.body()  # bounded by the edge before the multipart parser sees it
        async with request.form(max_fields=MAX_FORM_FIELDS, max_files=0) as form:
            fields = {name: value for name, value in form.items() if isinstance(value, str)}
        return storable(form_to_lead_fields(fields))
    accepted = "application/json" + (" or a form" if allow_form else "")
    raise Problem(415, "Unsupported media type", f"Send {accepted}")
