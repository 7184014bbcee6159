"""What a person types to name the account another is merged into, read as a rule (no I/O):
the other account's page address or id, a domain (`acme.example`, or an email address at it),
or a part of its name."""

import re
import uuid
from dataclasses import dataclass
from typing import Literal

MAX_TYPED = 200
_ID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}")


@dataclass(frozen=True)
class MergeTarget:
    kind: Literal["id", "domain", "name"]
    value: str


def merge_target(typed: str) -> MergeTarget | str:
    """The account the words name, or why they name none (a sentence for the field)."""
    text = typed.strip()
    if not text:
        return "required: the other account's domain, name or page address"
    if len(text) > MAX_TYPED:
        return f"at most {MAX_TYPED} characters"
    found = _ID.search(text) if ("/accounts/" in text or _ID.fullmatch(text)) else None
    if found:
        return MergeTarget("id", str(uuid.UUID(found.group(0))))
    host = "" if " " in text else re.sub(r"^https?://", "", text.rsplit("@", 1)[-1].lower())
    host = host.split("/", 1)[0].rstrip(".")
    if host and _DOMAIN.fullmatch(host):
        return MergeTarget("domain", host)
    if len(text) < 2:
        return "give at least two letters of its name, or its domain"
    return MergeTarget("name", text)
