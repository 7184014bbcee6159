"""The pure account matcher: domains (public-suffix aware, free-mail and disposable never),
websites, names normalized and compared fuzzily, and a batch planned in order."""

import uuid
from datetime import UTC, datetime

import pytest

from leadflow_capture.domain.account_planning import (
    AccountBook,
    AccountPlan,
    AccountState,
    link_by_hand,
    plan_accounts,
    unlink_by_hand,
)
from leadflow_capture.domain.accounts import (
    email_domain,
    lead_facts,
    name_keys,
    name_similarity,
    normalize_name,
    registrable_domain,
    website_domain,
)
from leadflow_common.account_events import AccountUpdated, LeadMatched, MatchMethod

NOW = datetime(2026, 12, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("mail.acme.co.uk", "acme.co.uk"),
        ("sales.acme.example", "acme.example"),
        ("acme.com.au", "acme.com.au"),
        ("a.b.c.acme.de", "acme.de"),
        ("co.uk", None),
        ("10.0.0.1", None),
        ("", None),
    ],
)
def test_registrable_domain_knows_public_suffixes(host, domain):
    assert registrable_domain(host) == domain


def test_free_mail_and_disposable_domains_name_no_company():
    assert email_domain("ada@gmail.com") is None
    assert email_domain("ada@yahoo.co.uk") is None
    assert email_domain("ada@mailinator.com") is None
    assert email_domain("ada@eu.acme.example") == "acme.example"


def test_websites_as_people_type_them():
    assert website_domain("https://www.Acme.co.uk/about?x=1") == "acme.co.uk"
    assert website_domain("acme.example") == "acme.example"
    assert website_domain("gmail.com") is None
    assert website_domain("not a website") is None


def test_names_lose_legal_suffixes_case_accents_and_punctuation():
    assert normalize_name("ACME, Inc.") == normalize_name("Acme Inc") == normalize_name("acme") == "acme"
    assert normalize_name("Société Générale S.A.") == "societe generale"
    assert normalize_name("The Smith & Jones GmbH") == "smith and jones"
    assert name_keys("blue harbor") == ["^blu", "^har", "bor$", "lue$"]


def facts(email=None, company=None, **attributes):
    profile = {"company": company, "attributes": attributes}
    return lead_facts(uuid.uuid4(), email, profile)


def plan(leads, accounts=()):
    ids = iter(uuid.UUID(int=n) for n in range(1, 1000))
    return plan_accounts(leads, [], {}, AccountBook(accounts), now=NOW, new_id=lambda: next(ids))


def test_people_of_one_domain_make_one_account_and_free_mail_makes_none():
    leads = [
        facts("a@acme-labs.example", "Acme Inc"),
        facts("b@sales.acme-labs.example"),
        facts("c@gmail.com"),
    ]
    result = plan(leads)
    assert len(result.accounts) == 1
    [account] = result.accounts.values()
    assert (account.name, account.domains, account.people) == ("Acme Labs", ["acme-labs.example"], 2)
    assert account.names == {"acme"}, "known by the names its people give; named by its domain"
    assert [result.account_of[f.lead_id] for f in leads] == [account.account_id] * 2 + [None]


def test_consumers_join_no_account_whatever_their_domain():
    """Forty students imported with one placeholder domain were one company of 40 people."""
    student = {"segment": "b2c", "company": "X Education"}
    leads = [lead_facts(uuid.uuid4(), f"lead-{n}@x-education.example", student) for n in range(3)]
    result = plan(leads)
    assert result.accounts == {} and set(result.account_of.values()) <= {None}


def test_an_account_is_known_by_the_names_its_people_give_and_matched_by_them():
    result = plan([facts("a@nwt.example"), facts("b@nwt.example", "Northwind Traders Ltd")])
    [account] = result.accounts.values()
    assert account.name == "Nwt" and account.names == {"northwind traders"}
    later = facts("c@gmail.com", "Northwind Traders")
    assert plan([later], [account]).account_of[later.lead_id] == account.account_id


def test_a_typo_in_a_long_name_applies_a_weak_name_is_suggested_an_unlike_one_is_nothing():
    acme = AccountState(uuid.uuid4(), 3, "Nwt", ["nwt.example"], 2, names={"northwind traders"})
    strong, weak, unlike = (
        facts("x@gmail.com", "Nortwind Traders Inc"),
        facts("y@gmail.com", "Northwind"),
        facts("z@gmail.com", "Contoso"),
    )
    result = plan([strong, weak, unlike], [acme])
    assert result.account_of == {strong.lead_id: acme.account_id, weak.lead_id: None, unlike.lead_id: None}
    [suggestion] = [o.data for o in result.matched if not o.data.applied]
    assert (suggestion.lead_id, suggestion.account_id, suggestion.method) == (
        weak.lead_id,
        acme.account_id,
        MatchMethod.name,
    )
    assert 0.7 <= suggestion.confidence < 0.85
    assert result.people_delta == {acme.account_id: 1}


def test_a_subsidiary_domain_joins_the_account_its_company_name_names():
    acme = AccountState(uuid.uuid4(), 1, "Acme", ["acme.example"], 1, names={"acme holdings"})
    lead = facts("fay@acme-labs.example", "ACME Holdings, Inc.")
    result = plan([lead], [acme])
    assert result.account_of[lead.lead_id] == acme.account_id
    assert result.new_domains == [("acme-labs.example", acme.account_id)]


def test_names_whose_numbers_differ_are_other_companies():
    """A marketer's hour: "Acme 2 Inc" and "Acme 3 Inc" were suggested for Acme 1's account (79%)."""
    acme1 = AccountState(uuid.uuid4(), 1, "Acme1", ["acme1.example"], 1, names={"acme 1"})
    other = facts("pat@acme2.example", "Acme 2 Inc")
    result = plan([other], [acme1])
    assert [o.data.account_id for o in result.matched if not o.data.applied] == []
    assert name_similarity("studio 54", "studio 55") == 0.0
    assert name_similarity("acme 1", "acme 1 labs") >= 0.85  # the same number: still alike
    assert name_similarity("acme", "acme 2") >= 0.85  # one without a number: maybe the same


def test_two_close_names_apply_neither():
    a = AccountState(uuid.uuid4(), 1, "Blue Harbor", [], 1)
    b = AccountState(uuid.uuid4(), 1, "Blue Harbour", [], 1)
    lead = facts("x@gmail.com", "Blue Harbr")
    result = plan([lead], [a, b])
    assert result.account_of[lead.lead_id] is None
    assert [o.data.applied for o in result.matched] == [False]


def test_a_website_matches_a_free_mail_person_and_fit_fields_fill_what_is_missing():
    acme = AccountState(uuid.uuid4(), 1, "Acme", ["acme.example"], 1, country="GB")
    lead = lead_facts(
        uuid.uuid4(),
        "ada@gmail.com",
        {
            "company_size": "11-50",
            "country": "FR",
            "attributes": {"website": "www.acme.example", "industry": "Retail"},
        },
    )
    result = plan([lead], [acme])
    [matched] = [o.data for o in result.matched]
    assert (matched.method, matched.confidence) == (MatchMethod.website, 0.9)
    assert (acme.company_size, acme.industry, acme.country) == ("11-50", "Retail", "GB")


def test_events_are_the_stored_accounts_then_the_matches_keyed_by_account():
    result = plan([facts("a@acme.example", "Acme")])
    stored = list(result.accounts.values())
    events = result.events(stored, NOW)
    assert [type(e.data) for e in events] == [AccountUpdated, LeadMatched]
    assert {e.subject for e in events} == {stored[0].account_id}


def test_a_link_by_hand_moves_the_lead_and_an_unlink_pins_it():
    a = AccountState(uuid.uuid4(), 1, "A", ["a.example"], 1)
    b = AccountState(uuid.uuid4(), 1, "B", ["b.example"], 0)
    lead = facts("x@a.example")
    first = plan([lead], [a, b])
    current = first.links[lead.lead_id]
    moved = AccountPlan()
    link_by_hand(moved, AccountBook([a, b]), lead.lead_id, current, b, NOW)
    [event] = [o.data for o in moved.matched]
    assert (event.account_id, event.previous_account_id, event.method, event.by) == (
        b.account_id,
        a.account_id,
        MatchMethod.manual,
        "user",
    )
    assert moved.people_delta == {a.account_id: -1, b.account_id: 1}
    pinned = AccountPlan()
    unlink_by_hand(pinned, AccountBook([a, b]), moved.links[lead.lead_id], NOW)
    assert pinned.links[lead.lead_id].account_id is None
    again = plan_accounts([lead], [], dict(pinned.links), AccountBook([a, b]), now=NOW)
    assert again.account_of[lead.lead_id] is None and not again.matched


def test_a_linked_person_saying_more_of_her_company_fills_what_its_account_lacks():
    acme = AccountState(uuid.uuid4(), 2, "Acme", ["acme.example"], 1)
    lead_id = uuid.uuid4()
    first = plan([lead_facts(lead_id, "ada@acme.example", {})], [acme])
    links = dict(first.links)
    more = lead_facts(lead_id, "ada@acme.example", {"company_size": "51-200", "country": "GB"})
    again = plan_accounts([more], [], links, AccountBook([acme]), now=NOW)
    assert (acme.company_size, acme.country) == ("51-200", "GB")
    assert again.people_delta == {acme.account_id: 0} and not again.matched
    unchanged = plan_accounts([more], [], links, AccountBook([acme]), now=NOW)
    assert unchanged.accounts == {}, "nothing new: no change, no event"
