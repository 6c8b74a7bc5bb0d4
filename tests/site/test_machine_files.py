"""data.json (POD 1.1), catalog.jsonld (DCAT-AP, the same graph as
kokai.catalog.dcat), feed.atom, sitemap.xml and robots.txt of the static site."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import FOAF

from kokai.catalog import dcat
from kokai.site import machine_files as mf
from kokai.site.render import SiteInfo
from kokai.vocab.frequency import UPDATE_FREQUENCIES

BASE = "https://opendata.example.jp/shiomi"
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
# Patterns of the POD 1.1 JSON schema (project-open-data.cio.gov/v1.1/schema).
POD_EMAIL = re.compile(r"^mailto:([\w.-]+@[\w.-]+\.[\w.-]+)?$")
POD_MEDIA_TYPE = re.compile(r"^[-\w]+/[-\w]+(\.[-\w]+)*([+][-\w]+)?$")
POD_PERIODICITY = re.compile(
    r"^R\d*\/P(?=\w*\d)(?:\d+Y|Y)?(?:\d+M|M)?(?:\d+W|W)?(?:\d+D|D)?"
    r"(?:T(?:\d+H|H)?(?:\d+M|M)?(?:\d+(?:\.\d{1,2})?S|S)?)?$"
)
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$")
POD_REQUIRED = (
    "title",
    "description",
    "keyword",
    "modified",
    "publisher",
    "contactPoint",
    "identifier",
    "accessLevel",
)


def make_site(api_url: str = "https://catalog.example.jp") -> SiteInfo:
    return SiteInfo(
        title="潮見市オープンデータ",
        city_name="潮見市",
        city_code="229997",
        base_url=BASE,
        api_url=api_url,
        today=date(2026, 11, 27),
    )


@pytest.fixture(scope="module")
def packages(demo_city) -> list[dict]:
    result = demo_city.catalog().action.package_search(rows=1000, sort="metadata_modified desc")
    public = [p for p in result["results"] if not p.get("private")]
    assert len(public) >= 5
    return public


@pytest.fixture(scope="module")
def site(demo_city) -> SiteInfo:
    return make_site(demo_city.config.site_url.rstrip("/"))


def reference_graph(packages: list[dict], site: SiteInfo, modified: str | None) -> Graph:
    """dcat.py's graph for the same packages, with the two documented differences
    applied: the landing page falls back to the site page, and the catalog's
    homepage is the site's root."""
    with_landing = [{**p, "url": p.get("url") or mf.dataset_page(site, p)} for p in packages]
    info = dcat.CatalogInfo(site_url=site.api_url, title=site.title, publisher_name=site.city_name)
    graph = dcat.catalog_graph(info, with_landing, modified=modified)
    catalog = URIRef(site.api_url + "/")
    graph.remove((catalog, FOAF.homepage, None))
    graph.add((catalog, FOAF.homepage, URIRef(BASE + "/")))
    return graph


def assert_same_graph(mine: Graph, reference: Graph) -> None:
    if not isomorphic(mine, reference):
        _, only_mine, only_reference = graph_diff(to_isomorphic(mine), to_isomorphic(reference))
        pytest.fail(
            "graphs differ\nonly in catalog.jsonld:\n"
            + "\n".join(map(str, sorted(only_mine)))
            + "\nonly in dcat.py:\n"
            + "\n".join(map(str, sorted(only_reference)))
        )


# ---------------------------------------------------------------- data.json


def test_data_json_has_every_required_pod_field(packages, site):
    data = json.loads(mf.data_json([mf.pod_dataset(p, site) for p in packages], site))
    assert data["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema"
    assert data["@context"] == "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"
    assert data["describedBy"].startswith("https://project-open-data.cio.gov/v1.1/schema/")
    assert data["@type"] == "dcat:Catalog"
    assert data["@id"] == f"{BASE}/data.json"
    assert len(data["dataset"]) == len(packages)
    for entry, package in zip(data["dataset"], packages, strict=True):
        missing = [key for key in POD_REQUIRED if not entry.get(key)]
        assert not missing, (package["name"], missing)
        assert entry["identifier"] == f"{BASE}/dataset/{package['name']}/"
        assert entry["landingPage"] == entry["identifier"]
        assert entry["accessLevel"] == "public"
        assert entry["title"] == package["title"]
        assert all(isinstance(k, str) and k for k in entry["keyword"])
        assert ISO_DATETIME.match(entry["modified"]), entry["modified"]
        assert entry["publisher"]["name"] == package["organization"]["title"]
        assert entry["contactPoint"]["fn"]
        assert POD_EMAIL.match(entry["contactPoint"]["hasEmail"])
        assert entry["license"] == package["license_url"]
        periodicity = entry["accrualPeriodicity"]
        assert periodicity == "irregular" or POD_PERIODICITY.match(periodicity)
        assert len(entry["distribution"]) == len(package["resources"])
        for distribution, resource in zip(entry["distribution"], package["resources"], strict=True):
            assert distribution["downloadURL"] == resource["url"]
            assert POD_MEDIA_TYPE.match(distribution["mediaType"])
            assert distribution["format"] == resource["format"]
            assert distribution["title"] == resource["name"]
    identifiers = [e["identifier"] for e in data["dataset"]]
    assert len(set(identifiers)) == len(identifiers)


def test_pod_spatial_and_temporal(packages, site):
    bus = mf.pod_dataset(next(p for p in packages if p["name"] == "community-bus"), site)
    assert bus["temporal"] == "2026-04-01/2027-03-31"
    minx, miny, maxx, maxy = (float(v) for v in bus["spatial"].split(","))
    assert (minx, miny, maxx, maxy) == (137.88, 34.665, 138.04, 34.755)


@pytest.mark.parametrize("frequency", UPDATE_FREQUENCIES, ids=lambda f: f.eu_code)
def test_every_kokai_frequency_has_a_pod_periodicity(frequency):
    package = {"id": "x", "name": "x", "title": "x", "update_frequency": frequency.word}
    periodicity = mf.pod_dataset(package, make_site())["accrualPeriodicity"]
    assert periodicity == "irregular" or POD_PERIODICITY.match(periodicity)
    if frequency.allowance is None:
        assert periodicity == "irregular"


def test_pod_fallbacks_keep_required_fields():
    """No tags, no notes, no contact, no organisation: still every required field."""
    entry = mf.pod_dataset({"id": "abc", "name": "bare", "title": "タイトル"}, make_site())
    assert entry["description"] == "タイトル"
    assert entry["keyword"] == ["潮見市"]
    assert entry["publisher"]["name"] == "潮見市"
    assert entry["contactPoint"]["fn"] == "潮見市"
    assert POD_EMAIL.match(entry["contactPoint"]["hasEmail"])
    assert entry["modified"] == "2026-11-27"
    with_email = mf.pod_dataset(
        {"id": "abc", "name": "bare", "maintainer": "担当", "maintainer_email": "a@example.jp"},
        make_site(),
    )
    assert with_email["contactPoint"] == {
        "@type": "vcard:Contact",
        "fn": "担当",
        "hasEmail": "mailto:a@example.jp",
    }


def test_cached_bytes_assemble_the_same_file(packages, site):
    dicts = [mf.pod_dataset(p, site) for p in packages]
    encoded = [mf.encode_fragment(d) for d in dicts]
    assert mf.data_json(encoded, site) == mf.data_json(dicts, site)
    nodes = [mf.dcat_dataset(p, site) for p in packages]
    assert mf.dcat_catalog([mf.encode_fragment(n) for n in nodes], site) == mf.dcat_catalog(
        nodes, site
    )
    assert json.loads(mf.data_json([], site))["dataset"] == []


# ---------------------------------------------------------------- catalog.jsonld


def test_catalog_jsonld_is_the_graph_dcat_py_makes(packages, site):
    modified = max(p["metadata_modified"] for p in packages)
    body = mf.dcat_catalog([mf.dcat_dataset(p, site) for p in packages], site, modified=modified)
    mine = Graph().parse(data=body, format="json-ld")
    assert len(mine) > 100
    assert_same_graph(mine, reference_graph(packages, site, modified))


def test_catalog_jsonld_links_datasets_to_site_pages(packages, site):
    body = mf.dcat_catalog([mf.dcat_dataset(p, site) for p in packages], site)
    graph = Graph().parse(data=body, format="json-ld")
    landing = {str(o) for o in graph.objects(None, dcat.DCAT.landingPage)}
    assert landing == {f"{BASE}/dataset/{p['name']}/" for p in packages}
    datasets = set(graph.objects(URIRef(site.api_url + "/"), dcat.DCAT.dataset))
    assert datasets == {dcat.dataset_uri(site.api_url, p) for p in packages}


def test_catalog_jsonld_matches_dcat_py_on_unusual_packages():
    """Fields the demo city does not use: contact extras, a bbox as text, the
    package's own landing page, a resource licence, sha256: hashes, sizes as text,
    bare dates, a frequency word, a version and an identifier extra."""
    site = make_site()
    packages = [
        {
            "id": "11111111-1111-1111-1111-111111111111",
            "name": "odd",
            "title": "  変わった <データ> & 記号  ",
            "notes": "説明",
            "url": "https://city.example.jp/odd.html",
            "version": "2.1",
            "tags": ["タグ", {"name": "辞書のタグ"}],
            "license_url": "https://creativecommons.org/licenses/by/4.0/",
            "license_title": "CC BY 4.0",
            "license_id": "cc-by-4.0",
            "metadata_created": "2026-01-02T03:04:05Z",
            "metadata_modified": "2026-02-03",
            "organization": {"id": "org-1", "name": "o", "title": "潮見市 企画課"},
            "extras": [
                {"key": "contact_name", "value": "企画課"},
                {"key": "contact_email", "value": "kikaku@example.jp"},
                {"key": "contact_uri", "value": "https://city.example.jp/kikaku"},
                {"key": "spatial", "value": "137.9, 34.6, 138.0, 34.7"},
                {"key": "temporal_start", "value": "2025-04-01"},
                {"key": "update_frequency", "value": "毎月"},
                {"key": "identifier", "value": "odd-0001"},
            ],
            "resources": [
                {
                    "id": "r1",
                    "name": "odd.csv",
                    "url": "https://catalog.example.jp/dataset/odd/resource/r1/download/odd.csv",
                    "url_type": "upload",
                    "format": "csv",
                    "size": "1234",
                    "hash": "sha256:" + "AB" * 32,
                    "license": "https://example.jp/licence",
                    "created": "2026-01-02T03:04:05.123456",
                },
                {"id": "r2", "name": "", "url": "ftp://old.example.jp/x", "format": ""},
            ],
        },
        {"id": "22222222-2222-2222-2222-222222222222", "name": "bare", "extras": []},
    ]
    body = mf.dcat_catalog([mf.dcat_dataset(p, site) for p in packages], site)
    mine = Graph().parse(data=body, format="json-ld")
    assert_same_graph(mine, reference_graph(packages, site, None))
    landing = {str(o) for o in mine.objects(None, dcat.DCAT.landingPage)}
    assert landing == {"https://city.example.jp/odd.html", f"{BASE}/dataset/bare/"}


# ---------------------------------------------------------------- Atom


def test_atom_feed_lists_newest_first(packages, site):
    newest_first = sorted(packages, key=lambda p: p["metadata_modified"], reverse=True)
    feed = ET.fromstring(mf.atom_feed(newest_first, site))
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == len(packages)
    assert feed.findtext(f"{ATOM}id") == f"{BASE}/feed.atom"
    assert feed.findtext(f"{ATOM}title")
    assert feed.find(f"{ATOM}author/{ATOM}name").text == "潮見市"
    self_link = feed.find(f"{ATOM}link[@rel='self']")
    assert self_link.get("href") == f"{BASE}/feed.atom"
    updated = [e.findtext(f"{ATOM}updated") for e in entries]
    assert updated == sorted(updated, reverse=True)
    assert feed.findtext(f"{ATOM}updated") == updated[0]
    for entry, package in zip(entries, newest_first, strict=True):
        assert entry.findtext(f"{ATOM}id") == f"urn:uuid:{package['id']}"
        assert entry.findtext(f"{ATOM}title") == package["title"]
        link = entry.find(f"{ATOM}link[@rel='alternate']")
        assert link.get("href") == f"{BASE}/dataset/{package['name']}/"
        assert re.fullmatch(
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", entry.findtext(f"{ATOM}updated")
        )
        assert entry.find(f"{ATOM}author/{ATOM}name").text == package["organization"]["title"]


def test_atom_feed_limit_and_awkward_text(site):
    packages = [
        {
            "id": f"0000000{n}-0000-0000-0000-000000000000",
            "name": f"d{n}",
            "title": f'<タイトル> & "{n}" \x0b',
            "notes": "説明 & <b>太字</b>" + "あ" * 400,
            "metadata_modified": f"2026-11-0{9 - n}T10:00:00",
            "tags": [{"name": "a&b"}],
        }
        for n in range(5)
    ]
    feed = ET.fromstring(mf.atom_feed(packages, site, limit=3))
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 3
    assert entries[0].findtext(f"{ATOM}title") == '<タイトル> & "0"'
    assert entries[0].find(f"{ATOM}category").get("term") == "a&b"
    assert len(entries[0].findtext(f"{ATOM}summary")) <= 300
    empty = ET.fromstring(mf.atom_feed([], site))
    assert empty.findall(f"{ATOM}entry") == []
    assert empty.findtext(f"{ATOM}updated") == "2026-11-27T00:00:00Z"


# ---------------------------------------------------------------- sitemap, robots


def test_sitemap_splits_past_the_limit(site):
    urls = [("", None)] + [(f"dataset/d{n}/", f"2026-11-{n + 1:02d}T01:02:03.5") for n in range(6)]
    files = mf.sitemap(urls, site, limit=3)
    assert sorted(files) == ["sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml", "sitemap.xml"]
    index = ET.fromstring(files["sitemap.xml"])
    assert index.tag == f"{SITEMAP}sitemapindex"
    assert [e.text for e in index.iter(f"{SITEMAP}loc")] == [
        f"{BASE}/sitemap-{n}.xml" for n in (1, 2, 3)
    ]
    locs: list[str] = []
    for name in ("sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml"):
        urlset = ET.fromstring(files[name])
        found = [e.text for e in urlset.iter(f"{SITEMAP}loc")]
        assert 1 <= len(found) <= 3
        locs += found
    assert locs == [f"{BASE}/"] + [f"{BASE}/dataset/d{n}/" for n in range(6)]
    first = ET.fromstring(files["sitemap-1.xml"]).findall(f"{SITEMAP}url")
    assert first[0].find(f"{SITEMAP}lastmod") is None
    assert first[1].findtext(f"{SITEMAP}lastmod") == "2026-11-01T01:02:03+00:00"


def test_sitemap_in_one_file_under_the_limit(site):
    files = mf.sitemap([("dataset/a b&c/", "2026-11-27"), ("metrics/", None)], site, limit=3)
    assert list(files) == ["sitemap.xml"]
    urlset = ET.fromstring(files["sitemap.xml"])
    assert urlset.tag == f"{SITEMAP}urlset"
    assert [e.text for e in urlset.iter(f"{SITEMAP}loc")] == [
        f"{BASE}/dataset/a%20b&c/",
        f"{BASE}/metrics/",
    ]
    assert urlset.findtext(f"{SITEMAP}url/{SITEMAP}lastmod") == "2026-11-27"


def test_robots_names_the_sitemap(site):
    text = mf.robots_txt(site).decode()
    assert "User-agent: *" in text
    assert f"Sitemap: {BASE}/sitemap.xml" in text.splitlines()
    assert "Disallow: /" not in text
