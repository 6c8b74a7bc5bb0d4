"""Auth functions of ckanext-showcase's actions.

Creating a showcase: sysadmins and anyone who may write some organization's
datasets (kokai's city staff; ckanext-showcase's "showcase admins"). Deleting
one or changing its dataset links: its creator, an admin of its organization
(when it has one) and sysadmins. Reading: anyone.
"""

from __future__ import annotations

from kokai.catalog.auth import (
    allow_anyone,
    auth_function,
    can_create_datasets,
    is_group_admin,
    is_sysadmin,
    refuse,
)
from kokai.catalog.context import Context
from kokai.catalog.lookups import get_showcase, ref_param

allow_anyone(
    "ckanext_showcase_show", "ckanext_showcase_list", "ckanext_showcase_package_list",
    "ckanext_package_showcase_list",
)  # fmt: skip


@auth_function
def ckanext_showcase_create(context: Context, data_dict: dict) -> None:
    if not can_create_datasets(context):
        raise refuse(context, "create showcases")


def _check_showcase_owner(context: Context, ref: str, what: str) -> None:
    if is_sysadmin(context):
        return
    if context.user is None:
        raise refuse(context, f"{what} showcases")
    showcase = get_showcase(context.session, ref)
    if showcase.creator_user_id == context.user.id:
        return
    if showcase.owner_org is not None and is_group_admin(context, showcase.owner_org):
        return
    raise refuse(context, f"{what} showcase {showcase.name}")


@auth_function
def ckanext_showcase_delete(context: Context, data_dict: dict) -> None:
    _check_showcase_owner(context, ref_param(data_dict, "id"), "delete")


@auth_function
def ckanext_showcase_package_association_create(context: Context, data_dict: dict) -> None:
    _check_showcase_owner(context, ref_param(data_dict, "showcase_id"), "edit")


@auth_function
def ckanext_showcase_package_association_delete(context: Context, data_dict: dict) -> None:
    _check_showcase_owner(context, ref_param(data_dict, "showcase_id"), "edit")
