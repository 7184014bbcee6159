"""Capture's own metrics."""

from prometheus_client import Counter

HONEYPOT_HITS = Counter("leadflow_capture_honeypot_total", "Submissions dropped by the honeypot", ["channel"])
RATE_LIMITED = Counter("leadflow_capture_rate_limited_total", "Public submissions refused by the rate limit")
SMS_SIGNATURE_REJECTED = Counter(
    "leadflow_capture_sms_signature_rejected_total", "Inbound SMS with a bad signature"
)
SUPPRESSED = Counter(
    "leadflow_capture_suppressed_total",
    "Submissions refused: the person is on the do-not-contact list",
    ["channel"],
)
REDIRECTS_REFUSED = Counter(
    "leadflow_capture_redirects_refused_total",
    "Landing-page posts whose redirect_to was not followed (not an allowed origin, or malformed)",
)
ACCOUNT_BACKFILL = Counter(
    "leadflow_capture_account_backfill_leads_total",
    "Leads captured before accounts existed that the backfill has looked at",
)
