"""What a lead types that a rep's notification shows (names, company, job title), screened on a
public channel: it may not hold a web or mail address. The rep's mail says it, and mail clients
turn an address into a link (a probe's name "Eve https://evil.example/login" was a lure there;
a second read found the company, shown in the mail's subject, open the same way). Pure: no I/O."""

import re
import unicodedata

from leadflow_common.errors import FieldError

LINK_MARKS = (":/", ":\\", "www.", "@")
# A domain (or an IPv4 address) followed by a port, path, query or fragment ("evil.example/login",
# "evil.example:8443", "192.168.1.1/x"): a link to a mail client without a scheme. Only these
# forms of a bare domain: a company may be called "Booking.com".
DOMAIN_WITH_MORE = re.compile(r"(?:[\w-]+\.[\w-]{2,}|\d{1,3}(?:\.\d{1,3}){3})[:/?#\\]")
# What reads as a dot or is not seen at all, as a linkifier may take it (a second probe passed
# "evil。example/login" and "w\u200bww.evil.example"); NFKC folds full-width forms first.
DOTS = str.maketrans(dict.fromkeys("\u3002\u2024\ufe52\uff0e", ".") | dict.fromkeys("\u2215\u2044", "/"))
SHOWN_FIELDS = {
    "first_name": "a name",
    "last_name": "a name",
    "company": "a company name",
    "job_title": "a job title",
}


def link_errors(values: dict[str, str | None]) -> list[FieldError]:
    """An error at each shown field holding a web or mail address."""
    errors = []
    for name, value in values.items():
        text = _as_read(value or "")
        if any(mark in text for mark in LINK_MARKS) or DOMAIN_WITH_MORE.search(text):
            errors.append(FieldError(name=name, message=f"{SHOWN_FIELDS[name]}, not a web or email address"))
    return errors


def _as_read(text: str) -> str:
    """The text as a linkifier may read it: compatibility forms folded, invisible characters
    dropped, dot and slash look-alikes as dots and slashes, lower case."""
    folded = unicodedata.normalize("NFKC", text).translate(DOTS)
    return "".join(c for c in folded if unicodedata.category(c) != "Cf").casefold()
