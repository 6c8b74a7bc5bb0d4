"""Helpers shared by the actions: validating against a schema, saving a package."""

from __future__ import annotations

import mimetypes
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kokai.catalog.dictize import bump_revision, dumps, package_dictize
from kokai.catalog.errors import ValidationError
from kokai.catalog.models import (
    Group,
    Package,
    PackageExtra,
    PackageGroup,
    PackageTag,
    Resource,
    Tag,
    new_id,
    utcnow,
)
from kokai.catalog.schema import list_schema
from kokai.catalog.search import index_package
from kokai.catalog.validation import Schema, validate


def validated(data: Any, schema: Schema, context: Any) -> dict:
    """The clean values of `data`; ValidationError with every field's errors."""
    if not isinstance(data, dict):
        raise ValidationError({"__root": ["Must be a dict"]})
    clean, errors = validate(data, schema, context)
    if errors:
        raise ValidationError(errors)
    return clean


def list_params(data: dict, context: Any) -> tuple[int | None, int]:
    """(limit, offset) of a list action: natural numbers the database can hold."""
    clean = validated(data, list_schema(), context)
    return clean.get("limit"), clean.get("offset", 0)


def guess_format(filename: str | None, url: str | None) -> str:
    name = (filename or url or "").rsplit("?", 1)[0]
    suffix = name.rsplit(".", 1)[-1] if "." in name.rsplit("/", 1)[-1] else ""
    return suffix.upper() if 0 < len(suffix) <= 10 else ""


def guess_mimetype(filename: str) -> str | None:
    kind, _ = mimetypes.guess_type(filename)
    if kind is None and filename.lower().endswith(".geojson"):
        return "application/geo+json"
    return kind


# ---------------------------------------------------------------- saving


def resource_fields(clean: dict) -> dict:
    """A validated resource dict → the column values (`__extras` → `extras` JSON)."""
    fields = {k: v for k, v in clean.items() if k not in ("__extras", "upload")}
    fields["extras"] = clean.get("__extras", "{}")
    return fields


def apply_resource(resource: Resource, fields: dict) -> None:
    for key, value in fields.items():
        if key == "id":
            continue
        if key in ("url", "format", "hash"):
            value = value or ""
        setattr(resource, key, value)
    resource.metadata_modified = utcnow()


def save_tags(session: Session, package: Package, names: list[str]) -> None:
    existing = (
        {tag.name: tag for tag in session.scalars(select(Tag).where(Tag.name.in_(names)))}
        if names
        else {}
    )
    package.package_tags.clear()
    session.flush()
    for name in names:
        tag = existing.get(name)
        if tag is None:
            tag = Tag(id=new_id(), name=name)
            session.add(tag)
            existing[name] = tag
        package.package_tags.append(PackageTag(tag=tag, tag_id=tag.id, state="active"))


def save_extras(package: Package, extras: list[tuple[str, str]]) -> None:
    package.extras.clear()
    for key, value in extras:
        package.extras.append(PackageExtra(key=key, value=value))


def save_groups(session: Session, package: Package, groups: list[Group]) -> None:
    package.package_groups.clear()
    session.flush()
    for group in groups:
        package.package_groups.append(PackageGroup(group=group, group_id=group.id))


def save_resources(session: Session, package: Package, resources: list[dict]) -> None:
    """Replace the package's resources, keeping the ids (and rows) of those given again."""
    current = {r.id: r for r in package.resources}
    keep_ids = set()
    for position, fields in enumerate(resources):
        resource = current.get(fields.get("id", ""))
        if resource is None:
            resource_id = fields.get("id") or new_id()
            if fields.get("id") and session.get(Resource, resource_id) is not None:
                raise ValidationError({"resources": [f"Resource id {resource_id} already exists"]})
            resource = Resource(id=resource_id, created=utcnow())
            package.resources.append(resource)
        apply_resource(resource, fields)
        resource.state = "active"
        resource.position = position
        keep_ids.add(resource.id)
        if not resource.format:
            resource.format = guess_format(None, resource.url)
    for resource in list(package.resources):
        if resource.id not in keep_ids:
            package.resources.remove(resource)


def touch(session: Session, package: Package) -> None:
    """After a change: new metadata_modified, fresh search index and stored
    package dict, stale caches."""
    package.metadata_modified = utcnow()
    index_package(session, package)
    package.data_json = dumps(package_dictize(session, package)).decode("utf-8")
    bump_revision(session)


def count_datasets(session: Session, group_ids: list[str], organization: bool) -> dict[str, int]:
    if not group_ids:
        return {}
    visible = (Package.state == "active", Package.private.is_(False), Package.type == "dataset")
    if organization:
        stmt = (
            select(Package.owner_org, func.count())
            .where(Package.owner_org.in_(group_ids), *visible)
            .group_by(Package.owner_org)
        )
    else:
        stmt = (
            select(PackageGroup.group_id, func.count())
            .join(Package, Package.id == PackageGroup.package_id)
            .where(PackageGroup.group_id.in_(group_ids), *visible)
            .group_by(PackageGroup.group_id)
        )
    return dict(session.execute(stmt).all())
