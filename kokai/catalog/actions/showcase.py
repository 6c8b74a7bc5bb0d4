"""Secondary uses (二次利用), as ckanext-showcase names its actions.

A showcase is a package with `type='showcase'`: an app, article or
visualisation built on the city's datasets; `showcase_package_association`
links it to the datasets it uses. The DX office counts these as 二次利用件数.
"""

from __future__ import annotations

from sqlalchemy import func, select

from kokai.catalog import auth
from kokai.catalog.actions import action
from kokai.catalog.actions.common import validated
from kokai.catalog.actions.create import save_package
from kokai.catalog.actions.get import readable_package
from kokai.catalog.auth import check_access
from kokai.catalog.context import Context
from kokai.catalog.dictize import bump_revision, package_dictize
from kokai.catalog.errors import NotFound, ValidationError
from kokai.catalog.lookups import get_package, get_showcase, ref_param
from kokai.catalog.models import Package, ShowcasePackageAssociation
from kokai.catalog.validation import url_validator


def count_datasets(session, showcase_id: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(ShowcasePackageAssociation)
            .join(Package, Package.id == ShowcasePackageAssociation.package_id)
            .where(ShowcasePackageAssociation.showcase_id == showcase_id, Package.state == "active")
        )
        or 0
    )


def showcase_dict(context: Context, data: dict) -> dict:
    return {**data, "num_datasets": count_datasets(context.session, data["id"])}


@action()
def ckanext_showcase_create(context: Context, data_dict: dict) -> dict:
    """Create a showcase (name, title, notes, url, image_url, tags, author, ...)."""
    check_access("ckanext_showcase_create", context, data_dict)
    if not isinstance(data_dict, dict):
        raise ValidationError({"__root": ["Must be a dict"]})
    data = {**data_dict, "type": "showcase"}
    extras = [e for e in data.get("extras") or [] if isinstance(e, dict)]
    if isinstance(data.get("image_url"), str):
        validated({"image_url": data["image_url"]}, {"image_url": [url_validator]}, context)
        extras = [e for e in extras if e.get("key") != "image_url"]
        extras.append({"key": "image_url", "value": data.pop("image_url")})
    data["extras"] = extras
    package = save_package(context, data, None, owner_required=False)
    return showcase_dict(context, package_dictize(context.session, package))


@action(side_effect_free=True)
def ckanext_showcase_show(context: Context, data_dict: dict) -> dict:
    """One showcase by id or name, with num_datasets."""
    check_access("ckanext_showcase_show", context, data_dict)
    package = get_showcase(context.session, ref_param(data_dict, "id"))
    entry = context.cache.get_ref(context.session, package.id)
    return showcase_dict(context, entry.data)


@action(side_effect_free=True)
def ckanext_showcase_list(context: Context, data_dict: dict) -> list[dict]:
    """Every active showcase."""
    check_access("ckanext_showcase_list", context, data_dict)
    session = context.session
    pks = session.scalars(
        select(Package.pk)
        .where(Package.type == "showcase", Package.state == "active")
        .order_by(Package.metadata_created.desc(), Package.pk)
    )
    return [entry.data for entry in context.cache.get_many(session, list(pks))]


@action()
def ckanext_showcase_delete(context: Context, data_dict: dict) -> None:
    """Delete a showcase (id or name): its creator, an admin of its organization, sysadmins."""
    check_access("ckanext_showcase_delete", context, data_dict)
    package = get_showcase(context.session, ref_param(data_dict, "id"))
    package.state = "deleted"
    bump_revision(context.session)


@action()
def ckanext_showcase_package_association_create(context: Context, data_dict: dict) -> dict:
    """Link a showcase (showcase_id) to a dataset it uses (package_id)."""
    check_access("ckanext_showcase_package_association_create", context, data_dict)
    session = context.session
    showcase = get_showcase(session, ref_param(data_dict, "showcase_id"))
    package = readable_package(context, ref_param(data_dict, "package_id"))
    exists = session.get(ShowcasePackageAssociation, (package.id, showcase.id))
    if exists is not None:
        raise ValidationError(
            {
                "message": [
                    f"ShowcasePackageAssociation with package_id '{package.id}' and "
                    f"showcase_id '{showcase.id}' already exists."
                ]
            }
        )
    session.add(ShowcasePackageAssociation(package_id=package.id, showcase_id=showcase.id))
    bump_revision(session)
    return {"package_id": package.id, "showcase_id": showcase.id}


@action()
def ckanext_showcase_package_association_delete(context: Context, data_dict: dict) -> None:
    """Unlink a showcase (showcase_id) from a dataset (package_id)."""
    check_access("ckanext_showcase_package_association_delete", context, data_dict)
    session = context.session
    showcase = get_showcase(session, ref_param(data_dict, "showcase_id"))
    package = get_package(session, ref_param(data_dict, "package_id"))
    association = session.get(ShowcasePackageAssociation, (package.id, showcase.id))
    if association is None:
        raise NotFound("ShowcasePackageAssociation not found")
    session.delete(association)
    bump_revision(session)


@action(side_effect_free=True)
def ckanext_showcase_package_list(context: Context, data_dict: dict) -> list[dict]:
    """The datasets a showcase (showcase_id) uses, those the caller may read."""
    check_access("ckanext_showcase_package_list", context, data_dict)
    session = context.session
    showcase = get_showcase(session, ref_param(data_dict, "showcase_id"))
    pks = session.scalars(
        select(Package.pk)
        .join(ShowcasePackageAssociation, ShowcasePackageAssociation.package_id == Package.id)
        .where(ShowcasePackageAssociation.showcase_id == showcase.id, Package.state == "active")
        .order_by(Package.name)
    )
    entries = context.cache.get_many(session, list(pks))
    return [
        e.data for e in entries if auth.can_read_package(context, e.private, e.state, e.owner_org)
    ]


@action(side_effect_free=True)
def ckanext_package_showcase_list(context: Context, data_dict: dict) -> list[dict]:
    """The showcases that use a dataset (package_id)."""
    check_access("ckanext_package_showcase_list", context, data_dict)
    session = context.session
    package = readable_package(context, ref_param(data_dict, "package_id"))
    pks = session.scalars(
        select(Package.pk)
        .join(ShowcasePackageAssociation, ShowcasePackageAssociation.showcase_id == Package.id)
        .where(ShowcasePackageAssociation.package_id == package.id, Package.state == "active")
        .order_by(Package.name)
    )
    return [entry.data for entry in context.cache.get_many(session, list(pks))]
