"""Auth functions of the read actions: public data is readable by anyone;
private and unpublished datasets by the members of their organization."""

from __future__ import annotations

from kokai.catalog.auth import (
    allow_anyone,
    auth_function,
    can_read_package,
    is_sysadmin,
    refuse,
)
from kokai.catalog.context import Context
from kokai.catalog.errors import NotFound
from kokai.catalog.lookups import get_resource, get_user, ref_param

allow_anyone(
    "site_read", "status_show", "package_list", "package_modified_list",
    "current_package_list_with_resources",
    "package_search", "organization_list", "organization_show", "organization_list_for_user",
    "group_list", "group_show",
    "tag_list", "license_list", "help_show",
)  # fmt: skip


@auth_function
def package_show(context: Context, data_dict: dict) -> None:
    """Public active datasets: anyone; private ones: members of the organization;
    drafts and deleted ones: its editors; sysadmins: all."""
    entry = context.cache.get_ref(context.session, ref_param(data_dict, "id", "name_or_id"))
    if entry is None:
        raise NotFound()
    if not can_read_package(context, entry.private, entry.state, entry.owner_org):
        raise refuse(context, f"read package {entry.id}")


@auth_function
def resource_show(context: Context, data_dict: dict) -> None:
    """As package_show of the resource's dataset."""
    resource = get_resource(context.session, ref_param(data_dict, "id"))
    package_show(context, {"id": resource.package_id})


@auth_function
def resource_file_list(context: Context, data_dict: dict) -> None:
    """As resource_show: who may see the resource may see its file's versions."""
    resource_show(context, data_dict)


@auth_function
def user_show(context: Context, data_dict: dict) -> None:
    """The user themself and sysadmins."""
    user = get_user(context.session, ref_param(data_dict, "id"))
    if not is_sysadmin(context) and (context.user is None or context.user.id != user.id):
        raise refuse(context, f"see user {user.name}")
