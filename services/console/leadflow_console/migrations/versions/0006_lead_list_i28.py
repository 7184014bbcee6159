"""The leads page: a full-text index over the words of a lead's name and company (a word or the
start of one finds the lead; the `simple` configuration, no extension, so it works on every
PostgreSQL the project runs on), email by prefix, and the orders the list is paged in (keyset:
newest first, highest score first, and a rep's own leads newest first).

Revision ID: 0006_i28
Revises: 0005
Create Date: 2026-12-03
"""

from alembic import op

revision = "0006_i28"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLE = "console.lead_views"
# The same expression as `lead_list_queries.WORDS`: PostgreSQL uses the index only for it.
WORDS = "to_tsvector('simple'::regconfig, coalesce(name, '') || ' ' || coalesce(company, ''))"
INDEXES = {
    "lead_views_words": f"USING gin ({WORDS})",
    "lead_views_email_prefix": "(email text_pattern_ops)",
    "lead_views_newest": "(captured_at, lead_id)",
    "lead_views_by_score": "((coalesce(score, -1)), lead_id)",
    "lead_views_rep_newest": "(rep_id, captured_at, lead_id)",
}


def upgrade() -> None:
    for name, definition in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {TABLE} {definition}")


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX console.{name}")
