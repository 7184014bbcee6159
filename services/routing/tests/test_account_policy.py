"""The account owner comes first, pure (account_policy.py)."""

import uuid
from datetime import UTC, datetime

import pytest

from leadflow_common.events import Temperature, Tier
from leadflow_routing.domain.account_policy import OWNER_REASON, offer_to_owner, owner_to_tell
from leadflow_routing.domain.policy import Decision, LeadToRoute, Rep

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
ACCOUNT = uuid.uuid4()


def rep(tier: Tier = Tier.mid, **fields) -> Rep:
    return Rep(**{"id": uuid.uuid4(), "tier": tier, "capacity": 2, "open_leads": 1, **fields})


def lead(temperature: Temperature, **fields) -> LeadToRoute:
    return LeadToRoute(
        **{
            "lead_id": uuid.uuid4(),
            "temperature": temperature,
            "score": 50.0,
            "account_id": ACCOUNT,
            **fields,
        }
    )


@pytest.mark.parametrize("temperature", list(Temperature))
def test_the_owner_takes_a_lead_of_their_account_whatever_its_temperature_or_their_tier(temperature):
    owner = rep(Tier.junior, territories=("FR",))
    decision = offer_to_owner(lead(temperature, country="DE"), owner, now=NOW)
    assert decision is not None and decision.kind == "assign" and decision.rep_id == owner.id
    assert decision.reason.startswith(OWNER_REASON)
    assert f"{temperature.value} lead" in decision.reason


def test_a_cold_lead_is_nurtured_instead_when_the_setting_says_so():
    owner = rep()
    assert offer_to_owner(lead(Temperature.cold), owner, now=NOW, cold_to_owner=False) is None
    assert offer_to_owner(lead(Temperature.warm), owner, now=NOW, cold_to_owner=False) is not None


@pytest.mark.parametrize(
    "owner",
    [
        rep(open_leads=2),  # full
        rep(active=False),
        rep(available=False),  # away
    ],
    ids=["full", "inactive", "away"],
)
def test_an_owner_who_cannot_take_it_leaves_it_to_the_usual_policy(owner):
    assert offer_to_owner(lead(Temperature.hot), owner, now=NOW) is None


def test_no_account_no_owner_or_an_owner_who_passed_on_it_leaves_it_to_the_usual_policy():
    owner = rep()
    assert offer_to_owner(lead(Temperature.hot, account_id=None), owner, now=NOW) is None
    assert offer_to_owner(lead(Temperature.hot), None, now=NOW) is None
    assert offer_to_owner(lead(Temperature.hot), owner, now=NOW, exclude=frozenset({owner.id})) is None


def test_the_owner_is_told_when_the_lead_went_anywhere_but_to_them():
    owner, other = uuid.uuid4(), uuid.uuid4()
    assert owner_to_tell(owner, Decision(kind="assign", reason="", rep_id=other)) == owner
    assert owner_to_tell(owner, Decision(kind="nurture", reason="", queue="nurture")) == owner
    assert owner_to_tell(owner, Decision(kind="assign", reason="", rep_id=owner)) is None
    assert owner_to_tell(None, Decision(kind="assign", reason="", rep_id=other)) is None
