"""Auth functions of the publish log: it is staff information (who published,
what was refused and why), so only those who may edit a dataset see or write
its records; the log of every dataset at once is for sysadmins (and the site)."""

from __future__ import annotations

from sqlalchemy import select

from kokai.catalog.auth import auth_function, can_create_datasets, can_edit_org, is_sysadmin, refuse
from kokai.catalog.context import Context
from kokai.catalog.lookups import get_group
from kokai.catalog.models import Package


def _check_dataset_editor(context: Context, name: str, owner_org: object = None) -> None:
    package = context.session.scalar(select(Package).where(Package.name == name))
    if package is not None:
        allowed = can_edit_org(context, package.owner_org)
    elif isinstance(owner_org, str) and owner_org:
        allowed = can_edit_org(context, get_group(context.session, owner_org).id)
    else:
        allowed = can_create_datasets(context)
    if not allowed:
        raise refuse(context, f"see or write the publish log of {name}")


@auth_function
def publish_record_create(context: Context, data_dict: dict) -> None:
    """Whoever may edit the dataset (`package_name`), or create it in `owner_org`."""
    if is_sysadmin(context):
        return
    _check_dataset_editor(context, str(data_dict.get("package_name") or ""), data_dict.get("owner_org"))


@auth_function
def publish_record_list(context: Context, data_dict: dict) -> None:
    """One dataset's log (`id`): whoever may edit it; every dataset's: sysadmins."""
    if is_sysadmin(context):
        return
    name = data_dict.get("id")
    if not isinstance(name, str) or not name:
        raise refuse(context, "see the publish log of every dataset")
    _check_dataset_editor(context, name)


@auth_function
def publish_record_show(context: Context, data_dict: dict) -> None:
    """As publish_record_list of the dataset."""
    publish_record_list(context, {"id": data_dict.get("id")})
