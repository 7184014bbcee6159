import pytest
from pydantic import ValidationError

from leadflow_common.inputs import NOT_NULL
from leadflow_routing.schemas import RepInput, RepUpdate

REP = {"name": "Ada", "email": "ada@sales.example", "tier": "mid", "capacity": 1}


def test_codes_are_stored_in_one_case_and_still_fit_once_changed():
    rep = RepInput.model_validate({**REP, "territories": ["de"], "languages": ["PT-br"]})
    assert (rep.territories, rep.languages) == (["DE"], ["pt-br"])
    with pytest.raises(ValidationError) as error:
        RepInput.model_validate({**REP, "territories": ["ßßßßßßß"]})  # "SS" seven times once upper
    assert error.value.errors()[0]["loc"] == ("territories",)


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
