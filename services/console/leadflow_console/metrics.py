"""The console's own metrics (the shared ones are in leadflow_common.metrics)."""

from prometheus_client import Counter

LOGINS = Counter("leadflow_logins_total", "Login attempts, by outcome", ["outcome"])
AUDIT_RECORDED = Counter("leadflow_audit_entries_total", "Audit entries stored, by service", ["service"])
