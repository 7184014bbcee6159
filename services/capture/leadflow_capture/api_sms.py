"""The inbound SMS webhook (Twilio's form fields in, TwiML out)."""

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response

from leadflow_capture import metrics
from leadflow_capture.api import read_limited_body, storable, store, validate
from leadflow_capture.openapi import BODY_PROBLEMS, request_body
from leadflow_capture.sms import read_message, signature_is_valid, twiml
from leadflow_common.events import Channel
from leadflow_common.http import Problem

router = APIRouter(prefix="/v1")
TWIML = "text/xml"


def public_url(request: Request) -> str:
    """The URL the provider signed: CAPTURE_PUBLIC_URL stands in for scheme and host behind a
    proxy, the path and query are the request's own."""
    base = request.app.state.capture_settings.public_url.rstrip("/")
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
        **BODY_PROBLEMS,
    },
    openapi_extra=request_body(
        {
            "type": "object",
            "required": ["From", "MessageSid"],
            "properties": {
                name: {"type": "string"}
                for name in ("From", "To", "Body", "MessageSid", "OptOutType", "AccountSid")
            },
        },
        "application/x-www-form-urlencoded",
    ),
)
async def inbound_sms(request: Request) -> Response:
    settings = request.app.state.capture_settings
    if (
        request.headers.get("content-type", "").split(";")[0].strip().lower()
        != "application/x-www-form-urlencoded"
    ):
        raise Problem(415, "Unsupported media type", "Send Twilio's form-encoded webhook")
    body = await read_limited_body(request)
    try:
        params = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise Problem(400, "Malformed form", "The body is not valid UTF-8") from None
    if settings.sms_auth_token and not signature_is_valid(
        settings.sms_auth_token, public_url(request), params, request.headers.get("x-twilio-signature")
    ):
        metrics.SMS_SIGNATURE_REJECTED.inc()
        raise Problem(403, "Forbidden", "Missing or invalid X-Twilio-Signature")

    form = storable(dict(params))
    missing = [{"name": name, "message": "required"} for name in ("From", "MessageSid") if not form.get(name)]
    if missing:
        raise Problem(422, "Validation failed", "Twilio's webhook fields are missing", fields=missing)
    text = form.get("Body", "")
    intent = read_message(text, form.get("OptOutType"), settings.keyword_campaigns)
    fields: dict = {"phone": form["From"], "message": text or None, "attributes": {}}
    if intent.email:
        fields["email"] = intent.email
    if intent.consent is not None:
        fields["consent"] = {"sms": intent.consent}
    if intent.campaign:
        fields["attribution"] = {"source": "sms", "campaign": intent.campaign}
        fields["attributes"]["sms_keyword"] = intent.keyword
    if form.get("To"):
        fields["attributes"]["sms_to"] = form["To"]
    lead = validate(fields, request)
    # The provider retries a webhook it thinks failed: MessageSid makes that a repeat.
    await store(request, lead, Channel.sms, fields, idempotency_key=f"sms:{form['MessageSid']}")
    reply = None if intent.consent is False else settings.sms_reply
    return Response(twiml(reply), media_type=TWIML)
