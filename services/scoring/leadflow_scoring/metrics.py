"""Scoring's own metrics."""

from prometheus_client import Counter, Gauge, Histogram

SCORING_LATENCY = Histogram(
    "leadflow_scoring_latency_seconds",
    "From an event's time (capture, activity) to the committed score it caused",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SCORES_PUBLISHED = Counter("leadflow_scores_published_total", "lead.scored events, by band", ["temperature"])
SCORING_FALLBACKS = Counter(
    "leadflow_scoring_fallbacks_total",
    "Leads scored by a fallback because the rules or model version in use failed on them",
    ["kind", "version"],
)
RULES_DEGRADED = Gauge(
    "leadflow_scoring_rules_degraded",
    "Problems of the rules or model in use (or of a newer rules version not put into use): 0 when healthy",
)
