"""One-click accept and reject links for a rep's notification: a token naming the assignment,
the rep and the action, signed with routing's link key, expiring with the offer's SLA, and used
once (routing keeps the ids of used tokens). Pure, except for the clock passed in."""

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from leadflow_common.errors import Invalid

Action = Literal["accept", "reject"]


class InvalidLink(Invalid, ValueError):
    """A link that opens nothing (the use case names the field: `token`). Still a ValueError:
    `verify` tells a damaged token by the ValueErrors its parsing raises."""


@dataclass(frozen=True)
class Link:
    token_id: str
    assignment_id: uuid.UUID
    rep_id: uuid.UUID
    action: Action
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key: bytes, link: Link) -> str:
    body = {
        "jti": link.token_id,
        "a": str(link.assignment_id),
        "r": str(link.rep_id),
        "x": link.action,
        "e": int(link.expires_at.timestamp()),
    }
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload}.{_b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())}"


def verify(key: bytes, token: str, now: datetime) -> Link:
    try:
        payload, signature = token.split(".")
        expected = hmac.new(key, payload.encode(), hashlib.sha256).digest()
        # Compared as issued, character for character: base64 decoding ignores a last
        # character's spare bits, so a link altered there decodes to the same signature.
        if not hmac.compare_digest(_b64(expected), signature):
            raise InvalidLink("this link was not issued by Leadflow")
        body = json.loads(_unb64(payload))
        link = Link(
            token_id=body["jti"],
            assignment_id=uuid.UUID(body["a"]),
            rep_id=uuid.UUID(body["r"]),
            action=body["x"],
            expires_at=datetime.fromtimestamp(body["e"], tz=now.tzinfo),
        )
    except InvalidLink:
        raise  # said as it is (an InvalidLink is a ValueError too: it read "damaged")
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidLink("this link is damaged") from error
    if link.action not in ("accept", "reject"):
        raise InvalidLink("this link is damaged")
    if link.expires_at <= now:
        raise InvalidLink("this link has expired: the offer's time to accept is over")
    return link


def link_key(secret: str) -> bytes:
    """The link key, derived so it is never the secret it comes from."""
    return hmac.new(secret.encode(), b"leadflow routing links", hashlib.sha256).digest()
