"""The catalog's tables (SQLAlchemy 2 declarative), shaped after CKAN's model.

Organizations and groups share one table (`group`, `is_organization`), as in
CKAN, so that dataset membership, facets and dicts treat them alike.
Identifiers are UUID strings as CKAN returns them; `package.pk` is an integer
surrogate used only by the search index (`search_gram`) to keep it small.

Other parts of the catalog (downloads tracking) define their own tables on
the same `Base` and add their own Alembic revisions after `0001_initial`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """Naive UTC, as CKAN stores and prints datetimes."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "user"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    fullname: Mapped[str | None] = mapped_column(Text)
    sysadmin: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), default="active")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # argon2 hash (kokai/catalog/passwords.py) for the staff page's sign-in; None: no password
    password_hash: Mapped[str | None] = mapped_column(Text)


class ApiToken(Base):
    """Only the SHA-256 of a token is stored; the token itself is shown once."""

    __tablename__ = "api_token"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200), default="cli")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_access: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(lazy="joined")


class LoginSession(Base):
    """A signed-in staff page session (kokai/catalog/login_sessions.py). Only the
    SHA-256 of the session id is stored: a leaked table signs nobody in."""

    __tablename__ = "login_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # the session's CSRF token, sent back in every form of the staff page
    csrf_token: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    last_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


class SiteSecret(Base):
    """Random keys the web layer signs with (e.g. anonymous CSRF cookies), kept in
    the catalog so that every worker process shares them."""

    __tablename__ = "site_secret"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Group(Base):
    """An organization (`is_organization`) or a thematic group."""

    __tablename__ = "group"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[str] = mapped_column(String(100), default="organization")
    is_organization: Mapped[bool] = mapped_column(Boolean, default=True)
    approval_status: Mapped[str] = mapped_column(String(20), default="approved")
    state: Mapped[str] = mapped_column(String(20), default="active")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    extras: Mapped[list[GroupExtra]] = relationship(
        cascade="all, delete-orphan", order_by="GroupExtra.key"
    )


class GroupExtra(Base):
    __tablename__ = "group_extra"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("group.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(Text)
    value: Mapped[str] = mapped_column(Text, default="")


class Member(Base):
    """A user's capacity in an organization or group: admin, editor or member."""

    __tablename__ = "member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("group.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    capacity: Mapped[str] = mapped_column(String(20), default="editor")

    __table_args__ = (Index("ix_member_group_user", "group_id", "user_id", unique=True),)


class Package(Base):
    """A dataset (or, with `type='showcase'`, a secondary use)."""

    __tablename__ = "package"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    author_email: Mapped[str | None] = mapped_column(Text)
    maintainer: Mapped[str | None] = mapped_column(Text)
    maintainer_email: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    license_id: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(100), default="dataset")
    owner_org: Mapped[str | None] = mapped_column(ForeignKey("group.id"), index=True)
    creator_user_id: Mapped[str | None] = mapped_column(String(36))
    metadata_created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    metadata_modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), default="active")
    # NFKC-normalised, lower-cased text of name/title/notes/tags/org/resources:
    # verifies substring matches that the bigram index only pre-selects.
    search_text: Mapped[str] = mapped_column(Text, default="")
    # The package_show dict as JSON, written with every change: reads need one
    # row, like CKAN's validated_data_dict stored in its Solr index.
    data_json: Mapped[str] = mapped_column(Text, default="")

    organization: Mapped[Group | None] = relationship(lazy="select")
    resources: Mapped[list[Resource]] = relationship(
        back_populates="package", order_by="Resource.position", cascade="all, delete-orphan"
    )
    package_tags: Mapped[list[PackageTag]] = relationship(cascade="all, delete-orphan")
    package_groups: Mapped[list[PackageGroup]] = relationship(cascade="all, delete-orphan")
    extras: Mapped[list[PackageExtra]] = relationship(
        cascade="all, delete-orphan", order_by="PackageExtra.key"
    )

    # covering indexes for the active public datasets' ids and names (migration 0008)
    __table_args__ = (
        Index("ix_package_visible_id", "state", "type", "private", "id", "metadata_created"),
        Index("ix_package_visible_name", "state", "type", "private", "name", "metadata_modified"),
    )


class Resource(Base):
    __tablename__ = "resource"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    package_id: Mapped[str] = mapped_column(
        ForeignKey("package.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str | None] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str | None] = mapped_column(Text)
    resource_type: Mapped[str | None] = mapped_column(Text)
    mimetype: Mapped[str | None] = mapped_column(Text)
    mimetype_inner: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int | None] = mapped_column(BigInteger)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_modified: Mapped[datetime | None] = mapped_column(DateTime)
    metadata_modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    cache_url: Mapped[str | None] = mapped_column(Text)
    cache_last_updated: Mapped[datetime | None] = mapped_column(DateTime)
    url_type: Mapped[str | None] = mapped_column(Text)
    # Keys CKAN does not know are kept as JSON and flattened into the dict.
    extras: Mapped[str] = mapped_column(Text, default="{}")
    state: Mapped[str] = mapped_column(String(20), default="active")

    package: Mapped[Package] = relationship(back_populates="resources")


class ResourceFile(Base):
    """One version of an uploaded resource's file. The bytes are a blob named by
    their sha256 (kokai/catalog/blobs/); this row, written in the same
    transaction as the resource, is what makes them a version. A new version is
    recorded only when the content changes; the highest version is current."""

    __tablename__ = "resource_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_id: Mapped[str] = mapped_column(
        ForeignKey("resource.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # indexed: garbage collection
    size: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("resource_id", "version", name="uq_resource_file_version"),)


class Tag(Base):
    __tablename__ = "tag"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    vocabulary_id: Mapped[str | None] = mapped_column(String(36))


class PackageTag(Base):
    __tablename__ = "package_tag"

    package_id: Mapped[str] = mapped_column(
        ForeignKey("package.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[str] = mapped_column(ForeignKey("tag.id"), primary_key=True, index=True)
    state: Mapped[str] = mapped_column(String(20), default="active")

    tag: Mapped[Tag] = relationship(lazy="joined")


class PackageGroup(Base):
    __tablename__ = "package_group"

    package_id: Mapped[str] = mapped_column(
        ForeignKey("package.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[str] = mapped_column(ForeignKey("group.id"), primary_key=True, index=True)

    group: Mapped[Group] = relationship(lazy="joined")


class PackageExtra(Base):
    __tablename__ = "package_extra"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    package_id: Mapped[str] = mapped_column(
        ForeignKey("package.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(Text)
    value: Mapped[str] = mapped_column(Text, default="")


class SearchGram(Base):
    """Character-bigram inverted index over `package.search_text`.

    Japanese has no spaces, so a word such as 避難 is found by its bigram;
    longer terms intersect their bigrams and are verified on `search_text`.
    `weight` is the best field the gram occurs in (title 4, tags/org 2, else 1)
    and drives `score`.
    """

    __tablename__ = "search_gram"

    gram: Mapped[str] = mapped_column(String(8), primary_key=True)
    package_pk: Mapped[int] = mapped_column(
        ForeignKey("package.pk", ondelete="CASCADE"), primary_key=True, index=True
    )
    weight: Mapped[int] = mapped_column(Integer, default=1)

    # Clustered on (gram, package_pk) in SQLite: one range read per gram.
    __table_args__ = {"sqlite_with_rowid": False}


class ShowcasePackageAssociation(Base):
    """ckanext-showcase: a secondary use (showcase) built on a dataset."""

    __tablename__ = "showcase_package_association"

    package_id: Mapped[str] = mapped_column(
        ForeignKey("package.id", ondelete="CASCADE"), primary_key=True
    )
    showcase_id: Mapped[str] = mapped_column(
        ForeignKey("package.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CatalogRevision(Base):
    """One row counting catalog writes; cached dicts are valid for one revision
    (shared by every worker because it lives in the database)."""

    __tablename__ = "catalog_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
