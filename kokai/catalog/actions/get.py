"""Read actions (side-effect free: GET is allowed)."""

from __future__ import annotations

import inspect

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from kokai.catalog import auth, search, storage
from kokai.catalog.actions import action, action_names, get_action
from kokai.catalog.actions.common import count_datasets, list_params, validated
from kokai.catalog.auth import check_access
from kokai.catalog.context import Context
from kokai.catalog.dictize import CachedPackage, group_dictize, user_dictize, with_tracking
from kokai.catalog.errors import NotFound, SearchQueryError
from kokai.catalog.licenses import LICENSES
from kokai.catalog.lookups import get_group, get_resource, get_user, ref_param
from kokai.catalog.models import Group, Member, Package, PackageTag, Tag, User
from kokai.catalog.schema import group_list_schema
from kokai.catalog.validation import asbool

CKAN_VERSION = "2.12.0"


@action(side_effect_free=True)
def site_read(context: Context, data_dict: dict) -> bool:
    """Whether the site may be read (always true; removed from CKAN 2.11, kept for old clients)."""
    check_access("site_read", context, data_dict)
    return True


@action(side_effect_free=True)
def status_show(context: Context, data_dict: dict) -> dict:
    """Site title, URL, default locale, extensions and the CKAN API version served."""
    check_access("status_show", context, data_dict)
    config = context.config
    return {
        "site_title": config.city_name or "kokai",
        "site_description": "kokai (公開): 自治体オープンデータカタログ",
        "site_url": config.site_url,
        "error_emails_to": None,
        "locale_default": "ja",
        "extensions": ["kokai", "showcase", "tracking", "dcat"],
        "ckan_version": CKAN_VERSION,
    }


def _public_datasets():
    return (Package.state == "active", Package.private.is_(False), Package.type == "dataset")


@action(side_effect_free=True)
def package_list(context: Context, data_dict: dict) -> list[str]:
    """Names of the active public datasets, by name (limit, offset)."""
    check_access("package_list", context, data_dict)
    limit, offset = list_params(data_dict, context)
    stmt = select(Package.name).where(*_public_datasets()).order_by(Package.name).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(context.session.scalars(stmt))


@action(side_effect_free=True)
def package_modified_list(context: Context, data_dict: dict) -> list[dict]:
    """kokai's own: {name, metadata_modified} of every active public dataset, by
    name, in one query (what a static site or a mirror needs to find what changed
    without reading every dataset; CKAN's nearest is package_search with fl)."""
    check_access("package_modified_list", context, data_dict)
    rows = context.session.execute(
        select(Package.name, Package.metadata_modified)
        .where(*_public_datasets())
        .order_by(Package.name)
    )
    return [{"name": name, "metadata_modified": modified.isoformat()} for name, modified in rows]


@action(side_effect_free=True)
def current_package_list_with_resources(context: Context, data_dict: dict) -> list[dict]:
    """Active public datasets with their resources, most recently modified first."""
    check_access("current_package_list_with_resources", context, data_dict)
    limit, offset = list_params(data_dict, context)
    session = context.session
    stmt = (
        select(Package.pk)
        .where(*_public_datasets())
        .order_by(Package.metadata_modified.desc(), Package.pk)
        .offset(offset)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    entries = context.cache.get_many(session, list(session.scalars(stmt)))
    return [entry.data for entry in entries]


def readable_package(context: Context, ref: str) -> CachedPackage:
    """The cached dataset `ref` (id or name), when package_show's auth allows it."""
    check_access("package_show", context, {"id": ref})
    entry = context.cache.get_ref(context.session, ref)
    if entry is None:
        raise NotFound()
    return entry


@action(side_effect_free=True)
def package_show(context: Context, data_dict: dict) -> dict:
    """One dataset by id or name, with its resources, tags, groups, organization,
    extras and tracking_summary (downloads counted on the server)."""
    entry = readable_package(context, ref_param(data_dict, "id", "name_or_id"))
    return with_tracking(context.session, entry.data)


@action(side_effect_free=True)
def resource_show(context: Context, data_dict: dict) -> dict:
    """One resource by id, with its tracking_summary."""
    check_access("resource_show", context, data_dict)
    session = context.session
    resource = get_resource(session, ref_param(data_dict, "id"))
    entry = readable_package(context, resource.package_id)
    data = with_tracking(session, entry.data)
    for item in data["resources"]:
        if item["id"] == resource.id:
            return item
    raise NotFound("Resource was not found.")


@action(side_effect_free=True)
def resource_file_list(context: Context, data_dict: dict) -> list[dict]:
    """The stored versions of an uploaded resource's file (id), oldest first:
    version, sha256, size, filename, media_type, created (ISO 8601, UTC).
    A new version is made only when the content changes (kokai.catalog.storage)."""
    check_access("resource_file_list", context, data_dict)
    resource = get_resource(context.session, ref_param(data_dict, "id"))
    readable_package(context, resource.package_id)
    return [stored.as_dict() for stored in storage.list_versions(context.session, resource.id)]


@action(side_effect_free=True, checks_own_text=True)
def package_search(context: Context, data_dict: dict) -> dict:
    """Search datasets: q, fq, fq_list, sort, rows (≤1000), start, facet.field,
    facet.limit, facet.mincount, fl, include_private (Solr syntax as CKAN)."""
    check_access("package_search", context, data_dict)
    session = context.session
    request = search.parse_search_request(data_dict)
    visibility = search.Visibility(
        auth.readable_org_ids(context), context.user is not None, auth.is_sysadmin(context)
    )
    cache = context.cache
    try:
        found = search.execute_search(session, request, visibility, cache.snapshot(session))
    except DBAPIError as exc:  # e.g. a value the database cannot compare
        session.rollback()
        raise SearchQueryError("Search Query is invalid: the database rejected the query") from exc
    count, pks, facets = found.count, found.pks, found.facets
    entries = cache.get_many(session, pks)
    results: list = [entry.data for entry in entries]
    if request.fl and request.fl != ["*"]:
        if len(request.fl) == 1 and request.fl[0] in ("id", "name"):
            results = [entry.data[request.fl[0]] for entry in entries]
        else:
            results = [{k: entry.data.get(k) for k in request.fl} for entry in entries]
    return {
        "count": count,
        "facets": facets,
        "results": results,
        "sort": request.sort,
        "search_facets": found.search_facets,
    }


def _list_groups(context: Context, data_dict: dict, is_organization: bool) -> list:
    session = context.session
    params = validated(data_dict, group_list_schema(), context)
    all_fields = params["all_fields"]
    limit = params.get("limit", 25 if all_fields else 1000)
    offset = params.get("offset", 0)
    field, descending = params["sort"]
    stmt = select(Group).where(Group.is_organization.is_(is_organization), Group.state == "active")
    wanted = data_dict.get("organizations" if is_organization else "groups")
    if isinstance(wanted, str) and wanted:
        wanted = [w.strip() for w in wanted.strip("[]").replace('"', "").split(",") if w.strip()]
    if isinstance(wanted, list) and wanted:
        stmt = stmt.where(Group.name.in_([str(w) for w in wanted]))
    groups = list(session.scalars(stmt))
    counting = (all_fields and params["include_dataset_count"]) or field == "package_count"
    counts = count_datasets(session, [g.id for g in groups], is_organization) if counting else {}
    if field == "package_count":
        groups.sort(key=lambda g: (counts.get(g.id, 0), g.name), reverse=descending)
    else:
        groups.sort(key=lambda g: (getattr(g, field) or g.name).lower(), reverse=descending)
    groups = groups[offset : offset + limit]
    if not all_fields:
        return [g.name for g in groups]
    return [
        group_dictize(
            g,
            package_count=counts.get(g.id, 0) if params["include_dataset_count"] else None,
            include_extras=params["include_extras"],
        )
        for g in groups
    ]


def _show_group(context: Context, data_dict: dict, is_organization: bool) -> dict:
    session = context.session
    group = get_group(session, ref_param(data_dict, "id"), is_organization=is_organization)
    count = count_datasets(session, [group.id], is_organization).get(group.id, 0)
    out = group_dictize(
        group,
        package_count=count if asbool(data_dict.get("include_dataset_count"), True) else None,
        include_extras=asbool(data_dict.get("include_extras"), True),
    )
    if asbool(data_dict.get("include_users"), False):
        rows = session.execute(
            select(User.id, User.name, Member.capacity)
            .join(Member, Member.user_id == User.id)
            .where(Member.group_id == group.id)
            .order_by(User.name)
        )
        out["users"] = [
            {"id": uid, "name": name, "display_name": name, "capacity": capacity}
            for uid, name, capacity in rows
        ]
    if asbool(data_dict.get("include_datasets"), False):
        field = "organization" if is_organization else "groups"
        found = package_search(
            context,
            {"fq": f'{field}:"{group.name}"', "rows": 1000, "include_private": True},
        )
        out["packages"] = found["results"]
    return out


@action(side_effect_free=True)
def organization_list(context: Context, data_dict: dict) -> list:
    """Organization names, or dicts with all_fields (sort, limit, offset, organizations)."""
    check_access("organization_list", context, data_dict)
    return _list_groups(context, data_dict, is_organization=True)


@action(side_effect_free=True)
def organization_show(context: Context, data_dict: dict) -> dict:
    """One organization by id or name (include_datasets, include_users, include_extras)."""
    check_access("organization_show", context, data_dict)
    return _show_group(context, data_dict, is_organization=True)


# organization_list_for_user's `permission` → the capacities that have it (CKAN's
# ckan.authz role permissions); anything else, manage_group included, is admin only
CAPACITIES_WITH = {
    "read": (*auth.WRITE_CAPACITIES, "member"),
    "create_dataset": auth.WRITE_CAPACITIES,
    "update_dataset": auth.WRITE_CAPACITIES,
    "delete_dataset": auth.WRITE_CAPACITIES,
}


@action(side_effect_free=True)
def organization_list_for_user(context: Context, data_dict: dict) -> list[dict]:
    """The active organizations in which a user (`id`; default: the acting user)
    has `permission` (default manage_group), as CKAN: each dict carries the
    user's `capacity`; a sysadmin gets every organization, as admin."""
    check_access("organization_list_for_user", context, data_dict)
    session = context.session
    user = get_user(session, ref_param(data_dict, "id")) if data_dict.get("id") else context.user
    if user is None:
        return []
    wanted = CAPACITIES_WITH.get(str(data_dict.get("permission") or "manage_group"), ("admin",))
    rows = session.execute(
        select(Group, Member.capacity)
        .outerjoin(Member, (Member.group_id == Group.id) & (Member.user_id == user.id))
        .where(Group.is_organization.is_(True), Group.state == "active")
        .order_by(Group.name)
    ).all()
    chosen = [(g, "admin" if user.sysadmin else capacity) for g, capacity in rows
              if user.sysadmin or capacity in wanted]  # fmt: skip
    counts = count_datasets(session, [g.id for g, _ in chosen], True)
    return [
        {**group_dictize(g, package_count=counts.get(g.id, 0)), "capacity": capacity}
        for g, capacity in chosen
    ]


@action(side_effect_free=True)
def group_list(context: Context, data_dict: dict) -> list:
    """Group names, or dicts with all_fields (sort, limit, offset, groups)."""
    check_access("group_list", context, data_dict)
    return _list_groups(context, data_dict, is_organization=False)


@action(side_effect_free=True)
def group_show(context: Context, data_dict: dict) -> dict:
    """One group by id or name (include_datasets, include_users, include_extras)."""
    check_access("group_show", context, data_dict)
    return _show_group(context, data_dict, is_organization=False)


@action(side_effect_free=True)
def tag_list(context: Context, data_dict: dict) -> list:
    """Names of the tags of active public datasets (query: substring; all_fields: dicts)."""
    check_access("tag_list", context, data_dict)
    session = context.session
    stmt = (
        select(Tag)
        .join(PackageTag, PackageTag.tag_id == Tag.id)
        .join(Package, Package.id == PackageTag.package_id)
        .where(PackageTag.state == "active", *_public_datasets())
        .group_by(Tag.id)
        .order_by(Tag.name)
    )
    query = data_dict.get("query") or data_dict.get("q")
    if isinstance(query, str) and query:
        stmt = stmt.where(func.lower(Tag.name).contains(query.lower(), autoescape=True))
    vocabulary = data_dict.get("vocabulary_id")
    stmt = stmt.where(
        Tag.vocabulary_id == vocabulary if vocabulary else Tag.vocabulary_id.is_(None)
    )
    tags = list(session.scalars(stmt))
    if asbool(data_dict.get("all_fields")):
        return [
            {"display_name": t.name, "id": t.id, "name": t.name, "vocabulary_id": t.vocabulary_id}
            for t in tags
        ]
    return [t.name for t in tags]


@action(side_effect_free=True)
def license_list(context: Context, data_dict: dict) -> list[dict]:
    """The licences a dataset may name in license_id."""
    check_access("license_list", context, data_dict)
    return LICENSES


@action(side_effect_free=True)
def help_show(context: Context, data_dict: dict) -> str:
    """The documentation of an action (name)."""
    check_access("help_show", context, data_dict)
    name = ref_param(data_dict, "name")
    if name not in action_names():
        raise NotFound("Action function not found")
    return inspect.getdoc(get_action(name)) or ""


@action(side_effect_free=True)
def user_show(context: Context, data_dict: dict) -> dict:
    """One user by id or name (the user themself or a sysadmin)."""
    check_access("user_show", context, data_dict)
    return user_dictize(get_user(context.session, ref_param(data_dict, "id")))
