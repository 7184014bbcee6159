"""What account events change in the console's read model, pure (account_projection.py)."""

import uuid
from datetime import UTC, datetime, timedelta

from leadflow_common.account_events import (
    AccountOwnerChanged,
    AccountScored,
    AccountUpdated,
    LeadMatched,
    MatchMethod,
)
from leadflow_common.events import RepRef, Temperature, Tier, new_event
from leadflow_common.in_words import label
from leadflow_console.domain.account_projection import fold_accounts

T0 = datetime(2026, 12, 3, 12, tzinfo=UTC)
ACCOUNT = uuid.uuid4()


def event(data):
    return new_event(data, source="test", subject=ACCOUNT)


def scored(revision: int, temperature: Temperature, previous: Temperature | None) -> AccountScored:
    return AccountScored(
        account_id=ACCOUNT,
        revision=revision,
        score=75 if temperature == Temperature.hot else 50,
        temperature=temperature,
        previous_temperature=previous,
        scored_at=T0 + timedelta(minutes=revision),
    )


def test_the_newest_revision_of_an_account_and_of_its_score_win_whatever_the_order():
    updates = [
        AccountUpdated(account_id=ACCOUNT, revision=r, name=f"Acme {r}", domains=["acme.example"], at=T0)
        for r in (2, 3, 1)
    ]
    scores = [scored(2, Temperature.hot, Temperature.warm), scored(1, Temperature.warm, None)]
    changes = fold_accounts([event(data) for data in [*updates, *scores]])
    assert (
        changes.accounts[ACCOUNT]["name"] == "Acme 3" and changes.accounts[ACCOUNT]["search_name"] == "acme 3"
    )
    assert changes.scores[ACCOUNT]["score_revision"] == 2
    assert changes.scores[ACCOUNT]["hot_at"] == T0 + timedelta(minutes=2), "turning hot is dated"
    staying = fold_accounts([event(scored(3, Temperature.hot, Temperature.hot))])
    assert staying.scores[ACCOUNT]["hot_at"] is None, "staying hot keeps the date it turned"


def test_an_account_turned_hot_and_scored_again_in_one_batch_keeps_the_date_it_turned():
    rescored = [scored(2, Temperature.hot, Temperature.warm), scored(3, Temperature.hot, Temperature.hot)]
    changes = fold_accounts([event(data) for data in rescored])
    assert changes.scores[ACCOUNT]["score_revision"] == 3
    assert changes.scores[ACCOUNT]["hot_at"] == T0 + timedelta(minutes=2), "it turned hot at revision 2"
    cooling = scored(4, Temperature.warm, Temperature.hot)
    cooled = fold_accounts([event(data) for data in [*rescored, cooling]])
    assert cooled.scores[ACCOUNT]["hot_at"] is None, "no longer hot: no date of turning hot"
    # In any order within the batch (a second read ran these two against the first version).
    backwards = fold_accounts([event(data) for data in reversed(rescored)])
    assert backwards.scores[ACCOUNT]["hot_at"] == T0 + timedelta(minutes=2)
    again = [
        scored(2, Temperature.hot, Temperature.warm),
        scored(4, Temperature.hot, Temperature.warm),
        cooling,
    ]
    again[2] = scored(3, Temperature.warm, Temperature.hot)
    rehot = fold_accounts([event(data) for data in again])  # hot at 2, cooled at 3, hot again at 4
    assert rehot.scores[ACCOUNT]["hot_at"] == T0 + timedelta(minutes=4), "the latest time it turned hot"


def test_the_latest_owner_and_match_win_and_a_match_is_a_line_on_the_leads_timeline():
    rep = RepRef(id=uuid.uuid4(), name="Nora", email="nora@sales.example", tier=Tier.senior)
    owners = [
        AccountOwnerChanged(account_id=ACCOUNT, owner=rep, by="system", at=T0 + timedelta(minutes=1)),
        AccountOwnerChanged(account_id=ACCOUNT, owner=None, by="admin", at=T0),
    ]
    lead = uuid.uuid4()
    matches = [
        LeadMatched(lead_id=lead, account_id=ACCOUNT, method=MatchMethod.domain, confidence=1, at=T0),
        LeadMatched(
            lead_id=lead,
            account_id=None,
            previous_account_id=ACCOUNT,
            method=MatchMethod.manual,
            confidence=1,
            by="user",
            at=T0 + timedelta(minutes=2),
        ),
        LeadMatched(
            lead_id=uuid.uuid4(),
            account_id=ACCOUNT,
            method=MatchMethod.name,
            confidence=0.6,
            applied=False,
            at=T0,
        ),
    ]
    changes = fold_accounts([event(data) for data in [*owners, *matches]])
    assert changes.owners[ACCOUNT]["owner_name"] == "Nora"
    assert list(changes.links) == [lead], "a suggestion changes nothing"
    assert changes.links[lead]["account_id"] is None, "the latest: unlinked by hand"
    titles = [entry["title"] for entry in changes.timeline]
    assert titles == ["Joined an account by email domain (100% sure)", "Left its account (by hand)"]
    erased = LeadMatched(
        lead_id=lead,
        account_id=None,
        previous_account_id=ACCOUNT,
        method=MatchMethod.manual,
        confidence=1,
        at=T0,
    )
    assert fold_accounts([event(erased)]).timeline == [], "an erasure taking her out adds no line"


def test_account_score_lines_are_said_in_words():
    assert label("account:engaged_people") == "Engaged people (warm or hot)"
    assert label("account:seniority:c_level") == "Seniority covered: C-level"
    assert label("account:recent") == "Someone active lately"


def test_a_match_says_how_a_captured_lead_joined_whichever_came_first():
    from leadflow_common.events import Channel, LeadCaptured, LeadProfile, SubmissionSummary

    lead = uuid.uuid4()
    profile = LeadProfile(lead_id=lead, revision=1, created_at=T0, updated_at=T0)
    captured = LeadCaptured(
        lead=profile,
        account_id=ACCOUNT,
        channel=Channel.api,
        submission=SubmissionSummary(submission_id=uuid.uuid4(), channel=Channel.api, received_at=T0),
    )
    matched = LeadMatched(lead_id=lead, account_id=ACCOUNT, method=MatchMethod.domain, confidence=1, at=T0)
    for order in ([captured, matched], [matched, captured]):
        links = fold_accounts([event(data) for data in order]).links
        assert links[lead]["method"] == "domain", order


def test_a_batch_names_the_accounts_it_changed_and_the_leads_whose_account_page_may_show_it():
    from leadflow_common.account_events import AccountSuggestionDismissed
    from leadflow_common.events import LeadScored
    from leadflow_console.domain.account_projection import touched

    other, merged, ada, bea = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    moved = LeadMatched(
        lead_id=ada,
        account_id=None,
        previous_account_id=other,
        method=MatchMethod.manual,
        confidence=1,
        at=T0,
    )
    dismissed = AccountSuggestionDismissed(account_id=ACCOUNT, lead_id=bea, at=T0)
    update = AccountUpdated(account_id=merged, revision=2, name="Acme", merged_into=ACCOUNT, at=T0)
    owner = AccountOwnerChanged(
        account_id=ACCOUNT, owner=None, previous_owner_id=uuid.uuid4(), by="admin", at=T0
    )
    score = LeadScored.model_construct(lead_id=bea)  # a lead's own event: her account, if any, is looked up
    accounts, leads = touched([event(data) for data in (moved, dismissed, update, owner, score)])
    assert accounts == {other, ACCOUNT, merged}, (
        "the account left, the one dismissing, the one merged and into"
    )
    assert leads == {bea}, "an account event's own people are not looked up: it names its account"
