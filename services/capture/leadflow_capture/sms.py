"""Inbound SMS (Twilio's webhook) as pure functions: the request signature, what a message
says about consent, contact details and campaign, and the TwiML answer."""

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape

OPT_OUT_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
OPT_IN_WORDS = {"START", "UNSTOP", "YES"}
EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """Base64 HMAC-SHA1 of the full URL followed by every POST parameter's name and value,
    sorted by name (Twilio's scheme for X-Twilio-Signature)."""
    payload = url + "".join(name + value for name, value in sorted(params, key=lambda pair: pair[0]))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_is_valid(
    auth_token: str, url: str, params: Iterable[tuple[str, str]], given: str | None
) -> bool:
    if not given:
        return False
    return hmac.compare_digest(twilio_signature(auth_token, url, params).encode(), given.encode())


@dataclass(frozen=True)
class SmsIntent:
    consent: bool | None  # False: withdrawn; True: given back; None: not about consent
    email: str | None
    keyword: str | None
    campaign: str | None


def read_message(body: str, opt_out_type: str | None, keyword_campaigns: dict[str, str]) -> SmsIntent:
    words = body.strip().split()
    first = words[0].upper().strip(".!") if words else ""
    consent = None
    kind = (opt_out_type or "").upper()
    if first in OPT_OUT_WORDS or kind == "STOP":
        consent = False
    elif first in OPT_IN_WORDS or kind == "START":
        consent = True
    email = EMAIL_IN_TEXT.search(body)
    campaign = keyword_campaigns.get(first)
    return SmsIntent(
        consent=consent,
        email=email.group(0) if email else None,
        keyword=first if campaign else None,
        campaign=campaign,
    )


def twiml(reply: str | None) -> str:
    message = f"<Message>{escape(reply)}</Message>" if reply else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{message}</Response>'
