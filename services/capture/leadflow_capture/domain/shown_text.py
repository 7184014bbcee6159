"""What a lead types that a rep's notification shows (names, company, job title), screened on a
public channel: it may not hold a web or mail address. The rep's mail says it, and mail clients
turn an address into a link (a probe's name "Eve https://evil.example/login" was a lure there;
a second read found the company, shown in the mail's subject, open the same way). Pure: no I/O."""

import re

from leadflow_common.errors import FieldError

LINK_MARKS = ("://", "www.", "@")
# A domain followed by a path ("evil.example/login"): a link to a mail client without a scheme.
# Only this form of a bare domain: a company may be called "Booking.com".
DOMAIN_WITH_PATH = re.compile(r"[\w-]+\.[a-z]{2,}/", re.IGNORECASE)
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
        text = (value or "").casefold()
        if any(mark in text for mark in LINK_MARKS) or DOMAIN_WITH_PATH.search(text):
            errors.append(FieldError(name=name, message=f"{SHOWN_FIELDS[name]}, not a web or email address"))
    return errors
