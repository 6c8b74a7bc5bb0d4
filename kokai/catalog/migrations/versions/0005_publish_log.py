"""The publish log: versions of each dataset as published, and refusals.

Revision ID: 0005_publish_log
Revises: 0004_resource_files
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_publish_log"
down_revision = "0004_resource_files"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "publish_record",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("package_name", sa.String(length=100), nullable=False),
        sa.Column("package_id", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("content_key", sa.String(length=64), nullable=False),
        sa.Column("descriptor", sa.Text(), nullable=False),
        sa.Column("manifest", sa.Text(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_publish_record_package_name", "publish_record", ["package_name"])
    op.create_index(
        "ix_publish_record_package_version",
        "publish_record",
        ["package_name", "version"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_table("publish_record")
