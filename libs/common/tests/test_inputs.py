from typing import Annotated, Any, Optional

import pytest
from pydantic import MISSING, Field, TypeAdapter, ValidationError

from leadflow_common.inputs import (
    MAX_DEPTH,
    NOT_FINITE,
    NOT_NULL,
    TOO_DEEP,
    UNSTORABLE_TEXT,
    InputModel,
    StorableText,
    unacceptable_field,
)


def nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"name": "Ada", "tags": ["a", "b"], "n": 1}, None),
        ({"name": "Zoë 日本"}, None),
        ({"name": "A\x00da"}, ("name", UNSTORABLE_TEXT)),
        ({"tags": ["ok", "bad\ud800"]}, ("tags[1]", UNSTORABLE_TEXT)),
        ({"outer": {"ke\x00y": 1}}, ("outer", UNSTORABLE_TEXT)),
        ({"k\x00": 1}, ("body", UNSTORABLE_TEXT)),
        ({"ratio": 0.5, "tags": [1.5]}, None),
        ({"attributes": {"score": float("inf")}}, ("attributes.score", NOT_FINITE)),
        ({"values": [1.0, float("nan")]}, ("values[1]", NOT_FINITE)),
        (nested(MAX_DEPTH - 1), None),  # MAX_DEPTH objects, one inside another
        (nested(MAX_DEPTH), ("a" + ".a" * (MAX_DEPTH - 1), TOO_DEEP)),
    ],
)
def test_unacceptable_field_names_the_first_value_that_cannot_be_stored(value, expected):
    assert unacceptable_field(value) == expected


class Example(InputModel):
    name: str
    score: float = 0
    extra: dict | None = None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "a\x00"}, "name"),
        ({"name": "a", "extra": {"x": "\ud800"}}, "extra"),
        ({"name": "a", "score": float("inf")}, "score"),
        ({"name": "a", "nmae": "typo"}, "nmae"),
    ],
)
def test_input_models_refuse_unstorable_text_infinite_numbers_and_unknown_fields(data, field):
    with pytest.raises(ValidationError) as error:
        Example.model_validate(data)
    assert error.value.errors()[0]["loc"][0] == field


class Change(InputModel):
    name: str | MISSING = MISSING
    note: Annotated[str, Field(max_length=5)] | MISSING | None = MISSING
    tags: list[str] = Field(default_factory=list)
    hours: Optional[dict] = None  # noqa: UP045 (the old spelling is still a union with None)
    anything: Any = None


@pytest.mark.parametrize("field", ["name", "tags"])
def test_a_null_is_refused_where_the_type_does_not_admit_it_naming_the_field(field):
    with pytest.raises(ValidationError) as error:
        Change.model_validate({field: None})
    assert [(e["loc"], e["msg"]) for e in error.value.errors()] == [((field,), NOT_NULL)]


def test_a_null_is_kept_where_the_type_admits_it_and_left_out_is_not_null():
    change = Change.model_validate({"note": None, "hours": None, "anything": None})
    assert change.model_dump(exclude_unset=True) == {"note": None, "hours": None, "anything": None}
    assert Change.model_validate({}).model_dump() == {"tags": [], "hours": None, "anything": None}


def test_the_schema_offers_null_only_where_it_is_accepted():
    properties = Change.model_json_schema()["properties"]
    assert "anyOf" not in properties["name"] and properties["name"]["type"] == "string"
    assert {"type": "null"} in properties["note"]["anyOf"]


def test_text_outside_a_body_is_refused_when_postgresql_cannot_take_it():
    adapter = TypeAdapter(StorableText)
    assert adapter.validate_python("Zoë") == "Zoë"
    with pytest.raises(ValidationError, match=UNSTORABLE_TEXT):
        adapter.validate_python("a\x00b")
