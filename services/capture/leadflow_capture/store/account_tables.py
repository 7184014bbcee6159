"""Capture's account tables (B2B): accounts, the domains that name them, which account each
lead belongs to, and weak matches waiting for a person. Ids, company names, domains and fit
fields: a person's data stays in `leads`."""

from sqlalchemy import Column, DateTime, Float, Integer, PrimaryKeyConstraint, Table, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from leadflow_capture.store.tables import metadata

accounts = Table(
    "accounts",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("name", Text, nullable=False),
    # Each word's first and last three letters (accounts_domain.name_keys), GIN-indexed: finds a
    # name again through a typo without scanning every account.
    Column("name_keys", ARRAY(Text), nullable=False),
    Column("domains", ARRAY(Text), nullable=False),
    Column("people", Integer, nullable=False),
    Column("company_size", Text),
    Column("industry", Text),
    Column("country", Text),
    Column("merged_into", UUID(as_uuid=True)),
    # What routing and scoring say of the account on leads.accounts, for GET /v1/accounts/{id}.
    Column("owner", JSONB),  # RepRef, or null
    Column("owner_at", DateTime(timezone=True)),
    Column("score", Float),
    Column("temperature", Text),
    Column("score_revision", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# One account per company domain (the primary key is the rule).
account_domains = Table(
    "account_domains",
    metadata,
    Column("domain", Text, primary_key=True),
    Column("account_id", UUID(as_uuid=True), nullable=False, index=True),
)

# A lead's account; `account_id` null: unlinked by hand, so never matched again automatically.
lead_accounts = Table(
    "lead_accounts",
    metadata,
    Column("lead_id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", UUID(as_uuid=True), index=True),
    Column("method", Text, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("linked_by", Text, nullable=False),  # system or user
    Column("at", DateTime(timezone=True), nullable=False),
)

# Weak matches, suggested to a person and applied only when one links the lead by hand (or
# dismissed by one: kept, so as not to be suggested again).
account_suggestions = Table(
    "account_suggestions",
    metadata,
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("lead_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("method", Text, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("dismissed_at", DateTime(timezone=True)),  # a person said no: never suggested again
    PrimaryKeyConstraint("account_id", "lead_id"),
)

# The company name each person gave (`account_id`: her account; null: she has none yet and waits
# for one her name matches, accounts_waiting). What matching compares names with, and what an
# account's name is read from: a person's words, erased with her.
company_names = Table(
    "company_names",
    metadata,
    Column("lead_id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", UUID(as_uuid=True), index=True),
    Column("normalized_name", Text, nullable=False),
    Column("typed_name", Text, nullable=False),
    Column("name_keys", ARRAY(Text), nullable=False),  # GIN-indexed, as accounts.name_keys
)

# How far matching the leads captured before accounts existed has gone (one row; account_backfill.py):
# leads stored before `started_at` are walked in id order, after `last_lead_id`.
account_backfill = Table(
    "account_backfill",
    metadata,
    Column("id", Integer, primary_key=True),  # always 1
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("last_lead_id", UUID(as_uuid=True)),
    Column("looked_at", Integer, nullable=False),  # leads considered so far
    Column("matched", Integer, nullable=False),  # of them, linked to an account
    Column("finished_at", DateTime(timezone=True)),
)

# Each account's distinct company names with how many of its people gave each: kept by a trigger
# on `company_names` (migration 0014), so matching reads an account's names, not its people.
account_names = Table(
    "account_names",
    metadata,
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("normalized_name", Text, nullable=False),
    Column("name_keys", ARRAY(Text), nullable=False),  # GIN-indexed, as company_names.name_keys
    Column("people", Integer, nullable=False),
    PrimaryKeyConstraint("account_id", "normalized_name"),
)
