"""A test event sent to an endpoint now, at an admin's request: signed like every delivery,
sent once (never retried, whether or not the endpoint is enabled), and kept in the delivery log
with the receiver's answer, so the admin sees at once whether the receiver works."""

import json
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

import httpx

from leadflow_webhooks.app.outbound import OutboundClient, failure_in_words
from leadflow_webhooks.domain.addresses import RefusedTarget
from leadflow_webhooks.domain.signing import signature_headers
from leadflow_webhooks.store.repository import Endpoint

TEST_EVENT_TYPE = "webhook.test"
SNIPPET = 500  # characters of a response kept in the delivery log, as the dispatcher keeps


def test_event(endpoint_id: uuid.UUID, now: datetime) -> tuple[str, str]:
    """(event id, payload): a CloudEvent like every other, about no lead."""
    event_id = str(uuid.uuid4())
    payload = {
        "specversion": "1.0",
        "id": event_id,
        "source": "leadflow/webhooks",
        "type": TEST_EVENT_TYPE,
        "time": now.isoformat(),
        "subject": str(endpoint_id),
        "datacontenttype": "application/json",
        "data": {"webhook_id": str(endpoint_id), "message": "A test event sent from the Leadflow console"},
    }
    return event_id, json.dumps(payload)


@dataclass(frozen=True)
class TrialAnswer:
    status_code: int | None
    snippet: str | None
    error: str | None
    latency_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def send_once(
    client: OutboundClient, endpoint: Endpoint, event_id: str, payload: str, now: datetime
) -> TrialAnswer:
    headers = {
        "content-type": "application/json",
        "user-agent": "Leadflow-Webhooks/0.1",
        **signature_headers(event_id, payload, endpoint.live_secrets(now), now),
    }
    started = time.perf_counter()
    status_code, snippet, error = None, None, None
    try:
        response = await client.post(endpoint.url, payload.encode(), headers)
        status_code, snippet = response.status_code, response.text[:SNIPPET]
    except RefusedTarget as refused:
        error = f"refused: {refused}"
    except (httpx.HTTPError, OSError) as failure:
        error = failure_in_words(failure)
    return TrialAnswer(status_code, snippet, error, int((time.perf_counter() - started) * 1000))
