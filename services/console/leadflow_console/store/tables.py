"""The console's tables, in its own schema: accounts, sessions, API keys, signing keys, login
failures and the audit trail."""

from sqlalchemy import ARRAY, BigInteger, Boolean, Column, DateTime, Identity, MetaData, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID

from leadflow_common.db import outbox_table

SCHEMA = "console"
metadata = MetaData(schema=SCHEMA)

users = Table(
    "users",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("email", Text, nullable=False, unique=True),  # normalized: lower case
    Column("password_hash", Text, nullable=False),  # Argon2id
    Column("role", Text, nullable=False),
    Column("rep_id", UUID(as_uuid=True)),
    Column("active", Boolean, nullable=False, server_default="true"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("digest", Text, nullable=False, unique=True),  # SHA-256 of the key: the key is never kept
    Column("scopes", ARRAY(Text), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True)),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", Text, primary_key=True),
    Column("private_key_pem", Text, nullable=False),
    Column("public_key_pem", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("subject", Text, nullable=False),  # `account:<sha256 of the email>` or `address:<…>`
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("event_id", Text, nullable=False, unique=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("target_type", Text),
    Column("target_id", Text),
    Column("service", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("details", JSONB, nullable=False, server_default="{}"),
)

outbox = outbox_table(metadata)

# Each person's own settings: the time zone the console shows times in (none: the browser's).
user_preferences = Table(
    "user_preferences",
    metadata,
    Column("user_id", UUID(as_uuid=True), primary_key=True),
    Column("time_zone", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
