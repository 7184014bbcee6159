"""Scoring's tables, in its own schema."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from leadflow_common.db import outbox_table, processed_events_table
from leadflow_common.export import Holding
from leadflow_common.lead_access import lead_reps_table

SCHEMA = "scoring"
metadata = MetaData(schema=SCHEMA)

leads = Table(
    "leads",
    metadata,
    Column("lead_id", UUID(as_uuid=True), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("profile", JSONB, nullable=False),
    Column("merged_into", UUID(as_uuid=True)),
)

activities = Table(
    "activities",
    metadata,
    Column("activity_id", UUID(as_uuid=True), primary_key=True),
    Column("lead_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("type", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    # (lead_id, type, occurred_at DESC), migration 0003: a type's most recent occurrences.
)

# Running aggregates per lead and activity type: how many there were and the latest, so
# scoring reads a bounded window of raw activities however many a lead has had.
activity_counts = Table(
    "activity_counts",
    metadata,
    Column("lead_id", UUID(as_uuid=True), primary_key=True),
    Column("type", Text, primary_key=True),
    Column("count", BigInteger, nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
)

scores = Table(
    "scores",
    metadata,
    Column("lead_id", UUID(as_uuid=True), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("temperature", Text, nullable=False),
    Column("reasons", JSONB, nullable=False),
    Column("model", JSONB, nullable=False),
    Column("scored_at", DateTime(timezone=True), nullable=False),
)

score_history = Table(
    "score_history",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("lead_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("score", Float, nullable=False),
    Column("previous_score", Float),
    Column("temperature", Text, nullable=False),
    Column("reasons", JSONB, nullable=False),
    Column("model", JSONB, nullable=False),
    Column("cause", Text, nullable=False),
    Column("scored_at", DateTime(timezone=True), nullable=False),
)

rule_versions = Table(
    "rule_versions",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("document", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

outcomes = Table(
    "outcomes",
    metadata,
    Column("outcome_id", UUID(as_uuid=True), primary_key=True),
    Column("lead_id", UUID(as_uuid=True), nullable=False),
    Column("outcome", Text, nullable=False),
    Column("amount", Float),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("snapshot", JSONB(none_as_null=True)),  # SQL NULL until the lead is known
    Column("score", Float),
    Column("temperature", Text),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Index("outcomes_one_per_lead", "lead_id", unique=True),  # each lead counts once: its latest
)

models = Table(
    "models",
    metadata,
    Column("version", Integer, Identity(), primary_key=True),
    Column("blob", LargeBinary, nullable=False),
    Column("metrics", JSONB, nullable=False),
    Column("outcomes", Integer, nullable=False),
    Column("in_use", Boolean, nullable=False),
    Column("trained_at", DateTime(timezone=True), nullable=False),
)

# Each lead's B2B account (from lead.captured and lead.matched) and each account's score from
# its people (account_scorer.py). Ids and scores only: nothing here says who a person is.
lead_accounts = Table(
    "lead_accounts",
    metadata,
    Column("lead_id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", UUID(as_uuid=True), nullable=False, index=True),
    # The person's part of the account score (account_facts.py), null until she is scored.
    Column("score", Float),
    Column("temperature", Text),
    Column("level", Text),
    Column("last_active_at", DateTime(timezone=True)),
    Column("refreshed", Boolean, nullable=False, server_default=false()),
    Index("ix_scoring_lead_accounts_score", "account_id", "score"),
    Index("ix_scoring_lead_accounts_level", "account_id", "level"),
    Index("ix_scoring_lead_accounts_last_active", "account_id", "last_active_at"),
    Index("ix_scoring_lead_accounts_engaged", "account_id", postgresql_where=text("temperature <> 'cold'")),
    Index("ix_scoring_lead_accounts_stale", "account_id", postgresql_where=text("NOT refreshed")),
)

account_scores = Table(
    "account_scores",
    metadata,
    Column("account_id", UUID(as_uuid=True), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("temperature", Text, nullable=False),
    Column("reasons", JSONB, nullable=False),
    Column("scored_at", DateTime(timezone=True), nullable=False),
)

processed_events = processed_events_table(metadata)
outbox = outbox_table(metadata)

# Who may read a lead's score besides admins and marketers: the rep it is offered to now.
lead_reps = lead_reps_table(metadata)

# What the export reads about a person's leads (export.py); erasing.py erases what says who.
HOLDINGS = tuple(
    Holding(f"scoring.{name}")
    for name in (
        "leads",
        "activities",
        "activity_counts",
        "scores",
        "score_history",
        "outcomes",
        "lead_reps",
        "lead_accounts",
    )
)
