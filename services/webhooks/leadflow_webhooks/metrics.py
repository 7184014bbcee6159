"""The webhooks service's own metrics."""

from prometheus_client import Counter, Gauge, Histogram

DELIVERY_ATTEMPTS = Counter(
    "leadflow_webhook_attempts_total", "Delivery attempts, by outcome", ["outcome"]
)  # delivered, failed (retried later), gave_up, refused (internal address), gone (410)
BACKLOG = Gauge("leadflow_webhook_backlog", "Deliveries waiting for a first or a next attempt")
OLDEST_PENDING = Gauge("leadflow_webhook_oldest_pending_seconds", "Age of the oldest pending delivery")
LATENCY = Histogram(
    "leadflow_webhook_event_to_delivery_seconds",
    "From the event's time to the receiver's 2xx",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 60, 600, 3600),
)
NOTICES = Counter("leadflow_notices_total", "Reps' notices, by kind and outcome", ["kind", "outcome"])
NOTICE_LATENCY = Histogram(
    "leadflow_notice_event_to_sent_seconds",
    "From the routing decision to the rep's offer sent (mail and Slack)",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 60, 600),
)
