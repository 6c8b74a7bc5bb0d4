"""A dataset's page: metadata, licence and attribution text, resources with
counted download links, the first rows, a map of its points, validation,
quality, downloads, 活用事例, and schema.org JSON-LD for dataset search."""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from kokai.catalog.dcat import spatial_geometry
from kokai.catalog.dictize import extras_of
from kokai.site.catalog_reader import CatalogReader
from kokai.site.output import Files
from kokai.site.preview import READ_LIMIT, TABLE_FORMATS, TablePreview, table_preview
from kokai.site.render import SiteInfo, SiteRenderer
from kokai.site.summary import is_overdue, json_extra, quality_of, update_due
from kokai.vocab.geo import geometry_bbox

# Licences whose terms ask for no attribution (the text is still offered).
NO_ATTRIBUTION = {"cc-zero", "CC0-1.0", "odc-pddl"}


def dataset_files(
    renderer: SiteRenderer,
    package: dict,
    *,
    reader: CatalogReader,
    downloads: int,
    reuses: list[dict],
    gtfs_summary: dict | None,
    gtfs_problem: str | None = None,
) -> Files:
    site = renderer.site
    name = package["name"]
    folder = f"dataset/{name}/"
    preview, preview_resource = _first_preview(package, reader)
    files: Files = {}
    points_path = None
    if preview is not None and preview.points:
        points_path = folder + "points.geojson"
        files[points_path] = json.dumps(preview.geojson, ensure_ascii=False).encode("utf-8")
    extras = extras_of(package)
    quality = quality_of(package)
    due = update_due(quality)
    page_url = site.absolute(folder)
    files[folder + "index.html"] = renderer.page(
        "dataset.html",
        package=package,
        extras=extras,
        quality=quality,
        validation=json_extra(package, "kokai_validation"),
        due=due,
        overdue=is_overdue(due, site.today.isoformat()),
        page_url=page_url,
        attribution=attribution_text(site, package, page_url),
        attribution_required=package.get("license_id") not in NO_ATTRIBUTION,
        preview=preview,
        preview_resource=preview_resource,
        points_path=points_path,
        downloads=downloads,
        reuses=reuses,
        gtfs=gtfs_summary,
        gtfs_problem=gtfs_problem,
        json_ld=Markup(_script_json(schema_org_dataset(site, package, page_url))),
        breadcrumbs=[("データセット", "datasets/"), (package.get("title") or name, folder)],
    )
    return files


def _first_preview(package: dict, reader: CatalogReader) -> tuple[TablePreview | None, dict | None]:
    for resource in package.get("resources") or []:
        if (resource.get("format") or "").upper() not in TABLE_FORMATS:
            continue
        data = reader.read_file(resource, READ_LIMIT)
        if data is None:
            continue
        delimiter = "\t" if resource["format"].upper() == "TSV" else ","
        preview = table_preview(data, complete=len(data) < READ_LIMIT, delimiter=delimiter)
        if preview is not None:
            return preview, resource
    return None, None


def attribution_text(site: SiteInfo, package: dict, page_url: str) -> str:
    """The credit line CC BY and 公共データ利用規約 ask users to show."""
    organization = (package.get("organization") or {}).get("title") or site.city_name
    licence = package.get("license_title") or package.get("license_id") or ""
    title = package.get("title") or package["name"]
    return f"出典：{organization}「{title}」（{licence}）{page_url}"


def schema_org_dataset(site: SiteInfo, package: dict, page_url: str) -> dict:
    """schema.org Dataset, the form Google Dataset Search reads."""
    organization = package.get("organization") or {}
    extras = extras_of(package)
    data: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": package.get("title") or package["name"],
        "description": package.get("notes") or package.get("title") or package["name"],
        "url": page_url,
        "identifier": page_url,
        "keywords": [t["name"] for t in package.get("tags") or []],
        "isAccessibleForFree": True,
        "inLanguage": "ja",
        "dateModified": package.get("metadata_modified"),
        "datePublished": package.get("metadata_created"),
        "creator": {
            "@type": "Organization",
            "name": organization.get("title") or site.city_name,
            "url": site.absolute(f"organization/{organization.get('name', '')}/")
            if organization.get("name")
            else site.base_url + "/",
        },
        "includedInDataCatalog": {
            "@type": "DataCatalog",
            "name": site.title,
            "url": site.base_url + "/",
        },
        "distribution": [
            {
                "@type": "DataDownload",
                "name": r.get("name") or r.get("format") or "",
                "encodingFormat": r.get("mimetype") or r.get("format") or "",
                "contentUrl": r.get("url"),
            }
            for r in package.get("resources") or []
            if r.get("url")
        ],
    }
    if package.get("license_url"):
        data["license"] = package["license_url"]
    start, end = extras.get("temporal_start"), extras.get("temporal_end")
    if start or end:
        data["temporalCoverage"] = f"{start or '..'}/{end or '..'}"
    bbox = geometry_bbox(spatial_geometry(extras.get("spatial"))[0])
    if bbox:
        west, south, east, north = bbox
        data["spatialCoverage"] = {
            "@type": "Place",
            "geo": {"@type": "GeoShape", "box": f"{south} {west} {north} {east}"},
        }
    return data


def _script_json(data: dict) -> str:
    """JSON safe inside a <script> element (no "</script>" can close it early)."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
