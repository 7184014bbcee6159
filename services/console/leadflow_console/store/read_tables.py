"""The console's read models, in its schema, built from the topics: a row per lead (golden record
as last captured, score, current assignment, outcome: the inbox, search and the funnel), the
lead's timeline, and every routing decision (the live feed and speed to lead)."""

from sqlalchemy import BigInteger, Column, DateTime, Float, Identity, Integer, Table, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from leadflow_common.db import processed_events_table
from leadflow_common.export import Holding
from leadflow_console.store.tables import metadata

lead_views = Table(
    "lead_views",
    metadata,
    Column("lead_id", UUID(as_uuid=True), primary_key=True),
    Column("revision", Integer, nullable=False, server_default="0"),  # the profile's; highest wins
    Column("profile", JSONB),  # LeadProfile as last captured
    Column("email", Text),  # lower case, as capture normalized it
    Column("phone", Text),  # E.164
    Column("name", Text),  # "first last", lower case: what search matches
    Column("company", Text),  # lower case
    Column("channel", Text),  # the first channel the person came through
    Column("source", Text),
    Column("campaign", Text),
    Column("segment", Text),
    Column("captured_at", DateTime(timezone=True)),
    Column("merged_into", UUID(as_uuid=True)),
    Column("score_revision", Integer, nullable=False, server_default="0"),
    Column("score", Float),
    Column("temperature", Text),
    Column("reasons", JSONB),
    Column("warm_at", DateTime(timezone=True)),  # first time warm or hotter
    Column("hot_at", DateTime(timezone=True)),
    Column("decided_at", DateTime(timezone=True)),  # the current assignment's decision; latest wins
    Column("assignment_id", UUID(as_uuid=True)),
    Column("assignment_status", Text),
    Column("rep_id", UUID(as_uuid=True)),
    Column("rep_name", Text),
    Column("tier", Text),
    Column("sla_deadline", DateTime(timezone=True)),
    Column("offered_at", DateTime(timezone=True)),  # first offer to any rep
    Column("accepted_at", DateTime(timezone=True)),
    Column("outcome", Text),
    Column("outcome_at", DateTime(timezone=True)),
    Column("erased_at", DateTime(timezone=True)),  # the person was erased on request
)

lead_timeline = Table(
    "lead_timeline",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("event_id", Text, nullable=False, unique=True),
    Column("lead_id", UUID(as_uuid=True), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", Text, nullable=False),  # submission, activity, score, routing, outcome, action
    Column("title", Text, nullable=False),
    Column("details", JSONB, nullable=False, server_default="{}"),
)

decisions = Table(
    "decisions",
    metadata,
    Column("assignment_id", UUID(as_uuid=True), primary_key=True),
    Column("event_id", Text, nullable=False),
    Column("type", Text, nullable=False),  # lead.routed, lead.reassigned, lead.nurtured
    Column("at", DateTime(timezone=True), nullable=False),
    Column("lead_id", UUID(as_uuid=True), nullable=False),
    Column("rep_id", UUID(as_uuid=True)),
    Column("rep_name", Text),
    Column("tier", Text),
    Column("queue", Text),
    Column("temperature", Text, nullable=False),
    Column("score", Float, nullable=False),
    Column("reason", Text, nullable=False),
    Column("sla_deadline", DateTime(timezone=True)),
    Column("status", Text, nullable=False),  # offered, queued, accepted, rejected, completed, moved on
    Column("acted_at", DateTime(timezone=True)),
    Column("accepted_at", DateTime(timezone=True)),
    Column("breached", Integer, nullable=False, server_default="0"),  # 1: the SLA ran out on it
)

processed_events = processed_events_table(metadata)

# What the export reads about a person's leads (export.py); erasing.py erases what says who.
HOLDINGS = (
    *(Holding(f"console.{name}") for name in ("lead_views", "lead_timeline", "decisions", "lead_accounts")),
    # The accounts of her leads: a company's name and domains (capture's account, as it says it).
    Holding(
        "console.account_views",
        "t.account_id IN (SELECT account_id FROM console.lead_accounts WHERE lead_id::text = ANY({leads}))",
    ),
)
