"""The leads list's campaign filter finds a campaign however it was typed ("Spring", " spring"),
as the funnel counts it as one: its index is on the folded campaign instead of the campaign.

Revision ID: 0011_campaign_folded
Revises: 0010_erased_leads
Create Date: 2026-12-07
"""

from alembic import op

revision = "0011_campaign_folded"
down_revision = "0010_erased_leads"
branch_labels = None
depends_on = None

TABLE = "console.lead_views"
# The same expression as `lead_list_queries.CAMPAIGN`: PostgreSQL uses the index only for it.
FOLDED = "(lower(btrim(campaign)))"


def upgrade() -> None:
    op.execute(f"CREATE INDEX lead_views_campaign_folded ON {TABLE} {FOLDED}")
    op.execute("DROP INDEX console.lead_views_campaign")


def downgrade() -> None:
    op.execute(f"CREATE INDEX lead_views_campaign ON {TABLE} (campaign)")
    op.execute("DROP INDEX console.lead_views_campaign_folded")
