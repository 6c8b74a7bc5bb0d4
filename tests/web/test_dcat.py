"""DCAT-AP 3: graphs from CKAN package dicts, and the /catalog and /dataset endpoints.

Assertions are on triples parsed back with rdflib, never on serialised text.
"""

from __future__ import annotations

import io

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib import namespace as ns

from kokai.catalog import dcat

SITE = "http://testserver"
SHA = "0f" * 32

PACKAGE = {
    "id": "6f1c2b9e-0000-4000-8000-000000000001",
    "name": "hinanjo",
    "title": "指定緊急避難場所一覧",
    "notes": "市内の指定緊急避難場所です。",
    "tags": [{"name": "防災"}, {"name": "避難所"}],
    "metadata_created": "2026-04-01T09:00:00.123456",
    "metadata_modified": "2026-11-20T10:30:00.654321",
    "license_id": "cc-by-4.0",
    "license_title": "クリエイティブ・コモンズ 表示 4.0 国際",
    "license_url": "https://creativecommons.org/licenses/by/4.0/",
    "organization": {"id": "org-1", "name": "bousai", "title": "危機管理課"},
    "private": False,
    "state": "active",
    "url": None,
    "version": "2026.11",
    "maintainer": "危機管理課 防災係",
    "maintainer_email": "bousai@example.jp",
    "extras": [
        {"key": "temporal_start", "value": "2026-04-01"},
        {"key": "spatial", "value": '{"type":"Point","coordinates":[139.7,35.6]}'},
        {"key": "update_frequency", "value": "毎月"},
    ],
    "resources": [
        {
            "id": "res-csv",
            "package_id": "6f1c2b9e-0000-4000-8000-000000000001",
            "name": "避難場所CSV",
            "description": "UTF-8 の CSV",
            "url": f"{SITE}/dataset/6f1c2b9e-0000-4000-8000-000000000001/resource/res-csv/download/hinanjo.csv",
            "url_type": "upload",
            "format": "CSV",
            "mimetype": None,
            "size": 2048,
            "hash": SHA,
            "created": "2026-04-01T09:00:00",
            "metadata_modified": "2026-11-20T10:30:00",
        },
        {
            "id": "res-link",
            "package_id": "6f1c2b9e-0000-4000-8000-000000000001",
            "name": "地図",
            "url": "https://example.jp/map",
            "url_type": None,
            "format": "HTML",
            "size": None,
            "hash": "",
        },
    ],
}


def parse(data: bytes, rdflib_format: str) -> Graph:
    graph = Graph()
    graph.parse(io.BytesIO(data), format=rdflib_format)
    return graph


def test_dataset_fields_map_as_ckanext_dcat_does():
    graph = dcat.dataset_graph(PACKAGE, SITE)
    ref = URIRef(f"{SITE}/dataset/{PACKAGE['id']}")
    assert (ref, ns.RDF.type, ns.DCAT.Dataset) in graph
    assert (ref, ns.DCTERMS.title, Literal("指定緊急避難場所一覧", lang="ja")) in graph
    assert (
        ref,
        ns.DCTERMS.description,
        Literal("市内の指定緊急避難場所です。", lang="ja"),
    ) in graph
    assert set(graph.objects(ref, ns.DCAT.keyword)) == {
        Literal("防災", lang="ja"),
        Literal("避難所", lang="ja"),
    }
    assert (ref, ns.DCTERMS.identifier, Literal(PACKAGE["id"])) in graph
    issued = graph.value(ref, ns.DCTERMS.issued)
    assert issued.datatype == ns.XSD.dateTime and str(issued).startswith("2026-04-01T09:00:00")
    assert str(graph.value(ref, ns.DCTERMS.modified)).startswith("2026-11-20T10:30:00")
    assert (ref, ns.DCTERMS.license, URIRef(PACKAGE["license_url"])) in graph
    assert (ref, ns.DCAT.landingPage, URIRef(f"{SITE}/dataset/hinanjo")) in graph
    publisher = graph.value(ref, ns.DCTERMS.publisher)
    assert publisher == URIRef(f"{SITE}/organization/org-1")
    assert (publisher, ns.RDF.type, ns.FOAF.Agent) in graph
    assert (publisher, ns.FOAF.name, Literal("危機管理課", lang="ja")) in graph
    assert graph.value(ref, ns.DCTERMS.accrualPeriodicity) == URIRef(
        "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
    )
    location = graph.value(ref, ns.DCTERMS.spatial)
    assert (location, ns.RDF.type, ns.DCTERMS.Location) in graph
    geometries = {g.datatype: str(g) for g in graph.objects(location, dcat.LOCN.geometry)}
    assert "139.7" in geometries[dcat.GEOJSON_DATATYPE]
    assert geometries[dcat.GSP.wktLiteral] == "POINT (139.7 35.6)"
    period = graph.value(ref, ns.DCTERMS.temporal)
    assert graph.value(period, ns.DCAT.startDate) == Literal("2026-04-01", datatype=ns.XSD.date)
    contact = graph.value(ref, ns.DCAT.contactPoint)
    assert (contact, dcat.VCARD.fn, Literal("危機管理課 防災係", lang="ja")) in graph
    assert (contact, dcat.VCARD.hasEmail, URIRef("mailto:bousai@example.jp")) in graph


def test_distributions_with_checksum_size_format_and_download_url():
    graph = dcat.dataset_graph(PACKAGE, SITE)
    ref = URIRef(f"{SITE}/dataset/{PACKAGE['id']}")
    distributions = set(graph.objects(ref, ns.DCAT.distribution))
    assert len(distributions) == 2
    upload = URIRef(f"{SITE}/dataset/{PACKAGE['id']}/resource/res-csv")
    link = URIRef(f"{SITE}/dataset/{PACKAGE['id']}/resource/res-link")
    assert distributions == {upload, link}
    url = URIRef(PACKAGE["resources"][0]["url"])
    assert (upload, ns.DCAT.accessURL, url) in graph
    assert (upload, ns.DCAT.downloadURL, url) in graph
    assert (upload, ns.DCTERMS["format"], Literal("CSV")) in graph
    assert (upload, ns.DCAT.mediaType, URIRef(dcat.IANA_MEDIA_TYPES + "text/csv")) in graph
    assert (upload, ns.DCAT.byteSize, Literal(2048, datatype=ns.XSD.nonNegativeInteger)) in graph
    assert (upload, ns.DCTERMS.license, URIRef(PACKAGE["license_url"])) in graph
    assert (upload, ns.DCTERMS.title, Literal("避難場所CSV", lang="ja")) in graph
    checksum = graph.value(upload, dcat.SPDX.checksum)
    assert graph.value(checksum, dcat.SPDX.algorithm) == dcat.SHA256
    assert str(graph.value(checksum, dcat.SPDX.checksumValue)) == SHA
    # A link is reachable (accessURL) but is not a file of ours (no downloadURL).
    assert (link, ns.DCAT.accessURL, URIRef("https://example.jp/map")) in graph
    assert graph.value(link, ns.DCAT.downloadURL) is None
    assert graph.value(link, dcat.SPDX.checksum) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "130.5,33.5,130.6,33.6",
            "POLYGON ((130.5 33.5, 130.6 33.5, 130.6 33.6, 130.5 33.6, 130.5 33.5))",
        ),
        (
            "[130.5, 33.5, 130.6, 33.6]",
            "POLYGON ((130.5 33.5, 130.6 33.5, 130.6 33.6, 130.5 33.6, 130.5 33.5))",
        ),
        ("not a geometry", None),
    ],
)
def test_spatial_bbox(value, expected):
    package = {**PACKAGE, "extras": [{"key": "spatial", "value": value}], "resources": []}
    graph = dcat.dataset_graph(package, SITE)
    location = graph.value(URIRef(f"{SITE}/dataset/{PACKAGE['id']}"), ns.DCTERMS.spatial)
    if expected is None:
        assert location is None
    else:
        assert str(graph.value(location, ns.DCAT.bbox)) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("毎日", "DAILY"),
        ("annual", "ANNUAL"),
        ("不定期", "IRREG"),
        ("四半期", "QUARTERLY"),
        ("たまに", None),
    ],
)
def test_frequency_mapping(value, code):
    package = {**PACKAGE, "extras": [{"key": "frequency", "value": value}], "resources": []}
    graph = dcat.dataset_graph(package, SITE)
    found = graph.value(URIRef(f"{SITE}/dataset/{PACKAGE['id']}"), ns.DCTERMS.accrualPeriodicity)
    assert found == (URIRef(dcat.EU_FREQUENCY + code) if code else None)


@pytest.mark.parametrize("suffix", sorted(dcat.FORMATS))
def test_every_format_parses_back_to_the_same_graph(suffix):
    graph = dcat.dataset_graph(PACKAGE, SITE)
    data, media_type = dcat.serialize(graph, suffix)
    assert media_type.startswith(dcat.FORMATS[suffix][1])
    parsed = parse(data, dcat.FORMATS[suffix][0])
    assert len(parsed) == len(graph)
    ref = URIRef(f"{SITE}/dataset/{PACKAGE['id']}")
    assert (ref, ns.DCTERMS.title, Literal("指定緊急避難場所一覧", lang="ja")) in parsed


def test_catalog_graph_and_hydra_paging():
    packages = [{**PACKAGE, "id": f"id-{n}", "name": f"ds-{n}", "resources": []} for n in range(3)]
    info = dcat.CatalogInfo(
        site_url=SITE, title="サンプル市オープンデータ", publisher_name="サンプル市"
    )
    paging = dcat.Paging(
        total=250, page=2, per_page=100, base_url=f"{SITE}/catalog.ttl",
        query=(("modified_since", "2026-01-01"),),
    )  # fmt: skip
    graph = dcat.catalog_graph(info, packages, paging=paging, modified="2026-11-20T10:30:00")
    catalog = URIRef(f"{SITE}/")
    assert (catalog, ns.RDF.type, ns.DCAT.Catalog) in graph
    assert (catalog, ns.DCTERMS.title, Literal("サンプル市オープンデータ", lang="ja")) in graph
    assert (catalog, ns.FOAF.homepage, URIRef(f"{SITE}/")) in graph
    assert set(graph.objects(catalog, ns.DCAT.dataset)) == {
        URIRef(f"{SITE}/dataset/id-{n}") for n in range(3)
    }
    page = URIRef(f"{SITE}/catalog.ttl?modified_since=2026-01-01&page=2")
    hydra = dcat.HYDRA
    assert (page, ns.RDF.type, hydra.PagedCollection) in graph
    assert int(graph.value(page, hydra.totalItems)) == 250
    assert int(graph.value(page, hydra.itemsPerPage)) == 100
    assert str(graph.value(page, hydra.first)).endswith("page=1")
    assert str(graph.value(page, hydra.last)).endswith("page=3")
    assert str(graph.value(page, hydra.next)).endswith("modified_since=2026-01-01&page=3")
    assert str(graph.value(page, hydra.previous)).endswith("page=1")
    assert str(graph.value(page, hydra.nextPage)) == str(graph.value(page, hydra.next))


def test_first_and_last_page_have_no_previous_or_next():
    info = dcat.CatalogInfo(site_url=SITE, title="t")
    one = dcat.Paging(total=5, page=1, per_page=100, base_url=f"{SITE}/catalog.jsonld")
    graph = dcat.catalog_graph(info, [], paging=one)
    page = URIRef(one.url(1))
    assert graph.value(page, dcat.HYDRA.next) is None
    assert graph.value(page, dcat.HYDRA.previous) is None
    assert str(graph.value(page, dcat.HYDRA.last)) == one.url(1)


# ---------------------------------------------------------------- HTTP endpoints


# conftest's module-wide `server`, on the site URL the graphs are checked against.
SERVER_OPTIONS = {"site_url": SITE, "org_title": "テスト市 危機管理課"}


@pytest.fixture(scope="module")
def server(server):
    """conftest's `server` with 5 public datasets (one with an uploaded CSV) and 1 private one."""
    call, org = server["call"], server["org"]
    packages = []
    for n in range(5):
        packages.append(
            call(
                "package_create",
                json={
                    "name": f"dataset-{n}",
                    "title": f"避難所一覧 {n}",
                    "notes": "市内の避難所",
                    "owner_org": org["id"],
                    "license_id": "cc-by-4.0",
                    "tags": [{"name": "防災"}],
                    "extras": [{"key": "spatial", "value": "139.5,35.5,139.9,35.8"}],
                },
            )
        )
    upload = call(
        "resource_create",
        data={"package_id": packages[0]["id"], "name": "避難所CSV", "format": "CSV"},
        files={"upload": ("hinanjo.csv", "名称\n公民館\n".encode(), "text/csv")},
    )
    private = call(
        "package_create",
        json={
            "name": "internal-ebpm",
            "title": "内部用",
            "owner_org": org["id"],
            "private": True,
        },
    )
    yield {"client": server["client"], "packages": packages, "upload": upload, "private": private}


def fetch(client, url: str, suffix: str) -> Graph:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(dcat.FORMATS[suffix][1])
    return parse(response.content, dcat.FORMATS[suffix][0])


@pytest.mark.parametrize("suffix", ["jsonld", "ttl", "rdf"])
def test_dataset_endpoint(server, suffix):
    package = server["packages"][0]
    graph = fetch(server["client"], f"/dataset/{package['name']}.{suffix}", suffix)
    ref = URIRef(f"{SITE}/dataset/{package['id']}")
    assert (ref, ns.RDF.type, ns.DCAT.Dataset) in graph
    assert (ref, ns.DCTERMS.title, Literal("避難所一覧 0", lang="ja")) in graph
    assert (ref, ns.DCAT.keyword, Literal("防災", lang="ja")) in graph
    publisher = graph.value(ref, ns.DCTERMS.publisher)
    assert (publisher, ns.FOAF.name, Literal("テスト市 危機管理課", lang="ja")) in graph
    assert graph.value(graph.value(ref, ns.DCTERMS.spatial), ns.DCAT.bbox) is not None
    distribution = URIRef(f"{SITE}/dataset/{package['id']}/resource/{server['upload']['id']}")
    assert (ref, ns.DCAT.distribution, distribution) in graph
    download = URIRef(server["upload"]["url"])
    assert (distribution, ns.DCAT.downloadURL, download) in graph
    checksum = graph.value(distribution, dcat.SPDX.checksum)
    assert str(graph.value(checksum, dcat.SPDX.checksumValue)) == server["upload"]["hash"]
    size = graph.value(distribution, ns.DCAT.byteSize)
    assert int(size) == len("名称\n公民館\n".encode())


def test_private_and_unknown_datasets_are_404(server):
    client = server["client"]
    for ref in (server["private"]["name"], server["private"]["id"], "no-such-dataset"):
        response = client.get(f"/dataset/{ref}.ttl")
        assert response.status_code == 404
        assert response.json()["error"]["__type"] == "Not Found Error"
    assert client.get(f"/dataset/{server['packages'][0]['name']}.pdf").status_code == 404


def test_catalog_pages_list_every_public_dataset_once(server, monkeypatch):
    from kokai.web import dcat_routes

    monkeypatch.setattr(dcat_routes, "PAGE_SIZE", 2)
    client = server["client"]
    seen: list[URIRef] = []
    url, pages = "/catalog.ttl", 0
    while url:
        graph = fetch(client, url, "ttl")
        pages += 1
        catalog = URIRef(f"{SITE}/")
        assert (catalog, ns.RDF.type, ns.DCAT.Catalog) in graph
        seen.extend(graph.objects(catalog, ns.DCAT.dataset))
        page = next(graph.subjects(ns.RDF.type, dcat.HYDRA.PagedCollection))
        assert int(graph.value(page, dcat.HYDRA.totalItems)) == 5
        assert str(graph.value(page, dcat.HYDRA.last)).endswith("page=3")
        following = graph.value(page, dcat.HYDRA.next)
        url = str(following).removeprefix(SITE) if following else None
    assert pages == 3
    expected = {URIRef(f"{SITE}/dataset/{p['id']}") for p in server["packages"]}
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == expected
    assert URIRef(f"{SITE}/dataset/{server['private']['id']}") not in seen


def test_catalog_jsonld_modified_since_and_bad_parameters(server):
    client = server["client"]
    everything = fetch(client, "/catalog.jsonld?modified_since=2000-01-01", "jsonld")
    future = fetch(client, "/catalog.jsonld?modified_since=2999-01-01T00:00:00Z", "jsonld")
    catalog = URIRef(f"{SITE}/")
    assert len(set(everything.objects(catalog, ns.DCAT.dataset))) == 5
    assert set(future.objects(catalog, ns.DCAT.dataset)) == set()
    page = next(future.subjects(ns.RDF.type, dcat.HYDRA.PagedCollection))
    assert "modified_since=2999-01-01" in str(page)
    assert client.get("/catalog.ttl?page=0").status_code == 409
    assert client.get("/catalog.ttl?page=x").status_code == 409
    assert client.get("/catalog.ttl?modified_since=yesterday").status_code == 409
    assert client.get("/catalog.docx").status_code == 404


def test_catalog_passes_q_and_fq_to_package_search(server):
    client = server["client"]
    catalog = URIRef(f"{SITE}/")
    by_org = fetch(client, "/catalog.ttl?fq=organization:test-city", "ttl")
    assert len(set(by_org.objects(catalog, ns.DCAT.dataset))) == 5
    one = fetch(client, "/catalog.ttl?q=name:dataset-3", "ttl")
    assert set(one.objects(catalog, ns.DCAT.dataset)) == {
        URIRef(f"{SITE}/dataset/{server['packages'][3]['id']}")
    }
    japanese = fetch(client, "/catalog.ttl?q=避難", "ttl")
    assert len(set(japanese.objects(catalog, ns.DCAT.dataset))) == 5
    nobody = fetch(client, "/catalog.ttl?fq=-organization:test-city", "ttl")
    assert set(nobody.objects(catalog, ns.DCAT.dataset)) == set()
    bad = client.get("/catalog.ttl", params={"fq": "metadata_modified:[nonsense TO"})
    assert bad.status_code == 400
    assert bad.json()["error"]["__type"] == "Search Query Error"
