"""A sales manager's role: reps, the waiting queue and assignments by hand, every lead, without
the admin's pages (a manager who assigned had to be an admin).

Revision ID: 0012_manager_role
Revises: 0011_campaign_folded
Create Date: 2026-12-07
"""

from alembic import op

revision = "0012_manager_role"
down_revision = "0011_campaign_folded"
branch_labels = None
depends_on = None


def _roles(roles: str) -> None:
    op.drop_constraint("users_role", "users", schema="console", type_="check")
    op.create_check_constraint("users_role", "users", f"role IN ({roles})", schema="console")


def upgrade() -> None:
    _roles("'admin', 'manager', 'marketer', 'rep', 'viewer'")


def downgrade() -> None:
    op.execute("UPDATE console.users SET role = 'viewer' WHERE role = 'manager'")
    _roles("'admin', 'marketer', 'rep', 'viewer'")
