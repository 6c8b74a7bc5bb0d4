"""Download tracking: daily salts, per-visitor daily downloads, GTFS feed fetches per consumer.

No client address is stored anywhere (see kokai/catalog/tracking.py).

Revision ID: 0002_tracking
Revises: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_tracking"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracking_salt",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "tracking_download",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("package_id", sa.String(length=100), nullable=False),
        sa.Column("resource_id", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("visitor_key", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", "url", "visitor_key", name="uq_tracking_download_visit"),
    )
    op.create_index("ix_tracking_download_day", "tracking_download", ["day"])
    op.create_index("ix_tracking_download_package_id", "tracking_download", ["package_id"])
    op.create_index("ix_tracking_download_resource_id", "tracking_download", ["resource_id"])
    op.create_table(
        "gtfs_feed_fetch",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("package_id", sa.String(length=100), nullable=False),
        sa.Column("family", sa.String(length=32), nullable=False),
        sa.Column("fetches", sa.Integer(), nullable=False),
        sa.Column("not_modified", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", "package_id", "family", name="uq_gtfs_feed_fetch_day"),
    )
    op.create_index("ix_gtfs_feed_fetch_day", "gtfs_feed_fetch", ["day"])
    op.create_index("ix_gtfs_feed_fetch_package_id", "gtfs_feed_fetch", ["package_id"])


def downgrade() -> None:
    op.drop_index("ix_gtfs_feed_fetch_package_id", table_name="gtfs_feed_fetch")
    op.drop_index("ix_gtfs_feed_fetch_day", table_name="gtfs_feed_fetch")
    op.drop_table("gtfs_feed_fetch")
    op.drop_index("ix_tracking_download_resource_id", table_name="tracking_download")
    op.drop_index("ix_tracking_download_package_id", table_name="tracking_download")
    op.drop_index("ix_tracking_download_day", table_name="tracking_download")
    op.drop_table("tracking_download")
    op.drop_table("tracking_salt")
