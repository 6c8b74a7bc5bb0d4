"""Write actions that delete (CKAN marks datasets deleted; purge removes them)."""

from __future__ import annotations

from kokai.catalog import auth
from kokai.catalog.actions import action
from kokai.catalog.actions.common import get_package, get_resource, ref_param, touch
from kokai.catalog.dictize import bump_revision


@action()
def package_delete(context: dict, data_dict: dict) -> None:
    """Mark a dataset (id or name) deleted; it disappears from lists and searches."""
    session = context["session"]
    package = get_package(session, ref_param(data_dict, "id", "name"))
    auth.check_edit_package(context, package.owner_org, f"delete package {package.name}")
    package.state = "deleted"
    touch(session, package)


@action()
def dataset_purge(context: dict, data_dict: dict) -> None:
    """Remove a dataset (id or name) from the database; sysadmins only."""
    session = context["session"]
    package = get_package(session, ref_param(data_dict, "id", "name"))
    auth.require_sysadmin(context, f"purge package {package.name}")
    session.delete(package)
    bump_revision(session)


@action()
def resource_delete(context: dict, data_dict: dict) -> None:
    """Delete a resource (id); its stored files are kept as an archive."""
    session = context["session"]
    resource = get_resource(session, ref_param(data_dict, "id"))
    package = get_package(session, resource.package_id)
    auth.check_edit_package(context, package.owner_org, f"edit package {package.name}")
    resource.state = "deleted"
    for position, other in enumerate(r for r in package.resources if r.state == "active"):
        other.position = position
    touch(session, package)
