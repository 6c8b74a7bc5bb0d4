"""Auth functions of the actions that delete things."""

from __future__ import annotations

from kokai.catalog.auth import auth_function, can_edit_org, is_sysadmin, refuse
from kokai.catalog.auth.update import resource_update
from kokai.catalog.context import Context
from kokai.catalog.lookups import get_package, ref_param


@auth_function
def package_delete(context: Context, data_dict: dict) -> None:
    """Admins and editors of the dataset's organization, and sysadmins."""
    package = get_package(context.session, ref_param(data_dict, "id", "name"))
    if not can_edit_org(context, package.owner_org):
        raise refuse(context, f"delete package {package.name}")


@auth_function
def dataset_purge(context: Context, data_dict: dict) -> None:
    """Sysadmins only."""
    package = get_package(context.session, ref_param(data_dict, "id", "name"))
    if not is_sysadmin(context):
        raise refuse(context, f"purge package {package.name}")


@auth_function
def resource_delete(context: Context, data_dict: dict) -> None:
    """As resource_update: whoever may edit the resource's dataset."""
    resource_update(context, data_dict)
