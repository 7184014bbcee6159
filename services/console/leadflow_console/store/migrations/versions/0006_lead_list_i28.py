"""The leads page: a full-text index over the words of a lead's name and company (a word or the
start of one finds the lead; the `simple` configuration, no extension, so it works on every
PostgreSQL the project runs on), email by prefix, and the orders the list is paged in (keyset:
newest first, highest score first, and a rep's own leads newest first). Each filter has an
index of its own, for PostgreSQL to combine when together they leave few leads (a scan in
capture order would read the whole table to find none); statistics over the filters together
tell it when that is (they are correlated: only a routed lead is offered). The prefix indexes of
0002 on the whole name and company go (the words index answers what they did, and more), and
so does its index on capture time alone (the newest-first index begins with it).

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
    # The score decides the band, so a band's leads lie together in score order: they and a rep's
    # own have an index of their own in it (otherwise: all hotter leads read before the first cold).
    "lead_views_band_by_score": "(temperature, (coalesce(score, -1)), lead_id)",
    "lead_views_rep_by_score": "(rep_id, (coalesce(score, -1)), lead_id)",
    "lead_views_channel": "(channel)",
    "lead_views_status": "(assignment_status)",
    "lead_views_campaign": "(campaign)",
    "lead_views_outcome": "(outcome) WHERE outcome IS NOT NULL",
}
STATISTICS = "console.lead_views_filters"
# What the indexes above answer: the whole name's and company's start; capture time alone.
REPLACED = {f"lead_views_{column}_prefix": f"({column} text_pattern_ops)" for column in ("name", "company")}
REPLACED["lead_views_captured_at"] = "(captured_at)"


def upgrade() -> None:
    for name, definition in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {TABLE} {definition}")
    for name in REPLACED:
        op.execute(f"DROP INDEX console.{name}")
    op.execute(
        f"CREATE STATISTICS {STATISTICS} (mcv, dependencies) "
        f"ON temperature, channel, assignment_status, outcome FROM {TABLE}"
    )


def downgrade() -> None:
    op.execute(f"DROP STATISTICS {STATISTICS}")
    for name, definition in REPLACED.items():
        op.execute(f"CREATE INDEX {name} ON {TABLE} {definition}")
    for name in INDEXES:
        op.execute(f"DROP INDEX console.{name}")
