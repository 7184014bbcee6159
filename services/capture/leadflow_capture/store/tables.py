"""Capture's tables, in its own schema."""

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Identity,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from leadflow_common.db import outbox_table
from leadflow_common.export import Holding
from leadflow_common.lead_access import lead_reps_table

SCHEMA = "capture"
metadata = MetaData(schema=SCHEMA)

leads = Table(
    "leads",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("revision", Integer, nullable=False),
    # Unique among live leads (migration 0001): the keys that make one person one lead.
    Column("email", Text),
    Column("phone", Text),
    Column("profile", JSONB, nullable=False),
    Column("merged_into", UUID(as_uuid=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("erased_at", DateTime(timezone=True)),  # the person's data erased (ids and counts stay)
    Column("active_at", DateTime(timezone=True)),  # the latest activity or outcome (retention.py)
)

submissions = Table(
    "submissions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("lead_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("channel", Text, nullable=False),
    # sha256 of channel, caller and key (idempotency.py): fixed length whatever the client sent.
    Column("idempotency_key", Text, unique=True),
    Column("request_hash", Text),
    Column("payload", JSONB, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# The Idempotency-Keys of submissions refused (do not contact), with the ids they were answered
# with: a key repeated answers the same, and another body under it is a 409, as for a stored one
# (else a reused key told who is listed). No personal data: scoped key and body hashes, decoy ids.
refused_keys = Table(
    "refused_keys",
    metadata,
    Column("idempotency_key", Text, primary_key=True),
    Column("request_hash", Text),
    Column("lead_id", UUID(as_uuid=True), nullable=False),
    Column("submission_id", UUID(as_uuid=True), nullable=False),
    Column("refused_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Proof of consent (consents.py): each change, when, on which channel, where, from which submission.
consent_changes = Table(
    "consent_changes",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("lead_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("submission_id", UUID(as_uuid=True), nullable=False),
    Column("consent", Text, nullable=False),  # email, sms, …
    Column("granted", Boolean, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("channel", Text, nullable=False),
    Column("source", JSONB),  # where: page, popup_id, SMS keyword (erasure drops it)
)

# Do not contact (privacy.py): SHA-256 digests of normalized emails and phones, never the values.
suppressions = Table(
    "suppressions",
    metadata,
    Column("digest", Text, primary_key=True),
    Column("kind", Text, nullable=False),  # email or phone
    Column("reason", Text, nullable=False),
    Column("added_by", Text, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Erasure requests (privacy:admin) and, per lead, which service has applied them (erasing.py).
erasures = Table(
    "erasures",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("lead_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("requested_by", Text, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("suppressed", Boolean, nullable=False),
)
erasure_progress = Table(
    "erasure_progress",
    metadata,
    Column("erasure_id", UUID(as_uuid=True), nullable=False),
    Column("lead_id", UUID(as_uuid=True), nullable=False),
    Column("service", Text, nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("erasure_id", "lead_id", "service"),
)

outbox = outbox_table(metadata)

# Each lead's outcome as it stands: outcomes are final, a second one corrects it
# (outcome_rules.py). Ids and the result only.
lead_outcomes = Table(
    "lead_outcomes",
    metadata,
    Column("lead_id", UUID(as_uuid=True), primary_key=True),
    Column("outcome_id", UUID(as_uuid=True), nullable=False),
    Column("outcome", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("event_id", Text, nullable=False),
)

# The rep each lead is offered to now (from leads.routed): a rep reads only these leads.
lead_reps = lead_reps_table(metadata)

# What the export reads about a person's leads (export.py); erasure_store.py erases them.
HOLDINGS = (
    Holding("capture.leads", "t.id::text = ANY({leads})"),
    Holding("capture.submissions"),
    Holding("capture.consent_changes"),
    Holding("capture.lead_reps"),
    Holding("capture.lead_accounts"),  # the person's account link (accounts_tables.py)
    Holding("capture.account_suggestions"),
    Holding("capture.company_names"),  # the company name she gave
    # Her account's count of that name (migration 0014): it goes with its last person.
    Holding(
        "capture.account_names",
        "(t.account_id, t.normalized_name) IN (SELECT account_id, normalized_name"
        " FROM capture.company_names WHERE lead_id::text = ANY({leads}))",
    ),
)
