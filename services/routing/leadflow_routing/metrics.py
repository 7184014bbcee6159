"""Routing's own metrics."""

from prometheus_client import Counter

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
