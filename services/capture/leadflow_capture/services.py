"""Capture's use cases for submissions: validate one, and store it (the writer commits it in a
unit of work with its batch), with its idempotency key scoped to the channel and the caller."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from leadflow_capture.domain import NormalizedLead, parse_lead
from leadflow_capture.intake import SubmissionWriter
from leadflow_capture.people import Accepted, KeyConflict, Submission
from leadflow_capture.ratelimit import TokenBuckets
from leadflow_capture.request_keys import request_hash, scoped_key
from leadflow_capture.settings import CaptureSettings
from leadflow_common.errors import Conflict, Invalid
from leadflow_common.events import Channel

# Who sent an API submission, for scoping its idempotency key (one key today; see the README).
API_CALLER = "api-key"
TRUSTED_CALLERS = (Channel.api, Channel.import_)


@dataclass(frozen=True)
class PublicIntake:
    """A public post's intake and its checked Idempotency-Key (see deps.get_public_intake)."""

    intake: "Intake"
    key: str | None

    def __iter__(self):
        return iter((self.intake, self.key))


@dataclass(frozen=True)
class Intake:
    settings: CaptureSettings
    writer: SubmissionWriter
    client: str  # the public client's key (leadflow_common.clients)
    submissions_limit: TokenBuckets | None = None  # per client (CAPTURE_RATE_LIMIT)
    sms_limit: TokenBuckets | None = None  # per sender (CAPTURE_SMS_RATE_LIMIT)

    def validate(self, fields: dict[str, Any]) -> NormalizedLead:
        """The submission normalized, or 422 (InvalidLead) naming every bad field."""
        return parse_lead(
            fields, default_region=self.settings.default_region, blocked_domains=self.settings.blocked_domains
        )

    def allowed_redirect(self, target: str) -> str:
        parts = urlsplit(target)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        if parts.scheme not in ("http", "https") or origin not in {o.lower() for o in self.settings.origins}:
            raise Invalid.field(
                "redirect_to",
                "not an allowed origin",
                "redirect_to must be on an allowed origin (CAPTURE_ALLOWED_ORIGINS)",
            )
        return target

    async def submit(
        self, lead: NormalizedLead, channel: Channel, fields: dict[str, Any], *, key: str | None
    ) -> Accepted | KeyConflict:
        """Stored once this returns (its batch has committed), or a conflict when the key was
        used for another request."""
        caller = API_CALLER if channel in TRUSTED_CALLERS else self.client
        submission = Submission(
            lead=lead,
            channel=channel,
            payload=fields,
            idempotency_key=scoped_key(channel, caller, key) if key else None,
            request_hash=request_hash(fields) if key else None,
        )
        return await self.writer.submit(submission)

    async def store(
        self, lead: NormalizedLead, channel: Channel, fields: dict[str, Any], *, key: str | None
    ) -> Accepted:
        """As `submit`, with a conflict answered 409."""
        result = await self.submit(lead, channel, fields, key=key)
        if isinstance(result, KeyConflict):
            raise Conflict("This Idempotency-Key was used for a different request")
        return result
