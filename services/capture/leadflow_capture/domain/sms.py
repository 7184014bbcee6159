"""Inbound SMS (Twilio's webhook) as pure functions: the request signature, the parameters a
genuine request may carry, what a message says about consent, contact details and campaign,
and the TwiML answer."""

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from leadflow_common.errors import FieldError

OPT_OUT_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
OPT_IN_WORDS = {"START", "UNSTOP", "YES"}
# Matched against one word at a time (linear in the message): searching a whole hostile message
# with it backtracks quadratically (a second of CPU for 30 KB of "@a-a-a-…").
EMAIL_WORD = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
WORD_PUNCTUATION = ".,;:!?()<>[]\"'"
# Twilio delivers at most 1,600 characters in one message (ten segments).
MAX_BODY = 1600


# Twilio signs the URL followed by every parameter's name and value, so a signed request could be
# re-sent with a boundary moved between a value and the next name. Accepting only Twilio's own
# names, once each, with ids of Twilio's own shape, leaves no boundary to move.
TWILIO_PARAMETERS = frozenset(
    {
        "AccountSid", "AddOns", "Address", "ApiVersion", "Body", "ButtonPayload", "ButtonText",
        "ChannelMetadata", "Forwarded", "FrequentlyForwarded", "From", "FromCity", "FromCountry",
        "FromState", "FromZip", "Label", "Latitude", "Longitude", "MessageSid", "MessageType",
        "MessagingServiceSid", "NumMedia", "NumSegments", "OptOutType", "ProfileName",
        "ReferralNumMedia", "SmsMessageSid", "SmsSid", "SmsStatus", "To", "ToCity", "ToCountry",
        "ToState", "ToZip", "WaId",
    }
)  # fmt: skip
NUMBERED_PARAMETER = re.compile(r"^(MediaUrl|MediaContentType)\d{1,2}$")
MESSAGE_SID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")
ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")


def twilio_fields(params: list[tuple[str, str]], account_sid: str) -> tuple[dict[str, str], list[FieldError]]:
    """The webhook's parameters as a dict, and what makes them something Twilio did not send:
    an unknown or repeated name, a message id not of Twilio's shape (or `SmsSid` differing from
    it), another account than `account_sid` (when set), a missing sender."""
    fields: dict[str, str] = {}
    errors: list[FieldError] = []
    for name, value in params:
        if name not in TWILIO_PARAMETERS and not NUMBERED_PARAMETER.match(name):
            errors.append(FieldError(name="body", message="not a parameter of Twilio's webhook"))
        elif name in fields:
            errors.append(FieldError(name=name, message="given more than once"))
        fields[name] = value
    if not fields.get("From"):
        errors.append(FieldError(name="From", message="required"))
    if len(fields.get("Body", "")) > MAX_BODY:
        errors.append(FieldError(name="Body", message=f"at most {MAX_BODY} characters"))
    if not MESSAGE_SID.match(fields.get("MessageSid", "")):
        errors.append(FieldError(name="MessageSid", message="required: SM or MM and 32 hex digits"))
    for alias in ("SmsSid", "SmsMessageSid"):
        if alias in fields and fields[alias] != fields.get("MessageSid"):
            errors.append(FieldError(name=alias, message="must equal MessageSid"))
    sid = fields.get("AccountSid")
    if sid is not None and not ACCOUNT_SID.match(sid):
        errors.append(FieldError(name="AccountSid", message="AC and 32 hex digits"))
    if account_sid and sid != account_sid:
        errors.append(FieldError(name="AccountSid", message="not this service's account"))
    return fields, errors[:20]


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
    campaign = keyword_campaigns.get(first)
    return SmsIntent(
        consent=consent,
        email=email_in(words),
        keyword=first if campaign else None,
        campaign=campaign,
    )


def email_in(words: list[str]) -> str | None:
    for word in words:
        if "@" in word and len(word) <= 320:
            candidate = word.strip(WORD_PUNCTUATION)
            if EMAIL_WORD.fullmatch(candidate):
                return candidate
    return None


def twiml(reply: str | None) -> str:
    message = f"<Message>{escape(reply)}</Message>" if reply else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{message}</Response>'
