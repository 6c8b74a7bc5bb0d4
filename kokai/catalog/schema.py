"""The field rules of each action, as data (CKAN's logic/schema.py).

Each function returns a fresh schema: {field: [validator, ...]} for
`validation.validate`. The generic validators live in validation.py; those
here need the catalog (names already taken, organizations, groups) and read
the action's `Context` from `step.context` (`context.package` is the package
being updated, None when creating).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from kokai.catalog import auth
from kokai.catalog.models import Group, Package, User
from kokai.catalog.passwords import password_problem
from kokai.catalog.reuses import REUSE_TYPES, is_web_url, showcase_with_url
from kokai.catalog.validation import (
    MISSING,
    MISSING_VALUE,
    Each,
    Invalid,
    Schema,
    Step,
    StopOnError,
    boolean,
    default,
    flag,
    id_validator,
    ignore_absent,
    ignore_empty,
    ignore_missing,
    int_validator,
    isodate,
    max_length,
    name_validator,
    natural_number,
    no_control_chars,
    not_empty,
    one_of,
    string,
    tag_name_validator,
    text,
    to_none,
    url_validator,
)

PACKAGE_TEXT_FIELDS = (
    "title", "notes", "url", "version", "author", "author_email", "maintainer",
    "maintainer_email", "license_id",
)  # fmt: skip
RESOURCE_TEXT_FIELDS = (
    "url", "format", "description", "name", "resource_type", "mimetype", "mimetype_inner",
    "cache_url", "hash", "url_type",
)  # fmt: skip
# Resource fields that end up in HTTP headers (Content-Type, Location) or file names.
RESOURCE_HEADER_FIELDS = ("url", "format", "name", "mimetype", "mimetype_inner", "cache_url")
RESOURCE_COMPUTED = {
    "package_id", "position", "created", "metadata_modified", "tracking_summary", "state",
    "revision_id", "datastore_active", "upload", "clear_upload",
}  # fmt: skip
PACKAGE_CORE_KEYS = {
    "id", "name", "title", "notes", "url", "version", "author", "author_email", "maintainer",
    "maintainer_email", "license_id", "type", "owner_org", "private", "state", "tags", "extras",
    "resources", "groups",
}  # fmt: skip
PACKAGE_STATES = ("active", "draft", "deleted")
CAPACITIES = ("admin", "editor", "member")
UUID_LENGTH = 36  # the id columns hold 36 characters (a UUID)


def stored_id(value: Any, step: Step) -> str:
    value = id_validator(value, step)
    if len(value) > UUID_LENGTH:
        raise Invalid("Invalid id")
    return value


# ---------------------------------------------------------------- packages


def package_id(value: Any, step: Step) -> Any:
    """Only sysadmins choose a new dataset's id (ckanapi load keeps them)."""
    context = step.context
    if value in (MISSING, None, "") or context.package is not None:
        raise StopOnError
    if not auth.is_sysadmin(context) or not isinstance(value, str):
        raise StopOnError
    stored_id(value, step)
    if context.session.scalar(select(Package.pk).where(Package.id == value)) is not None:
        raise Invalid("Dataset id already exists")
    return value


def name_or_current(value: Any, step: Step) -> Any:
    package = step.context.package
    if value in (MISSING, None, "") and package is not None:
        return package.name
    return value


def package_name_available(value: str, step: Step) -> str:
    package = step.context.package
    clash = step.context.session.scalar(select(Package.id).where(Package.name == value))
    if clash is not None and (package is None or clash != package.id):
        raise Invalid("That URL is already in use.")
    return value


def package_type(value: Any, step: Step) -> str:
    package = step.context.package
    if value in (MISSING, None, ""):
        return package.type if package is not None else "dataset"
    if not isinstance(value, str):
        raise Invalid("Must be a string")
    if len(value) > 100:
        raise Invalid("Must be at most 100 characters")
    return value


def _find_organization(session, ref: Any) -> Group | None:
    return session.scalar(
        select(Group).where(
            (Group.id == ref) | (Group.name == ref),
            Group.is_organization.is_(True),
            Group.state == "active",
        )
    )


def owner_org(required: bool):
    """The owner organization's id, from its id or name.

    Kept when an update omits it. Missing: an error for datasets, and for
    anyone but a sysadmin whatever the type (CKAN's create_unowned_dataset is
    off), unless `required` is False (showcases). When the id is unknown here
    but the dict carries `organization.name` (a dict dumped from another
    catalog), the organization of that name is used."""

    def owner_org_validator(value: Any, step: Step) -> str | None:
        context = step.context
        if value is MISSING and context.package is not None:
            return context.package.owner_org
        if value in (MISSING, None, ""):
            package_type = step.clean.get("type", "dataset")
            if required and (package_type == "dataset" or not auth.is_sysadmin(context)):
                raise Invalid("An organization must be provided")
            return None
        if not isinstance(value, str):
            raise Invalid("Must be a string")
        org = _find_organization(context.session, value)
        organization = step.data.get("organization")
        if org is None and isinstance(organization, dict) and organization.get("name"):
            org = _find_organization(context.session, str(organization["name"]))
        if org is None:
            raise Invalid("Organization does not exist")
        if not auth.can_edit_org(context, org.id):
            raise Invalid("You cannot add a dataset to this organization")
        return org.id

    return owner_org_validator


def private_or_current(value: Any, step: Step) -> Any:
    if value is MISSING:
        package = step.context.package
        return bool(package.private) if package is not None else False
    return boolean(value, step)


def state_or_current(value: Any, step: Step) -> Any:
    if value in (MISSING, None, ""):
        package = step.context.package
        return package.state if package is not None else "active"
    return value


def tags_from_tag_string(value: Any, step: Step) -> Any:
    """`tag_string` ("a, b") when `tags` is not given."""
    tag_string = step.data.get("tag_string")
    if value in (MISSING, None) and isinstance(tag_string, str):
        return [t.strip() for t in tag_string.split(",") if t.strip()]
    return value


def tag_items(value: Any, step: Step) -> list[dict]:
    if not isinstance(value, list):
        raise Invalid("Not a list")
    return [item if isinstance(item, dict) else {"name": item} for item in value]


def unique_tag_names(value: list[dict], step: Step) -> list[str]:
    names: list[str] = []
    for item in value:
        if item["name"] not in names:
            names.append(item["name"])
    return names


def tag_schema() -> Schema:
    return {"name": [tag_name_validator]}


def extra_key(value: Any, step: Step) -> str:
    if not isinstance(value, str) or not value:
        raise Invalid(MISSING_VALUE)
    if value in PACKAGE_CORE_KEYS:
        raise Invalid(f"There is a schema field with the same name: {value}")
    return value


def extra_value(value: Any, step: Step) -> str:
    if value is MISSING:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def extra_schema() -> Schema:
    return {"key": [extra_key], "value": [extra_value]}


def extras_to_pairs(value: list[dict], step: Step) -> list[tuple[str, str]]:
    """[(key, value)] sorted by key; a repeated key keeps its last value."""
    return sorted({item["key"]: item["value"] for item in value}.items())


def extras_rules() -> list:
    return [ignore_missing, Each(extra_schema(), ("key", MISSING_VALUE)), extras_to_pairs]


def group_refs(value: Any, step: Step) -> list[Group]:
    """Thematic groups by id or name ([{id}], [{name}] or [str])."""
    if not isinstance(value, list):
        raise Invalid("Not a list")
    groups: list[Group] = []
    problems = []
    for item in value:
        ref = (item.get("id") or item.get("name")) if isinstance(item, dict) else item
        group = None
        if isinstance(ref, str) and ref:
            group = step.context.session.scalar(
                select(Group).where(
                    (Group.id == ref) | (Group.name == ref), Group.state == "active"
                )
            )
        if group is None or group.is_organization:
            problems.append(f"Group {ref} does not exist")
        elif group not in groups:
            groups.append(group)
    if problems:
        raise Invalid(problems)
    return groups


def resource_schema() -> Schema:
    schema: Schema = {"id": [ignore_empty, stored_id]}
    for key in RESOURCE_TEXT_FIELDS:
        rules = [ignore_absent, text]
        if key in RESOURCE_HEADER_FIELDS:
            rules.append(no_control_chars)
        if key in ("url", "cache_url"):
            rules.append(url_validator)
        schema[key] = rules
    schema["size"] = [ignore_empty, int_validator]
    schema["last_modified"] = [ignore_empty, isodate]
    schema["cache_last_updated"] = [ignore_empty, isodate]
    schema["__extras"] = [resource_extras]
    return schema


def resource_extras(value: dict, step: Step) -> str:
    """Keys CKAN does not know, kept as JSON (flattened into the resource dict)."""
    extras = {k: v for k, v in value.items() if k not in RESOURCE_COMPUTED}
    return json.dumps(extras, ensure_ascii=False, sort_keys=True, default=str)


def package_schema(owner_required: bool = True) -> Schema:
    """package_create / package_update / package_patch (and showcases, with
    `owner_required=False`). Order matters: `type` is read by `owner_org`."""
    schema: Schema = {
        "id": [package_id],
        "name": [name_or_current, not_empty, name_validator, package_name_available],
        "type": [package_type],
    }
    for key in PACKAGE_TEXT_FIELDS:
        schema[key] = [to_none, text]
    schema["url"] += [url_validator, showcase_url]
    schema.update(
        {
            "owner_org": [owner_org(owner_required)],
            "private": [private_or_current, showcase_private],
            "state": [
                state_or_current,
                one_of(PACKAGE_STATES, "Must be active, draft or deleted"),
            ],
            "tags": [
                tags_from_tag_string,
                ignore_missing,
                tag_items,
                Each(tag_schema(), ("name", MISSING_VALUE)),
                unique_tag_names,
            ],  # fmt: skip
            "extras": extras_rules(),
            "groups": [ignore_missing, group_refs],
            "resources": [
                ignore_missing,
                Each(resource_schema(), ("__resource", "Must be a dict")),
            ],
        }
    )
    return schema


# ---------------------------------------------------------------- showcases (kokai.catalog.reuses)

REUSE_URL_SCHEMES = (
    "活用事例の URL は http:// か https:// で始まる URL にしてください"
    " / Must be an http:// or https:// URL"
)
REUSE_NEEDS_DATASET = (
    "活用事例には利用したデータセットを少なくとも1つ指定してください"
    " / At least one dataset is required"
)


def showcase_private(value: Any, step: Step) -> Any:
    """Showcases are moderated: a new one is private (pending) and an update
    keeps the flag; only reuse_moderate changes it (kokai.catalog.reuses)."""
    if step.clean.get("type") != "showcase":
        return value
    package = step.context.package
    if package is None or package.type != "showcase":
        return True
    return bool(package.private)


def showcase_url(value: Any, step: Step) -> Any:
    """A showcase's URL: absolute http(s), unique among reuses not deleted."""
    if step.clean.get("type") != "showcase" or not isinstance(value, str) or not value:
        return value
    if not is_web_url(value):
        raise Invalid(REUSE_URL_SCHEMES)
    package = step.context.package
    clash = showcase_with_url(
        step.context.session, value, exclude_id=package.id if package is not None else None
    )
    if clash is not None:
        raise Invalid(
            f"同じ URL の活用事例がすでに登録されています（{clash.name}）"
            f" / A reuse with this URL already exists: {clash.name}"
        )
    return value.strip()


def dataset_refs(required: bool):
    """The datasets a reuse uses, by id or name ([str], [{"id"|"name"}] or "a,b"):
    their ids. Each must be an active dataset the caller may read."""

    def dataset_refs_validator(value: Any, step: Step) -> list[str]:
        if value is MISSING or value is None:
            value = []
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            raise Invalid("Not a list")
        context = step.context
        ids: list[str] = []
        problems = []
        for item in value:
            ref = (item.get("id") or item.get("name")) if isinstance(item, dict) else item
            entry = None
            if isinstance(ref, str) and ref:
                entry = context.cache.get_ref(context.session, ref)
            if (
                entry is None
                or entry.type != "dataset"
                or entry.state != "active"
                or not auth.can_read_package(context, entry.private, entry.state, entry.owner_org)
            ):
                problems.append(f"データセット '{ref}' が見つかりません / Dataset not found: {ref}")
            elif entry.id not in ids:
                ids.append(entry.id)
        if problems:
            raise Invalid(problems)
        if required and not ids:
            raise Invalid(REUSE_NEEDS_DATASET)
        return ids

    return dataset_refs_validator


def reuse_schema(required: bool) -> Schema:
    """The reuse fields of ckanext_showcase_create (optional) and reuse_create
    (title, url and datasets required); the showcase itself is package_schema's."""
    types = ", ".join(REUSE_TYPES)
    schema: Schema = {
        "reuse_type": [
            default("other"),
            one_of(REUSE_TYPES, f"種類は {types} のどれかです / Must be one of {types}"),
        ],
        "contact": [to_none, text, no_control_chars, max_length(500)],
        "datasets": [dataset_refs(required)],
    }
    if required:
        schema["title"] = [not_empty, text]
        schema["url"] = [not_empty, text]
    return schema


def reuse_moderate_schema() -> Schema:
    return {
        "moderation_state": [
            not_empty,
            one_of(("approved", "rejected"), "Must be approved or rejected"),
        ],
    }


def upload_validator(value: Any, step: Step) -> Any:
    """A file: an object with `.filename` and `.file` (a multipart part), or a
    readable file object."""
    if not (hasattr(value, "read") or (hasattr(value, "file") and hasattr(value, "filename"))):
        raise Invalid("Must be a file (multipart/form-data)")
    return value


def resource_action_schema() -> Schema:
    """resource_create / resource_update / resource_patch."""
    schema = resource_schema()
    schema["upload"] = [ignore_empty, upload_validator]
    return schema


# ---------------------------------------------------------------- groups, members, users


def group_name_available(value: str, step: Step) -> str:
    if step.context.session.scalar(select(Group.id).where(Group.name == value)) is not None:
        raise Invalid("Group name already exists in database")
    return value


def group_id_available(value: str, step: Step) -> str:
    if step.context.session.get(Group, value) is not None:
        raise Invalid("Group id already exists")
    return value


def group_schema() -> Schema:
    """organization_create / group_create."""
    return {
        "id": [ignore_empty, stored_id, group_id_available],
        "name": [not_empty, name_validator, group_name_available],
        "title": [to_none, text],
        "description": [to_none, text],
        "image_url": [to_none, text, url_validator],
        "extras": extras_rules(),
    }


def member_schema() -> Schema:
    """organization_member_create / group_member_create (after the lookups)."""
    return {
        "role": [not_empty, one_of(CAPACITIES, f"Role must be one of {', '.join(CAPACITIES)}")],
    }


def member_create_schema() -> Schema:
    return {
        "id": [not_empty, string],
        "object": [not_empty, string],
        "object_type": [not_empty, one_of(("package", "user"), "Must be package or user")],
        "capacity": [default("member"), one_of(CAPACITIES + ("public",), "Invalid capacity")],
    }


def user_name_available(value: str, step: Step) -> str:
    if step.context.session.scalar(select(User.id).where(User.name == value)) is not None:
        raise Invalid("That login name is not available.")
    return value


def new_password(value: Any, step: Step) -> str:
    """A password to set (hashed by the action, never stored or returned as given)."""
    if not isinstance(value, str):
        raise Invalid("Passwords must be strings")
    problem = password_problem(value)
    if problem:
        raise Invalid(problem)
    return value


def user_create_schema() -> Schema:
    return {
        "name": [not_empty, name_validator, user_name_available],
        "fullname": [ignore_missing, text, no_control_chars],
        "sysadmin": [ignore_missing, boolean],
        "password": [ignore_missing, new_password],
    }


def user_update_schema() -> Schema:
    return {
        "fullname": [ignore_missing, text, no_control_chars],
        "sysadmin": [ignore_missing, boolean],
        "password": [ignore_missing, new_password],
    }


def api_token_create_schema() -> Schema:
    return {
        "user": [not_empty, string],
        "name": [not_empty, text, no_control_chars, max_length(200)],
    }


# ---------------------------------------------------------------- list actions


def list_schema() -> Schema:
    """limit / offset of package_list, current_package_list_with_resources,
    organization_list, group_list: natural numbers the database can hold."""
    return {"limit": [ignore_empty, natural_number], "offset": [ignore_empty, natural_number]}


def group_sort(value: Any, step: Step) -> tuple[str, bool]:
    """ "title asc", "name desc", "package_count desc" → (field, descending)."""
    field, _, direction = str(value).strip().partition(" ")
    if field not in ("title", "name", "package_count") or direction.strip() not in (
        "",
        "asc",
        "desc",
    ):
        raise Invalid(f"Cannot sort by field `{field}`")
    return field, direction.strip() == "desc"


def group_list_schema() -> Schema:
    """organization_list / group_list."""
    return {
        **list_schema(),
        "sort": [default("title asc"), group_sort],
        "all_fields": [flag(False)],
        "include_dataset_count": [flag(True)],
        "include_extras": [flag(False)],
    }
