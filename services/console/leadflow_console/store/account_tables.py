"""The console's read model of B2B accounts, from leads.accounts and lead.captured: a row per
account (name, domains, score and why, owner) and which account each lead belongs to. The
people themselves are the lead read model's rows (read_tables.lead_views)."""

from sqlalchemy import Column, DateTime, Float, Integer, Table, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from leadflow_console.store.tables import metadata

account_views = Table(
    "account_views",
    metadata,
    Column("account_id", UUID(as_uuid=True), primary_key=True),
    Column("revision", Integer, nullable=False, server_default="0"),  # account.updated's; highest wins
    Column("name", Text),
    Column("search_name", Text),  # lower case: what search matches
    Column("domains", JSONB, nullable=False, server_default="[]"),
    Column("people", Integer, nullable=False, server_default="0"),
    Column("merged_into", UUID(as_uuid=True)),
    Column("score_revision", Integer, nullable=False, server_default="0"),
    Column("score", Float),
    Column("temperature", Text),
    Column("reasons", JSONB),
    Column("hot_at", DateTime(timezone=True)),  # the latest time it turned hot
    Column("owner_at", DateTime(timezone=True)),  # account.owner_changed's time; latest wins
    Column("owner_id", UUID(as_uuid=True)),
    Column("owner_name", Text),
)

lead_accounts = Table(
    "lead_accounts",
    metadata,
    Column("lead_id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("method", Text),  # how it was matched (domain, website, name, manual)
    Column("confidence", Float),
    Column("at", DateTime(timezone=True), nullable=False),  # the match's time; latest wins
)
