"""resource_file: the versions of uploaded files, recorded in the catalog.

Each row names a content-addressed blob (sha256) of the blob store
(kokai/catalog/blobs/). The version folders with a meta.json that
development builds wrote under ``<storage_dir>/resources/`` are not read any
more (no release used them): upload or publish those files again.

Revision ID: 0004_resource_files
Revises: 0003_resource_size_bigint
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_resource_files"
down_revision = "0003_resource_size_bigint"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resource_file",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("media_type", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["resource_id"], ["resource.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("resource_id", "version", name="uq_resource_file_version"),
    )
    op.create_index("ix_resource_file_resource_id", "resource_file", ["resource_id"])
    op.create_index("ix_resource_file_sha256", "resource_file", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_resource_file_sha256", table_name="resource_file")
    op.drop_index("ix_resource_file_resource_id", table_name="resource_file")
    op.drop_table("resource_file")
