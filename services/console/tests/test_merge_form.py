"""Reading what a person types to name the account another is merged into."""

import uuid

import pytest

from leadflow_console.domain.merge_form import MergeTarget, merge_target

# Fixed: the parametrized ids must be the same in every pytest-xdist worker.
ID = uuid.UUID("2945cec7-10b9-49ef-968e-ba348bb868b0")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        (f"http://127.0.0.1:8000/accounts/{ID}", MergeTarget("id", str(ID))),
        (f" {str(ID).upper()} ", MergeTarget("id", str(ID))),
        ("acme.example", MergeTarget("domain", "acme.example")),
        ("https://www.Acme.example/about", MergeTarget("domain", "www.acme.example")),
        ("someone@sales.acme.co.uk", MergeTarget("domain", "sales.acme.co.uk")),
        ("Acme Corp.", MergeTarget("name", "Acme Corp.")),
        ("acme", MergeTarget("name", "acme")),
    ],
)
def test_the_words_name_an_account_by_id_domain_or_name(typed, meant):
    assert merge_target(typed) == meant


@pytest.mark.parametrize(
    ("typed", "why"),
    [("   ", "required"), ("x", "at least two letters"), ("a" * 201, "at most 200")],
)
def test_words_that_name_no_account_say_why(typed, why):
    said = merge_target(typed)
    assert isinstance(said, str) and why in said
