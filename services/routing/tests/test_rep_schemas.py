import pytest
from pydantic import ValidationError

from leadflow_common.inputs import NOT_NULL
from leadflow_routing.api.schemas import RepInput, RepUpdate

REP = {"name": "Ada", "email": "ada@sales.example", "tier": "mid", "capacity": 1}


def test_codes_are_stored_in_one_case_and_still_fit_once_changed():
    rep = RepInput.model_validate({**REP, "territories": ["de"], "languages": ["PT-br"]})
    assert (rep.territories, rep.languages) == (["DE"], ["pt-br"])
    with pytest.raises(ValidationError) as error:
        RepInput.model_validate({**REP, "territories": ["ßßßßßßß"]})  # "SS" seven times once upper
    assert error.value.errors()[0]["loc"] == ("territories",)


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("territories", "Germany", "'GERMANY' is not an ISO 3166 country code (two letters, e.g. DE)"),
        ("territories", "XX", "'XX' is not an ISO 3166 country code"),
        ("languages", "German", "'german' is not an ISO 639-1 language code (two letters, e.g. de)"),
        ("languages", "zz", "'zz' is not an ISO 639-1 language code"),
    ],
)
def test_territories_and_languages_are_iso_codes(field, value, said):
    for model in (RepInput, RepUpdate):
        with pytest.raises(ValidationError) as error:
            model.model_validate({**REP, field: [value]} if model is RepInput else {field: [value]})
        [problem] = error.value.errors()
        assert problem["loc"] == (field,) and said in problem["msg"]


def test_a_change_leaves_out_what_it_does_not_name_and_clears_only_working_hours_with_null():
    assert RepUpdate.model_validate({}).model_dump(exclude_unset=True) == {}
    assert RepUpdate.model_validate({"working_hours": None}).model_dump(exclude_unset=True) == {
        "working_hours": None
    }
    with pytest.raises(ValidationError) as error:
        RepUpdate.model_validate({"capacity": None, "territories": None})
    assert [(e["loc"], e["msg"]) for e in error.value.errors()] == [
        (("capacity",), NOT_NULL),
        (("territories",), NOT_NULL),
    ]
