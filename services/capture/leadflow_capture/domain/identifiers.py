"""A person's identifiers, pure: an email address and a phone number in their normalized form
(what merges submissions into one lead, and what the do-not-contact list digests), and the
checks a public channel adds because anyone on the internet can type into it."""

import functools
import importlib
import unicodedata

import idna
import phonenumbers
import regex
from email_validator import EmailNotValidError, validate_email

# Numbers whose caller pays a tariff that can fund the number's holder: a lead carrying one
# turns a rep's call back into revenue for whoever typed it. Company numbers (UAN) and personal
# numbers are charged at ordinary rates in most plans, and companies give them as their
# switchboard, so they stay accepted.
PAY_NUMBER_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.PREMIUM_RATE, phonenumbers.PhoneNumberType.SHARED_COST}
)

# UTS #39's "highly restrictive" level: one script per part, except that Han goes with Hiragana
# and Katakana (Japanese), Bopomofo (Chinese) or Hangul (Korean), each also beside Latin. Only
# letters count; digits, punctuation and combining marks belong to every script.
_EAST_ASIAN = r"\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}\p{sc=Bopomofo}"
_NEUTRAL = r"\p{sc=Common}\p{sc=Inherited}"
# Latin, Greek and Cyrillic are where letters pass for each other (`a` and Cyrillic U+0430, `o` and
# Greek U+03BF): a part may hold one of them, or any other script alone.
_LOOK_ALIKE_SCRIPTS = {name: regex.compile(rf"\p{{sc={name}}}") for name in ("Latin", "Greek", "Cyrillic")}
_OTHER_SCRIPT = regex.compile(
    rf"[^{''.join(p.pattern for p in _LOOK_ALIKE_SCRIPTS.values())}{_EAST_ASIAN}{_NEUTRAL}]"
)


# email-validator checks an address's domain (IDNA, labels, the special-use names) with one pure
# function of the domain and two flags, ~half of its time per address; a form's leads come
# from few domains (a company's, the big mail providers), so that check is kept for the
# domains seen last. Bounded: a client sending made-up domains only cycles the cache. A domain
# refused raises and is never kept, so it is checked again every time, as before.
# (`email_validator.validate_email` names the function, so its module is found by its name.)
MAX_KEPT_DOMAINS = 1024
_checks = vars(importlib.import_module("email_validator.validate_email"))
_checks["validate_email_domain_name"] = functools.lru_cache(maxsize=MAX_KEPT_DOMAINS)(
    _checks["validate_email_domain_name"]
)


def normalize_email(value: str) -> str:
    """The address as one person's key: compatibility forms folded first (NFKC: the full-width
    forms of `ada@example.com` are `ada@example.com`), then validated and lower-cased."""
    try:
        return validate_email(
            unicodedata.normalize("NFKC", value), check_deliverability=False
        ).normalized.lower()
    except EmailNotValidError as error:
        raise ValueError(str(error)) from None


def mixes_scripts(text: str) -> bool:
    """Whether one part of an address (a local part, or a domain label) mixes scripts whose
    letters look alike, like a Cyrillic U+0430 `a` among Latin letters."""
    found = {name for name, pattern in _LOOK_ALIKE_SCRIPTS.items() if pattern.search(text)}
    if _OTHER_SCRIPT.search(text):
        found.add("other")
    return len(found) > 1


def email_mixes_scripts(address: str) -> bool:
    local, _, domain = address.rpartition("@")
    return any(mixes_scripts(part) for part in [local, *domain.split(".")])


def domain_and_parents(domain: str) -> list[str]:
    """`mail.spam.example` → itself, `spam.example`, `example`; each in its ASCII (IDNA) form
    too, so a list may name an internationalized domain either way."""
    labels = domain.lower().rstrip(".").split(".")
    names = [".".join(labels[start:]) for start in range(len(labels))]
    return names + [ascii_form for name in names if (ascii_form := _ascii(name)) != name]


def _ascii(domain: str) -> str:
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        return domain


def is_blocked(address: str, blocked: frozenset[str]) -> bool:
    """Whether the address's domain, or any domain above it, is listed."""
    return bool(blocked) and any(name in blocked for name in domain_and_parents(address.rpartition("@")[2]))


def normalize_phone(value: str, default_region: str) -> str:
    """The number in E.164, or ValueError when it is not a valid number."""
    try:
        number = phonenumbers.parse(value, default_region.upper())
    except phonenumbers.NumberParseException as error:
        raise ValueError(f"not a phone number: {error}") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_pay_number(e164: str) -> bool:
    """Whether a normalized number is premium-rate or shared-cost (PAY_NUMBER_TYPES)."""
    return phonenumbers.number_type(phonenumbers.parse(e164)) in PAY_NUMBER_TYPES
