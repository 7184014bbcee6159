"""Secrets and signatures the Standard Webhooks way (`standardwebhooks`): `webhook-id`,
`webhook-timestamp` and `webhook-signature` (`v1,<base64 HMAC-SHA256>`, one per live secret while
a rotated secret overlaps), so receivers can verify with any existing verifier."""

import base64
import secrets
from datetime import datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature_headers(
    message_id: str, payload: str, live_secrets: list[str], now: datetime
) -> dict[str, str]:
    signatures = [Webhook(secret).sign(message_id, now, payload) for secret in live_secrets]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
