"""Scoring's own metrics."""

from prometheus_client import Counter, Histogram

SCORING_LATENCY = Histogram(
    "leadflow_scoring_latency_seconds",
    "From an event's time (capture, activity) to the committed score it caused",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SCORES_PUBLISHED = Counter("leadflow_scores_published_total", "lead.scored events, by band", ["temperature"])
