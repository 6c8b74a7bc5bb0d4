"""resource.size holds 64-bit sizes (files over 2 GB), as CKAN's BIGINT column.

Revision ID: 0003_resource_size_bigint
Revises: 0002_tracking
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_resource_size_bigint"
down_revision = "0002_tracking"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resource") as batch:
        batch.alter_column(
            "size", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=True
        )


def downgrade() -> None:
    with op.batch_alter_table("resource") as batch:
        batch.alter_column(
            "size", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=True
        )
