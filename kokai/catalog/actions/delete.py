"""Write actions that delete (CKAN marks datasets deleted; purge removes them)."""

from __future__ import annotations

from kokai.catalog.actions import action
from kokai.catalog.actions.common import touch
from kokai.catalog.auth import check_access
from kokai.catalog.context import Context
from kokai.catalog.dictize import bump_revision
from kokai.catalog.lookups import get_package, get_resource, ref_param


@action()
def package_delete(context: Context, data_dict: dict) -> None:
    """Mark a dataset (id or name) deleted; it disappears from lists and searches."""
    check_access("package_delete", context, data_dict)
    session = context.session
    package = get_package(session, ref_param(data_dict, "id", "name"))
    package.state = "deleted"
    touch(session, package)


@action()
def dataset_purge(context: Context, data_dict: dict) -> None:
    """Remove a dataset (id or name) from the database; sysadmins only."""
    check_access("dataset_purge", context, data_dict)
    session = context.session
    package = get_package(session, ref_param(data_dict, "id", "name"))
    session.delete(package)
    bump_revision(session)


@action()
def resource_delete(context: Context, data_dict: dict) -> None:
    """Delete a resource (id); its stored files are kept as an archive."""
    check_access("resource_delete", context, data_dict)
    session = context.session
    resource = get_resource(session, ref_param(data_dict, "id"))
    package = get_package(session, resource.package_id)
    resource.state = "deleted"
    for position, other in enumerate(r for r in package.resources if r.state == "active"):
        other.position = position
    touch(session, package)
