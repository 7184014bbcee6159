"""Prometheus metrics every service exposes at /metrics."""

import collections
from collections.abc import Iterable

from aiokafka import ConsumerRecord
from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter("leadflow_http_requests_total", "HTTP requests", ["route", "method", "status"])
HTTP_LATENCY = Histogram(
    "leadflow_http_request_seconds",
    "HTTP request latency",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
EVENTS_PRODUCED = Counter("leadflow_events_produced_total", "Events acknowledged by the broker", ["topic"])
EVENTS_CONSUMED = Counter(
    "leadflow_events_consumed_total", "Events consumed, by outcome", ["topic", "outcome"]
)
DEAD_LETTERED = Counter(
    "leadflow_events_dead_lettered_total", "Events sent to a dead-letter topic", ["topic"]
)
CONSUMER_LAG = Gauge(
    "leadflow_consumer_lag", "Records behind the partition's end", ["group", "topic", "partition"]
)
OFFSETS_PAST_LOG = Counter(
    "leadflow_consumer_offsets_past_log_total",
    "Partitions whose stored offset was past the log's end (the topic was recreated or the"
    " broker lost its data): read again from the log's start",
    ["group", "topic"],
)
OUTBOX_BACKLOG = Gauge("leadflow_outbox_backlog", "Events waiting in the outbox")
OUTBOX_OLDEST_AGE = Gauge("leadflow_outbox_oldest_age_seconds", "Age of the oldest unpublished event")
OUTBOX_SET_ASIDE = Counter(
    "leadflow_outbox_set_aside_total", "Events the broker refused for good, kept in outbox_failed", ["topic"]
)
PROCESSED_EVENTS_PRUNED = Counter(
    "leadflow_processed_events_pruned_total", "Consumed event ids deleted past their retention"
)
OUTBOX_FAILED = Gauge("leadflow_outbox_failed", "Events waiting in outbox_failed for an operator")
CONNECTIONS_REFUSED = Counter(
    "leadflow_http_refused_total", "Connections or requests refused at the edge, by reason", ["reason"]
)
CREDENTIALS_AGE = Gauge(
    "leadflow_credentials_age_seconds", "Seconds since the credentials were last refreshed from the console"
)
CREDENTIALS_EPOCH_READS = Counter(
    "leadflow_credentials_epoch_reads_total",
    "Reads of the credentials' epoch (each shared by the requests waiting at once)",
)
CREDENTIALS_CHECKS = Counter(
    "leadflow_credentials_checks_total",
    "Requests whose credential was checked against the epoch, by outcome"
    " (current, refreshed, epoch_unreadable, refresh_failed, refresh_behind)",
    ["outcome"],
)
ERASURES_APPLIED = Counter(
    "leadflow_erasures_applied_total", "Leads whose personal data this service erased (lead.erased)"
)
DB_STATEMENTS = Counter("leadflow_db_statements_total", "SQL statements sent through SQLAlchemy")
DB_TRANSACTIONS = Counter("leadflow_db_transactions_total", "Transactions committed through SQLAlchemy")


def count_consumed(records: Iterable[ConsumerRecord], outcome: str) -> None:
    """Counts records by topic: a labelled series looked up per topic, not per record."""
    for topic, count in collections.Counter(record.topic for record in records).items():
        EVENTS_CONSUMED.labels(topic=topic, outcome=outcome).inc(count)
