"""The pages a person reads after their browser posted a landing page's form straight to capture:
a thank-you page when the form names no thank-you page of its own (or one capture may not send
people to), and a page naming each field to correct when the form was refused. Scripts and API
clients get JSON and problem+json instead (api.py). Everything a visitor or a form sent is
escaped; the pages carry no script, so they work under any Content-Security-Policy."""

import base64
import hashlib
from collections.abc import Mapping
from html import escape
from typing import Any
from urllib.parse import urlsplit

from fastapi.responses import HTMLResponse

from leadflow_common.errors import LeadflowError

# Plain, readable and high-contrast (WCAG AA) without a stylesheet of the customer's.
STYLE = """body{font:1.0625rem/1.5 system-ui,sans-serif;color:#1a1a1a;background:#fff;margin:0}
main{max-width:36rem;margin:3rem auto;padding:0 1.25rem}h1{font-size:1.6rem;margin:0 0 1rem}
ul{padding-left:1.25rem}li{margin:.5rem 0}.typed{color:#4a4a4a}a{color:#0b57d0}"""

# Capture's answers allow nothing by default (edge.SecurityHeadersMiddleware); these pages allow
# their own stylesheet, by its hash, and nothing else.
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
PAGE_CSP = f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; base-uri 'none'; form-action 'none'"

FIELD_LABELS = {
    "email": "Email",
    "phone": "Phone",
    "first_name": "First name",
    "last_name": "Last name",
    "company": "Company",
    "job_title": "Job title",
    "company_size": "Company size",
    "country": "Country",
    "city": "City",
    "language": "Language",
    "consent": "Consent",
    "attribution": "Campaign details",
    "attributes": "Other fields",
    "body": "The form",
}


# Refusals that name no field, said in a visitor's words rather than the API's (bytes, bodies).
PERSON_WORDS = {
    408: "The form took too long to arrive",
    413: "What you wrote is longer than this form accepts: shorten it (a long message, most likely)",
}


def page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )


def page_response(html: str, status_code: int, headers: Mapping[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(html, status_code, headers={**(headers or {}), "content-security-policy": PAGE_CSP})


def back_link(referer: str | None, text: str) -> str:
    """A link to the page the form was on, when the browser said which (http or https only)."""
    if not referer:
        return ""
    parts = urlsplit(referer)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f'<p><a href="{escape(referer, quote=True)}">{escape(text)}</a></p>'


def thank_you_page(referer: str | None) -> str:
    body = "<p>We received your details and will be in touch.</p>"
    return page("Thank you", body + back_link(referer, "Back to the site"))


def field_label(name: str) -> str:
    """`email` → "Email"; `attributes.plan` → "plan"; an unknown name as it was sent."""
    head, _, rest = name.partition(".")
    if head == "attributes" and rest:
        return rest
    return FIELD_LABELS.get(head, name.replace("_", " ").capitalize())


def typed_value(name: str, submitted: Mapping[str, Any]) -> str | None:
    head, _, rest = name.partition(".")
    value = submitted.get(head)
    if isinstance(value, Mapping) and rest:
        value = value.get(rest)
    return value if isinstance(value, str) and value else None


def problem_page(problem: LeadflowError, submitted: Mapping[str, Any], referer: str | None) -> str:
    """The fields to correct, each in words with what the visitor typed; or, for a refusal that
    names no field (a malformed body, the service briefly unavailable), what to do next."""
    items = []
    for field in problem.fields or []:
        named = field if isinstance(field, Mapping) else field.model_dump()
        name, message = named["name"], named["message"]
        typed = typed_value(name, submitted)
        you_typed = f' <span class="typed">(you entered “{escape(typed)}”)</span>' if typed else ""
        items.append(f"<li><strong>{escape(field_label(name))}</strong>: {escape(message)}{you_typed}</li>")
    if items:
        title = "Please check the form"
        body = (
            "<p>Your details were not sent, because of the following:</p>"
            f"<ul>{''.join(items)}</ul>"
            "<p>Go back with your browser's Back button: what you typed is still there.</p>"
        )
    else:
        title = "Your details were not sent"
        detail = PERSON_WORDS.get(problem.status) or problem.detail or problem.title
        body = (
            f"<p>{escape(detail.rstrip('.'))}.</p>"
            "<p>Go back with your browser's Back button and send the form again.</p>"
        )
    return page(title, body + back_link(referer, "Back to the form"))
