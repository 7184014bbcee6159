"""Idempotency keys as capture stores them: scoped to the channel and the caller, so one client's
key can never answer for another client's submission, nor a form's key for an SMS; hashed, so
the stored key has a fixed length; and stored with a hash of the request, so the same key with
another body is a conflict (409) rather than a silent repeat."""

import hashlib
import json
import re

from leadflow_common.errors import Invalid
from leadflow_common.events import Channel

MAX_KEY_LENGTH = 255
HEADER = "Idempotency-Key"
_PRINTABLE = re.compile(r"^[\x20-\x7e]+$")


def checked_key(raw: str | None) -> str | None:
    """The client's key, or 422 naming the header when it is not 1 to 255 printable characters."""
    if raw is None:
        return None
    if not 0 < len(raw) <= MAX_KEY_LENGTH or not _PRINTABLE.match(raw):
        raise Invalid.field(HEADER, f"1 to {MAX_KEY_LENGTH} printable ASCII characters")
    return raw


def scoped_key(channel: Channel, caller: str, key: str) -> str:
    return hashlib.sha256(f"{channel.value}\x1f{caller}\x1f{key}".encode()).hexdigest()


def request_hash(fields: object) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
