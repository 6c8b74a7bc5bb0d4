"""The static site's machine-readable files: data.json (Project Open Data 1.1),
catalog.jsonld (DCAT-AP), feed.atom, sitemap.xml and robots.txt.

Built for cheap rebuilds: `pod_dataset` and `dcat_dataset` turn one CKAN
package dict into a plain dict (a fragment the builder caches per dataset,
keyed by its metadata_modified), and `data_json` / `dcat_catalog` only join
fragments. `encode_fragment` encodes a fragment once; the assemblers take dicts
or those encoded bytes, so a one-dataset rebuild re-encodes one dataset.

catalog.jsonld is written as JSON-LD dicts, not through rdflib (rdflib takes
about 15 s for 10,000 datasets), and says the same RDF as
`kokai.catalog.dcat.catalog_graph` (the live API's /catalog.jsonld) for the
same packages, except on purpose:
- a dataset's dcat:landingPage falls back to its page on this site
  (`dataset/<name>/`) instead of the catalog's `/dataset/<name>`; a package's
  own `url` still wins, as in dcat.py;
- the catalog's foaf:homepage is this site's root;
- there are no Hydra paging triples: the file holds every dataset.
Dataset, distribution, organisation and catalog URIs are the catalog's
(`site.api_url`), so harvesters see the same resources in both documents.
tests/site/test_machine_files.py checks the graphs are isomorphic.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from kokai.catalog import dcat
from kokai.catalog.dcat import (
    EU_LANGUAGE,
    FORMAT_MEDIA_TYPES,
    IANA_MEDIA_TYPES,
    SHA256_HEX,
    eu_language,
    frequency_uri,
    is_http_url,
    spatial_geometry,
    to_wkt,
)
from kokai.site.output import Pieces
from kokai.site.render import SiteInfo
from kokai.vocab.frequency import EU_FREQUENCY
from kokai.vocab.geo import geometry_bbox

POD_SCHEMA = "https://project-open-data.cio.gov/v1.1/schema"
POD_CONTEXT = POD_SCHEMA + "/catalog.jsonld"
POD_DESCRIBED_BY = POD_SCHEMA + "/catalog.json"

# EU frequency code → ISO 8601 repeating duration, as POD's accrualPeriodicity
# expects; "irregular" is POD's own word for no fixed schedule (随時).
POD_PERIODICITY: dict[str, str] = {
    "CONT": "R/PT1S",
    "UPDATE_CONT": "irregular",
    "IRREG": "irregular",
    "DAILY": "R/P1D",
    "WEEKLY": "R/P1W",
    "MONTHLY": "R/P1M",
    "QUARTERLY": "R/P3M",
    "ANNUAL_2": "R/P6M",
    "ANNUAL": "R/P1Y",
    "QUINQUENNIAL": "R/P5Y",
}

# The prefixes dcat.py binds, less Hydra (no paging here).
JSONLD_CONTEXT: dict[str, str] = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "spdx": str(dcat.SPDX),
    "locn": str(dcat.LOCN),
    "gsp": str(dcat.GSP),
    "vcard": str(dcat.VCARD),
}

SITEMAP_LIMIT = 50_000  # URLs per sitemap file (sitemaps.org)
_URL_SAFE = "/#?=&%:.~-_"  # as SiteRenderer.url quotes paths
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/#?=&%:.~_-]*")  # nothing that quote() would change
_CKAN_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?")
# Characters XML 1.0 forbids; a stray one in a description must not break the feed.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def page_url(site: SiteInfo, path: str) -> str:
    """The absolute URL of a site path, quoted as the renderer quotes links."""
    path = path.lstrip("/")
    if not _PLAIN_PATH.fullmatch(path):  # most paths need no quoting: skip the slow call
        path = quote(path, safe=_URL_SAFE)
    return site.absolute(path)


def dataset_page(site: SiteInfo, package: dict[str, Any]) -> str:
    return page_url(site, f"dataset/{package.get('name') or package['id']}/")


def encode_fragment(fragment: dict[str, Any]) -> bytes:
    """A fragment as compact UTF-8 JSON, to cache beside (or instead of) the dict:
    the assemblers take either, and joining cached bytes costs almost nothing."""
    return json.dumps(fragment, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _wrap(
    head: dict[str, Any], key: str, items: Iterable[dict[str, Any] | bytes] | Pieces
) -> bytes | Pieces:
    """`head` as a JSON object with `key`: [items], the items joined as they are
    (items already joined by commas as Pieces (kokai/site/fragments.py) stay pieces)."""
    start = encode_fragment(head)[:-1] + b',"' + key.encode() + b'":['
    if isinstance(items, Pieces):
        return Pieces([start, *items, b"]}"])
    encoded = (item if isinstance(item, bytes) else encode_fragment(item) for item in items)
    return b"".join((start, b",".join(encoded), b"]}"))


# ---------------------------------------------------------------- data.json (POD 1.1)


def pod_dataset(
    package: dict[str, Any], site: SiteInfo, *, fallback_email: str | None = None
) -> dict[str, Any]:
    """One POD 1.1 dataset (the fields a non-federal data.json has: bureauCode and
    programCode are US federal codes, left out). contactPoint: the contact_* extras,
    else maintainer, else author (as dcat.py); without a name, the organisation,
    else the city. hasEmail, which POD requires: their address, else
    `fallback_email`, else a bare "mailto:" (POD's vcard schema accepts it for an
    unknown address), so the entry stays valid."""
    extra = _extras(package)
    page = dataset_page(site, package)
    organization = package.get("organization") or {}
    org_name = _text(organization.get("title") or organization.get("name"))
    publisher: dict[str, Any] = {"@type": "org:Organization", "name": org_name or site.city_name}
    if org_name and site.city_name and org_name != site.city_name:
        publisher["subOrganizationOf"] = {"@type": "org:Organization", "name": site.city_name}
    contact: dict[str, Any] = {
        "@type": "vcard:Contact",
        "fn": _text(extra("contact_name") or package.get("maintainer") or package.get("author"))
        or org_name
        or site.city_name,
    }
    email = _text(
        extra("contact_email")
        or package.get("maintainer_email")
        or package.get("author_email")
        or fallback_email
    )
    contact["hasEmail"] = email if email.startswith("mailto:") else f"mailto:{email}"
    keywords = [name for name in (_tag_name(t) for t in package.get("tags") or []) if name]
    entry: dict[str, Any] = {
        "@type": "dcat:Dataset",
        "title": _text(package.get("title") or package.get("name")),
        # POD requires a description; a dataset without one gets its title.
        "description": _text(package.get("notes"))
        or _text(package.get("title") or package.get("name")),
        # POD requires at least one keyword; the city's name is always true.
        "keyword": keywords or [site.city_name or site.title],
        "modified": _utc(package.get("metadata_modified")) or site.today.isoformat(),
        "publisher": publisher,
        "contactPoint": contact,
        "identifier": page,
        "accessLevel": "public",
        "landingPage": page,
        "language": ["ja"],
    }
    issued = _utc(package.get("metadata_created"))
    if issued:
        entry["issued"] = issued
    if is_http_url(package.get("license_url")):
        entry["license"] = package["license_url"]
    spatial = _pod_spatial(extra("spatial"))
    if spatial:
        entry["spatial"] = spatial
    start, end = extra("temporal_start"), extra("temporal_end")
    if start and end:
        entry["temporal"] = f"{start}/{end}"
    frequency = frequency_uri(extra("frequency") or extra("update_frequency"))
    periodicity = (
        POD_PERIODICITY.get(str(frequency).removeprefix(EU_FREQUENCY)) if frequency else None
    )
    if periodicity:
        entry["accrualPeriodicity"] = periodicity
    distributions = [_pod_distribution(r) for r in package.get("resources") or []]
    distributions = [d for d in distributions if d]
    if distributions:
        entry["distribution"] = distributions
    return entry


def _pod_spatial(value: Any) -> str | None:
    """POD's bounding box text: "min lon,min lat,max lon,max lat"."""
    if isinstance(value, str):
        return _pod_spatial_text(value)
    return _bbox_text(_spatial_geometry(value)[0])


@lru_cache(maxsize=256)
def _pod_spatial_text(value: str) -> str | None:
    return _bbox_text(_spatial_geometry(value)[0])


def _bbox_text(geometry: dict[str, Any] | None) -> str | None:
    bbox = geometry_bbox(geometry)
    return ",".join(_number(v) for v in bbox) if bbox else None


def _pod_distribution(resource: dict[str, Any]) -> dict[str, Any] | None:
    url = resource.get("url")
    if not is_http_url(url):
        return None
    fmt = _text(resource.get("format"))
    media_type = resource.get("mimetype") or FORMAT_MEDIA_TYPES.get(fmt.upper())
    distribution: dict[str, Any] = {"@type": "dcat:Distribution"}
    if media_type and not str(media_type).startswith("http"):
        distribution["downloadURL"] = url
        distribution["mediaType"] = media_type
    else:  # POD requires a mediaType beside a downloadURL; accessURL needs none
        distribution["accessURL"] = url
    if fmt:
        distribution["format"] = fmt
    if _text(resource.get("name")):
        distribution["title"] = _text(resource.get("name"))
    if _text(resource.get("description")):
        distribution["description"] = _text(resource.get("description"))
    return distribution


def data_json(entries: Sequence[dict[str, Any] | bytes] | Pieces, site: SiteInfo) -> bytes | Pieces:
    """The POD 1.1 catalog of `pod_dataset` fragments (dicts or `encode_fragment`
    bytes, or those bytes already joined as Pieces)."""
    head = {
        "@context": POD_CONTEXT,
        "@id": page_url(site, "data.json"),
        "@type": "dcat:Catalog",
        "conformsTo": POD_SCHEMA,
        "describedBy": POD_DESCRIBED_BY,
    }
    return _wrap(head, "dataset", entries)


# ---------------------------------------------------------------- catalog.jsonld (DCAT-AP)


def dcat_dataset(package: dict[str, Any], site: SiteInfo, language: str = "ja") -> dict[str, Any]:
    """One dcat:Dataset node with everything it links to nested in it: the same
    triples as `dcat.add_dataset(graph, package, site.api_url)`, but for the
    landing page (see the module docstring)."""
    extra = _extras(package)
    api = site.api_url.rstrip("/")
    ref = str(dcat.dataset_uri(api, package))
    node: dict[str, Any] = {"@id": ref, "@type": "dcat:Dataset"}
    _put_text(node, "dct:title", package.get("title") or package.get("name"), language)
    _put_text(node, "dct:description", package.get("notes"), language)
    for tag in package.get("tags") or []:
        _put_text(node, "dcat:keyword", _tag_name(tag), language)
    identifier = extra("identifier") or extra("guid") or package.get("id")
    if identifier:
        node["dct:identifier"] = str(identifier)
    if package.get("version"):
        node["owl:versionInfo"] = str(package["version"])
    _put_datetime(node, "dct:issued", extra("issued") or package.get("metadata_created"))
    _put_datetime(node, "dct:modified", extra("modified") or package.get("metadata_modified"))
    landing = package.get("url") or dataset_page(site, package)
    if is_http_url(landing):
        _put(node, "dcat:landingPage", {"@id": landing, "@type": "foaf:Document"}
             if landing != ref else {"@id": landing})  # fmt: skip
    node["dct:language"] = {"@id": EU_LANGUAGE + eu_language(language)}

    organization = package.get("organization")
    if organization:
        publisher: dict[str, Any] = {
            "@id": f"{api}/organization/{organization['id']}",
            "@type": "foaf:Agent",
        }
        _put_text(
            publisher, "foaf:name", organization.get("title") or organization.get("name"), language
        )
        node["dct:publisher"] = publisher

    license_url = package.get("license_url")
    license_ref = license_url if is_http_url(license_url) else None
    if license_ref:
        license_node: dict[str, Any] = {"@id": license_ref, "@type": "dct:LicenseDocument"}
        if package.get("license_title"):
            license_node["dct:title"] = str(package["license_title"])
        if package.get("license_id"):
            license_node["dct:identifier"] = str(package["license_id"])
        node["dct:license"] = license_node

    frequency = frequency_uri(extra("frequency") or extra("update_frequency"))
    if frequency is not None:
        node["dct:accrualPeriodicity"] = {"@id": str(frequency), "@type": "dct:Frequency"}

    location = _location(extra("spatial"))
    if location:
        node["dct:spatial"] = location
    period: dict[str, Any] = {}
    _put_datetime(period, "dcat:startDate", extra("temporal_start"))
    _put_datetime(period, "dcat:endDate", extra("temporal_end"))
    if period:
        node["dct:temporal"] = {"@type": "dct:PeriodOfTime", **period}
    contact = _contact_point(package, extra, language)
    if contact:
        node["dcat:contactPoint"] = contact
    distributions = [
        _dcat_distribution(api, package, resource, license_ref, language)
        for resource in package.get("resources") or []
    ]
    if distributions:
        node["dcat:distribution"] = distributions
    return node


def _dcat_distribution(
    api: str,
    package: dict[str, Any],
    resource: dict[str, Any],
    dataset_license: str | None,
    language: str,
) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@id": str(dcat.resource_uri(api, package, resource)),
        "@type": "dcat:Distribution",
    }
    _put_text(node, "dct:title", resource.get("name"), language)
    _put_text(node, "dct:description", resource.get("description"), language)
    url = resource.get("url")
    access_url = resource.get("access_url") or url
    if is_http_url(access_url):
        node["dcat:accessURL"] = {"@id": access_url}
    download_url = resource.get("download_url") or (
        url if resource.get("url_type") == "upload" else None
    )
    if is_http_url(download_url):
        node["dcat:downloadURL"] = {"@id": download_url}
    fmt = (resource.get("format") or "").strip()
    if fmt:
        node["dct:format"] = fmt
    media_type = resource.get("mimetype") or FORMAT_MEDIA_TYPES.get(fmt.upper())
    if media_type:
        node["dcat:mediaType"] = {
            "@id": media_type if media_type.startswith("http") else IANA_MEDIA_TYPES + media_type,
            "@type": "dct:MediaType",
        }
    size = resource.get("size")
    if isinstance(size, int | str) and str(size).isdigit():
        node["dcat:byteSize"] = {"@value": str(int(size)), "@type": "xsd:nonNegativeInteger"}
    match = SHA256_HEX.match(str(resource.get("hash") or ""))
    if match:
        node["spdx:checksum"] = {
            "@type": "spdx:Checksum",
            "spdx:algorithm": {"@id": str(dcat.SHA256)},
            "spdx:checksumValue": {"@value": match.group(1).lower(), "@type": "xsd:hexBinary"},
        }
    license_value = resource.get("license")
    resource_license = license_value if is_http_url(license_value) else dataset_license
    if resource_license:
        node["dct:license"] = {"@id": resource_license}
    _put_datetime(node, "dct:issued", resource.get("created"))
    _put_datetime(
        node, "dct:modified", resource.get("last_modified") or resource.get("metadata_modified")
    )
    return node


def _location(value: Any) -> dict[str, Any] | None:
    """The dct:Location of the spatial extra, as dcat._add_spatial writes it."""
    geometry, is_bbox = _spatial_geometry(value)
    if geometry is None:
        return None
    geojson = json.dumps(geometry, separators=(",", ":"))
    geometries: list[dict[str, str]] = [{"@value": geojson, "@type": str(dcat.GEOJSON_DATATYPE)}]
    location: dict[str, Any] = {"@type": "dct:Location", "locn:geometry": geometries}
    wkt = _wkt_of(geojson)
    if wkt:
        geometries.append({"@value": wkt, "@type": "gsp:wktLiteral"})
        if is_bbox:
            location["dcat:bbox"] = {"@value": wkt, "@type": "gsp:wktLiteral"}
    return location


@lru_cache(maxsize=256)
def _wkt_of(geojson: str) -> str | None:
    """WKT through shapely, once per geometry: most of a city's datasets share one extent."""
    return to_wkt(json.loads(geojson))


def _spatial_geometry(value: Any) -> tuple[dict[str, Any] | None, bool]:
    """The spatial extra (GeoJSON geometry, or a bbox as JSON list or text) → (geometry,
    whether it was a bbox); the same reading as dcat._add_spatial. Text is read once
    per distinct value (most of a city's datasets share one extent); the geometry
    returned is shared, so it is never modified."""
    if isinstance(value, str):
        return _read_spatial_text(value)
    return spatial_geometry(value)


@lru_cache(maxsize=256)
def _read_spatial_text(value: str) -> tuple[dict[str, Any] | None, bool]:
    return spatial_geometry(value)


def _contact_point(
    package: dict[str, Any], extra: Callable[[str], Any], language: str
) -> dict[str, Any] | None:
    name = extra("contact_name") or package.get("maintainer") or package.get("author")
    email = extra("contact_email") or package.get("maintainer_email") or package.get("author_email")
    if not name and not email:
        return None
    contact: dict[str, Any] = {"@type": "vcard:Organization"}
    uri = extra("contact_uri")
    if is_http_url(uri):
        contact["@id"] = uri
    _put_text(contact, "vcard:fn", name, language)
    if email:
        address = str(email).strip()
        contact["vcard:hasEmail"] = {
            "@id": address if address.startswith("mailto:") else f"mailto:{address}"
        }
    return contact


def dcat_catalog(
    nodes: Sequence[dict[str, Any] | bytes] | Pieces,
    site: SiteInfo,
    *,
    description: str = "",
    modified: str | None = None,
    language: str = "ja",
) -> bytes | Pieces:
    """The dcat:Catalog (URI: the catalog's root, as the API's) with the `dcat_dataset`
    nodes (dicts or `encode_fragment` bytes) nested under dcat:dataset. `modified`:
    the newest package's metadata_modified, as the API writes it."""
    api = site.api_url.rstrip("/")
    catalog: dict[str, Any] = {
        "@context": JSONLD_CONTEXT,
        "@id": api + "/",
        "@type": "dcat:Catalog",
    }
    _put_text(catalog, "dct:title", site.title, language)
    _put_text(catalog, "dct:description", description, language)
    catalog["foaf:homepage"] = {"@id": page_url(site, "")}
    catalog["dct:language"] = {"@id": EU_LANGUAGE + eu_language(language)}
    if site.city_name:
        publisher: dict[str, Any] = {"@id": api + "/#publisher", "@type": "foaf:Agent"}
        _put_text(publisher, "foaf:name", site.city_name, language)
        catalog["dct:publisher"] = publisher
    _put_datetime(catalog, "dct:modified", modified)
    return _wrap(catalog, "dcat:dataset", nodes)


def _put(node: dict[str, Any], key: str, value: Any) -> None:
    """Add a value; a second value for the same key makes a list."""
    if key not in node:
        node[key] = value
    elif isinstance(node[key], list):
        node[key].append(value)
    else:
        node[key] = [node[key], value]


def _put_text(node: dict[str, Any], key: str, value: Any, language: str) -> None:
    text = _text(value)
    if text:
        _put(node, key, {"@value": text, "@language": language})


def _put_datetime(node: dict[str, Any], key: str, value: Any) -> None:
    """As dcat._add_datetime: a bare date → xsd:date, else the ISO text → xsd:dateTime."""
    if not value:
        return
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        node[key] = {"@value": text, "@type": "xsd:date"}
        return
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return
    node[key] = {"@value": parsed.isoformat(), "@type": "xsd:dateTime"}


# ---------------------------------------------------------------- Atom (RFC 4287)


def atom_feed(
    packages_newest_first: Sequence[dict[str, Any]], site: SiteInfo, limit: int = 50
) -> bytes:
    """The site's updates: one entry per dataset, the most recently modified first.
    An entry's id is the dataset's id (urn:uuid), so a renamed dataset stays one entry
    and a modified one shows as updated."""
    packages = list(packages_newest_first[:limit])
    newest = packages[0].get("metadata_modified") if packages else None
    return atom_document([atom_entry(p, site) for p in packages], newest, site)


def atom_document(entries: Sequence[str], newest_modified: str | None, site: SiteInfo) -> bytes:
    """The Atom feed around entries already made (atom_entry, cached per dataset)."""
    updated = _utc(newest_modified) or f"{site.today.isoformat()}T00:00:00Z"
    feed_url = page_url(site, "feed.atom")
    head = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ja">',
        f"<id>{_xml(feed_url)}</id>",
        f"<title>{_xml(site.title + ' 更新情報')}</title>",
        f"<updated>{updated}</updated>",
        f'<link rel="self" type="application/atom+xml" href={_attr(feed_url)}/>',
        f'<link rel="alternate" type="text/html" href={_attr(page_url(site, ""))}/>',
        f"<author><name>{_xml(site.city_name or site.title)}</name></author>",
        "<generator>kokai</generator>",
    ]
    return "\n".join([*head, *entries, "</feed>", ""]).encode("utf-8")


def atom_entry(package: dict[str, Any], site: SiteInfo) -> str:
    page = dataset_page(site, package)
    modified = _utc(package.get("metadata_modified")) or f"{site.today.isoformat()}T00:00:00Z"
    published = _utc(package.get("metadata_created"))
    organization = package.get("organization") or {}
    author = _text(organization.get("title") or organization.get("name")) or site.city_name
    lines = [
        "<entry>",
        f"<id>urn:uuid:{_xml(str(package['id']))}</id>",
        f"<title>{_xml(_text(package.get('title') or package.get('name')))}</title>",
        f'<link rel="alternate" type="text/html" href={_attr(page)}/>',
        f"<updated>{modified}</updated>",
    ]
    if published:
        lines.append(f"<published>{published}</published>")
    if author:
        lines.append(f"<author><name>{_xml(author)}</name></author>")
    for tag in package.get("tags") or []:
        name = _tag_name(tag)
        if name:
            lines.append(f"<category term={_attr(name)}/>")
    summary = _text(package.get("notes"))
    if summary:
        if len(summary) > 300:
            summary = summary[:299] + "…"
        lines.append(f'<summary type="text">{_xml(summary)}</summary>')
    lines.append("</entry>")
    return "\n".join(lines)


# ---------------------------------------------------------------- sitemap, robots


def sitemap(
    urls: Sequence[tuple[str, str | None]], site: SiteInfo, limit: int = SITEMAP_LIMIT
) -> dict[str, bytes]:
    """`{"sitemap.xml": …}` for (site path, lastmod) pairs; past `limit` URLs,
    sitemap.xml is an index of sitemap-1.xml, sitemap-2.xml, … of `limit` URLs each."""
    if len(urls) <= limit:
        return {"sitemap.xml": _urlset(urls, site)}
    files: dict[str, bytes] = {}
    for number, start in enumerate(range(0, len(urls), limit), start=1):
        files[f"sitemap-{number}.xml"] = _urlset(urls[start : start + limit], site)
    index = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
        *(f"<sitemap><loc>{_xml(page_url(site, name))}</loc></sitemap>" for name in files),
        "</sitemapindex>",
        "",
    ]
    return {"sitemap.xml": "\n".join(index).encode("utf-8"), **files}


def _urlset(urls: Sequence[tuple[str, str | None]], site: SiteInfo) -> bytes:
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for path, lastmod in urls:
        when = _w3c_datetime(lastmod)
        lastmod_xml = f"<lastmod>{when}</lastmod>" if when else ""
        lines.append(f"<url><loc>{_xml(page_url(site, path))}</loc>{lastmod_xml}</url>")
    lines += ["</urlset>", ""]
    return "\n".join(lines).encode("utf-8")


def robots_txt(site: SiteInfo) -> bytes:
    """Everything may be crawled. Crawlers read robots.txt only at a host's root:
    under a sub-path, the host's own robots.txt must name this sitemap."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {page_url(site, 'sitemap.xml')}\n".encode()


# ---------------------------------------------------------------- helpers


def _extras(package: dict[str, Any]) -> Callable[[str], Any]:
    """dcat._extra for one package, its extras read once: the first extra of that
    key, else the package's own field of that name."""
    found: dict[str, Any] = {}
    for item in package.get("extras") or []:
        if isinstance(item, dict) and "key" in item:
            found.setdefault(item["key"], item.get("value"))
    return lambda key: found[key] if key in found else package.get(key)


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _tag_name(tag: Any) -> str:
    return _text(tag.get("name") if isinstance(tag, dict) else tag)


def _parse_utc(value: Any) -> datetime | None:
    """CKAN's naive ISO timestamps are UTC."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _utc(value: Any) -> str | None:
    """RFC 3339 / ISO 8601 in UTC, to the second: 2026-11-27T16:32:30Z."""
    parsed = _parse_utc(value)
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ") if parsed else None


def _w3c_datetime(value: str | None) -> str | None:
    """A sitemap lastmod: a bare date as is, a timestamp in UTC; None when unreadable."""
    if value and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return value.strip()
    if value and _CKAN_TIMESTAMP.fullmatch(value):  # naive UTC, the usual case: no parsing
        return value[:19] + "+00:00"
    parsed = _parse_utc(value)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S+00:00") if parsed else None


def _number(value: float) -> str:
    return f"{value:.7f}".rstrip("0").rstrip(".")


def _xml(text: str) -> str:
    return escape(_XML_INVALID.sub("", text))


def _attr(text: str) -> str:
    return quoteattr(_XML_INVALID.sub("", text))
