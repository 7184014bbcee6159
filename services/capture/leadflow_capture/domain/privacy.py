"""Privacy rules. Pure: no I/O.

Do not contact: people who objected, or whose data was erased, are kept on a list of hashed
identifiers, and what they submit later is refused.

The list holds SHA-256 digests of normalized identifiers, never the identifiers themselves: it
tells whether a submission comes from someone on it, and cannot be read back as a list of people.
"""

import hashlib
import hmac
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

DOMAIN = b"leadflow-suppression:"
# The identifiers the list holds: a person's normalized email and phone.
IdentifierKind = Literal["email", "phone"]
Identifiers = dict[IdentifierKind, str]


def digest(kind: str, normalized: str) -> str:
    return hashlib.sha256(DOMAIN + f"{kind}:{normalized}".encode()).hexdigest()


def decoy_id(secret: bytes, *parts: str) -> uuid.UUID:
    """An id a listed person's refused submission is answered with: the same for the same parts
    (her lead id: her listed digest; a submission repeated under an Idempotency-Key: the key
    too), as a stored person's answers repeat theirs (fresh ids each time told she was listed).
    Keyed, so no one without the secret can compute it from an email."""
    mac = hmac.new(secret, "\x1f".join(("leadflow-decoy", *parts)).encode(), hashlib.sha256).digest()
    return uuid.UUID(bytes=mac[:16], version=4)


def digests_of(email: str | None, phone: str | None) -> list[str]:
    """The digests a lead with this (normalized) email and phone is known by."""
    found = []
    if email:
        found.append(digest("email", email))
    if phone:
        found.append(digest("phone", phone))
    return found


def screened_digests(email: str | None, phone: str | None) -> list[str]:
    """The digests a submission is checked against the list by: its own, and its email's
    without a `+tag` (`ada+news@x.example` reaches the listed `ada@x.example`'s mailbox: a probe
    came back through it)."""
    found = digests_of(email, phone)
    local, at, domain = (email or "").rpartition("@")
    if at and "+" in local and local.split("+", 1)[0]:
        found.append(digest("email", f"{local.split('+', 1)[0]}@{domain}"))
    return found


def suppression_rows(
    identifiers: Iterable[tuple[str, str]], reason: str, added_by: str
) -> list[dict[str, str]]:
    """The list's rows for these normalized identifiers ((kind, value) pairs): digests only,
    each once, in digest order (two transactions listing the same ones insert in one order)."""
    kinds = {digest(kind, value): kind for kind, value in identifiers}
    return [
        {"digest": key, "kind": kinds[key], "reason": reason, "added_by": added_by} for key in sorted(kinds)
    ]


def listed_on_erasure(
    asked: dict[str, str], held: set[tuple[str, str]], *, suppress: bool
) -> set[tuple[str, str]]:
    """What an erasure puts on the list: every email and phone the person's leads held, however
    she was named (email, phone or a lead id), and those she was named by (someone with no lead
    left is listed too: she asked); nothing when told not to (`"suppress": false`, retention)."""
    return set(asked.items()) | held if suppress else set()


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


class ErasureStatus(StrEnum):
    pending = "pending"  # some service has not erased its copy yet
    done = "done"  # every service has erased its copy
