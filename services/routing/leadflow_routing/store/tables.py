"""Routing's tables, in its own schema."""

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Identity,
    Integer,
    MetaData,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from leadflow_common.db import outbox_table, processed_events_table
from leadflow_common.export import Holding

SCHEMA = "routing"
metadata = MetaData(schema=SCHEMA)

reps = Table(
    "reps",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("email", Text, nullable=False, unique=True),
    Column("tier", Text, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("territories", ARRAY(Text), nullable=False, server_default="{}"),
    Column("languages", ARRAY(Text), nullable=False, server_default="{}"),
    Column("segments", ARRAY(Text), nullable=False, server_default="{}"),
    Column("active", Boolean, nullable=False, server_default="true"),
    Column("available", Boolean, nullable=False, server_default="true"),
    Column("last_assigned_at", DateTime(timezone=True)),
    Column("working_hours", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

leads = Table(
    "leads",
    metadata,
    Column("lead_id", UUID(as_uuid=True), primary_key=True),
    Column("score_revision", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("temperature", Text, nullable=False),
    Column("country", Text),
    Column("language", Text),
    Column("segment", Text),
    Column("account_id", UUID(as_uuid=True)),  # its B2B account, from the score's routing hints
    Column("merged_into", UUID(as_uuid=True)),
    Column("reasons", JSONB),  # the score's largest reasons, for the contact card
    Column("ended", Text),  # won, lost or erased: not routed again by a later score (ended.py)
    Column("ended_revision", Integer),  # the profile revision at the end: a newer one reopens
    Column("card_revision", Integer),  # the profile revision of the newest score's card
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Who each lead is, from leads.captured: the contact card every routing decision carries.
lead_cards = Table(
    "lead_cards",
    metadata,
    Column("lead_id", UUID(as_uuid=True), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("card", JSONB, nullable=False),
)

# Leads scored before routing heard who they are: their first decision waits for the card
# (cards.py), at most ROUTING_CARD_WAIT_SECONDS from `since`.
awaiting_cards = Table(
    "awaiting_cards",
    metadata,
    Column("lead_id", UUID(as_uuid=True), primary_key=True),
    Column("since", DateTime(timezone=True), nullable=False, index=True),
)

assignments = Table(
    "assignments",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("lead_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("rep_id", UUID(as_uuid=True), index=True),
    Column("queue", Text),
    Column("status", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("temperature", Text, nullable=False),
    Column("score", Float, nullable=False),
    Column("attempt", Integer, nullable=False, server_default="1"),
    Column("sla_deadline", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("waiting_for", Text),  # waiting: what no rep offers now (policy.what_is_missing)
)

# Every status an assignment went through, with its reason: the decision trail.
assignment_events = Table(
    "assignment_events",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("assignment_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("lead_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("rep_id", UUID(as_uuid=True)),
    Column("status", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

# Waits of hot leads already said to be too long (escalations.py): each wait is said once.
waiting_escalations = Table(
    "waiting_escalations",
    metadata,
    Column("assignment_id", UUID(as_uuid=True), primary_key=True),
    Column("lead_id", UUID(as_uuid=True), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

# Each B2B account's owner rep (account_owners.py): a new lead of the account is offered to them first.
account_owners = Table(
    "account_owners",
    metadata,
    Column("account_id", UUID(as_uuid=True), primary_key=True),
    Column("rep_id", UUID(as_uuid=True)),  # None: the owner was taken away
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

processed_events = processed_events_table(metadata)
outbox = outbox_table(metadata)

# Accept and reject links already used: each works once (links.py).
used_links = Table(
    "used_links",
    metadata,
    Column("token_id", Text, primary_key=True),
    Column("used_at", DateTime(timezone=True), nullable=False),
)

# What the export reads about a person's leads (export.py); cards.erase_cards erases what says who.
HOLDINGS = tuple(
    Holding(f"routing.{name}")
    for name in (
        "leads",
        "lead_cards",
        "awaiting_cards",
        "assignments",
        "assignment_events",
        "waiting_escalations",
    )
)
