"""The keyring, shared by every service: a key per lead sealing its personal data in events
(created here too, if this service migrates before capture).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""
from leadflow_common.migration_ops import create_keyring

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_keyring()


def downgrade() -> None:
    """The keyring stays: other services read it."""
