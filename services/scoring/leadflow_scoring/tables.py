"""Scoring's tables, in its own schema."""

from sqlalchemy import BigInteger, Column, DateTime, Float, Identity, Integer, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from leadflow_common.db import outbox_table, processed_events_table

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

processed_events = processed_events_table(metadata)
outbox = outbox_table(metadata)
