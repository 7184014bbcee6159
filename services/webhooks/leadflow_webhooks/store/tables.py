"""The webhooks service's tables, in its own schema."""

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from leadflow_common.db import outbox_table
from leadflow_common.export import Holding

SCHEMA = "webhooks"
metadata = MetaData(schema=SCHEMA)

endpoints = Table(
    "endpoints",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("url", Text, nullable=False),
    Column("events", ARRAY(Text), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("enabled", Boolean, nullable=False, server_default="true"),
    # Kept as given: an HMAC is computed with it on every delivery, so it cannot be a hash.
    Column("secret", Text, nullable=False),
    Column("previous_secret", Text),
    Column("previous_secret_until", DateTime(timezone=True)),
    Column("disabled_reason", Text),
    Column("failing_since", DateTime(timezone=True)),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("seq", BigInteger, Identity(), nullable=False, unique=True),  # arrival order, per lead
    Column("endpoint_id", UUID(as_uuid=True), nullable=False),
    Column("event_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("lead_id", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", Text, nullable=False),  # pending, succeeded, failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True)),
    Index("deliveries_endpoint_event", "endpoint_id", "event_id", unique=True),
    Index("deliveries_due", "next_attempt_at", postgresql_where="status = 'pending'"),
    Index("deliveries_lead_order", "endpoint_id", "lead_id", "seq", postgresql_where="status = 'pending'"),
)

attempts = Table(
    "attempts",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("delivery_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("attempt", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("status_code", Integer),
    Column("latency_ms", Integer, nullable=False),
    Column("response_snippet", Text),
    Column("error", Text),
)

# How each rep is told of an offer (default: by mail only).
rep_channels = Table(
    "rep_channels",
    metadata,
    Column("rep_id", UUID(as_uuid=True), primary_key=True),
    Column("email", Boolean, nullable=False, server_default="true"),
    Column("slack_url", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# What reps are to be told: an offer, a reminder before its SLA runs out, a lead that moved on.
notices = Table(
    "notices",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("kind", Text, nullable=False),  # offer, reminder, moved; waiting (to the admins)
    Column("assignment_id", UUID(as_uuid=True), nullable=False),
    Column("rep_id", UUID(as_uuid=True), nullable=False),
    Column("event", Text, nullable=False),  # the leads.routed CloudEvent it comes from
    Column("status", Text, nullable=False),  # pending, sent, skipped, failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Index("notices_once", "kind", "assignment_id", "rep_id", unique=True),
    Index("notices_due", "due_at", postgresql_where="status = 'pending'"),
)

# Each B2B account's owner rep (from account.owner_changed: the newest by `at`), told when their
# account turns hot; and who each account's people are (from lead.captured), to name them then.
account_owners = Table(
    "account_owners",
    metadata,
    Column("account_id", UUID(as_uuid=True), primary_key=True),
    Column("owner", JSONB),  # a RepRef; None: nobody owns it now
    Column("at", DateTime(timezone=True), nullable=False),
)

account_people = Table(
    "account_people",
    metadata,
    Column("lead_id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("card", JSONB, nullable=False),  # name, job title, company: erased with the person
    Column("revision", Integer, nullable=False),
)

outbox = outbox_table(metadata)

# What the export reads about a person's leads (export.py); erasing.py erases what says who.
HOLDINGS = (
    Holding("webhooks.deliveries"),
    Holding(
        "webhooks.attempts",
        "t.delivery_id IN (SELECT id FROM webhooks.deliveries WHERE lead_id = ANY({leads}))",
    ),
    Holding("webhooks.notices", "t.event::jsonb->>'subject' = ANY({leads})"),
    Holding("webhooks.account_people"),
)
