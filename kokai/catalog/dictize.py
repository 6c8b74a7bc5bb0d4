"""Package, resource and organization dicts exactly as CKAN 2.12 returns them.

Package dicts are cached per catalog revision (`PackageCache`, owned by a
`LocalCatalog`): every write bumps the revision row in the database, so all
workers drop their cached dicts at once. The HTTP layer reuses the cached JSON
text of a dict (`PackageCache.raw_json`) instead of serialising it again.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.orm import Session, selectinload

from kokai.catalog.licenses import license_info
from kokai.catalog.models import (
    CatalogRevision,
    Group,
    Package,
    PackageExtra,
    PackageGroup,
    PackageTag,
    Resource,
    Tag,
    User,
)
from kokai.catalog.tracking import tracking_summaries

RESOURCE_COLUMNS = (
    "cache_last_updated", "cache_url", "created", "description", "format", "hash", "id",
    "last_modified", "metadata_modified", "mimetype", "mimetype_inner", "name", "package_id",
    "position", "resource_type", "size", "state", "url", "url_type",
)  # fmt: skip
PACKAGE_LOAD_OPTIONS = (
    selectinload(Package.organization),
    selectinload(Package.resources),
    selectinload(Package.package_tags).joinedload(PackageTag.tag),
    selectinload(Package.package_groups).joinedload(PackageGroup.group),
    selectinload(Package.extras),
)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": ")).encode("utf-8")


def extras_of(package: dict[str, Any]) -> dict[str, Any]:
    """A package dict's extras as a dict (CKAN lists them as [{key, value}])."""
    extras = package.get("extras") or []
    if isinstance(extras, dict):
        return {str(k): v for k, v in extras.items()}
    return {str(e.get("key")): e.get("value") for e in extras if isinstance(e, dict)}


def resource_dictize(resource: Resource) -> dict:
    out: dict[str, Any] = {}
    for column in RESOURCE_COLUMNS:
        value = getattr(resource, column)
        out[column] = iso(value) if isinstance(value, datetime) else value
    if resource.extras and resource.extras != "{}":
        for key, value in json.loads(resource.extras).items():
            out.setdefault(key, value)
    return out


def organization_summary(group: Group | None) -> dict | None:
    """The `organization` of a package dict (no extras, as CKAN)."""
    if group is None:
        return None
    return {
        "id": group.id,
        "name": group.name,
        "title": group.title,
        "type": group.type,
        "description": group.description,
        "image_url": group.image_url,
        "created": iso(group.created),
        "is_organization": group.is_organization,
        "approval_status": group.approval_status,
        "state": group.state,
    }


def group_summary(group: Group) -> dict:
    return {
        "id": group.id,
        "name": group.name,
        "title": group.title,
        "description": group.description,
        "display_name": group.title or group.name,
        "image_display_url": group.image_url,
    }


def package_dictize(session: Session | None, package: Package, context: dict | None = None) -> dict:
    """The package_show dict of a loaded ORM package (without tracking_summary)."""
    row = {column.key: getattr(package, column.key) for column in Package.__table__.columns}
    return _package_dict(
        row,
        organization_summary(package.organization),
        [resource_dictize(r) for r in package.resources if r.state == "active"],
        [
            {"display_name": pt.tag.name, "id": pt.tag.id, "name": pt.tag.name,
             "state": pt.state, "vocabulary_id": pt.tag.vocabulary_id}
            for pt in package.package_tags
            if pt.state == "active"
        ],
        [group_summary(pg.group) for pg in package.package_groups if pg.group.state == "active"],
        [(e.key, e.value) for e in sorted(package.extras, key=lambda e: e.key)],
    )  # fmt: skip


def group_dictize(
    group: Group, package_count: int | None = None, include_extras: bool = True
) -> dict:
    """organization_show / group_show / *_list all_fields item."""
    out: dict[str, Any] = {
        "approval_status": group.approval_status,
        "created": iso(group.created),
        "description": group.description,
        "display_name": group.title or group.name,
        "id": group.id,
        "image_display_url": group.image_url,
        "image_url": group.image_url,
        "is_organization": group.is_organization,
        "name": group.name,
        "num_followers": 0,
        "state": group.state,
        "title": group.title,
        "type": group.type,
    }
    if package_count is not None:
        out["package_count"] = package_count
    if include_extras:
        out["extras"] = [{"key": e.key, "value": e.value, "state": "active"} for e in group.extras]
    out["groups"] = []
    out["tags"] = []
    return out


def user_dictize(user: User) -> dict:
    """user_show: never the e-mail or the password hash."""
    return {
        "id": user.id,
        "name": user.name,
        "fullname": user.fullname,
        "display_name": user.fullname or user.name,
        "sysadmin": bool(user.sysadmin),
        "state": user.state,
        "created": iso(user.created),
    }


_SEEN_REVISION = "kokai_catalog_revision"


def current_revision(session: Session) -> int:
    return session.connection().execute(_REVISION).scalar() or 0


def bump_revision(session: Session) -> None:
    """Mark every cached dict stale (called in the same transaction as a write)."""
    session.execute(
        update(CatalogRevision)
        .where(CatalogRevision.id == 1)
        .values(revision=CatalogRevision.revision + 1)
    )


def _package_dict(row, organization, resources, tags, groups, extras) -> dict:
    """The package_show dict from plain values (shared by the ORM and Core paths)."""
    license_title, license_url, isopen = license_info(row["license_id"])
    out: dict[str, Any] = {
        "author": row["author"],
        "author_email": row["author_email"],
        "creator_user_id": row["creator_user_id"],
        "id": row["id"],
        "isopen": isopen,
        "license_id": row["license_id"],
        "license_title": license_title,
    }
    if license_url:
        out["license_url"] = license_url
    out.update(
        {
            "maintainer": row["maintainer"],
            "maintainer_email": row["maintainer_email"],
            "metadata_created": iso(row["metadata_created"]),
            "metadata_modified": iso(row["metadata_modified"]),
            "name": row["name"],
            "notes": row["notes"],
            "num_resources": len(resources),
            "num_tags": len(tags),
            "organization": organization,
            "owner_org": row["owner_org"],
            "private": bool(row["private"]),
            "state": row["state"],
            "title": row["title"],
            "type": row["type"],
            "url": row["url"],
            "version": row["version"],
            "extras": [{"key": key, "value": value} for key, value in extras],
            "resources": resources,
            "tags": sorted(tags, key=lambda t: t["name"]),
            "groups": sorted(groups, key=lambda g: g["name"]),
            "relationships_as_subject": [],
            "relationships_as_object": [],
        }
    )
    if row["type"] == "showcase":
        image_url = dict(extras).get("image_url", "")
        out["image_url"] = image_url
        out["image_display_url"] = image_url
        out["showcase_notes_formatted"] = row["notes"] or ""
    return out


# Hot-path reads as plain SQL built once (no per-request statement building).
_STORED_COLUMNS = "pk, id, name, private, state, owner_org, type, data_json"
_PACKAGES_BY_PK = text(f"SELECT {_STORED_COLUMNS} FROM package WHERE pk IN :pks").bindparams(
    bindparam("pks", expanding=True)
)
_PACKAGE_BY_REF = text(f"SELECT {_STORED_COLUMNS} FROM package WHERE id = :ref OR name = :ref")
_REVISION = text("SELECT revision FROM catalog_revision WHERE id = 1")


def load_package_dicts(session: Session, pks: list[int]) -> list[tuple[Any, dict, bytes | None]]:
    """(package row, package_show dict, its JSON) of many packages: the stored
    JSON when there is one, else built with five Core queries."""
    if not pks:
        return []
    stored = session.connection().execute(_PACKAGES_BY_PK, {"pks": pks}).all()
    return _from_stored(session, stored)


def _from_stored(session: Session, stored) -> list[tuple[Any, dict, bytes | None]]:
    out: list[tuple[Any, dict, bytes | None]] = []
    missing = []
    for row in stored:
        if row.data_json:
            raw = row.data_json.encode("utf-8")
            out.append((row._mapping, json.loads(raw), raw))
        else:
            missing.append(row.pk)
    if missing:
        out += [(row, data, None) for row, data in build_package_dicts(session, missing)]
    return out


def build_package_dicts(session: Session, pks: list[int]) -> list[tuple[Any, dict]]:
    """(package row, package_show dict) of many packages in five Core queries."""
    if not pks:
        return []
    connection = session.connection()
    package_t, group_t = Package.__table__, Group.__table__
    org_columns = [
        group_t.c.id, group_t.c.name, group_t.c.title, group_t.c.type, group_t.c.description,
        group_t.c.image_url, group_t.c.created, group_t.c.is_organization,
        group_t.c.approval_status, group_t.c.state,
    ]  # fmt: skip
    stmt = (
        select(package_t, *(c.label(f"org_{c.name}") for c in org_columns))
        .select_from(package_t.outerjoin(group_t, group_t.c.id == package_t.c.owner_org))
        .where(package_t.c.pk.in_(pks))
    )
    rows = [row._mapping for row in connection.execute(stmt)]
    ids = [row["id"] for row in rows]
    resources: dict[str, list[dict]] = {i: [] for i in ids}
    resource_t = Resource.__table__
    resource_stmt = (
        select(resource_t)
        .where(resource_t.c.package_id.in_(ids), resource_t.c.state == "active")
        .order_by(resource_t.c.package_id, resource_t.c.position)
    )
    for resource in connection.execute(resource_stmt):
        values = resource._mapping
        item: dict[str, Any] = {}
        for column in RESOURCE_COLUMNS:
            value = values[column]
            item[column] = iso(value) if isinstance(value, datetime) else value
        if values["extras"] and values["extras"] != "{}":
            for key, value in json.loads(values["extras"]).items():
                item.setdefault(key, value)
        resources[values["package_id"]].append(item)
    tags: dict[str, list[dict]] = {i: [] for i in ids}
    tag_stmt = (
        select(PackageTag.package_id, PackageTag.state, Tag.id, Tag.name, Tag.vocabulary_id)
        .join(Tag, Tag.id == PackageTag.tag_id)
        .where(PackageTag.package_id.in_(ids), PackageTag.state == "active")
    )
    for package_id, state, tag_id, name, vocabulary_id in connection.execute(tag_stmt):
        tags[package_id].append(
            {"display_name": name, "id": tag_id, "name": name, "state": state,
             "vocabulary_id": vocabulary_id}
        )  # fmt: skip
    groups: dict[str, list[dict]] = {i: [] for i in ids}
    group_stmt = (
        select(PackageGroup.package_id, Group.id, Group.name, Group.title, Group.description,
               Group.image_url)
        .join(Group, Group.id == PackageGroup.group_id)
        .where(PackageGroup.package_id.in_(ids), Group.state == "active")
    )  # fmt: skip
    for package_id, group_id, name, title, description, image_url in connection.execute(group_stmt):
        groups[package_id].append(
            {"id": group_id, "name": name, "title": title, "description": description,
             "display_name": title or name, "image_display_url": image_url}
        )  # fmt: skip
    extras: dict[str, list[tuple[str, str]]] = {i: [] for i in ids}
    extra_stmt = (
        select(PackageExtra.package_id, PackageExtra.key, PackageExtra.value)
        .where(PackageExtra.package_id.in_(ids))
        .order_by(PackageExtra.package_id, PackageExtra.key)
    )
    for package_id, key, value in connection.execute(extra_stmt):
        extras[package_id].append((key, value))
    out = []
    for row in rows:
        organization = None
        if row["org_id"] is not None:
            organization = {
                "id": row["org_id"],
                "name": row["org_name"],
                "title": row["org_title"],
                "type": row["org_type"],
                "description": row["org_description"],
                "image_url": row["org_image_url"],
                "created": iso(row["org_created"]),
                "is_organization": bool(row["org_is_organization"]),
                "approval_status": row["org_approval_status"],
                "state": row["org_state"],
            }
        package_id = row["id"]
        data = _package_dict(
            row, organization, resources[package_id], tags[package_id], groups[package_id],
            extras[package_id],
        )  # fmt: skip
        out.append((row, data))
    return out


class CachedPackage:
    __slots__ = ("pk", "id", "name", "private", "state", "owner_org", "type", "data", "raw")

    def __init__(self, row, data: dict, raw: bytes | None = None):
        self.pk = row["pk"]
        self.id = row["id"]
        self.name = row["name"]
        self.private = bool(row["private"])
        self.state = row["state"]
        self.owner_org = row["owner_org"]
        self.type = row["type"]
        self.data = data
        self.raw = raw if raw is not None else dumps(data)


class PackageCache:
    """Package dicts and the search snapshot of one catalog, valid for one revision.

    Every read syncs first: it reads the revision row (one primary-key read),
    and a change made by any worker drops the cache, so no read after an
    acknowledged write sees the old data. With a `probe` (kokai.catalog.db.
    change_probe: a few microseconds on SQLite) the row is read only when
    something was committed since the last read. A reader only stores what it
    loaded while the cache is still at the revision that reader saw: a slow
    reader that started before a write cannot put the old dict back after it.
    """

    def __init__(self, max_entries: int = 20_000, probe: Callable[[], int] | None = None):
        self.revision = -1
        self.max_entries = max_entries
        self.probe = probe
        self._seen: tuple[int | None, int] = (None, -1)  # (probe, revision) of the last read
        self._lock = threading.Lock()
        self.by_pk: dict[int, CachedPackage] = {}
        self.by_ref: dict[str, int] = {}
        self.raw_by_obj: dict[int, bytes] = {}
        self._snapshot: dict | None = None

    def invalidate(self) -> None:
        with self._lock:
            self._seen = (None, -1)
            self.revision = -1
            self._clear()

    def _clear(self) -> None:
        self.by_pk = {}
        self.by_ref = {}
        self.raw_by_obj = {}
        self._snapshot = None

    def sync(self, session: Session) -> None:
        """Bring the cache to the database's revision, and remember in the
        session which revision its reads belong to."""
        seen_probe, seen_revision = self._seen  # one tuple: never half of an update
        if (
            self.probe is not None
            and seen_revision != -1
            and self.probe() == seen_probe
            and len(self.by_pk) <= self.max_entries
        ):
            session.info[_SEEN_REVISION] = seen_revision  # nothing committed since
            return
        with self._lock:  # one full read at a time, so the revision only moves forward
            # The probe is read before the row: a commit in between is seen next time.
            probed = self.probe() if self.probe is not None else None
            revision = current_revision(session)
            session.info[_SEEN_REVISION] = revision
            if revision != self.revision or len(self.by_pk) > self.max_entries:
                self._clear()
                self.revision = revision
            self._seen = (probed, revision)

    def _current_for(self, session: Session) -> bool:
        """Whether what `session` reads may be stored (see the class docstring)."""
        return session.info.get(_SEEN_REVISION) == self.revision

    def snapshot(self, session: Session) -> dict:
        """{pk: search.Row} of every package, loaded once per revision."""
        snapshot = self._snapshot
        if snapshot is None:
            from kokai.catalog.search import load_snapshot

            snapshot = load_snapshot(session)
            if self._current_for(session):
                self._snapshot = snapshot
        return snapshot

    def _put(
        self, session: Session, row, data: dict, raw: bytes | None = None
    ) -> CachedPackage:
        entry = CachedPackage(row, data, raw)
        if not self._current_for(session):
            return entry
        self.by_pk[entry.pk] = entry
        self.by_ref[entry.id] = entry.pk
        self.by_ref[entry.name] = entry.pk
        self.raw_by_obj[id(entry.data)] = entry.raw
        return entry

    def get_ref(self, session: Session, ref: str) -> CachedPackage | None:
        """By id or name; None when no such package."""
        pk = self.by_ref.get(ref)
        entry = self.by_pk.get(pk) if pk is not None else None
        if entry is not None:
            return entry
        rows = session.connection().execute(_PACKAGE_BY_REF, {"ref": ref}).all()
        rows.sort(key=lambda row: row.id != ref)  # an id wins over a name, as in CKAN
        for row, data, raw in _from_stored(session, rows[:1]):
            return self._put(session, row, data, raw)
        return None

    def get_many(self, session: Session, pks: Iterable[int]) -> list[CachedPackage]:
        pks = list(pks)
        missing = [pk for pk in pks if pk not in self.by_pk]
        loaded = {
            entry.pk: entry
            for entry in (
                self._put(session, row, data, raw)
                for row, data, raw in load_package_dicts(session, missing)
            )
        }
        found = (self.by_pk.get(pk) or loaded.get(pk) for pk in pks)
        return [entry for entry in found if entry is not None]

    def raw_json(self, obj: Any) -> bytes | None:
        return self.raw_by_obj.get(id(obj))


def with_tracking(session: Session, data: dict, resource_id: str | None = None) -> dict:
    """A copy of a package dict with `tracking_summary` on it and its resources
    (downloads counted by kokai.catalog.tracking)."""
    summary = tracking_summaries(session, data["id"])
    resources_summary = summary.get("resources", {})
    out = dict(data)
    out["tracking_summary"] = {"total": summary.get("total", 0), "recent": summary.get("recent", 0)}
    out["resources"] = [
        {**r, "tracking_summary": resources_summary.get(r["id"], {"total": 0, "recent": 0})}
        for r in data["resources"]
    ]
    return out
