"""Initial catalog schema: organizations/groups, datasets, resources, tags,
extras, members, users, hashed API tokens, the bigram search index,
showcase associations and the catalog revision counter.

Revision ID: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "group",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("image_url", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("is_organization", sa.Boolean(), nullable=False),
        sa.Column("approval_status", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "tag",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("vocabulary_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "user",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("fullname", sa.Text(), nullable=True),
        sa.Column("sysadmin", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("last_access", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f("ix_api_token_user_id"), "api_token", ["user_id"], unique=False)
    op.create_table(
        "group_extra",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["group.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_group_extra_group_id"), "group_extra", ["group_id"], unique=False)
    op.create_table(
        "member",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("capacity", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["group.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_member_group_id"), "member", ["group_id"], unique=False)
    op.create_index("ix_member_group_user", "member", ["group_id", "user_id"], unique=True)
    op.create_index(op.f("ix_member_user_id"), "member", ["user_id"], unique=False)
    op.create_table(
        "package",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("version", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("author_email", sa.Text(), nullable=True),
        sa.Column("maintainer", sa.Text(), nullable=True),
        sa.Column("maintainer_email", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("license_id", sa.Text(), nullable=True),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("owner_org", sa.String(length=36), nullable=True),
        sa.Column("creator_user_id", sa.String(length=36), nullable=True),
        sa.Column("metadata_created", sa.DateTime(), nullable=False),
        sa.Column("metadata_modified", sa.DateTime(), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("data_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_org"],
            ["group.id"],
        ),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_index(
        op.f("ix_package_metadata_modified"), "package", ["metadata_modified"], unique=False
    )
    op.create_index(op.f("ix_package_owner_org"), "package", ["owner_org"], unique=False)
    op.create_index(
        "ix_package_state_type_private", "package", ["state", "type", "private"], unique=False
    )
    op.create_table(
        "package_extra",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("package_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["package_id"], ["package.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_package_extra_package_id"), "package_extra", ["package_id"], unique=False
    )
    op.create_table(
        "package_group",
        sa.Column("package_id", sa.String(length=36), nullable=False),
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["group.id"],
        ),
        sa.ForeignKeyConstraint(["package_id"], ["package.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("package_id", "group_id"),
    )
    op.create_index(op.f("ix_package_group_group_id"), "package_group", ["group_id"], unique=False)
    op.create_table(
        "package_tag",
        sa.Column("package_id", sa.String(length=36), nullable=False),
        sa.Column("tag_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["package_id"], ["package.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["tag_id"],
            ["tag.id"],
        ),
        sa.PrimaryKeyConstraint("package_id", "tag_id"),
    )
    op.create_index(op.f("ix_package_tag_tag_id"), "package_tag", ["tag_id"], unique=False)
    op.create_table(
        "resource",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("package_id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("format", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("hash", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("resource_type", sa.Text(), nullable=True),
        sa.Column("mimetype", sa.Text(), nullable=True),
        sa.Column("mimetype_inner", sa.Text(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("last_modified", sa.DateTime(), nullable=True),
        sa.Column("metadata_modified", sa.DateTime(), nullable=False),
        sa.Column("cache_url", sa.Text(), nullable=True),
        sa.Column("cache_last_updated", sa.DateTime(), nullable=True),
        sa.Column("url_type", sa.Text(), nullable=True),
        sa.Column("extras", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["package_id"], ["package.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_resource_package_id"), "resource", ["package_id"], unique=False)
    op.create_table(
        "search_gram",
        sa.Column("gram", sa.String(length=8), nullable=False),
        sa.Column("package_pk", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["package_pk"], ["package.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("gram", "package_pk"),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_search_gram_package_pk"), "search_gram", ["package_pk"], unique=False)
    op.create_table(
        "showcase_package_association",
        sa.Column("package_id", sa.String(length=36), nullable=False),
        sa.Column("showcase_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["package_id"], ["package.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["showcase_id"], ["package.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("package_id", "showcase_id"),
    )
    op.create_index(
        op.f("ix_showcase_package_association_showcase_id"),
        "showcase_package_association",
        ["showcase_id"],
        unique=False,
    )
    op.execute("INSERT INTO catalog_revision (id, revision) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_index(
        op.f("ix_showcase_package_association_showcase_id"),
        table_name="showcase_package_association",
    )
    op.drop_table("showcase_package_association")
    op.drop_index(op.f("ix_search_gram_package_pk"), table_name="search_gram")
    op.drop_table("search_gram")
    op.drop_index(op.f("ix_resource_package_id"), table_name="resource")
    op.drop_table("resource")
    op.drop_index(op.f("ix_package_tag_tag_id"), table_name="package_tag")
    op.drop_table("package_tag")
    op.drop_index(op.f("ix_package_group_group_id"), table_name="package_group")
    op.drop_table("package_group")
    op.drop_index(op.f("ix_package_extra_package_id"), table_name="package_extra")
    op.drop_table("package_extra")
    op.drop_index("ix_package_state_type_private", table_name="package")
    op.drop_index(op.f("ix_package_owner_org"), table_name="package")
    op.drop_index(op.f("ix_package_metadata_modified"), table_name="package")
    op.drop_table("package")
    op.drop_index(op.f("ix_member_user_id"), table_name="member")
    op.drop_index("ix_member_group_user", table_name="member")
    op.drop_index(op.f("ix_member_group_id"), table_name="member")
    op.drop_table("member")
    op.drop_index(op.f("ix_group_extra_group_id"), table_name="group_extra")
    op.drop_table("group_extra")
    op.drop_index(op.f("ix_api_token_user_id"), table_name="api_token")
    op.drop_table("api_token")
    op.drop_table("user")
    op.drop_table("tag")
    op.drop_table("group")
    op.drop_table("catalog_revision")
