"""Each account's distinct company names, counted by the people who gave them, kept by a trigger
on `company_names`: account matching read every person's name of each candidate account in
every intake batch (the distinct names aggregated, and every person whose name shares a key),
a cost that grew with the account. A name goes with its last person (erased, unlinked, moved).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

SCHEMA = "capture"
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

COUNT = """
CREATE FUNCTION capture.count_account_names() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.account_id IS NOT NULL THEN
        UPDATE capture.account_names SET people = people - 1
            WHERE account_id = OLD.account_id AND normalized_name = OLD.normalized_name;
        DELETE FROM capture.account_names
            WHERE account_id = OLD.account_id AND normalized_name = OLD.normalized_name AND people <= 0;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.account_id IS NOT NULL THEN
        INSERT INTO capture.account_names AS n (account_id, normalized_name, name_keys, people)
            VALUES (NEW.account_id, NEW.normalized_name, NEW.name_keys, 1)
            ON CONFLICT (account_id, normalized_name) DO UPDATE SET people = n.people + 1;
    END IF;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "account_names",
        sa.Column("account_id", UUID(as_uuid=True), nullable=False),
        sa.Column("normalized_name", sa.Text, nullable=False),
        sa.Column("name_keys", ARRAY(sa.Text), nullable=False),
        sa.Column("people", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("account_id", "normalized_name"),
        schema=SCHEMA,
    )
    op.create_index("account_names_name_keys", "account_names", ["name_keys"], schema=SCHEMA, postgresql_using="gin")
    op.execute(COUNT)
    op.execute(
        "CREATE TRIGGER account_names_counted AFTER INSERT OR DELETE ON capture.company_names"
        " FOR EACH ROW EXECUTE FUNCTION capture.count_account_names()"
    )
    # An upsert rewrites a person's name with the same values: only a real move or rename counts.
    op.execute(
        "CREATE TRIGGER account_names_moved AFTER UPDATE OF account_id, normalized_name"
        " ON capture.company_names FOR EACH ROW WHEN (OLD.account_id IS DISTINCT FROM NEW.account_id"
        " OR OLD.normalized_name IS DISTINCT FROM NEW.normalized_name)"
        " EXECUTE FUNCTION capture.count_account_names()"
    )
    op.execute(
        "INSERT INTO capture.account_names (account_id, normalized_name, name_keys, people)"
        " SELECT account_id, normalized_name, min(name_keys), count(*)"  # its keys, the same for each
        " FROM capture.company_names WHERE account_id IS NOT NULL GROUP BY account_id, normalized_name"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER account_names_moved ON capture.company_names")
    op.execute("DROP TRIGGER account_names_counted ON capture.company_names")
    op.execute("DROP FUNCTION capture.count_account_names()")
    op.drop_table("account_names", schema=SCHEMA)
