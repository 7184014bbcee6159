"""The console's own metrics (the shared ones are in leadflow_common.metrics)."""

from prometheus_client import Counter, Gauge, Histogram

LOGINS = Counter("leadflow_logins_total", "Login attempts, by outcome", ["outcome"])
AUDIT_RECORDED = Counter("leadflow_audit_entries_total", "Audit entries stored, by service", ["service"])

LIVE_STREAMS = Gauge(
    "leadflow_console_live_streams", "Live pages open (Server-Sent Events), by page", ["page"]
)
READ_MODEL_DELAY = Histogram(
    "leadflow_console_read_model_delay_seconds",
    "From an event's time to its change in the console's read models",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)
