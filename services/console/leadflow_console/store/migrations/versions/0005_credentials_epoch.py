"""The credentials' epoch: one counter, bumped in the transaction of every change a service
verifies with (a key created, revoked or changed, a session ended, a signing key added), so a
service can tell with one read whether its copy is current (`leadflow_common.credentials_current`).
A trigger bumps it, on the same changes as the announcement of 0004: no use case can forget to,
and an operator's hand-made revocation counts too.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The changes of 0004's announcement (creating a session changes nothing a service checks).
CHANGES = {
    "api_keys": "INSERT OR DELETE OR UPDATE OF digest, scopes, expires_at, revoked_at",
    "sessions": "DELETE OR UPDATE OF expires_at, revoked_at",
    "signing_keys": "INSERT OR DELETE OR UPDATE",
}


def upgrade() -> None:
    op.create_table(
        "credentials_epoch",
        sa.Column("id", sa.SmallInteger, primary_key=True),
        sa.Column("epoch", sa.BigInteger, nullable=False),
        sa.CheckConstraint("id = 1", name="credentials_epoch_one_row"),
        schema="console",
    )
    op.execute("INSERT INTO console.credentials_epoch (id, epoch) VALUES (1, 1)")
    # A row, not a sequence: a sequence moves before the commit, and a service that saw the new
    # number could fetch a copy without the change and take it for current.
    op.execute(
        """
        CREATE FUNCTION console.bump_credentials_epoch() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE console.credentials_epoch SET epoch = epoch + 1 WHERE id = 1;
            RETURN NULL;
        END $$
        """
    )
    for table, events in CHANGES.items():
        op.execute(
            f"CREATE TRIGGER credentials_epoch AFTER {events} ON console.{table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION console.bump_credentials_epoch()"
        )


def downgrade() -> None:
    for table in CHANGES:
        op.execute(f"DROP TRIGGER credentials_epoch ON console.{table}")
    op.execute("DROP FUNCTION console.bump_credentials_epoch()")
    op.drop_table("credentials_epoch", schema="console")
