"""Write actions that change datasets, resources and users."""

from __future__ import annotations

from kokai.catalog import login_sessions
from kokai.catalog.actions import action
from kokai.catalog.actions.common import (
    apply_resource,
    guess_format,
    resource_fields,
    touch,
    validated,
)
from kokai.catalog.actions.create import attach_upload, save_package
from kokai.catalog.auth import check_access, is_sysadmin
from kokai.catalog.context import Context
from kokai.catalog.dictize import bump_revision, package_dictize, resource_dictize, user_dictize
from kokai.catalog.errors import ValidationError
from kokai.catalog.lookups import get_package, get_resource, get_user, ref_param
from kokai.catalog.passwords import hash_password, verify_password
from kokai.catalog.schema import RESOURCE_TEXT_FIELDS, resource_action_schema, user_update_schema


@action()
def package_update(context: Context, data_dict: dict) -> dict:
    """Replace a dataset (id or name) with the given dict; omitted tags, groups,
    extras and resources are kept. Returns the dataset as package_show does."""
    check_access("package_update", context, data_dict)
    session = context.session
    package = get_package(session, ref_param(data_dict, "id", "name"))
    package = save_package(context, data_dict, package)
    return package_dictize(session, package)


@action()
def package_patch(context: Context, data_dict: dict) -> dict:
    """Change only the given fields of a dataset (id or name)."""
    check_access("package_patch", context, data_dict)
    session = context.session
    package = get_package(session, ref_param(data_dict, "id", "name"))
    current = package_dictize(session, package)
    merged = {**current, **data_dict}
    merged["owner_org"] = data_dict.get("owner_org", package.owner_org)
    package = save_package(context, merged, package)
    return package_dictize(session, package)


def change_resource(context: Context, data_dict: dict, patch: bool) -> dict:
    session = context.session
    resource = get_resource(session, ref_param(data_dict, "id"))
    package = get_package(session, resource.package_id)
    given = {k: v for k, v in data_dict.items() if k not in ("package_id",)}
    clean = validated(given, resource_action_schema(), context)
    fields = resource_fields(clean)
    if not patch:
        # resource_update replaces the descriptive fields; the file (url) stays
        # unless a new url or upload is given.
        for key in RESOURCE_TEXT_FIELDS:
            if key not in fields and key not in ("url", "url_type", "hash"):
                fields[key] = None
    elif set(given) - set(clean) - {"id", "upload"} == set():
        fields.pop("extras")  # a patch without unknown keys keeps the stored ones
    apply_resource(resource, fields)
    upload = clean.get("upload")
    if upload is not None:
        attach_upload(context, resource, package, upload)
    elif not resource.format:
        resource.format = guess_format(None, resource.url)
    touch(session, package)
    return resource_dictize(resource)


@action()
def resource_update(context: Context, data_dict: dict) -> dict:
    """Replace a resource's fields (id required); `upload` stores a new file version."""
    check_access("resource_update", context, data_dict)
    return change_resource(context, data_dict, patch=False)


@action()
def resource_patch(context: Context, data_dict: dict) -> dict:
    """Change only the given fields of a resource (id required); `upload` as resource_update."""
    check_access("resource_patch", context, data_dict)
    return change_resource(context, data_dict, patch=True)


@action()
def user_update(context: Context, data_dict: dict) -> dict:
    """Change a user (id): fullname; sysadmin (by sysadmins only); password
    (users changing their own also give `old_password`, as in CKAN). A new
    password ends the user's staff page sessions."""
    check_access("user_update", context, data_dict)
    user = get_user(context.session, ref_param(data_dict, "id"))
    clean = validated(data_dict, user_update_schema(), context)
    password = clean.pop("password", None)
    if password is not None:
        if not is_sysadmin(context) and not verify_password(
            user.password_hash, str(data_dict.get("old_password") or "")
        ):
            raise ValidationError({"old_password": ["Password entered was incorrect"]})
        user.password_hash = hash_password(password)
        login_sessions.end_all(context.session, user.id)
    for key, value in clean.items():
        setattr(user, key, value)
    context.session.flush()
    bump_revision(context.session)
    return user_dictize(user)
