"""Routing's own metrics."""

from prometheus_client import Counter, Gauge

DECISIONS = Counter(
    "leadflow_routing_decisions_total",
    "Routing decisions, by kind, rep tier and queue",
    ["kind", "tier", "queue"],
)
SLA_BREACHES = Counter("leadflow_routing_sla_breaches_total", "Offers not accepted before their SLA deadline")
CARDLESS_DECISIONS = Counter(
    "leadflow_routing_cardless_decisions_total",
    "Decisions published without the lead's contact card (it had not arrived in time)",
)
OLDEST_WAITING = Gauge(
    "leadflow_routing_oldest_waiting_seconds",
    "How long the longest-waiting lead of each temperature has waited for a rep (0: none waits)",
    ["temperature"],
)
WAITED_TOO_LONG = Counter(
    "leadflow_routing_waited_too_long_total",
    "Hot leads that waited for a rep longer than ROUTING_HOT_WAIT_LIMIT_SECONDS (each said once)",
)
