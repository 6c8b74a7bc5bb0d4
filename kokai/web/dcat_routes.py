"""DCAT endpoints, as ckanext-dcat serves them (reference/ckan-api.md §9).

- ``/catalog.{jsonld,ttl,rdf,xml,n3}``: the catalog, 100 datasets per page
  (``?page=``, Hydra paging), newest first, ``?modified_since=<ISO date>``, and
  ``q`` / ``fq`` passed to package_search as ckanext-dcat does.
- ``/dataset/{id}.{jsonld,ttl,rdf,xml,n3}``: one dataset.

The package dicts come from the CKAN actions (``package_search`` /
``package_show``) called anonymously, so private datasets never appear.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response

from kokai.catalog import dcat
from kokai.catalog.actions import (
    ActionError,
    NotAuthorized,
    NotFound,
    SearchQueryError,
    get_action,
)
from kokai.catalog.context import Context

router = APIRouter(tags=["dcat"])
SUFFIX = Path(
    description="jsonld (application/ld+json), ttl (text/turtle), rdf / xml (application/rdf+xml), n3",
    json_schema_extra={"enum": sorted(dcat.FORMATS)},
)

PAGE_SIZE = 100
_PAGE = re.compile(r"[0-9]{1,9}")  # ASCII digits only: str.isdigit() takes "²"


@router.get(
    "/catalog.{suffix}",
    summary="DCAT-AP 3 catalog (jsonld, ttl, rdf, xml, n3), 100 datasets per page",
    operation_id="dcat_catalog",
    response_model=None,
)
def catalog(
    request: Request,
    suffix: str = SUFFIX,
    page: str = "1",
    modified_since: str | None = None,
    q: str | None = None,
    fq: str | None = None,
) -> Response:
    if suffix not in dcat.FORMATS:
        return _error(request, 404, "Not Found Error", "Not found")
    if not _PAGE.fullmatch(page) or int(page) < 1:
        return _error(
            request,
            409,
            "Validation Error",
            "page は 1 以上の整数です / page must be a positive integer",
            field="page",
        )
    page_number = int(page)
    query: list[tuple[str, str]] = []
    filters: list[str] = []
    if q:
        query.append(("q", q))
    if fq:
        filters.append(fq)
        query.append(("fq", fq))
    if modified_since:
        since = _parse_since(modified_since)
        if since is None:
            return _error(
                request,
                409,
                "Validation Error",
                "modified_since は ISO 8601 の日時です (例 2026-01-01T00:00:00) / "
                "modified_since must be an ISO 8601 date or datetime",
                field="modified_since",
            )
        filters.append(f"metadata_modified:[{since} TO *]")
        query.append(("modified_since", modified_since))

    config = request.app.state.config
    site_url = config.site_url.rstrip("/")
    with request.app.state.catalog.session() as session:
        context = _context(request, session)
        search = get_action("package_search")
        try:
            result = search(
                context,
                {
                    "q": q or "*:*",
                    "fq_list": filters,
                    "rows": PAGE_SIZE,
                    "start": (page_number - 1) * PAGE_SIZE,
                    "sort": "metadata_modified desc",
                    "include_private": False,
                },
            )
        except SearchQueryError as exc:
            return _error(request, 400, "Search Query Error", exc.message)
        newest = search(
            _context(request, session),
            {"q": "*:*", "rows": 1, "sort": "metadata_modified desc", "include_private": False},
        )
        status = _status(request, session)
    packages = [p for p in result["results"] if not p.get("private")]
    modified = newest["results"][0]["metadata_modified"] if newest["results"] else None
    info = dcat.CatalogInfo(
        site_url=site_url,
        title=status.get("site_title") or _default_title(config),
        description=status.get("site_description") or "",
        publisher_name=getattr(config, "city_name", "") or "",
    )
    paging = dcat.Paging(
        total=int(result["count"]),
        page=page_number,
        per_page=PAGE_SIZE,
        base_url=f"{site_url}/catalog.{suffix}",
        query=tuple(query),
    )
    graph = dcat.catalog_graph(info, packages, paging=paging, modified=modified)
    body, media_type = dcat.serialize(graph, suffix)
    return Response(body, media_type=media_type)


@router.get(
    "/dataset/{dataset_id}.{suffix}",
    summary="One dataset as DCAT-AP 3 (jsonld, ttl, rdf, xml, n3)",
    operation_id="dcat_dataset",
    response_model=None,
)
def dataset(request: Request, dataset_id: str, suffix: str = SUFFIX) -> Response:
    if suffix not in dcat.FORMATS:
        return _error(request, 404, "Not Found Error", "Not found")
    config = request.app.state.config
    with request.app.state.catalog.session() as session:
        try:
            package = get_action("package_show")(_context(request, session), {"id": dataset_id})
        except (NotFound, NotAuthorized):
            package = None
        except ActionError:
            package = None
    # Anonymous context: a private dataset is NotAuthorized above; checked again here.
    if package is None or package.get("private") or package.get("state") != "active":
        return _error(request, 404, "Not Found Error", "Not found: Dataset not found")
    graph = dcat.dataset_graph(package, config.site_url)
    body, media_type = dcat.serialize(graph, suffix)
    return Response(body, media_type=media_type)


def _context(request: Request, session) -> Context:
    """Always anonymous: the DCAT feeds are public documents for harvesters."""
    return request.app.state.catalog.context(session, user=None)


def _status(request: Request, session) -> dict[str, Any]:
    try:
        return get_action("status_show")(_context(request, session), {}) or {}
    except (KeyError, ActionError):
        return {}


def _default_title(config) -> str:
    city = getattr(config, "city_name", "") or ""
    return f"{city} オープンデータカタログ".strip()


def _parse_since(value: str) -> str | None:
    """An ISO date or datetime → the Solr-style UTC timestamp package_search takes."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if parsed.tzinfo is not None:  # 0001-01-01+01:00 is before year 1 in UTC
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        return None
    # isoformat, not strftime("%Y"), which writes year 1 as "1" (not "0001")
    return parsed.replace(microsecond=0).isoformat() + "Z"


def _error(
    request: Request, status: int, error_type: str, message: str, field: str | None = None
) -> JSONResponse:
    site = request.app.state.config.site_url.rstrip("/")
    error: dict[str, Any] = {"__type": error_type}
    if field is not None:
        error[field] = [message]
    else:
        error["message"] = message
    return JSONResponse(
        status_code=status,
        content={
            "help": f"{site}/api/3/action/help_show?name=package_search",
            "success": False,
            "error": error,
        },
    )
