"""Privacy rules. Pure: no I/O.

Do not contact: people who objected, or whose data was erased, are kept on a list of hashed
identifiers, and what they submit later is refused.

The list holds SHA-256 digests of normalized identifiers, never the identifiers themselves: it
tells whether a submission comes from someone on it, and cannot be read back as a list of people.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime

DOMAIN = b"leadflow-suppression:"


def digest(kind: str, normalized: str) -> str:
    return hashlib.sha256(DOMAIN + f"{kind}:{normalized}".encode()).hexdigest()


def digests_of(email: str | None, phone: str | None) -> list[str]:
    """The digests a lead with this (normalized) email and phone is known by."""
    found = []
    if email:
        found.append(digest("email", email))
    if phone:
        found.append(digest("phone", phone))
    return found


def suppression_rows(identifiers: dict[str, str], reason: str, added_by: str) -> list[dict[str, str]]:
    """The list's rows for these normalized identifiers (kind → value): digests only."""
    return [
        {"digest": digest(kind, value), "kind": kind, "reason": reason, "added_by": added_by}
        for kind, value in identifiers.items()
    ]


# Who holds a person's data and answers each erasure (capture erases its part with the request).
ERASING_SERVICES = ("capture", "scoring", "routing", "webhooks", "console")


@dataclass(frozen=True)
class ServiceProgress:
    service: str
    erased: int  # leads this service has erased
    completed_at: datetime | None  # when it erased the last of them


def progress(lead_count: int, applied: dict[str, tuple[int, datetime]]) -> list[ServiceProgress]:
    """Each service's part of an erasure of `lead_count` leads, from what it has answered
    (per service: how many leads, the latest answer)."""
    found = []
    for service in ERASING_SERVICES:
        erased, latest = applied.get(service, (0, None))
        found.append(ServiceProgress(service, erased, latest if erased >= lead_count else None))
    return found
