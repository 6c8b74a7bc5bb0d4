"""Reuses (moderation, kind, contact of each showcase) and access-log imports.

- ``reuse``: one row per showcase (kokai/catalog/reuses.py). Showcases that
  exist already were public: they become approved reuses of kind "other".
- ``access_log_salt``, ``access_log_import``, ``access_log_feed_visit``:
  downloads added from web-server access logs (kokai/catalog/access_log.py);
  no address or User-Agent is stored.

Revision ID: 0006_reuses_metrics
Revises: 0005_publish_log
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_reuses_metrics"
down_revision = "0005_publish_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reuse",
        sa.Column("showcase_id", sa.String(length=36), nullable=False),
        sa.Column("reuse_type", sa.String(length=20), nullable=False),
        sa.Column("moderation_state", sa.String(length=20), nullable=False),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("moderated", sa.DateTime(), nullable=True),
        sa.Column("moderated_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["showcase_id"], ["package.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("showcase_id"),
    )
    op.create_index("ix_reuse_moderation_state", "reuse", ["moderation_state"])
    op.execute(
        "INSERT INTO reuse (showcase_id, reuse_type, moderation_state, created) "
        "SELECT id, 'other', CASE WHEN private THEN 'pending' ELSE 'approved' END, "
        "metadata_created FROM package WHERE type = 'showcase'"
    )
    op.create_table(
        "access_log_salt",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "access_log_import",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("imported", sa.DateTime(), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("unreadable", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=True),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("downloads_added", sa.Integer(), nullable=False),
        sa.Column("feed_fetches_added", sa.Integer(), nullable=False),
        sa.Column("feed_checks_added", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("fingerprint"),
    )
    op.create_table(
        "access_log_feed_visit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("url", sa.String(length=300), nullable=False),
        sa.Column("visitor_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("package_id", sa.String(length=100), nullable=False),
        sa.Column("family", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", "url", "visitor_key", "kind", name="uq_access_log_feed_visit"),
    )
    op.create_index("ix_access_log_feed_visit_day", "access_log_feed_visit", ["day"])


def downgrade() -> None:
    op.drop_index("ix_access_log_feed_visit_day", table_name="access_log_feed_visit")
    op.drop_table("access_log_feed_visit")
    op.drop_table("access_log_import")
    op.drop_table("access_log_salt")
    op.drop_index("ix_reuse_moderation_state", table_name="reuse")
    op.drop_table("reuse")
