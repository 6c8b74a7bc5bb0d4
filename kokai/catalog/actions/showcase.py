"""Secondary uses (二次利用, 活用事例): ckanext-showcase's actions and kokai's registry.

A showcase is a package with `type='showcase'`: an app, article or
visualisation built on the city's datasets; `showcase_package_association`
links it to the datasets it uses. kokai adds a kind, moderation and a contact
(kokai.catalog.reuses): an entry is public only once approved, and the
二次利用件数 the DX office reports counts the approved ones.

ckanext-showcase's actions keep their contract for ckanapi clients (create
first, link datasets afterwards), with extra optional fields on create
(`reuse_type`, `datasets`, `contact`) and `reuse_type` / `moderation_state`
on the showcases they return. kokai's own actions: `reuse_create` (URL and
at least one dataset required), `reuse_moderate` (approve / reject),
`reuse_list` (with the moderation details for moderators), `reuse_count`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select

from kokai.catalog import auth
from kokai.catalog.actions import action
from kokai.catalog.actions.common import touch, validated
from kokai.catalog.actions.create import save_package
from kokai.catalog.actions.get import readable_package
from kokai.catalog.auth import check_access
from kokai.catalog.auth.showcase import can_see_reuse, may_review
from kokai.catalog.context import Context
from kokai.catalog.dictize import CachedPackage, bump_revision, iso, package_dictize
from kokai.catalog.errors import NotFound, ValidationError
from kokai.catalog.lookups import get_package, get_showcase, ref_param
from kokai.catalog.models import Package, ShowcasePackageAssociation, utcnow
from kokai.catalog.reuses import (
    APPROVED,
    MODERATION_STATES,
    PENDING,
    REUSE_TYPES,
    Reuse,
    approved_counts,
    find_reuse,
    is_web_url,
    linked_datasets,
    moderation_info,
    reuse_of,
    state_of,
    url_key,
)
from kokai.catalog.schema import reuse_moderate_schema, reuse_schema
from kokai.catalog.validation import url_validator

REUSE_KEYS = ("reuse_type", "contact", "datasets")


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


def showcase_dict(context: Context, data: dict, row: Reuse | None = None) -> dict:
    """A showcase's package dict with num_datasets, reuse_type and moderation_state."""
    if row is None:
        row = moderation_info(context.session, [data["id"]]).get(data["id"])
    return {
        **data,
        "num_datasets": count_datasets(context.session, data["id"]),
        "reuse_type": row.reuse_type if row is not None else "other",
        "moderation_state": state_of(row, bool(data.get("private"))),
    }


def _visible_entries(context: Context, entries: list[CachedPackage]) -> list[dict]:
    """The showcase dicts of `entries` the caller may see, with their reuse fields."""
    session = context.session
    rows = moderation_info(session, [e.id for e in entries])
    hidden = [e.id for e in entries if state_of(rows.get(e.id), e.private) != APPROVED]
    linked = linked_datasets(session, hidden) if hidden and not auth.is_sysadmin(context) else {}
    out = []
    for entry in entries:
        row = rows.get(entry.id)
        state = state_of(row, entry.private)
        orgs = [p.owner_org for p in linked.get(entry.id, [])]
        creator = entry.data.get("creator_user_id")
        if can_see_reuse(context, state, creator, entry.owner_org, orgs):
            out.append(showcase_dict(context, entry.data, row))
    return out


def _unique_name(session, wanted: str) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`... when a package (a deleted one, say) has it."""
    name, n = wanted, 1
    while session.scalar(select(Package.pk).where(Package.name == name)) is not None:
        n += 1
        name = f"{wanted}-{n}"
    return name


def create_reuse(context: Context, data_dict: Any, required: bool) -> dict:
    """Create a showcase and its reuse row (pending), linked to `datasets`."""
    if not isinstance(data_dict, dict):
        raise ValidationError({"__root": ["Must be a dict"]})
    session = context.session
    fields = validated({k: data_dict.get(k) for k in REUSE_KEYS + ("title", "url")
                        if k in data_dict}, reuse_schema(required), context)  # fmt: skip
    data = {k: v for k, v in data_dict.items() if k not in REUSE_KEYS}
    data["type"] = "showcase"
    if required and not data.get("name") and isinstance(data.get("url"), str):
        # A name from the URL: titles are Japanese, names are ASCII.
        digest = hashlib.sha256(url_key(data["url"]).encode("utf-8")).hexdigest()[:10]
        data["name"] = _unique_name(session, f"reuse-{digest}")
    extras = [e for e in data.get("extras") or [] if isinstance(e, dict)]
    if isinstance(data.get("image_url"), str):
        validated({"image_url": data["image_url"]}, {"image_url": [url_validator]}, context)
        extras = [e for e in extras if e.get("key") != "image_url"]
        extras.append({"key": "image_url", "value": data.pop("image_url")})
    data["extras"] = extras
    package = save_package(context, data, None, owner_required=False)
    for dataset_id in fields.get("datasets", []):
        session.add(ShowcasePackageAssociation(package_id=dataset_id, showcase_id=package.id))
    row = Reuse(
        showcase_id=package.id,
        reuse_type=fields["reuse_type"],
        moderation_state=PENDING,
        contact=fields.get("contact"),
        created=utcnow(),
    )
    session.add(row)
    session.flush()
    return showcase_dict(context, package_dictize(session, package), row)


@action()
def ckanext_showcase_create(context: Context, data_dict: dict) -> dict:
    """Create a showcase (name, title, notes, url, image_url, tags, author, ...),
    pending moderation; optional: reuse_type (app, visualization, article, api,
    service, other), datasets (ids or names to link), contact (for moderators)."""
    check_access("ckanext_showcase_create", context, data_dict)
    return create_reuse(context, data_dict, required=False)


@action()
def reuse_create(context: Context, data_dict: dict) -> dict:
    """Register a reuse (活用事例), pending moderation: title, url (http(s), unique
    among reuses), reuse_type (app, visualization, article, api, service, other),
    datasets (at least one, ids or names), notes, contact (for moderators only),
    name (default: from the URL), image_url. Returns the showcase."""
    check_access("reuse_create", context, data_dict)
    return create_reuse(context, data_dict, required=True)


@action(side_effect_free=True)
def ckanext_showcase_show(context: Context, data_dict: dict) -> dict:
    """One showcase by id or name, with num_datasets, reuse_type and moderation_state
    (a pending or rejected one only for those who may see it)."""
    check_access("ckanext_showcase_show", context, data_dict)
    package = get_showcase(context.session, ref_param(data_dict, "id"))
    entry = context.cache.get_ref(context.session, package.id)
    return showcase_dict(context, entry.data)


@action(side_effect_free=True)
def ckanext_showcase_list(context: Context, data_dict: dict) -> list[dict]:
    """Every active showcase the caller may see: approved ones for everyone."""
    check_access("ckanext_showcase_list", context, data_dict)
    session = context.session
    pks = session.scalars(
        select(Package.pk)
        .where(Package.type == "showcase", Package.state == "active")
        .order_by(Package.metadata_created.desc(), Package.pk)
    )
    return _visible_entries(context, context.cache.get_many(session, list(pks)))


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
    """Unlink a showcase (showcase_id) from a dataset (package_id). An approved
    reuse keeps at least one dataset: reject it first, or link another one."""
    check_access("ckanext_showcase_package_association_delete", context, data_dict)
    session = context.session
    showcase = get_showcase(session, ref_param(data_dict, "showcase_id"))
    package = get_package(session, ref_param(data_dict, "package_id"))
    association = session.get(ShowcasePackageAssociation, (package.id, showcase.id))
    if association is None:
        raise NotFound("ShowcasePackageAssociation not found")
    state = state_of(moderation_info(session, [showcase.id]).get(showcase.id), showcase.private)
    others = [p for p in linked_datasets(session, [showcase.id])[showcase.id] if p.id != package.id]
    if state == APPROVED and not others:
        raise ValidationError(
            {
                "package_id": [
                    "承認済みの活用事例には少なくとも1つのデータセットが必要です。先に別のデータセットを"
                    "追加するか、却下してください / An approved reuse keeps at least one dataset:"
                    " link another one or reject it first"
                ]
            }
        )
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
    """The showcases that use a dataset (package_id), those the caller may see."""
    check_access("ckanext_package_showcase_list", context, data_dict)
    session = context.session
    package = readable_package(context, ref_param(data_dict, "package_id"))
    pks = session.scalars(
        select(Package.pk)
        .join(ShowcasePackageAssociation, ShowcasePackageAssociation.showcase_id == Package.id)
        .where(ShowcasePackageAssociation.package_id == package.id, Package.state == "active")
        .order_by(Package.name)
    )
    return _visible_entries(context, context.cache.get_many(session, list(pks)))


# ---------------------------------------------------------------- kokai's registry


@action()
def reuse_moderate(context: Context, data_dict: dict) -> dict:
    """Approve or reject a reuse: id (its id, name or URL), moderation_state
    (approved or rejected). Approving needs an http(s) URL and at least one
    linked dataset; an approved reuse is public and counted in 二次利用件数.
    Returns the showcase."""
    check_access("reuse_moderate", context, data_dict)
    session = context.session
    showcase = find_reuse(session, ref_param(data_dict, "id"))
    state = validated(data_dict, reuse_moderate_schema(), context)["moderation_state"]
    if state == APPROVED:
        problems = []
        if not showcase.url or not is_web_url(showcase.url):
            problems.append(
                "URL（http:// か https://）のない活用事例は承認できません"
                " / A reuse needs an http(s) URL to be approved"
            )
        if not linked_datasets(session, [showcase.id])[showcase.id]:
            problems.append(
                "データセットが1つも紐づいていない活用事例は承認できません"
                " / A reuse needs at least one linked dataset to be approved"
            )
        if problems:
            raise ValidationError({"moderation_state": problems})
    row = reuse_of(session, showcase)
    row.moderation_state = state
    row.moderated = utcnow()
    row.moderated_by = context.user.name if context.user is not None else "site"
    showcase.private = state != APPROVED
    session.flush()
    touch(session, showcase)
    return showcase_dict(context, package_dictize(session, showcase), row)


def _reuse_item(context: Context, package: Package, row: Reuse | None, datasets: list[Package],
                details: bool) -> dict:  # fmt: skip
    item = {
        "id": package.id,
        "name": package.name,
        "title": package.title,
        "url": package.url,
        "notes": package.notes,
        "reuse_type": row.reuse_type if row is not None else "other",
        "moderation_state": state_of(row, package.private),
        "datasets": [
            {"id": p.id, "name": p.name, "title": p.title}
            for p in datasets
            if auth.can_read_package(context, p.private, p.state, p.owner_org)
        ],
        "metadata_created": iso(package.metadata_created),
    }
    item["num_datasets"] = len(item["datasets"])
    if details:  # for those who may moderate: who to ask, who decided
        item["contact"] = row.contact if row is not None else None
        item["moderated"] = iso(row.moderated) if row is not None else None
        item["moderated_by"] = row.moderated_by if row is not None else None
    return item


@action(side_effect_free=True)
def reuse_list(context: Context, data_dict: dict) -> list[dict]:
    """Reuses the caller may see, newest first: moderation_state (pending,
    approved, rejected; default: all the caller may see), dataset (id or name:
    only the reuses linking it). Moderators also get contact, moderated and
    moderated_by."""
    check_access("reuse_list", context, data_dict)
    session = context.session
    wanted = data_dict.get("moderation_state") or None
    if wanted is not None and wanted not in MODERATION_STATES:
        raise ValidationError(
            {"moderation_state": [f"Must be one of {', '.join(MODERATION_STATES)}"]}
        )
    query = (
        select(Package)
        .where(Package.type == "showcase", Package.state == "active")
        .order_by(Package.metadata_created.desc(), Package.pk)
    )
    if data_dict.get("dataset"):
        dataset = readable_package(context, ref_param(data_dict, "dataset"))
        query = query.join(
            ShowcasePackageAssociation, ShowcasePackageAssociation.showcase_id == Package.id
        ).where(ShowcasePackageAssociation.package_id == dataset.id)
    packages = list(session.scalars(query))
    rows = moderation_info(session, [p.id for p in packages])
    linked = linked_datasets(session, [p.id for p in packages])
    out = []
    for package in packages:
        row = rows.get(package.id)
        state = state_of(row, package.private)
        if wanted is not None and state != wanted:
            continue
        orgs = [p.owner_org for p in linked[package.id]]
        if not can_see_reuse(context, state, package.creator_user_id, package.owner_org, orgs):
            continue
        details = may_review(context, orgs)
        out.append(_reuse_item(context, package, row, linked[package.id], details))
    return out


@action(side_effect_free=True)
def reuse_count(context: Context, data_dict: dict) -> dict:
    """二次利用件数: approved reuses, in all (`total`, `by_type`) and per dataset
    (`datasets`: those the caller may read, most used first; `dataset`: id or
    name, only that one)."""
    check_access("reuse_count", context, data_dict)
    session = context.session
    total, by_type, by_dataset = approved_counts(session)
    query = select(Package).where(Package.type == "dataset", Package.state == "active")
    if data_dict.get("dataset"):
        query = query.where(
            Package.id == readable_package(context, ref_param(data_dict, "dataset")).id
        )
    else:
        query = query.where(Package.id.in_(list(by_dataset)))
    datasets = [
        {"id": p.id, "name": p.name, "title": p.title, "count": by_dataset.get(p.id, 0)}
        for p in session.scalars(query)
        if auth.can_read_package(context, p.private, p.state, p.owner_org)
    ]
    datasets.sort(key=lambda d: (-d["count"], d["name"]))
    return {"total": total, "by_type": by_type, "types": list(REUSE_TYPES), "datasets": datasets}
