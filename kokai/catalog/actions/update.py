"""Write actions that change datasets and resources."""

from __future__ import annotations

from typing import Any

from kokai.catalog import auth
from kokai.catalog.actions import ValidationError, action
from kokai.catalog.actions.common import (
    RESOURCE_TEXT_FIELDS,
    apply_resource,
    clean_resource,
    get_package,
    get_resource,
    guess_format,
    ref_param,
    touch,
)
from kokai.catalog.actions.create import attach_upload, is_upload, save_package
from kokai.catalog.dictize import package_dictize, resource_dictize


@action()
def package_update(context: dict, data_dict: dict) -> dict:
    """Replace a dataset (id or name) with the given dict; omitted tags, groups,
    extras and resources are kept. Returns the dataset as package_show does."""
    session = context["session"]
    package = get_package(session, ref_param(data_dict, "id", "name"))
    auth.check_edit_package(context, package.owner_org, f"edit package {package.name}")
    package = save_package(context, data_dict, package)
    return package_dictize(session, package)


@action()
def package_patch(context: dict, data_dict: dict) -> dict:
    """Change only the given fields of a dataset (id or name)."""
    session = context["session"]
    package = get_package(session, ref_param(data_dict, "id", "name"))
    auth.check_edit_package(context, package.owner_org, f"edit package {package.name}")
    current = package_dictize(session, package)
    merged = {**current, **data_dict}
    merged["owner_org"] = data_dict.get("owner_org", package.owner_org)
    package = save_package(context, merged, package)
    return package_dictize(session, package)


def change_resource(context: dict, data_dict: dict, patch: bool) -> dict:
    session = context["session"]
    resource = get_resource(session, ref_param(data_dict, "id"))
    package = get_package(session, resource.package_id)
    auth.check_edit_package(context, package.owner_org, f"edit package {package.name}")
    errors: dict[str, Any] = {}
    given = {k: v for k, v in data_dict.items() if k not in ("package_id",)}
    fields = clean_resource(errors, given)
    upload = data_dict.get("upload")
    if upload not in (None, "") and not is_upload(upload):
        errors["upload"] = ["Must be a file (multipart/form-data)"]
    if errors:
        raise ValidationError(errors)
    if not patch:
        # resource_update replaces the descriptive fields; the file (url) stays
        # unless a new url or upload is given.
        for key in RESOURCE_TEXT_FIELDS:
            if key not in fields and key not in ("url", "url_type", "hash"):
                fields[key] = None
    elif "extras" in fields and set(given) - set(fields) - {"id"} == set():
        fields.pop("extras")  # a patch without unknown keys keeps the stored ones
    apply_resource(resource, fields)
    if upload not in (None, ""):
        attach_upload(context, resource, package, upload)
    elif not resource.format:
        resource.format = guess_format(None, resource.url)
    touch(session, package)
    return resource_dictize(resource)


@action()
def resource_update(context: dict, data_dict: dict) -> dict:
    """Replace a resource's fields (id required); `upload` stores a new file version."""
    return change_resource(context, data_dict, patch=False)


@action()
def resource_patch(context: dict, data_dict: dict) -> dict:
    """Change only the given fields of a resource (id required); `upload` as resource_update."""
    return change_resource(context, data_dict, patch=True)
