"""Privacy rules (pure): the do-not-contact digests and what an erasure lists, an erasure's
progress per service, and the consent ledger's changes and where each was given."""

from datetime import UTC, datetime, timedelta

from leadflow_capture.domain import consents, privacy
from leadflow_capture.domain.leads import NormalizedLead
from leadflow_common.events import Channel, ConsentGrant

T0 = datetime(2026, 11, 26, tzinfo=UTC)


def test_digests_name_the_kind_and_never_hold_the_value():
    email, phone = privacy.digest("email", "ada@example.com"), privacy.digest("phone", "+14155550100")
    assert email != privacy.digest("phone", "ada@example.com")  # same text, another kind
    assert "ada" not in email and len(email) == 64
    assert privacy.digests_of("ada@example.com", "+14155550100") == [email, phone]
    assert privacy.digests_of(None, None) == []


def test_a_submission_from_a_plus_address_is_checked_as_its_mailbox_too():
    listed = privacy.digest("email", "ada@x.example")
    assert listed in privacy.screened_digests("ada+news@x.example", None)
    assert listed not in privacy.screened_digests("adam@x.example", None)
    assert privacy.screened_digests("+tag@x.example", None) == privacy.digests_of("+tag@x.example", None)


def test_an_erasure_lists_every_identifier_her_leads_held_unless_told_not_to():
    held = {("email", "ada@example.com"), ("email", "ada@work.example"), ("phone", "+14155550100")}
    asked = {"email": "ada@example.com"}
    assert privacy.listed_on_erasure(asked, held, suppress=True) == held
    assert privacy.listed_on_erasure({}, held, suppress=True) == held  # asked by a lead id
    gone = {"email": "gone@example.com"}  # no lead left: she is listed as she asked
    assert privacy.listed_on_erasure(gone, set(), suppress=True) == {("email", "gone@example.com")}
    assert privacy.listed_on_erasure(asked, held, suppress=False) == set()


def test_suppression_rows_hold_digests_once_each_in_digest_order():
    pairs = [("phone", "+14155550100"), ("email", "ada@example.com"), ("phone", "+14155550100")]
    rows = privacy.suppression_rows(pairs, "erasure", "key:admin")
    assert [row["digest"] for row in rows] == sorted(
        {privacy.digest("email", "ada@example.com"), privacy.digest("phone", "+14155550100")}
    )
    assert {row["kind"] for row in rows} == {"email", "phone"}
    assert "ada" not in str(rows) and "5550100" not in str(rows)


def test_a_service_is_done_when_it_has_answered_for_every_lead_of_the_erasure():
    applied = {
        "capture": (2, T0),
        "scoring": (2, T0 + timedelta(seconds=1)),
        "routing": (1, T0 + timedelta(seconds=2)),
    }
    parts = {part.service: part for part in privacy.progress(2, applied)}
    assert set(parts) == set(privacy.ERASING_SERVICES)
    assert parts["scoring"].completed_at == T0 + timedelta(seconds=1) and parts["scoring"].erased == 2
    assert parts["routing"].completed_at is None and parts["routing"].erased == 1
    assert parts["console"].erased == 0 and parts["console"].completed_at is None


def lead(**fields) -> NormalizedLead:
    base = {"email": None, "phone": None, "profile": {}, "consent": {}, "attribution": {}, "attributes": {}}
    return NormalizedLead(**{**base, **fields})


def test_where_consent_was_given_names_the_page_the_popup_or_the_sms_keyword():
    page = {"landing_url": "https://shop.example/pricing"}
    assert consents.where_given(Channel.landing_page, lead(attribution=page)) == {"page": page["landing_url"]}
    popup = lead(attributes={"popup_id": "spring-sale"}, attribution={"referrer": "https://x.example"})
    assert consents.where_given(Channel.popup, popup) == {
        "page": "https://x.example",
        "popup_id": "spring-sale",
    }
    assert consents.where_given(Channel.sms, lead(message="stop. please")) == {"keyword": "STOP"}
    assert consents.where_given(Channel.api, lead(attributes={"popup_id": "x"})) == {}


def test_a_consent_change_is_a_new_or_different_grant():
    grant = ConsentGrant(granted=True, at=T0, channel=Channel.popup)
    withdrawn = ConsentGrant(granted=False, at=T0 + timedelta(minutes=1), channel=Channel.sms)
    assert consents.changed({}, {"sms": grant}) == [("sms", grant)]
    assert consents.changed({"sms": grant}, {"sms": grant}) == []
    assert consents.changed({"sms": grant, "email": grant}, {"sms": withdrawn, "email": grant}) == [
        ("sms", withdrawn)
    ]
