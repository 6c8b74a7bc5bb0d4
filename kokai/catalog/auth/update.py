"""Auth functions of the actions that change things."""

from __future__ import annotations

from kokai.catalog.auth import auth_function, can_edit_org, check_group_auth, is_sysadmin, refuse
from kokai.catalog.context import Context
from kokai.catalog.lookups import get_package, get_resource, get_user, ref_param
from kokai.catalog.validation import Invalid, boolean


@auth_function
def package_update(context: Context, data_dict: dict) -> None:
    """Admins and editors of the dataset's organization, and sysadmins; groups
    the dataset is not in yet need membership of each."""
    package = get_package(context.session, ref_param(data_dict, "id", "name"))
    if not can_edit_org(context, package.owner_org):
        raise refuse(context, f"edit package {package.name}")
    check_group_auth(context, data_dict, {pg.group_id for pg in package.package_groups})


@auth_function
def package_patch(context: Context, data_dict: dict) -> None:
    """As package_update."""
    package_update(context, data_dict)


@auth_function
def resource_update(context: Context, data_dict: dict) -> None:
    """Whoever may edit the resource's dataset."""
    resource = get_resource(context.session, ref_param(data_dict, "id"))
    package = get_package(context.session, resource.package_id)
    if not can_edit_org(context, package.owner_org):
        raise refuse(context, f"edit package {package.name}")


@auth_function
def resource_patch(context: Context, data_dict: dict) -> None:
    """As resource_update."""
    resource_update(context, data_dict)


@auth_function
def user_update(context: Context, data_dict: dict) -> None:
    """Users themselves and sysadmins; only sysadmins make sysadmins."""
    if is_sysadmin(context):
        return
    user = get_user(context.session, ref_param(data_dict, "id"))
    if context.user is None or context.user.id != user.id:
        raise refuse(context, f"edit user {user.name}")
    if "sysadmin" in data_dict:
        try:
            wanted = boolean(data_dict["sysadmin"], None)
        except Invalid:
            return  # a validation error, reported by the action
        if wanted != user.sysadmin:
            raise refuse(context, f"change the sysadmin flag of user {user.name}")
