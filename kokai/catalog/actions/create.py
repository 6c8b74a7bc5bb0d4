"""Write actions that create things: datasets, resources, organizations, members."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sqlalchemy import select

from kokai.catalog import auth
from kokai.catalog.actions import NotAuthorized, ValidationError, action
from kokai.catalog.actions.common import (
    ID_RE,
    MISSING,
    PACKAGE_TEXT_FIELDS,
    apply_resource,
    as_bool,
    check_name,
    clean_extras,
    clean_groups,
    clean_resource,
    clean_tags,
    get_group,
    get_or_bust,
    get_package,
    get_user,
    guess_format,
    guess_mimetype,
    ref_param,
    save_extras,
    save_groups,
    save_resources,
    save_tags,
    text_value,
    touch,
)
from kokai.catalog.dictize import bump_revision, group_dictize, package_dictize, resource_dictize
from kokai.catalog.models import Group, GroupExtra, Member, Package, Resource, new_id, utcnow
from kokai.catalog.storage import safe_filename, store_upload

CAPACITIES = ("admin", "editor", "member")


def resolve_owner_org(
    context: dict, errors: dict, value: Any, package_type: str, organization: Any = None
) -> str | None:
    """The id of the owner organization given by id or name. When the id is
    unknown here but the dict carries `organization.name` (a package dict
    dumped from another catalog), the organization of that name is used."""
    session = context["session"]
    if value in (None, ""):
        if package_type == "dataset":
            errors["owner_org"] = ["An organization must be provided"]
        return None
    if not isinstance(value, str):
        errors["owner_org"] = ["Must be a string"]
        return None
    org = session.scalar(
        select(Group).where(
            (Group.id == value) | (Group.name == value),
            Group.is_organization.is_(True),
            Group.state == "active",
        )
    )
    if org is None and isinstance(organization, dict) and organization.get("name"):
        org = session.scalar(
            select(Group).where(
                Group.name == str(organization["name"]),
                Group.is_organization.is_(True),
                Group.state == "active",
            )
        )
    if org is None:
        errors["owner_org"] = ["Organization does not exist"]
        return None
    if not auth.can_edit_org(context, org.id):
        errors["owner_org"] = ["You cannot add a dataset to this organization"]
    return org.id


def save_package(context: dict, data: dict, package: Package | None) -> Package:
    """Validate `data` and write it into `package` (a new one when None).

    Scalar fields are replaced (CKAN's package_update); `tags`, `groups`,
    `extras` and `resources` are replaced only when given (2.12 keeps
    resources when they are omitted). `private` and `owner_org` keep their
    value when omitted, so that an update never publishes a private dataset
    by accident.
    """
    session = context["session"]
    if not isinstance(data, dict):
        raise ValidationError({"__root": ["Must be a dict"]})
    errors: dict[str, Any] = {}
    creating = package is None
    name = data.get("name")
    if name in (None, "") and not creating:
        name = package.name
    name = check_name(errors, "name", name)
    if name and "name" not in errors:
        clash = session.scalar(select(Package.id).where(Package.name == name))
        if clash is not None and (creating or clash != package.id):
            errors["name"] = ["That URL is already in use."]
    package_type = data.get("type") or (package.type if package else "dataset")
    if not isinstance(package_type, str):
        errors["type"] = ["Must be a string"]
        package_type = "dataset"
    text = {key: text_value(errors, key, data.get(key)) for key in PACKAGE_TEXT_FIELDS}
    if "owner_org" in data or creating:
        owner_org = resolve_owner_org(
            context, errors, data.get("owner_org"), package_type, data.get("organization")
        )
    else:
        owner_org = package.owner_org
    if "private" in data:
        if isinstance(data["private"], list | dict):
            errors["private"] = ["Must be a boolean"]
        private = as_bool(data["private"])
    else:
        private = package.private if package else False
    state = data.get("state") or (package.state if package else "active")
    if state not in ("active", "draft", "deleted"):
        errors["state"] = ["Must be active, draft or deleted"]
    tags = clean_tags(errors, data)
    extras = clean_extras(errors, data)
    groups = clean_groups(session, errors, data)
    resources = None
    if data.get("resources") is not None:
        if not isinstance(data["resources"], list):
            errors["resources"] = ["Not a list"]
        else:
            resources, problems = [], []
            for raw in data["resources"]:
                resource_errors: dict[str, Any] = {}
                resources.append(clean_resource(resource_errors, raw))
                problems.append(resource_errors)
            if any(problems):
                errors["resources"] = problems
    package_id = None
    if creating and data.get("id") not in (None, ""):
        package_id = data["id"]
        if not auth.is_sysadmin(context) or not isinstance(package_id, str):
            package_id = None  # only sysadmins choose ids (ckanapi load keeps them)
        elif not ID_RE.match(package_id):
            errors["id"] = ["Invalid id"]
        elif session.scalar(select(Package.pk).where(Package.id == package_id)) is not None:
            errors["id"] = ["Dataset id already exists"]
    if errors:
        raise ValidationError(errors)

    if creating:
        user = context.get("user")
        package = Package(
            id=package_id or new_id(),
            metadata_created=utcnow(),
            creator_user_id=user.id if user else None,
        )
        session.add(package)
    package.name = name
    package.type = package_type
    package.title = text["title"] or ""
    for key in PACKAGE_TEXT_FIELDS:
        if key != "title":
            setattr(package, key, text[key] or None)
    package.owner_org = owner_org
    package.private = private
    package.state = state
    session.flush()
    if tags is not None:
        save_tags(session, package, tags)
    if extras is not None:
        save_extras(package, extras)
    if groups is not None:
        save_groups(session, package, groups)
    if resources is not None:
        save_resources(session, package, resources)
    session.flush()
    session.refresh(package, ["organization"])
    touch(session, package)
    return package


def check_can_create_dataset(context: dict) -> None:
    user = context.get("user")
    if user is None or not (
        auth.is_sysadmin(context)
        or any(capacity in auth.WRITE_CAPACITIES for capacity in auth.memberships(context).values())
    ):
        raise NotAuthorized(f"User {auth.user_label(user)} not authorized to create packages")


@action()
def package_create(context: dict, data_dict: dict) -> dict:
    """Create a dataset (name, title, owner_org, notes, license_id, tags, extras,
    resources, groups, private, ...) and return it as package_show does."""
    check_can_create_dataset(context)
    package = save_package(context, data_dict, None)
    return package_dictize(context["session"], package)


def attach_upload(context: dict, resource: Resource, package: Package, upload: Any) -> None:
    """Store an uploaded file (multipart `upload`) as the resource's next version."""
    filename = safe_filename(getattr(upload, "filename", None) or "file")
    fileobj = getattr(upload, "file", upload)
    stored = store_upload(context["config"], resource.id, filename, fileobj)
    site_url = context["config"].site_url.rstrip("/")
    resource.url = (
        f"{site_url}/dataset/{package.id}/resource/{resource.id}/download/{quote(filename)}"
    )
    resource.url_type = "upload"
    resource.size = stored.size
    resource.hash = stored.sha256
    resource.mimetype = guess_mimetype(filename) or resource.mimetype
    resource.last_modified = stored.created
    if not resource.format:
        resource.format = guess_format(filename, None)


def is_upload(value: Any) -> bool:
    return hasattr(value, "read") or hasattr(value, "file")


@action()
def resource_create(context: dict, data_dict: dict) -> dict:
    """Add a resource to a dataset: package_id, url, name, format, description, ...;
    `upload` (multipart file) stores the file and points url at its download URL."""
    session = context["session"]
    package = get_package(session, ref_param(data_dict, "package_id"))
    auth.check_edit_package(context, package.owner_org, f"edit package {package.name}")
    errors: dict[str, Any] = {}
    fields = clean_resource(errors, {k: v for k, v in data_dict.items() if k != "package_id"})
    upload = data_dict.get("upload")
    if upload not in (None, "") and not is_upload(upload):
        errors["upload"] = ["Must be a file (multipart/form-data)"]
    if fields.get("id") and session.get(Resource, fields["id"]) is not None:
        errors["id"] = ["Resource id already exists"]
    if errors:
        raise ValidationError(errors)
    position = sum(1 for r in package.resources if r.state == "active")
    resource = Resource(id=fields.get("id") or new_id(), created=utcnow(), position=position)
    apply_resource(resource, fields)
    package.resources.append(resource)
    if upload not in (None, ""):
        attach_upload(context, resource, package, upload)
    elif not resource.format:
        resource.format = guess_format(None, resource.url)
    resource.metadata_modified = utcnow()
    touch(session, package)
    return resource_dictize(resource)


def create_group(context: dict, data_dict: dict, is_organization: bool) -> dict:
    session = context["session"]
    kind = "organizations" if is_organization else "groups"
    auth.require_sysadmin(context, f"create {kind}")
    errors: dict[str, Any] = {}
    name = check_name(errors, "name", data_dict.get("name"))
    if name and "name" not in errors and session.scalar(select(Group.id).where(Group.name == name)):
        errors["name"] = ["Group name already exists in database"]
    fields = {
        k: text_value(errors, k, data_dict.get(k)) for k in ("title", "description", "image_url")
    }
    extras = clean_extras(errors, data_dict) or []
    group_id = data_dict.get("id")
    if group_id not in (None, ""):  # sysadmins may keep ids (ckanapi load)
        if not isinstance(group_id, str) or not ID_RE.match(group_id):
            errors["id"] = ["Invalid id"]
        elif session.get(Group, group_id) is not None:
            errors["id"] = ["Group id already exists"]
    if errors:
        raise ValidationError(errors)
    group = Group(
        id=group_id or new_id(),
        name=name,
        title=fields["title"] or "",
        description=fields["description"] or "",
        image_url=fields["image_url"] or "",
        is_organization=is_organization,
        type="organization" if is_organization else "group",
        created=utcnow(),
    )
    group.extras = [GroupExtra(key=k, value=v) for k, v in extras]
    session.add(group)
    session.flush()
    user = context.get("user")
    if user is not None:
        session.add(Member(group_id=group.id, user_id=user.id, capacity="admin"))
    bump_revision(session)
    return group_dictize(group, package_count=0)


@action()
def organization_create(context: dict, data_dict: dict) -> dict:
    """Create an organization (name, title, description, image_url, extras); sysadmins only."""
    return create_group(context, data_dict, is_organization=True)


@action()
def group_create(context: dict, data_dict: dict) -> dict:
    """Create a thematic group (name, title, description, image_url, extras); sysadmins only."""
    return create_group(context, data_dict, is_organization=False)


def create_member(context: dict, data_dict: dict, is_organization: bool) -> dict:
    session = context["session"]
    group = get_group(session, ref_param(data_dict, "id"), is_organization=is_organization)
    if not auth.is_org_admin(context, group.id):
        raise NotAuthorized(
            f"User {auth.user_label(context.get('user'))} not authorized to edit group {group.name}"
        )
    user = get_user(session, ref_param(data_dict, "username"))
    role = get_or_bust(data_dict, "role")
    if role not in CAPACITIES:
        raise ValidationError({"role": [f"Role must be one of {', '.join(CAPACITIES)}"]})
    member = session.scalar(
        select(Member).where(Member.group_id == group.id, Member.user_id == user.id)
    )
    if member is None:
        member = Member(group_id=group.id, user_id=user.id)
        session.add(member)
    member.capacity = role
    session.flush()
    bump_revision(session)
    return {
        "id": str(member.id),
        "table_name": "user",
        "table_id": user.id,
        "capacity": role,
        "group_id": group.id,
        "state": "active",
    }


@action()
def organization_member_create(context: dict, data_dict: dict) -> dict:
    """Make a user (username) an admin, editor or member (role) of an organization (id)."""
    return create_member(context, data_dict, is_organization=True)


@action()
def group_member_create(context: dict, data_dict: dict) -> dict:
    """Make a user (username) an admin, editor or member (role) of a group (id)."""
    return create_member(context, data_dict, is_organization=False)


__all__ = ["MISSING"]
