"""Routing's own metrics."""

from prometheus_client import Counter

SLA_BREACHES = Counter("leadflow_routing_sla_breaches_total", "Offers not accepted before their SLA deadline")
