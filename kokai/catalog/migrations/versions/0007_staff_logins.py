"""The staff page's sign-in: password hashes, login sessions, site secrets.

- ``user.password_hash``: argon2 (kokai/catalog/passwords.py); NULL: the user
  cannot sign in with a password (API tokens only, as before).
- ``login_session``: the SHA-256 of each session id, its user, its CSRF token
  and its times (kokai/catalog/login_sessions.py).
- ``site_secret``: random signing keys shared by every worker.

Revision ID: 0007_staff_logins
Revises: 0006_reuses_metrics
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_staff_logins"
down_revision = "0006_reuses_metrics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("password_hash", sa.Text(), nullable=True))
    op.create_table(
        "login_session",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    op.create_index("ix_login_session_user_id", "login_session", ["user_id"])
    op.create_index("ix_login_session_created", "login_session", ["created"])
    op.create_table(
        "site_secret",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("site_secret")
    op.drop_index("ix_login_session_created", table_name="login_session")
    op.drop_index("ix_login_session_user_id", table_name="login_session")
    op.drop_table("login_session")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("password_hash")
