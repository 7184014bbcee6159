"""The inbound SMS webhook (Twilio's form fields in, TwiML out)."""

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from leadflow_capture import metrics
from leadflow_capture.api.bodies import media_type, parse_form, storable
from leadflow_capture.api.openapi import BODY_PROBLEMS, request_body
from leadflow_capture.app.ratelimit import TokenBuckets
from leadflow_capture.deps import IntakeDep
from leadflow_capture.domain.people import Accepted, Submission
from leadflow_capture.domain.request_keys import scoped_key
from leadflow_capture.domain.sms import read_message, signature_is_valid, twilio_fields, twiml
from leadflow_capture.settings import CaptureSettings
from leadflow_common.auth import public_route
from leadflow_common.events import Channel
from leadflow_common.http import Problem

router = APIRouter(prefix="/v1")
TWIML = "text/xml"


def public_url(request: Request, settings: CaptureSettings) -> str:
    """The URL the provider signed: CAPTURE_PUBLIC_URL stands in for scheme and host (required
    in production, so the signed URL never comes from a client's Host header); the path and
    query are the request's own."""
    base = settings.public_url.rstrip("/")
    if not base:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{base}{request.url.path}{query}"


@router.post(
    "/leads/sms",
    summary="Twilio's inbound SMS webhook",
    response_class=Response,
    responses={
        200: {"content": {TWIML: {}}, "description": "TwiML"},
        403: {"description": "Missing or invalid X-Twilio-Signature"},
        404: {"description": "Inbound SMS is turned off"},
        429: {},
        **BODY_PROBLEMS,
    },
    # Public: the provider's signature is checked instead of a credential.
    openapi_extra=public_route(
        request_body(
            {
                "type": "object",
                "required": ["From", "MessageSid"],
                "properties": {
                    name: {"type": "string"}
                    for name in ("From", "To", "Body", "MessageSid", "OptOutType", "AccountSid")
                },
            },
            "application/x-www-form-urlencoded",
        )
    ),
)
async def inbound_sms(request: Request, intake: IntakeDep) -> Response:
    settings = intake.settings
    if not settings.sms_enabled:
        raise Problem(404, "Not found", "Inbound SMS is turned off (CAPTURE_SMS_ENABLED)")
    if media_type(request) != "application/x-www-form-urlencoded":
        raise Problem(415, "Unsupported media type", "Send Twilio's form-encoded webhook")
    params = parse_form(await request.body())
    if settings.sms_auth_token and not signature_is_valid(
        settings.sms_auth_token,
        public_url(request, settings),
        params,
        request.headers.get("x-twilio-signature"),
    ):
        metrics.SMS_SIGNATURE_REJECTED.inc()
        raise Problem(403, "Forbidden", "Missing or invalid X-Twilio-Signature")
    form, errors = twilio_fields(params, settings.sms_account_sid)
    if errors:
        raise Problem(422, "Validation failed", "Not a webhook Twilio sends", fields=list(errors))
    form = storable(form)
    limit_sender(intake.sms_limit, form["From"])
    text = form.get("Body", "")
    intent = read_message(text, form.get("OptOutType"), settings.keyword_campaigns)
    fields: dict[str, Any] = {"phone": form["From"], "message": text or None, "attributes": {}}
    if intent.email:
        fields["email"] = intent.email
    if intent.consent is not None:
        fields["consent"] = {"sms": intent.consent}
    if intent.campaign:
        fields["attribution"] = {"source": "sms", "campaign": intent.campaign}
        fields["attributes"]["sms_keyword"] = intent.keyword
    if form.get("To"):
        fields["attributes"]["sms_to"] = form["To"]
    lead = intake.validate(fields, Channel.sms)
    # The provider retries a webhook it thinks failed: MessageSid makes that a repeat, scoped to
    # the SMS channel and the account, so no form post can claim an SMS's id.
    account = form.get("AccountSid", "twilio")
    submission = Submission(
        lead=lead,
        channel=Channel.sms,
        payload=fields,
        idempotency_key=scoped_key(Channel.sms, account, form["MessageSid"]),
    )
    accepted = await intake.writer.submit(submission)
    # No reply to an opt-out, nor to anyone on the do-not-contact list.
    refused = isinstance(accepted, Accepted) and accepted.suppressed
    reply = None if intent.consent is False or refused else settings.sms_reply
    return Response(twiml(reply), media_type=TWIML)


def limit_sender(buckets: TokenBuckets | None, sender: str) -> None:
    """429 once one phone number has sent more than CAPTURE_SMS_RATE_LIMIT messages a minute
    (Twilio retries later; a person texting STOP is well within it)."""
    if buckets is None:
        return
    wait = buckets.take(sender, time.monotonic())
    if wait:
        metrics.RATE_LIMITED.inc()
        raise Problem(
            429, "Too many requests", "Too many messages from this number", headers={"Retry-After": "60"}
        )
