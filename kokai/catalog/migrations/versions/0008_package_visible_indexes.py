"""Covering indexes for "the active public datasets": their ids and creation
times (the metrics' visibility condition and datasets published per month) and
their names with metadata_modified (package_list, package_modified_list), read
from the index alone instead of the wide rows.
They replace the index on (state, type, private), which both begin with.

Revision ID: 0008_package_visible_indexes
Revises: 0007_staff_logins
"""

from __future__ import annotations

from alembic import op

revision = "0008_package_visible_indexes"
down_revision = "0007_staff_logins"
branch_labels = None
depends_on = None

VISIBLE = ["state", "type", "private"]


def upgrade() -> None:
    op.create_index("ix_package_visible_id", "package", [*VISIBLE, "id", "metadata_created"])
    op.create_index("ix_package_visible_name", "package", [*VISIBLE, "name", "metadata_modified"])
    op.drop_index("ix_package_state_type_private", table_name="package")


def downgrade() -> None:
    op.create_index("ix_package_state_type_private", "package", VISIBLE)
    op.drop_index("ix_package_visible_name", table_name="package")
    op.drop_index("ix_package_visible_id", table_name="package")
