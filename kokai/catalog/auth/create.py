"""Auth functions of the actions that create things."""

from __future__ import annotations

from kokai.catalog.auth import (
    auth_function,
    can_create_datasets,
    can_edit_org,
    check_group_auth,
    is_group_admin,
    is_group_member,
    is_sysadmin,
    refuse,
)
from kokai.catalog.context import Context
from kokai.catalog.errors import NotAuthorized
from kokai.catalog.lookups import get_group, get_package, get_user, ref_param


@auth_function
def package_create(context: Context, data_dict: dict) -> None:
    """Sysadmins, and admins and editors of some organization (which one is
    checked with `owner_org`: a validation error, as CKAN). Groups named in
    `groups` need membership of each."""
    if not can_create_datasets(context):
        raise refuse(context, "create packages")
    check_group_auth(context, data_dict)


@auth_function
def resource_create(context: Context, data_dict: dict) -> None:
    """Whoever may edit the dataset (`package_id`)."""
    package = get_package(context.session, ref_param(data_dict, "package_id"))
    if not can_edit_org(context, package.owner_org):
        raise refuse(context, f"edit package {package.name}")


@auth_function
def organization_create(context: Context, data_dict: dict) -> None:
    """Sysadmins only."""
    if not is_sysadmin(context):
        raise refuse(context, "create organizations")


@auth_function
def group_create(context: Context, data_dict: dict) -> None:
    """Sysadmins only."""
    if not is_sysadmin(context):
        raise refuse(context, "create groups")


def _member_create(context: Context, data_dict: dict, is_organization: bool) -> None:
    group = get_group(context.session, ref_param(data_dict, "id"), is_organization)
    if not is_group_admin(context, group.id):
        raise refuse(context, f"edit group {group.name}")


@auth_function
def organization_member_create(context: Context, data_dict: dict) -> None:
    """Admins of the organization (`id`) and sysadmins."""
    _member_create(context, data_dict, is_organization=True)


@auth_function
def group_member_create(context: Context, data_dict: dict) -> None:
    """Admins of the group (`id`) and sysadmins."""
    _member_create(context, data_dict, is_organization=False)


@auth_function
def member_create(context: Context, data_dict: dict) -> None:
    """A dataset into a thematic group: a member (any capacity) of the group
    who may also edit the dataset. A user into a group or organization: its admins."""
    group = get_group(context.session, ref_param(data_dict, "id"), is_organization=None)
    if data_dict.get("object_type") == "package" and not group.is_organization:
        package = get_package(context.session, ref_param(data_dict, "object"))
        if not is_group_member(context, group.id) or not can_edit_org(context, package.owner_org):
            raise refuse(context, f"edit group {group.name}")
    elif not is_group_admin(context, group.id):
        raise refuse(context, f"edit group {group.name}")


@auth_function
def user_create(context: Context, data_dict: dict) -> None:
    """Sysadmins only (CKAN's create_user_via_api is off)."""
    if not is_sysadmin(context):
        raise refuse(context, "create users")


@auth_function
def api_token_create(context: Context, data_dict: dict) -> None:
    """Users for themselves; sysadmins for anyone."""
    if is_sysadmin(context):
        return
    if context.user is None:
        raise NotAuthorized("User None not authorized to create API tokens")
    user = get_user(context.session, ref_param(data_dict, "user"))
    if user.id != context.user.id:
        raise refuse(context, f"create API tokens for user {user.name}")
