"""Capture's use cases for submissions: validate one, and store it (the writer commits it in a
unit of work with its batch), with its idempotency key scoped to the channel and the caller."""

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from leadflow_capture import metrics
from leadflow_capture.app.intake import SubmissionWriter
from leadflow_capture.app.pacing import RecentLatencies
from leadflow_capture.app.ratelimit import TokenBuckets
from leadflow_capture.domain.leads import NormalizedLead, Screening, parse_lead
from leadflow_capture.domain.people import Accepted, KeyConflict, Submission
from leadflow_capture.domain.redirects import allowed_redirect, target_origin
from leadflow_capture.domain.request_keys import request_hash, scoped_key
from leadflow_capture.settings import CaptureSettings
from leadflow_common.errors import Conflict
from leadflow_common.events import Channel

TRUSTED_CALLERS = (Channel.api, Channel.import_)

log = logging.getLogger(__name__)
# A refused redirect_to is a site's misconfiguration: said once per origin, so that every visitor
# of that site does not repeat it, and for at most this many origins, so that a hostile client
# sending made-up ones cannot grow the set (the metric counts every refusal all the same).
MAX_REPORTED_ORIGINS = 1000
_reported_origins: set[str] = set()


def report_refused_redirect(target: object, allowed: list[str]) -> None:
    metrics.REDIRECTS_REFUSED.inc()
    origin = target_origin(target)
    if origin in _reported_origins or len(_reported_origins) >= MAX_REPORTED_ORIGINS:
        return
    _reported_origins.add(origin)
    log.warning(
        "a landing page form's redirect_to is not followed: the lead is stored and the visitor "
        "sees capture's thank-you page; add the origin to CAPTURE_ALLOWED_ORIGINS to send them there",
        extra={"origin": origin, "allowed_origins": ",".join(allowed) or "(none)"},
    )


class PublicIntake(NamedTuple):
    """A public post's intake and its checked Idempotency-Key (see deps.get_public_intake)."""

    intake: "Intake"
    key: str | None


@dataclass(frozen=True)
class Intake:
    settings: CaptureSettings
    writer: SubmissionWriter
    client: str  # the public client's key (leadflow_common.clients)
    submissions_limit: TokenBuckets | None = None  # per client (CAPTURE_RATE_LIMIT)
    sms_limit: TokenBuckets | None = None  # per sender (CAPTURE_SMS_RATE_LIMIT)
    # How long public submissions took to store, for the honeypot's answers (pacing.py).
    latencies: RecentLatencies = field(default_factory=RecentLatencies)

    def validate(self, fields: dict[str, Any], channel: Channel) -> NormalizedLead:
        """The submission normalized, or 422 (InvalidLead) naming every bad field. A public
        channel's submission is screened more (domain.Screening); a caller with a key is trusted."""
        public = channel not in TRUSTED_CALLERS
        screening = Screening(
            blocked_domains=self.settings.blocked_domains,
            refuse_mixed_scripts=public,
            refuse_pay_numbers=public and not self.settings.allow_premium_numbers,
            refuse_links=public,
        )
        return parse_lead(fields, default_region=self.settings.default_region, screening=screening)

    def redirect_target(self, target: object) -> str | None:
        """`redirect_to` when it may be followed (redirects.py); a refused one is counted and
        reported, and the visitor's submission is kept all the same."""
        allowed = allowed_redirect(target, self.settings.origins) if isinstance(target, str) else None
        if allowed is None:
            report_refused_redirect(target, self.settings.origins)
        return allowed

    async def drop(self, channel: Channel) -> Accepted:
        """A honeypot hit: nothing stored, answered as a stored one would be, as late (pacing.py)."""
        metrics.HONEYPOT_HITS.labels(channel=channel.value).inc()
        await asyncio.sleep(self.latencies.sample())
        return Accepted(lead_id=uuid.uuid4(), submission_id=uuid.uuid4())

    async def submit(
        self,
        lead: NormalizedLead,
        channel: Channel,
        fields: dict[str, Any],
        *,
        key: str | None,
        caller: str | None = None,
    ) -> Accepted | KeyConflict:
        """Stored once this returns (its batch has committed), or a conflict when the key was
        used for another request. A key is the caller's own: the API key or account that sent
        it (`caller`, Principal.actor), or the public client (two integrations numbering their
        keys alike each had the other's refused)."""
        scope = caller if channel in TRUSTED_CALLERS else self.client
        if scope is None:
            raise ValueError("a trusted channel's submission names its caller")
        submission = Submission(
            lead=lead,
            channel=channel,
            payload=fields,
            idempotency_key=scoped_key(channel, scope, key) if key else None,
            request_hash=request_hash(fields) if key else None,
        )
        return await self.writer.submit(submission)

    async def store(
        self,
        lead: NormalizedLead,
        channel: Channel,
        fields: dict[str, Any],
        *,
        key: str | None,
        caller: str | None = None,
    ) -> Accepted:
        """As `submit`, with a conflict answered 409."""
        started = time.perf_counter()
        result = await self.submit(lead, channel, fields, key=key, caller=caller)
        if channel not in TRUSTED_CALLERS:
            took = time.perf_counter() - started
            if isinstance(result, Accepted) and result.suppressed:
                # Refused, nothing written: answered about as late as a stored one, so the
                # answer's time does not tell she is listed (a probe: 9 ms against 30).
                await asyncio.sleep(max(0.0, self.latencies.sample() - took))
            else:
                self.latencies.record(took)
        if isinstance(result, KeyConflict):
            raise Conflict("This Idempotency-Key was used for a different request")
        return result
