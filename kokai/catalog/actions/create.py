"""Write actions that create things: datasets, resources, organizations,
members, users and API tokens."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sqlalchemy import select

from kokai.catalog.actions import action
from kokai.catalog.actions.common import (
    apply_resource,
    guess_format,
    guess_mimetype,
    resource_fields,
    save_extras,
    save_groups,
    save_resources,
    save_tags,
    touch,
    validated,
)
from kokai.catalog.auth import check_access, hash_token, new_token
from kokai.catalog.context import Context
from kokai.catalog.dictize import (
    bump_revision,
    group_dictize,
    package_dictize,
    resource_dictize,
    user_dictize,
)
from kokai.catalog.errors import ValidationError
from kokai.catalog.lookups import get_group, get_package, get_user, ref_param
from kokai.catalog.models import (
    ApiToken,
    Group,
    GroupExtra,
    Member,
    Package,
    PackageGroup,
    Resource,
    User,
    new_id,
    utcnow,
)
from kokai.catalog.passwords import hash_password
from kokai.catalog.schema import (
    PACKAGE_TEXT_FIELDS,
    api_token_create_schema,
    group_schema,
    member_create_schema,
    member_schema,
    package_schema,
    resource_action_schema,
    user_create_schema,
)
from kokai.catalog.storage import safe_filename, store_upload


def save_package(
    context: Context, data: Any, package: Package | None, owner_required: bool = True
) -> Package:
    """Validate `data` (package_schema) and write it into `package` (a new one when None).

    Scalar fields are replaced (CKAN's package_update); `tags`, `groups`,
    `extras` and `resources` are replaced only when given (2.12 keeps
    resources when they are omitted). `private` and `owner_org` keep their
    value when omitted, so that an update never publishes a private dataset
    by accident.
    """
    session = context.session
    context.package = package
    try:
        clean = validated(data, package_schema(owner_required), context)
    finally:
        context.package = None
    if package is None:
        user = context.user
        package = Package(
            id=clean.get("id") or new_id(),
            metadata_created=utcnow(),
            creator_user_id=user.id if user else None,
        )
        session.add(package)
    package.name = clean["name"]
    package.type = clean["type"]
    package.title = clean["title"] or ""
    for key in PACKAGE_TEXT_FIELDS:
        if key != "title":
            setattr(package, key, clean[key] or None)
    package.owner_org = clean["owner_org"]
    package.private = clean["private"]
    package.state = clean["state"]
    session.flush()
    if "tags" in clean:
        save_tags(session, package, clean["tags"])
    if "extras" in clean:
        save_extras(package, clean["extras"])
    if "groups" in clean:
        save_groups(session, package, clean["groups"])
    if "resources" in clean:
        save_resources(session, package, [resource_fields(r) for r in clean["resources"]])
    session.flush()
    session.refresh(package, ["organization"])
    touch(session, package)
    return package


@action()
def package_create(context: Context, data_dict: dict) -> dict:
    """Create a dataset (name, title, owner_org, notes, license_id, tags, extras,
    resources, groups, private, ...) and return it as package_show does."""
    check_access("package_create", context, data_dict)
    package = save_package(context, data_dict, None)
    return package_dictize(context.session, package)


def attach_upload(context: Context, resource: Resource, package: Package, upload: Any) -> None:
    """Store an uploaded file as the resource's next version (kokai.catalog.storage:
    bytes equal to the current version's add none). `upload` has `.filename` and
    `.file` (a multipart part), or is a readable file object. The resource's url,
    size, hash and last_modified follow its current version."""
    filename = safe_filename(getattr(upload, "filename", None) or "file")
    fileobj = getattr(upload, "file", upload)
    stored, _ = store_upload(
        context.session,
        context.blobs,
        resource.id,
        filename,
        guess_mimetype(filename) or "",
        fileobj,
    )
    resource.url = (
        f"{context.site_url}/dataset/{package.id}/resource/{resource.id}"
        f"/download/{quote(stored.filename)}"
    )
    resource.url_type = "upload"
    resource.size = stored.size
    resource.hash = stored.sha256
    resource.mimetype = stored.media_type or resource.mimetype
    resource.last_modified = stored.created
    if not resource.format:
        resource.format = guess_format(stored.filename, None)


@action()
def resource_create(context: Context, data_dict: dict) -> dict:
    """Add a resource to a dataset: package_id, url, name, format, description, ...;
    `upload` (multipart file) stores the file and points url at its download URL."""
    check_access("resource_create", context, data_dict)
    session = context.session
    package = get_package(session, ref_param(data_dict, "package_id"))
    given = {k: v for k, v in data_dict.items() if k != "package_id"}
    clean = validated(given, resource_action_schema(), context)
    fields = resource_fields(clean)
    if fields.get("id") and session.get(Resource, fields["id"]) is not None:
        raise ValidationError({"id": ["Resource id already exists"]})
    position = sum(1 for r in package.resources if r.state == "active")
    resource = Resource(id=fields.get("id") or new_id(), created=utcnow(), position=position)
    apply_resource(resource, fields)
    package.resources.append(resource)
    upload = clean.get("upload")
    if upload is not None:
        attach_upload(context, resource, package, upload)
    elif not resource.format:
        resource.format = guess_format(None, resource.url)
    resource.metadata_modified = utcnow()
    touch(session, package)
    return resource_dictize(resource)


def create_group(context: Context, data_dict: dict, is_organization: bool) -> dict:
    session = context.session
    clean = validated(data_dict, group_schema(), context)
    group = Group(
        id=clean.get("id") or new_id(),
        name=clean["name"],
        title=clean["title"] or "",
        description=clean["description"] or "",
        image_url=clean["image_url"] or "",
        is_organization=is_organization,
        type="organization" if is_organization else "group",
        created=utcnow(),
    )
    group.extras = [GroupExtra(key=k, value=v) for k, v in clean.get("extras", [])]
    session.add(group)
    session.flush()
    if context.user is not None:
        session.add(Member(group_id=group.id, user_id=context.user.id, capacity="admin"))
    bump_revision(session)
    return group_dictize(group, package_count=0)


@action()
def organization_create(context: Context, data_dict: dict) -> dict:
    """Create an organization (name, title, description, image_url, extras); sysadmins only."""
    check_access("organization_create", context, data_dict)
    return create_group(context, data_dict, is_organization=True)


@action()
def group_create(context: Context, data_dict: dict) -> dict:
    """Create a thematic group (name, title, description, image_url, extras); sysadmins only."""
    check_access("group_create", context, data_dict)
    return create_group(context, data_dict, is_organization=False)


def set_member(context: Context, group: Group, user: User, capacity: str) -> dict:
    session = context.session
    member = session.scalar(
        select(Member).where(Member.group_id == group.id, Member.user_id == user.id)
    )
    if member is None:
        member = Member(group_id=group.id, user_id=user.id)
        session.add(member)
    member.capacity = capacity
    session.flush()
    bump_revision(session)
    return {
        "id": str(member.id),
        "table_name": "user",
        "table_id": user.id,
        "capacity": capacity,
        "group_id": group.id,
        "state": "active",
    }


def create_member(context: Context, data_dict: dict, is_organization: bool) -> dict:
    session = context.session
    group = get_group(session, ref_param(data_dict, "id"), is_organization=is_organization)
    user = get_user(session, ref_param(data_dict, "username"))
    clean = validated(data_dict, member_schema(), context)
    return set_member(context, group, user, clean["role"])


@action()
def organization_member_create(context: Context, data_dict: dict) -> dict:
    """Make a user (username) an admin, editor or member (role) of an organization (id)."""
    check_access("organization_member_create", context, data_dict)
    return create_member(context, data_dict, is_organization=True)


@action()
def group_member_create(context: Context, data_dict: dict) -> dict:
    """Make a user (username) an admin, editor or member (role) of a group (id)."""
    check_access("group_member_create", context, data_dict)
    return create_member(context, data_dict, is_organization=False)


@action()
def member_create(context: Context, data_dict: dict) -> dict:
    """Put a dataset into a thematic group, or a user into a group or organization:
    id (the group), object (id or name), object_type (package or user), capacity."""
    check_access("member_create", context, data_dict)
    session = context.session
    clean = validated(data_dict, member_create_schema(), context)
    group = get_group(session, clean["id"], is_organization=None)
    if clean["object_type"] == "user":
        user = get_user(session, clean["object"])
        capacity = "member" if clean["capacity"] == "public" else clean["capacity"]
        return set_member(context, group, user, capacity)
    if group.is_organization:
        raise ValidationError({"id": ["Datasets join organizations with owner_org"]})
    package = get_package(session, clean["object"])
    if all(pg.group_id != group.id for pg in package.package_groups):
        package.package_groups.append(PackageGroup(group=group, group_id=group.id))
        session.flush()
        touch(session, package)
    return {
        "id": f"{group.id}:{package.id}",
        "table_name": "package",
        "table_id": package.id,
        "capacity": clean["capacity"],
        "group_id": group.id,
        "state": "active",
    }


@action()
def user_create(context: Context, data_dict: dict) -> dict:
    """Create a user account (name, fullname, sysadmin, password); sysadmins only.
    The API signs in with tokens (api_token_create); the staff page with the
    password, stored as an argon2 hash and never returned."""
    check_access("user_create", context, data_dict)
    clean = validated(data_dict, user_create_schema(), context)
    user = User(
        id=new_id(),
        name=clean["name"],
        fullname=clean.get("fullname"),
        sysadmin=clean.get("sysadmin", False),
        created=utcnow(),
        password_hash=hash_password(clean["password"]) if "password" in clean else None,
    )
    context.session.add(user)
    context.session.flush()
    return user_dictize(user)


@action()
def api_token_create(context: Context, data_dict: dict) -> dict:
    """A new API token for a user (user, name): `{"token": ...}`, shown this
    once; only its SHA-256 is stored."""
    check_access("api_token_create", context, data_dict)
    clean = validated(data_dict, api_token_create_schema(), context)
    user = get_user(context.session, clean["user"])
    token = new_token()
    context.session.add(
        ApiToken(user_id=user.id, label=clean["name"], token_hash=hash_token(token))
    )
    context.session.flush()
    return {"token": token}
