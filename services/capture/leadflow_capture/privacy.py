"""Do not contact: people who objected, or whose data was erased, are kept on a list of hashed
identifiers, and what they submit later is refused. Pure: no I/O.

The list holds SHA-256 digests of normalized identifiers, never the identifiers themselves: it
tells whether a submission comes from someone on it, and cannot be read back as a list of people.
"""

import hashlib

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
