import pytest
from pydantic import ValidationError

from leadflow_common.inputs import (
    MAX_DEPTH,
    NOT_FINITE,
    TOO_DEEP,
    UNSTORABLE_TEXT,
    InputModel,
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
