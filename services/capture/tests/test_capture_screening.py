"""The public channels' screening, pure: look-alike email addresses, pay numbers, blocked
domains and their subdomains, redirect targets, and the honeypot's pacing."""

import phonenumbers
import pytest

from leadflow_capture.app.pacing import COLD_START_SECONDS, RecentLatencies
from leadflow_capture.domain.identifiers import (
    domain_and_parents,
    email_mixes_scripts,
    is_pay_number,
    normalize_email,
)
from leadflow_capture.domain.leads import InvalidLead, Screening, parse_lead
from leadflow_capture.domain.redirects import allowed_redirect, target_origin

PUBLIC = Screening(refuse_mixed_scripts=True, refuse_pay_numbers=True, refuse_links=True)
FULL_WIDTH = "".join(chr(ord(c) + 0xFEE0) for c in "ada@example.com")  # U+FF01.. mirror ASCII


def problems(fields: dict, screening: Screening = PUBLIC) -> dict[str, str]:
    with pytest.raises(InvalidLead) as raised:
        parse_lead(fields, default_region="US", screening=screening)
    return {error.name: error.message for error in raised.value.errors}


@pytest.mark.parametrize("email", [FULL_WIDTH, "ADA@\uff45xample.com", "\uff41da@example.com"])
def test_full_width_forms_normalize_to_the_plain_address(email):
    assert normalize_email(email) == "ada@example.com"


@pytest.mark.parametrize(
    "email",
    [
        "\u0430da@example.com",  # Cyrillic a in a Latin local part
        "ada@ex\u0430mple.com",  # ... in a Latin domain label
        "ad\u03b1@example.com",  # Greek alpha
        "\u0430\u03b4\u0430@example.com",  # Cyrillic beside Greek
    ],
)
def test_mixed_script_addresses_are_refused_on_public_channels_naming_email(email):
    assert email_mixes_scripts(normalize_email(email))
    assert "mixes scripts" in problems({"email": email})["email"]
    assert parse_lead({"email": email}, default_region="US").email  # a caller with a key is trusted


@pytest.mark.parametrize(
    "text",
    [
        "Eve https://evil.example/login",
        "WWW.evil.example",
        "eve@evil.example",
        "Eve evil.example/login",
        # A second probe's forms: port, query, IPv4, backslash, full-width, look-alike dots and
        # slashes, invisible characters.
        "evil.example:8443",
        "evil.example?x=1",
        "192.168.1.1/login",
        "https:/\\evil.example",
        "\uff57\uff57\uff57.evil.example",
        "evil\u3002example/login",
        "evil.example\u2215login",
        "w\u200bww.evil.example",
    ],
)
def test_a_name_company_or_title_with_a_web_or_mail_address_is_refused_on_public_channels(text):
    fields = {"last_name": text, "company": text, "job_title": text}
    assert problems({"email": "eve@example.com", **fields}) == {
        "last_name": "a name, not a web or email address",
        "company": "a company name, not a web or email address",
        "job_title": "a job title, not a web or email address",
    }
    assert parse_lead({"email": "eve@example.com", **fields}, default_region="US")  # a key: trusted
    plain = {"email": "jo@example.com", "first_name": "J.R.R.", "last_name": "O'Neil-Smith Jr."}
    plain |= {"company": "Booking.com", "job_title": "R&D / Sales"}
    assert parse_lead(plain, default_region="US", screening=PUBLIC).profile["company"] == "Booking.com"


@pytest.mark.parametrize(
    "email",
    [
        "ada@example.com",
        "\u0438\u0432\u0430\u043d@example.com",
        "\u5c71\u7530\u305f\u308d\u3046@example.jp",
        "yamada\u592a\u90ce@example.jp",
        "ada@b\u00fccher.example",
        "\u00e9lodie@example.fr",
    ],
)
def test_one_script_per_part_and_japanese_beside_latin_pass(email):
    assert parse_lead({"email": email}, default_region="US", screening=PUBLIC).email


@pytest.mark.parametrize(
    "kind", [phonenumbers.PhoneNumberType.PREMIUM_RATE, phonenumbers.PhoneNumberType.SHARED_COST]
)
@pytest.mark.parametrize("region", ["GB", "FR", "DE", "CH"])
def test_pay_numbers_are_refused_when_screened_naming_phone(kind, region):
    example = phonenumbers.example_number_for_type(region, kind)
    if example is None:
        pytest.skip(f"{region} has no {kind} numbers")
    number = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    assert is_pay_number(number)
    assert "premium-rate" in problems({"phone": number})["phone"]
    allowed = Screening(refuse_mixed_scripts=True, refuse_pay_numbers=False)
    assert parse_lead({"phone": number}, default_region="US", screening=allowed).phone == number


def test_ordinary_company_and_mobile_numbers_are_not_pay_numbers():
    for kind in (phonenumbers.PhoneNumberType.UAN, phonenumbers.PhoneNumberType.MOBILE):
        example = phonenumbers.example_number_for_type("GB", kind)
        assert not is_pay_number(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))


def test_a_domain_is_checked_with_every_parent_in_both_forms():
    assert domain_and_parents("Mail.Spam.example") == ["mail.spam.example", "spam.example", "example"]
    assert "xn--bcher-kva.example" in domain_and_parents("b\u00fccher.example")
    screening = Screening(blocked_domains=frozenset({"xn--bcher-kva.example"}))
    assert problems({"email": "x@news.b\u00fccher.example"}, screening)["email"]


@pytest.mark.parametrize(
    "target",
    [
        " https://shop.example/thanks",
        "https://shop.example/thanks ",
        "\thttps://shop.example/thanks",
        "https://shop.example/th\nanks",
        "https://shop.example/\x00",
        "https://shop.example/\x7f",
        "https://shop.example/\x85",
        "\u00a0https://shop.example/",
        "https://evil.example/",
        "javascript:alert(1)",
        "http://[::1",  # the parser raised: a 500 for a visitor whose lead was stored
        "https://[shop.example]/",
    ],
)
def test_redirect_targets_with_edge_spaces_controls_or_another_origin_are_refused(target):
    assert allowed_redirect(target, ["https://shop.example"]) is None
    assert target_origin(target) in ("(malformed)", "https://evil.example")


def test_an_allowed_redirect_target_is_kept_as_it_is():
    target = "https://Shop.example/thanks?x=1#top"
    assert allowed_redirect(target, ["https://shop.example"]) == target


def test_the_honeypots_wait_is_drawn_from_what_was_measured():
    latencies = RecentLatencies(keep=3)
    assert COLD_START_SECONDS[0] <= latencies.sample() <= COLD_START_SECONDS[1]
    for seconds in (0.1, 0.2, 0.3, 0.4):
        latencies.record(seconds)
    assert {latencies.sample() for _ in range(200)} == {0.2, 0.3, 0.4}
