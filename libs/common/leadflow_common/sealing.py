"""Personal data in events is sealed with the person's own key ("crypto-shredding"). Pure: no I/O.

Every copy of an event (the topic, its dead-letter topic, a consumer's lag, a broker's backup)
holds a person's name, email, phone, message and free-form properties only as AES-GCM ciphertext
under a key kept for that lead in the keyring (`keyring.py`). Erasing the person destroys the key:
every copy anywhere becomes unreadable at once, without rewriting a topic (Kafka cannot delete
one record). Ids, scores, channels, consent and timestamps stay in the clear: consumers route
and count on them, and they say nothing about who the person is.

On the wire a sealed part of an event keeps its other fields and carries `sealed`, a base64url
string of a 12-byte nonce followed by the ciphertext of a JSON object of the fields it took. The
lead id (the event's subject) is the associated data: a sealed part cannot be moved to another
lead's event and opened with that lead's key.
"""

import base64
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from leadflow_common import json_text

SEALED_FIELD = "sealed"
KEY_BYTES = 32
NONCE_BYTES = 12

# What in a lead profile or a contact card says who the person is, or may (free text, URLs that
# carry query strings, custom attributes).
PROFILE_FIELDS = frozenset(
    {"email", "phone", "first_name", "last_name", "company", "job_title", "city", "attributes", "attribution"}
)
CARD_FIELDS = frozenset({"first_name", "last_name", "email", "phone", "company", "job_title", "attribution"})

# Per event type: which part of `data` is sealed (a key of `data`, or None for `data` itself) and
# which of its fields.
SEALED_PARTS: dict[str, tuple[tuple[str | None, frozenset[str]], ...]] = {
    "lead.captured": (("lead", PROFILE_FIELDS), ("submission", frozenset({"message"}))),
    "lead.merged": (("lead", PROFILE_FIELDS),),
    "lead.activity": ((None, frozenset({"properties"})),),
    "lead.scored": (("card", CARD_FIELDS),),
    "lead.routed": (("lead", CARD_FIELDS),),
    "lead.reassigned": (("lead", CARD_FIELDS),),
    "lead.nurtured": (("lead", CARD_FIELDS),),
    "lead.waiting_too_long": (("lead", CARD_FIELDS),),
}


class UnreadableSeal(ValueError):
    """A sealed part that its (existing) key does not open: the record is corrupt."""


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


def is_sealable(event_type: str) -> bool:
    return event_type in SEALED_PARTS


def _copy_parts(
    event_type: str, data: dict[str, Any]
) -> tuple[dict[str, Any], list[tuple[dict[str, Any], frozenset[str]]]]:
    """`data` with each of its sealable parts copied (the caller's dicts stay as they were), and
    those parts with their personal fields."""
    data = dict(data)
    parts = []
    for name, fields in SEALED_PARTS.get(event_type, ()):
        if name is None:
            parts.append((data, fields))
        elif isinstance(data.get(name), dict):
            data[name] = dict(data[name])
            parts.append((data[name], fields))
    return data, parts


def seal(event_type: str, data: dict[str, Any], key: bytes | None, subject: str) -> dict[str, Any]:
    """`data` (JSON-ready) with its personal fields sealed under `key`; without a key (the person
    was erased) they are left out altogether."""
    data, parts = _copy_parts(event_type, data)
    for part, fields in parts:
        taken = {name: part.pop(name) for name in fields & part.keys()}
        taken = {name: value for name, value in taken.items() if value not in (None, {}, [])}
        if taken and key is not None:
            nonce = os.urandom(NONCE_BYTES)
            box = AESGCM(key).encrypt(nonce, json_text.dump_bytes(taken), subject.encode())
            part[SEALED_FIELD] = base64.urlsafe_b64encode(nonce + box).decode()
    return data


def is_sealed(event_type: str, data: dict[str, Any]) -> bool:
    return any(SEALED_FIELD in part for part, _ in _copy_parts(event_type, data)[1])


def unseal(event_type: str, data: dict[str, Any], key: bytes | None, subject: str) -> dict[str, Any]:
    """`data` with its sealed parts opened; without a key (the person was erased) they are
    dropped and the event reads as one without personal data."""
    data, parts = _copy_parts(event_type, data)
    for part, fields in parts:
        box = part.pop(SEALED_FIELD, None)
        if box is None or key is None:
            continue
        try:
            raw = base64.urlsafe_b64decode(box)
            plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], subject.encode())
            opened = json_text.loads(plain)
        except (InvalidTag, ValueError, TypeError) as error:
            raise UnreadableSeal(f"a sealed part of a {event_type} event does not open") from error
        if not isinstance(opened, dict):
            raise UnreadableSeal(f"a sealed part of a {event_type} event holds no fields")
        part.update({name: value for name, value in opened.items() if name in fields})
    return data
