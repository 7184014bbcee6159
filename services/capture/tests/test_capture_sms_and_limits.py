import time

import pytest
from twilio.request_validator import RequestValidator

from leadflow_capture.app.ratelimit import TokenBuckets
from leadflow_capture.domain.leads import InvalidLead, Screening, parse_lead
from leadflow_capture.domain.sms import (
    OPT_IN_WORDS,
    OPT_OUT_WORDS,
    read_message,
    signature_is_valid,
    twilio_fields,
    twilio_signature,
    twiml,
)

KEYWORDS = {"DEMO": "demo", "PRICE": "pricing"}


def test_signature_matches_twilios_own_library():
    token, url = "12345", "https://leads.example.com/v1/leads/sms?tenant=a"
    params = {
        "From": "+14155550100",
        "To": "+14155550199",
        "Body": "DEMO please",
        "MessageSid": "SM123",
        "AccountSid": "AC1",
    }
    expected = RequestValidator(token).compute_signature(url, params)
    assert twilio_signature(token, url, params.items()) == expected
    assert signature_is_valid(token, url, params.items(), expected)
    assert not signature_is_valid(token, url, params.items(), None)
    assert not signature_is_valid("other-token", url, params.items(), expected)
    assert not signature_is_valid(token, url.replace("tenant=a", "tenant=b"), params.items(), expected)


@pytest.mark.parametrize("word", sorted(OPT_OUT_WORDS))
def test_opt_out_words_withdraw_consent(word):
    assert read_message(f"{word.lower()}", None, KEYWORDS).consent is False


@pytest.mark.parametrize("word", sorted(OPT_IN_WORDS))
def test_opt_in_words_give_it_back(word):
    assert read_message(word, None, KEYWORDS).consent is True


def test_opt_out_type_counts_even_for_custom_words():
    assert read_message("arret", "STOP", KEYWORDS).consent is False
    assert read_message("hello there", None, KEYWORDS).consent is None


def test_email_and_keyword_campaign_are_picked_up():
    intent = read_message("Demo for me: Ada.L@Example.com thanks", None, KEYWORDS)
    assert (intent.email, intent.keyword, intent.campaign) == ("Ada.L@Example.com", "DEMO", "demo")
    assert read_message("What is the price", None, KEYWORDS).campaign is None


def test_twiml_escapes_the_reply():
    assert twiml("Tom & Jerry <3") == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Tom &amp; Jerry &lt;3</Message></Response>'
    )
    assert twiml(None).endswith("<Response></Response>")


def test_token_bucket_allows_a_burst_then_refills():
    buckets = TokenBuckets(per_minute=3)
    assert [buckets.take("a", 0.0) for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a", 0.0) == pytest.approx(20.0)
    assert buckets.take("b", 0.0) == 0, "clients have their own buckets"
    assert buckets.take("a", 20.0) == 0, "one token back after 20 s at 3 per minute"


def test_token_buckets_forget_the_least_recent_clients():
    buckets = TokenBuckets(per_minute=1, max_clients=2)
    buckets.take("a", 0.0)
    buckets.take("b", 0.0)
    buckets.take("c", 0.0)
    assert buckets.take("a", 0.0) == 0, "a was forgotten and starts full"


@pytest.mark.parametrize("email", ["x@Spam.example", "x@mail.spam.example", "x@a.b.SPAM.example"])
def test_blocked_email_domains_and_every_domain_under_them_are_refused(email):
    screening = Screening(blocked_domains=frozenset({"spam.example"}))
    with pytest.raises(InvalidLead) as raised:
        parse_lead({"email": email}, default_region="US", screening=screening)
    assert raised.value.errors[0].name == "email"
    assert parse_lead({"email": "x@notspam.example"}, default_region="US", screening=screening).email


def test_picking_an_email_out_of_a_hostile_message_stays_linear():
    hostile = "@" + "a-" * 15_000  # searched whole with the pattern, this took a second
    started = time.process_time()
    assert read_message(hostile, None, KEYWORDS).email is None
    assert time.process_time() - started < 0.05
    assert read_message("mail me: (ada@example.com).", None, KEYWORDS).email == "ada@example.com"


def test_only_twilios_parameters_once_each_with_ids_of_its_shape():
    sid, account = "SM" + "a" * 32, "AC" + "b" * 32
    good = [
        ("From", "+14155550100"),
        ("Body", "hi"),
        ("MessageSid", sid),
        ("SmsSid", sid),
        ("MediaUrl0", "u"),
    ]
    fields, errors = twilio_fields([*good, ("AccountSid", account)], account)
    assert errors == [] and fields["Body"] == "hi"
    cases = {
        "BodyhiFrom": [("MessageSid", sid), ("BodyhiFrom", "+1")],
        "Body": [*good, ("Body", "STOP")],
        "MessageSid": [("From", "+1"), ("MessageSid", "SM-forged")],
        "SmsSid": [("From", "+1"), ("MessageSid", sid), ("SmsSid", "SM" + "c" * 32)],
        "AccountSid": [*good, ("AccountSid", "AC" + "d" * 32)],
    }
    for named, params in cases.items():
        _, errors = twilio_fields(params, account if named == "AccountSid" else "")
        assert errors, named
    _, errors = twilio_fields([*good[:1], ("Body", "x" * 1601), *good[2:]], "")
    assert [e.name for e in errors] == ["Body"]
