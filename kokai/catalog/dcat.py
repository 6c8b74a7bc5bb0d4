"""CKAN package dicts → DCAT-AP 3 RDF graphs (rdflib), as ckanext-dcat maps CKAN fields.

Pure: no database, no HTTP. ``dcat_routes`` feeds it the package dicts that
the CKAN actions return, so the RDF always says what the API says.

Mapping (ckanext-dcat ``euro_dcat_ap_3`` profile, see reference/ckan-api.md §9):
title→dct:title, notes→dct:description, tags→dcat:keyword, url→dcat:landingPage
(else the catalog's own page), version→owl:versionInfo, identifier/guid/id→
dct:identifier, metadata_created→dct:issued, metadata_modified→dct:modified,
organization→dct:publisher (foaf:Agent), license→dct:license, extras spatial
(GeoJSON or bbox)→dct:spatial (dct:Location with locn:geometry / dcat:bbox),
extras frequency/update_frequency→dct:accrualPeriodicity (EU frequency
vocabulary), extras temporal_start/end→dct:temporal, contact_* extras or
maintainer/author→dcat:contactPoint (vCard). Resource→dcat:Distribution: name→dct:title, url→dcat:accessURL
(and dcat:downloadURL for uploads), format→dct:format, mimetype→dcat:mediaType
(IANA IRI), size→dcat:byteSize (xsd:nonNegativeInteger), hash→spdx:checksum
(sha256). Dataset URI ``<site_url>/dataset/<id>``; distribution URI
``<site_url>/dataset/<id>/resource/<resource id>``. Text literals carry a
language tag (``@ja`` by default).

Over 500 lines on purpose: it is one coherent thing, this one mapping, read
top to bottom next to ckanext-dcat's mapping table.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, XSD

from kokai.vocab.frequency import EU_FREQUENCY, UPDATE_FREQUENCIES

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU_LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
IANA_MEDIA_TYPES = "http://www.iana.org/assignments/media-types/"
GEOJSON_DATATYPE = URIRef(IANA_MEDIA_TYPES + "application/vnd.geo+json")
SHA256 = SPDX.checksumAlgorithm_sha256

# rdflib serialiser name and media type per URL suffix (ckanext-dcat's suffixes).
FORMATS: dict[str, tuple[str, str]] = {
    "jsonld": ("json-ld", "application/ld+json"),
    "ttl": ("turtle", "text/turtle"),
    "rdf": ("xml", "application/rdf+xml"),
    "xml": ("xml", "application/rdf+xml"),
    "n3": ("n3", "text/n3"),
}

# Update frequency words seen in Japanese catalogs and in English, → EU frequency code
# (kokai's own seven words come from kokai/vocab/frequency.py, added below).
_FREQUENCY_CODES: dict[str, str] = {
    "continuous": "CONT",
    "realtime": "CONT",
    "real-time": "CONT",
    "リアルタイム": "CONT",
    "daily": "DAILY",
    "日次": "DAILY",
    "日毎": "DAILY",
    "weekly": "WEEKLY",
    "週次": "WEEKLY",
    "週1回": "WEEKLY",
    "monthly": "MONTHLY",
    "月次": "MONTHLY",
    "月1回": "MONTHLY",
    "quarterly": "QUARTERLY",
    "四半期毎": "QUARTERLY",
    "四半期ごと": "QUARTERLY",
    "semiannual": "ANNUAL_2",
    "半期": "ANNUAL_2",
    "年2回": "ANNUAL_2",
    "annual": "ANNUAL",
    "annually": "ANNUAL",
    "yearly": "ANNUAL",
    "年次": "ANNUAL",
    "年1回": "ANNUAL",
    "1年": "ANNUAL",
    "年度毎": "ANNUAL",
    "年度ごと": "ANNUAL",
    "irregular": "IRREG",
    "不定期": "IRREG",
    "never": "NEVER",
    "更新なし": "NEVER",
    "なし": "NEVER",
    "5年": "QUINQUENNIAL",
    "5年毎": "QUINQUENNIAL",
    "5年ごと": "QUINQUENNIAL",
    **{f.word: f.eu_code for f in UPDATE_FREQUENCIES},
}

# Common CKAN formats → IANA media type, used when a resource has no mimetype.
FORMAT_MEDIA_TYPES: dict[str, str] = {
    "CSV": "text/csv",
    "TSV": "text/tab-separated-values",
    "JSON": "application/json",
    "GEOJSON": "application/geo+json",
    "XML": "application/xml",
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "XLS": "application/vnd.ms-excel",
    "PDF": "application/pdf",
    "ZIP": "application/zip",
    "GTFS": "application/zip",
    "GTFS-JP": "application/zip",
    "TXT": "text/plain",
    "HTML": "text/html",
    "RDF": "application/rdf+xml",
    "TTL": "text/turtle",
    "JSON-LD": "application/ld+json",
    "KML": "application/vnd.google-earth.kml+xml",
    "SHP": "application/zip",
}

SHA256_HEX = re.compile(r"^(?:sha256:)?([0-9a-fA-F]{64})$")


@dataclass(frozen=True)
class CatalogInfo:
    """What the catalog says about itself (site title, URL, description, publisher)."""

    site_url: str
    title: str
    description: str = ""
    publisher_name: str = ""
    language: str = "ja"


@dataclass(frozen=True)
class Paging:
    """One page of the catalog, for the Hydra ``PagedCollection`` links."""

    total: int
    page: int
    per_page: int
    base_url: str  # e.g. http://host/catalog.ttl
    query: tuple[tuple[str, str], ...] = ()  # other query parameters to keep (modified_since)

    @property
    def last_page(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    def url(self, page: int) -> str:
        return f"{self.base_url}?{urlencode([*self.query, ('page', str(page))])}"


def dataset_uri(site_url: str, package: dict[str, Any]) -> URIRef:
    """``uri`` field or extra, else ``<site_url>/dataset/<id>`` (ckanext-dcat's rule)."""
    uri = package.get("uri") or _extra(package, "uri")
    if uri:
        return URIRef(str(uri))
    return URIRef(f"{site_url.rstrip('/')}/dataset/{package['id']}")


def resource_uri(site_url: str, package: dict[str, Any], resource: dict[str, Any]) -> URIRef:
    if resource.get("uri"):
        return URIRef(str(resource["uri"]))
    return URIRef(f"{site_url.rstrip('/')}/dataset/{package['id']}/resource/{resource['id']}")


def new_graph() -> Graph:
    # Only the prefixes used, so the JSON-LD @context stays short.
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in (
        ("rdf", RDF),
        ("dcat", DCAT),
        ("dct", DCTERMS),
        ("foaf", FOAF),
        ("owl", OWL),
        ("xsd", XSD),
        ("hydra", HYDRA),
        ("spdx", SPDX),
        ("locn", LOCN),
        ("gsp", GSP),
        ("dcatap", DCATAP),
        ("vcard", VCARD),
    ):
        graph.bind(prefix, namespace, override=True)
    return graph


def dataset_graph(package: dict[str, Any], site_url: str, language: str = "ja") -> Graph:
    graph = new_graph()
    add_dataset(graph, package, site_url, language)
    return graph


def catalog_graph(
    catalog: CatalogInfo,
    packages: Iterable[dict[str, Any]],
    paging: Paging | None = None,
    modified: str | None = None,
) -> Graph:
    """The ``dcat:Catalog`` with one ``dcat:Dataset`` per package, and Hydra paging."""
    graph = new_graph()
    site = catalog.site_url.rstrip("/")
    catalog_ref = URIRef(site + "/")
    lang = catalog.language
    graph.add((catalog_ref, RDF.type, DCAT.Catalog))
    _add_text(graph, catalog_ref, DCTERMS.title, catalog.title, lang)
    _add_text(graph, catalog_ref, DCTERMS.description, catalog.description, lang)
    graph.add((catalog_ref, FOAF.homepage, URIRef(site + "/")))
    graph.add((catalog_ref, DCTERMS.language, URIRef(EU_LANGUAGE + eu_language(lang))))
    if catalog.publisher_name:
        publisher = URIRef(site + "/#publisher")
        graph.add((publisher, RDF.type, FOAF.Agent))
        _add_text(graph, publisher, FOAF.name, catalog.publisher_name, lang)
        graph.add((catalog_ref, DCTERMS.publisher, publisher))
    if modified:
        _add_datetime(graph, catalog_ref, DCTERMS.modified, modified)
    for package in packages:
        graph.add((catalog_ref, DCAT.dataset, add_dataset(graph, package, site, lang)))
    if paging is not None:
        add_paging(graph, paging)
    return graph


def add_paging(graph: Graph, paging: Paging) -> URIRef:
    """Hydra paging as ckanext-dcat writes it: the current page URL is a
    ``hydra:PagedCollection``; links are literals, under both the current
    (``hydra:next``) and the deprecated (``hydra:nextPage``) names."""
    ref = URIRef(paging.url(paging.page))
    graph.add((ref, RDF.type, HYDRA.PagedCollection))
    graph.add((ref, HYDRA.totalItems, Literal(paging.total, datatype=XSD.integer)))
    graph.add((ref, HYDRA.itemsPerPage, Literal(paging.per_page, datatype=XSD.integer)))
    links: list[tuple[int, tuple[URIRef, URIRef]]] = [
        (1, (HYDRA.first, HYDRA.firstPage)),
        (paging.last_page, (HYDRA.last, HYDRA.lastPage)),
    ]
    if paging.page < paging.last_page:
        links.append((paging.page + 1, (HYDRA.next, HYDRA.nextPage)))
    if 1 < paging.page <= paging.last_page + 1:
        links.append((paging.page - 1, (HYDRA.previous, HYDRA.previousPage)))
    for page, predicates in links:
        for predicate in predicates:
            graph.add((ref, predicate, Literal(paging.url(page))))
    return ref


def add_dataset(
    graph: Graph, package: dict[str, Any], site_url: str, language: str = "ja"
) -> URIRef:
    site = site_url.rstrip("/")
    ref = dataset_uri(site, package)
    lang = language
    graph.add((ref, RDF.type, DCAT.Dataset))
    _add_text(graph, ref, DCTERMS.title, package.get("title") or package.get("name"), lang)
    _add_text(graph, ref, DCTERMS.description, package.get("notes"), lang)
    for tag in package.get("tags") or []:
        name = tag.get("name") if isinstance(tag, dict) else tag
        _add_text(graph, ref, DCAT.keyword, name, lang)
    identifier = _extra(package, "identifier") or _extra(package, "guid") or package.get("id")
    if identifier:
        graph.add((ref, DCTERMS.identifier, Literal(str(identifier))))
    if package.get("version"):
        graph.add((ref, OWL.versionInfo, Literal(str(package["version"]))))
    _add_datetime(
        graph, ref, DCTERMS.issued, _extra(package, "issued") or package.get("metadata_created")
    )
    _add_datetime(
        graph,
        ref,
        DCTERMS.modified,
        _extra(package, "modified") or package.get("metadata_modified"),
    )
    landing = package.get("url") or f"{site}/dataset/{package.get('name') or package['id']}"
    if is_http_url(landing):
        graph.add((ref, DCAT.landingPage, URIRef(landing)))
        if URIRef(landing) != ref:
            graph.add((URIRef(landing), RDF.type, FOAF.Document))
    graph.add((ref, DCTERMS.language, URIRef(EU_LANGUAGE + eu_language(lang))))

    organization = package.get("organization")
    if organization:
        publisher = URIRef(f"{site}/organization/{organization['id']}")
        graph.add((publisher, RDF.type, FOAF.Agent))
        _add_text(
            graph, publisher, FOAF.name, organization.get("title") or organization.get("name"), lang
        )
        graph.add((ref, DCTERMS.publisher, publisher))

    license_ref = _license_node(graph, package, lang)
    if license_ref is not None:
        graph.add((ref, DCTERMS.license, license_ref))

    frequency = frequency_uri(_extra(package, "frequency") or _extra(package, "update_frequency"))
    if frequency is not None:
        graph.add((ref, DCTERMS.accrualPeriodicity, frequency))
        graph.add((frequency, RDF.type, DCTERMS.Frequency))

    _add_spatial(graph, ref, _extra(package, "spatial"))
    _add_temporal(graph, ref, _extra(package, "temporal_start"), _extra(package, "temporal_end"))
    _add_contact_point(graph, ref, package, lang)

    for resource in package.get("resources") or []:
        distribution = _add_distribution(graph, site, package, resource, license_ref, lang)
        graph.add((ref, DCAT.distribution, distribution))
    return ref


def serialize(graph: Graph, suffix: str) -> tuple[bytes, str]:
    """Serialised bytes and media type for a URL suffix in ``FORMATS``."""
    rdflib_format, media_type = FORMATS[suffix]
    if rdflib_format == "json-ld":
        data = graph.serialize(format="json-ld", auto_compact=True, encoding="utf-8")
    else:
        data = graph.serialize(format=rdflib_format, encoding="utf-8")
    return data, f"{media_type}; charset=utf-8"


def _add_distribution(
    graph: Graph,
    site: str,
    package: dict[str, Any],
    resource: dict[str, Any],
    dataset_license: URIRef | BNode | None,
    lang: str,
) -> URIRef:
    ref = resource_uri(site, package, resource)
    graph.add((ref, RDF.type, DCAT.Distribution))
    _add_text(graph, ref, DCTERMS.title, resource.get("name"), lang)
    _add_text(graph, ref, DCTERMS.description, resource.get("description"), lang)
    url = resource.get("url")
    access_url = resource.get("access_url") or url
    if is_http_url(access_url):
        graph.add((ref, DCAT.accessURL, URIRef(access_url)))
    download_url = resource.get("download_url") or (
        url if resource.get("url_type") == "upload" else None
    )
    if is_http_url(download_url):
        graph.add((ref, DCAT.downloadURL, URIRef(download_url)))
    fmt = (resource.get("format") or "").strip()
    if fmt:
        graph.add((ref, DCTERMS["format"], Literal(fmt)))
    media_type = resource.get("mimetype") or FORMAT_MEDIA_TYPES.get(fmt.upper())
    if media_type:
        media_ref = URIRef(
            media_type if media_type.startswith("http") else IANA_MEDIA_TYPES + media_type
        )
        graph.add((ref, DCAT.mediaType, media_ref))
        graph.add((media_ref, RDF.type, DCTERMS.MediaType))
    size = resource.get("size")
    if isinstance(size, int | str) and str(size).isdigit():
        graph.add((ref, DCAT.byteSize, Literal(int(size), datatype=XSD.nonNegativeInteger)))
    match = SHA256_HEX.match(str(resource.get("hash") or ""))
    if match:
        checksum = BNode()
        graph.add((checksum, RDF.type, SPDX.Checksum))
        graph.add((checksum, SPDX.algorithm, SHA256))
        graph.add(
            (checksum, SPDX.checksumValue, Literal(match.group(1).lower(), datatype=XSD.hexBinary))
        )
        graph.add((ref, SPDX.checksum, checksum))
    license_value = resource.get("license")
    resource_license: URIRef | BNode | None = (
        URIRef(license_value) if is_http_url(license_value) else dataset_license
    )
    if resource_license is not None:
        graph.add((ref, DCTERMS.license, resource_license))
    _add_datetime(graph, ref, DCTERMS.issued, resource.get("created"))
    _add_datetime(
        graph,
        ref,
        DCTERMS.modified,
        resource.get("last_modified") or resource.get("metadata_modified"),
    )
    return ref


def _license_node(graph: Graph, package: dict[str, Any], lang: str) -> URIRef | None:
    """A ``dct:LicenseDocument``: the licence URL, else the licence id as a URI-less title."""
    url = package.get("license_url")
    if not is_http_url(url):
        return None
    ref = URIRef(url)
    graph.add((ref, RDF.type, DCTERMS.LicenseDocument))
    if package.get("license_title"):
        graph.add((ref, DCTERMS.title, Literal(package["license_title"])))
    if package.get("license_id"):
        graph.add((ref, DCTERMS.identifier, Literal(package["license_id"])))
    return ref


def frequency_uri(value: Any) -> URIRef | None:
    if not value:
        return None
    text = str(value).strip()
    if text.startswith(EU_FREQUENCY):
        return URIRef(text)
    code = _FREQUENCY_CODES.get(text.lower()) or _FREQUENCY_CODES.get(text)
    return URIRef(EU_FREQUENCY + code) if code else None


def spatial_geometry(value: Any) -> tuple[dict[str, Any] | None, bool]:
    """The ``spatial`` extra, a GeoJSON geometry (ckanext-spatial) or a bbox
    ``minx,miny,maxx,maxy`` (JSON list or text) → (its geometry, whether it was
    a bbox); (None, False) when it is neither."""
    if not value:
        return None, False
    bbox: list[Any] | None = None
    geometry: dict[str, Any] | None = None
    if isinstance(value, dict):
        geometry = value
    else:
        text = str(value).strip()
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and "type" in parsed:
            geometry = parsed
        elif isinstance(parsed, list) and len(parsed) == 4:
            bbox = parsed
        else:
            parts = [p for p in re.split(r"[,\s]+", text) if p]
            if len(parts) == 4:
                bbox = parts
    if bbox is not None:
        try:
            minx, miny, maxx, maxy = (float(v) for v in bbox)
        except (TypeError, ValueError):
            return None, False
        geometry = {
            "type": "Polygon",
            "coordinates": [[[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]],
        }
    if geometry is None or not isinstance(geometry.get("type"), str):
        return None, False
    return geometry, bbox is not None


def _add_spatial(graph: Graph, dataset_ref: URIRef, value: Any) -> None:
    """``spatial`` extra → a ``dct:Location`` with locn:geometry (GeoJSON and
    WKT, as ckanext-dcat writes it) and dcat:bbox for boxes."""
    geometry, is_bbox = spatial_geometry(value)
    if geometry is None:
        return
    location = BNode()
    graph.add((dataset_ref, DCTERMS.spatial, location))
    graph.add((location, RDF.type, DCTERMS.Location))
    graph.add(
        (
            location,
            LOCN.geometry,
            Literal(json.dumps(geometry, separators=(",", ":")), datatype=GEOJSON_DATATYPE),
        )
    )
    wkt = to_wkt(geometry)
    if wkt:
        graph.add((location, LOCN.geometry, Literal(wkt, datatype=GSP.wktLiteral)))
        if is_bbox:
            graph.add((location, DCAT.bbox, Literal(wkt, datatype=GSP.wktLiteral)))


def _add_temporal(graph: Graph, dataset_ref: URIRef, start: Any, end: Any) -> None:
    """``temporal_start`` / ``temporal_end`` extras → a ``dct:PeriodOfTime``."""
    if not start and not end:
        return
    period = BNode()
    before = len(graph)
    _add_datetime(graph, period, DCAT.startDate, start)
    _add_datetime(graph, period, DCAT.endDate, end)
    if len(graph) > before:
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        graph.add((dataset_ref, DCTERMS.temporal, period))


def _add_contact_point(
    graph: Graph, dataset_ref: URIRef, package: dict[str, Any], lang: str
) -> None:
    """contact_* extras, else maintainer, else author → ``dcat:contactPoint`` (vCard),
    as ckanext-dcat does."""
    name = _extra(package, "contact_name") or package.get("maintainer") or package.get("author")
    email = (
        _extra(package, "contact_email")
        or package.get("maintainer_email")
        or package.get("author_email")
    )
    if not name and not email:
        return
    uri = _extra(package, "contact_uri")
    contact: URIRef | BNode = URIRef(uri) if is_http_url(uri) else BNode()
    graph.add((contact, RDF.type, VCARD.Organization))
    _add_text(graph, contact, VCARD.fn, name, lang)
    if email:
        address = str(email).strip()
        graph.add(
            (
                contact,
                VCARD.hasEmail,
                URIRef(address if address.startswith("mailto:") else f"mailto:{address}"),
            )
        )
    graph.add((dataset_ref, DCAT.contactPoint, contact))


def to_wkt(geometry: dict[str, Any]) -> str | None:
    try:
        from shapely.geometry import shape

        return shape(geometry).wkt
    except Exception:  # noqa: BLE001 - a malformed extra must not break the catalog
        return None


def _add_text(
    graph: Graph, subject: URIRef | BNode, predicate: URIRef, value: Any, lang: str
) -> None:
    if value is None:
        return
    text = str(value).strip()
    if text:
        graph.add((subject, predicate, Literal(text, lang=lang)))


def _add_datetime(graph: Graph, subject: URIRef | BNode, predicate: URIRef, value: Any) -> None:
    """CKAN's naive UTC ISO strings → xsd:dateTime; a bare date → xsd:date."""
    if not value:
        return
    text = str(value).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            graph.add((subject, predicate, Literal(text, datatype=XSD.date)))
            return
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return
    graph.add((subject, predicate, Literal(parsed.isoformat(), datatype=XSD.dateTime)))


def _extra(package: dict[str, Any], key: str) -> Any:
    for extra in package.get("extras") or []:
        if isinstance(extra, dict) and extra.get("key") == key:
            return extra.get("value")
    return package.get(key) if key not in ("uri",) else None


def is_http_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def eu_language(lang: str) -> str:
    return {"ja": "JPN", "en": "ENG"}.get(lang.split("-")[0].lower(), "JPN")
