"""Auth functions of ckanext-showcase's actions and of kokai's reuse registry.

Creating a showcase (ckanext_showcase_create, reuse_create): sysadmins and
anyone who may write some organization's datasets (kokai's city staff;
ckanext-showcase's "showcase admins"). Deleting one or changing its dataset
links: its creator, an admin of its organization (when it has one) and
sysadmins.

Reading (kokai.catalog.reuses: an entry is public only once approved): an
approved showcase, anyone; a pending or rejected one, only those who may see
it (`can_see_reuse`): sysadmins, its creator, admins of its own organization
and its moderators. The list actions filter with the same rule.

Moderating (reuse_moderate: approve, reject): sysadmins, and a user who is an
admin of *every* organization owning one of the active datasets the reuse
links. An approval makes the reuse count in the 二次利用件数 of each linked
dataset, so each data owner vouches for the use of its own data and nobody
for another organization's: an entry linking datasets of two departments is
approved by someone who administers both, or by a sysadmin. Editors do not
moderate. Admins of *any* linked dataset's organization may see a pending
entry (to review it and ask a sysadmin).
"""

from __future__ import annotations

from collections.abc import Iterable

from kokai.catalog.auth import (
    allow_anyone,
    auth_function,
    can_create_datasets,
    is_group_admin,
    is_sysadmin,
    memberships,
    refuse,
)
from kokai.catalog.context import Context
from kokai.catalog.lookups import get_showcase, ref_param
from kokai.catalog.models import Package
from kokai.catalog.reuses import (
    APPROVED,
    find_reuse,
    linked_datasets,
    moderation_info,
    state_of,
)

allow_anyone(
    "ckanext_showcase_list", "ckanext_package_showcase_list", "reuse_list", "reuse_count",
)  # fmt: skip


def may_moderate(context: Context, linked_org_ids: Iterable[str | None]) -> bool:
    """A sysadmin, or an admin of every organization owning a linked dataset."""
    if is_sysadmin(context):
        return True
    if context.user is None:
        return False
    roles = memberships(context)
    orgs = set(linked_org_ids)
    return bool(orgs) and all(org is not None and roles.get(org) == "admin" for org in orgs)


def may_review(context: Context, linked_org_ids: Iterable[str | None]) -> bool:
    """A sysadmin, or an admin of some organization owning a linked dataset."""
    if is_sysadmin(context):
        return True
    if context.user is None:
        return False
    roles = memberships(context)
    return any(org is not None and roles.get(org) == "admin" for org in linked_org_ids)


def can_see_reuse(
    context: Context,
    state: str,
    creator_user_id: str | None,
    owner_org: str | None,
    linked_org_ids: Iterable[str | None],
) -> bool:
    """Approved: anyone. Pending or rejected: sysadmins, the creator, admins of
    the showcase's organization, admins of a linked dataset's organization."""
    if state == APPROVED or is_sysadmin(context):
        return True
    user = context.user
    if user is None:
        return False
    if creator_user_id is not None and creator_user_id == user.id:
        return True
    if owner_org is not None and is_group_admin(context, owner_org):
        return True
    return may_review(context, linked_org_ids)


def showcase_visible(context: Context, showcase: Package) -> bool:
    """Whether the context's user may see this showcase (see `can_see_reuse`)."""
    if is_sysadmin(context):
        return True
    session = context.session
    state = state_of(moderation_info(session, [showcase.id]).get(showcase.id), showcase.private)
    if state == APPROVED:
        return True
    orgs = [p.owner_org for p in linked_datasets(session, [showcase.id])[showcase.id]]
    return can_see_reuse(context, state, showcase.creator_user_id, showcase.owner_org, orgs)


def _check_visible(context: Context, ref: str) -> None:
    showcase = get_showcase(context.session, ref)
    if not showcase_visible(context, showcase):
        raise refuse(context, f"read showcase {showcase.name}")


@auth_function
def ckanext_showcase_show(context: Context, data_dict: dict) -> None:
    """An approved showcase: anyone; pending or rejected: see `can_see_reuse`."""
    _check_visible(context, ref_param(data_dict, "id"))


@auth_function
def ckanext_showcase_package_list(context: Context, data_dict: dict) -> None:
    """As ckanext_showcase_show of the showcase."""
    _check_visible(context, ref_param(data_dict, "showcase_id"))


@auth_function
def ckanext_showcase_create(context: Context, data_dict: dict) -> None:
    if not can_create_datasets(context):
        raise refuse(context, "create showcases")


@auth_function
def reuse_create(context: Context, data_dict: dict) -> None:
    """As ckanext_showcase_create."""
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


@auth_function
def reuse_moderate(context: Context, data_dict: dict) -> None:
    """Sysadmins, and admins of every organization owning a dataset the reuse links."""
    if is_sysadmin(context):
        return
    if context.user is None:
        raise refuse(context, "moderate showcases")
    showcase = find_reuse(context.session, ref_param(data_dict, "id"))
    orgs = [p.owner_org for p in linked_datasets(context.session, [showcase.id])[showcase.id]]
    if not may_moderate(context, orgs):
        raise refuse(context, f"moderate showcase {showcase.name}")
