"""Helpers shared by the actions: lookups, parameter checks, saving a package."""

from __future__ import annotations

import json
import mimetypes
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kokai.catalog.actions import NotFound, ValidationError
from kokai.catalog.dictize import (
    PACKAGE_LOAD_OPTIONS,
    PackageCache,
    bump_revision,
    dumps,
    iso,
    package_dictize,
    shared_cache_for,
)
from kokai.catalog.models import (
    Group,
    Package,
    PackageExtra,
    PackageGroup,
    PackageTag,
    Resource,
    Tag,
    User,
    new_id,
    utcnow,
)
from kokai.catalog.search import index_package

NAME_RE = re.compile(r"^[a-z0-9_\-]+$")
ID_RE = re.compile(r"^[A-Za-z0-9_\-]{1,100}$")
TAG_RE = re.compile(r"^[\w \-.]+$", re.UNICODE)
MISSING = "Missing value"
NAME_CHARS = "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_"
PACKAGE_TEXT_FIELDS = (
    "title", "notes", "url", "version", "author", "author_email", "maintainer",
    "maintainer_email", "license_id",
)  # fmt: skip
RESOURCE_TEXT_FIELDS = (
    "url", "format", "description", "name", "resource_type", "mimetype", "mimetype_inner",
    "cache_url", "hash", "url_type",
)  # fmt: skip
RESOURCE_COMPUTED = {
    "package_id", "position", "created", "metadata_modified", "tracking_summary", "state",
    "revision_id", "datastore_active", "upload", "clear_upload",
}  # fmt: skip
PACKAGE_CORE_KEYS = {
    "id", "name", "title", "notes", "url", "version", "author", "author_email", "maintainer",
    "maintainer_email", "license_id", "type", "owner_org", "private", "state", "tags", "extras",
    "resources", "groups",
}  # fmt: skip


# ---------------------------------------------------------------- parameters


def get_or_bust(data: dict, key: str) -> Any:
    value = data.get(key)
    if value is None or value == "" or value == []:
        raise ValidationError({key: [MISSING]})
    return value


def ref_param(data: dict, *keys: str) -> str:
    """The first of `keys` given (id or name), as a string."""
    for key in keys:
        value = data.get(key)
        if value not in (None, ""):
            if not isinstance(value, str | int):
                raise ValidationError({key: ["Must be a string"]})
            return str(value)
    raise ValidationError({keys[0]: [MISSING]})


def as_bool(value: Any, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "on", "t", "y")


def as_int(data: dict, key: str, default: int | None, minimum: int = 0) -> int | None:
    value = data.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ValidationError({key: ["Invalid integer"]})
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError({key: ["Invalid integer"]}) from exc
    if number < minimum:
        raise ValidationError({key: ["Must be a natural number"]})
    return number


def text_value(errors: dict, key: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors[key] = ["Must be a string"]
        return None
    return str(value)


def check_name(errors: dict, key: str, value: Any) -> str | None:
    if value in (None, ""):
        errors[key] = [MISSING]
        return None
    if not isinstance(value, str):
        errors[key] = ["Must be a string"]
        return None
    problems = []
    if len(value) < 2:
        problems.append(f'Name "{value}" length is less than minimum 2')
    if len(value) > 100:
        problems.append(f'Name "{value}" length is more than maximum 100')
    if not NAME_RE.match(value):
        problems.append(NAME_CHARS)
    if problems:
        errors[key] = problems
    return value


# ---------------------------------------------------------------- lookups


def get_group(session: Session, ref: str, is_organization: bool | None = True) -> Group:
    query = select(Group).where((Group.id == ref) | (Group.name == ref), Group.state == "active")
    if is_organization is not None:
        query = query.where(Group.is_organization.is_(is_organization))
    group = session.scalar(query)
    if group is None:
        raise NotFound("Organization was not found." if is_organization else "Group was not found.")
    return group


def get_package(session: Session, ref: str) -> Package:
    package = session.scalar(
        select(Package).where(Package.id == ref).options(*PACKAGE_LOAD_OPTIONS)
    ) or session.scalar(select(Package).where(Package.name == ref).options(*PACKAGE_LOAD_OPTIONS))
    if package is None:
        raise NotFound()
    return package


def get_resource(session: Session, ref: str) -> Resource:
    resource = session.get(Resource, ref)
    if resource is None or resource.state != "active":
        raise NotFound("Resource was not found.")
    return resource


def get_user(session: Session, ref: str) -> User:
    user = session.scalar(select(User).where((User.id == ref) | (User.name == ref)))
    if user is None:
        raise NotFound("User not found")
    return user


def package_cache(context: dict) -> PackageCache:
    """The context's cache, else the app's cache for the same database (synced),
    else a throw-away one."""
    cache = context.get("cache")
    if cache is None:
        cache = shared_cache_for(context["session"]) or PackageCache()
        context["cache"] = cache
    return cache


# ---------------------------------------------------------------- saving


def clean_tags(errors: dict, data: dict) -> list[str] | None:
    """Tag names from `tags` ([{name}] or [str]) or `tag_string` (comma separated)."""
    raw = data.get("tags")
    if raw is None and isinstance(data.get("tag_string"), str):
        raw = [t.strip() for t in data["tag_string"].split(",") if t.strip()]
    if raw is None:
        return None
    if not isinstance(raw, list):
        errors["tags"] = ["Not a list"]
        return None
    names, problems = [], []
    for item in raw:
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name.strip():
            problems.append({"name": [MISSING]})
            continue
        name = name.strip()
        if len(name) < 2:
            problems.append({"name": [f'Tag "{name}" length is less than minimum 2']})
        elif len(name) > 100:
            problems.append({"name": [f'Tag "{name}" length is more than maximum 100']})
        elif not TAG_RE.match(name):
            problems.append(
                {"name": [f'Tag "{name}" must be alphanumeric characters or symbols: -_.']}
            )
        elif name not in names:
            names.append(name)
    if problems:
        errors["tags"] = problems
    return names


def clean_extras(errors: dict, data: dict) -> list[tuple[str, str]] | None:
    raw = data.get("extras")
    if raw is None:
        return None
    if not isinstance(raw, list):
        errors["extras"] = ["Not a list"]
        return None
    extras, problems = {}, []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str) or not item["key"]:
            problems.append({"key": [MISSING]})
            continue
        if item["key"] in PACKAGE_CORE_KEYS:
            problems.append({"key": [f"There is a schema field with the same name: {item['key']}"]})
            continue
        value = item.get("value", "")
        extras[item["key"]] = value if isinstance(value, str) else json.dumps(value)
    if problems:
        errors["extras"] = problems
    return sorted(extras.items())


def clean_groups(session: Session, errors: dict, data: dict) -> list[Group] | None:
    raw = data.get("groups")
    if raw is None:
        return None
    if not isinstance(raw, list):
        errors["groups"] = ["Not a list"]
        return None
    groups, problems = [], []
    for item in raw:
        ref = (item.get("id") or item.get("name")) if isinstance(item, dict) else item
        group = None
        if isinstance(ref, str) and ref:
            group = session.scalar(
                select(Group).where(
                    (Group.id == ref) | (Group.name == ref), Group.state == "active"
                )
            )
        if group is None or group.is_organization:
            problems.append(f"Group {ref} does not exist")
        elif group not in groups:
            groups.append(group)
    if problems:
        errors["groups"] = problems
    return groups


def clean_resource(errors: dict, raw: Any) -> dict:
    """The stored fields of one resource dict; unknown keys go to `extras`."""
    if not isinstance(raw, dict):
        errors["__resource"] = ["Must be a dict"]
        return {}
    out: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for key in RESOURCE_TEXT_FIELDS:
        if key in raw:
            out[key] = text_value(problems, key, raw[key])
    if raw.get("id") not in (None, ""):
        if not isinstance(raw["id"], str) or not ID_RE.match(raw["id"]):
            problems["id"] = ["Invalid id"]
        else:
            out["id"] = raw["id"]
    if raw.get("size") not in (None, ""):
        try:
            out["size"] = int(raw["size"])
        except (TypeError, ValueError):
            problems["size"] = ["Invalid integer"]
    for key in ("last_modified", "cache_last_updated"):
        if raw.get(key) not in (None, ""):
            from datetime import datetime

            try:
                out[key] = datetime.fromisoformat(str(raw[key]).replace("Z", "+00:00")).replace(
                    tzinfo=None
                )
            except ValueError:
                problems[key] = ["Date format incorrect"]
    extras = {
        k: v
        for k, v in raw.items()
        if k not in RESOURCE_TEXT_FIELDS
        and k not in RESOURCE_COMPUTED
        and k not in ("id", "size", "last_modified", "cache_last_updated")
    }
    out["extras"] = json.dumps(extras, ensure_ascii=False, sort_keys=True, default=str)
    if problems:
        errors.update(problems)
    return out


def apply_resource(resource: Resource, fields: dict) -> None:
    for key, value in fields.items():
        if key == "id":
            continue
        if key in ("url", "format", "hash"):
            value = value or ""
        setattr(resource, key, value)
    resource.metadata_modified = utcnow()


def guess_format(filename: str | None, url: str | None) -> str:
    name = (filename or url or "").rsplit("?", 1)[0]
    suffix = name.rsplit(".", 1)[-1] if "." in name.rsplit("/", 1)[-1] else ""
    return suffix.upper() if 0 < len(suffix) <= 10 else ""


def guess_mimetype(filename: str) -> str | None:
    kind, _ = mimetypes.guess_type(filename)
    if kind is None and filename.lower().endswith(".geojson"):
        return "application/geo+json"
    return kind


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


__all__ = ["iso"]
