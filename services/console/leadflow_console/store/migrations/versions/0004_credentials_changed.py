"""Services are told when credentials change: a NOTIFY on `leadflow_credentials` from every
statement that adds, revokes or removes a key, a signing key or a session's validity (not from
recording a key's last use), so they refresh at once and need not poll while nothing changes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

CHANGES = {
    "api_keys": "INSERT OR DELETE OR UPDATE OF digest, scopes, expires_at, revoked_at",
    "sessions": "DELETE OR UPDATE OF expires_at, revoked_at",
    "signing_keys": "INSERT OR DELETE OR UPDATE",
}


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION console.announce_credentials_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('leadflow_credentials', TG_TABLE_NAME);
            RETURN NULL;
        END $$
        """
    )
    for table, events in CHANGES.items():
        op.execute(
            f"CREATE TRIGGER credentials_changed AFTER {events} ON console.{table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION console.announce_credentials_changed()"
        )


def downgrade() -> None:
    for table in CHANGES:
        op.execute(f"DROP TRIGGER credentials_changed ON console.{table}")
    op.execute("DROP FUNCTION console.announce_credentials_changed()")
