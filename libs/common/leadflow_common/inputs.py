"""What every request body must satisfy beyond its own schema.

JSON may carry NUL characters, unpaired surrogates and numbers that are not finite (`1e999`,
`NaN`); PostgreSQL's text and JSONB refuse them all, so they are refused here, naming the field,
rather than failing at the INSERT. Free-form maps (attributes, properties) may not nest without
bound either.

An explicit `null` is refused for every field whose type does not admit it, as "may not be
null", whatever the type's own message would be. A change (PATCH) whose fields may be left out
declares them `T | MISSING = MISSING` (pydantic's sentinel): left out is not `null`, and the
OpenAPI document does not offer `null` where it is refused. A field whose `null` means
something (clearing it) says `T | None` and says what it means."""

import math
import types
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

UNSTORABLE_TEXT = "may not contain NUL characters or unpaired surrogates"
MAX_DEPTH = 16
TOO_DEEP = f"may not nest deeper than {MAX_DEPTH} levels"
NOT_FINITE = "must be a finite number"
MAX_FIELDS = 100
TOO_MANY_FIELDS = f"may have at most {MAX_FIELDS} fields"
NOT_NULL = "may not be null"


class OversizedObject:
    """Stands, after parsing, where a JSON object with more than MAX_FIELDS keys was: it is
    dropped as soon as it is parsed and named in the 422 (see `bounded_object`)."""


def bounded_object(pairs: list[tuple[str, Any]]) -> dict[str, Any] | OversizedObject:
    """`json.loads(..., object_pairs_hook=bounded_object)`: no object with too many keys gets
    as far as validation, whose cost (and error list) grows with them."""
    return OversizedObject() if len(pairs) > MAX_FIELDS else dict(pairs)


def unstorable(text: str) -> bool:
    """Whether PostgreSQL would refuse this text (a NUL, an unpaired surrogate): for what is
    stored from a form, which no model checks."""
    return _unstorable(text)


def _unstorable(text: str) -> bool:
    if "\x00" in text:
        return True
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def storable(text: str) -> str:
    if _unstorable(text):
        raise ValueError(UNSTORABLE_TEXT)
    return text


# Text outside a body (a query parameter) that reaches SQL: refused as a body's text would be.
StorableText = Annotated[str, AfterValidator(storable)]

OUT_OF_RANGE = "must be a date and time between the years 1 and 9999"
AHEAD = "may not be more than a day ahead of now"
CLOCK_TOLERANCE = timedelta(days=1)  # a sender's clock or time zone may be off; not by more
LARGEST_BIGINT = 2**63 - 1  # a PostgreSQL bigint's: a number past it fails in the driver


def as_utc(value: datetime) -> datetime:
    """The instant in UTC; a time without an offset is taken as UTC, as the services store it."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def storable_instant(value: datetime) -> datetime:
    """Python and the services share the years 1 to 9999, but an offset may carry a valid text past
    them (`9999-12-31T23:59:59-23:59` is in the year 10000 in UTC): refused here, naming the field,
    rather than accepted and then failing where it is stored or read (seen: an activity answered
    `202` and then dead-lettered by scoring)."""
    try:
        as_utc(value)
    except OverflowError:
        raise ValueError(OUT_OF_RANGE) from None
    return value


def not_ahead(value: datetime) -> datetime:
    """When something happened cannot be well ahead of now: an activity dated next year would
    count as the most recent engagement until then."""
    if as_utc(value) > datetime.now(UTC) + CLOCK_TOLERANCE:
        raise ValueError(AHEAD)
    return value


# Every date and time a request may carry (a body's or a query's): within what can be stored.
Instant = Annotated[datetime, AfterValidator(storable_instant)]
# When something happened, as a client reports it: stored, and not ahead of now.
Occurrence = Annotated[datetime, AfterValidator(storable_instant), AfterValidator(not_ahead)]


def unacceptable_field(value: Any, path: str = "", depth: int = 0) -> tuple[str, str] | None:
    """The path (`a.b[2]`) of the first value that cannot be stored, and why; else None.
    A bad key is reported as the object holding it, so the name in an error is printable."""
    if isinstance(value, str):
        return (path, UNSTORABLE_TEXT) if _unstorable(value) else None
    if isinstance(value, float):
        return None if math.isfinite(value) else (path or "body", NOT_FINITE)
    if isinstance(value, OversizedObject):
        return path or "body", TOO_MANY_FIELDS
    if not isinstance(value, dict | list):
        return None
    if depth >= MAX_DEPTH:
        return path, TOO_DEEP
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        if isinstance(key, str):
            if _unstorable(key):
                return path or "body", UNSTORABLE_TEXT
            child = f"{path}.{key}" if path else key
        else:
            child = f"{path}[{key}]"
        found = unacceptable_field(item, child, depth + 1)
        if found is not None:
            return found
    return None


def admits_null(annotation: Any) -> bool:
    """Whether a field of this type may be `null`: `None`, `Any`, or a union with one of them."""
    if annotation is None or annotation is type(None) or annotation is Any:
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return admits_null(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return any(admits_null(argument) for argument in get_args(annotation))
    if origin is Literal:
        return None in get_args(annotation)
    return False


@cache
def _null_refused(model: type[BaseModel], field: str) -> bool:
    # Per model class and field: the annotation is read once, not on every request.
    return not admits_null(model.model_fields[field].annotation)


class InputModel(BaseModel):
    """A request body: unknown fields are mistakes, numbers are finite, text is storable, and
    `null` is only where a field's type admits it."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def acceptable(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            if info.field_name is not None and _null_refused(cls, info.field_name):
                # The message every service gives, not the type's ("should be a valid string").
                raise PydanticCustomError("null_refused", NOT_NULL)
            return value
        if (found := unacceptable_field(value)) is not None:
            raise ValueError(found[1])
        return value
