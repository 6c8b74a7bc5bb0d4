"""The GTFS pages of the static site: the demo feed rendered under a sub-path,
links that resolve, headings, accessible timetables, safe paths for odd ids,
and (corpus) a Japanese feed and Vilnius within the caps."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kokai.site.gtfs_pages import MAX_STOP_PAGES, gtfs_site, path_slugs
from kokai.site.render import SiteInfo, SiteRenderer
from tests.site.test_gtfs_timetable import DEMO_FEED, HAND_FEED

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "gtfs"
TODAY = date(2026, 12, 1)
SITE = SiteInfo("潮見市オープンデータ", "潮見市", "222054", "https://example.jp/opendata",
                "https://api.example.jp", TODAY)  # fmt: skip
PACKAGE = {"name": "community-bus", "title": "コミュニティバス時刻表"}
BASE = "dataset/community-bus/gtfs/"


def zipped(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


class Page(HTMLParser):
    """The parts of a page the tests look at."""

    def __init__(self, text: str):
        super().__init__()
        self.links: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.h1: list[str] = []
        self._in_h1 = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        for name in ("href", "src", "data-geojson"):
            if attributes.get(name):
                self.links.append(attributes[name])
        if tag == "h1":
            self._in_h1 = True
            self.h1.append("")

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_h1:
            self.h1[-1] += data


@pytest.fixture(scope="module")
def demo():
    renderer = SiteRenderer(SITE)
    files = {p.name: p.read_bytes() for p in sorted(DEMO_FEED.iterdir())}
    return gtfs_site(renderer, PACKAGE, {"format": "GTFS"}, zipped(files), "dataset/community-bus/")


def resolve(link: str, pages: dict[str, bytes]) -> bool:
    """True when an internal link points at a rendered page or file."""
    path = link.split("#")[0].split("?")[0].removeprefix("/opendata/")
    return path in pages or path + "index.html" in pages


def test_pages_and_summary(demo):
    pages = demo.pages
    for path in ("index.html", "routes/east/index.html", "stops/1001/index.html",
                 "signage/1001/index.html", "routes.geojson", "stops.geojson"):  # fmt: skip
        assert BASE + path in pages
    summary = demo.summary
    assert summary["start"] == "2026-04-01" and summary["end"] == "2027-03-31"
    assert summary["days_to_expiry"] == (date(2027, 3, 31) - TODAY).days
    assert summary["feed_url"] == "https://api.example.jp/gtfs/community-bus/feed.zip"
    assert summary["feed_page"] == BASE
    assert (summary["routes"], summary["stops"], summary["trips"]) == (3, 26, 30)
    assert summary["agencies"] == ["潮見市"]
    assert summary["route_list"][0] == {
        "id": "east", "name": "しおかぜバス東ルート", "color": "#E4007F",
        "text_color": "#FFFFFF", "path": BASE + "routes/east/",
    }  # fmt: skip


def test_internal_links_resolve_under_the_sub_path(demo):
    for path, body in demo.pages.items():
        if not path.endswith(".html"):
            continue
        page = Page(body.decode("utf-8"))
        assert len(page.h1) == 1, path
        for link in page.links:
            if link.startswith(("https://", "http://", "#")):
                continue
            assert link.startswith("/opendata/"), (path, link)
            if "/gtfs/" in link:
                assert resolve(link, demo.pages), (path, link)


def test_feed_page(demo):
    text = demo.pages[BASE + "index.html"].decode("utf-8")
    page = Page(text)
    assert page.h1 == ["コミュニティバス時刻表：路線・時刻表"]
    assert "2026年4月1日〜2027年3月31日" in text
    assert f"あと {(date(2027, 3, 31) - TODAY).days} 日" in text
    assert "https://api.example.jp/gtfs/community-bus/feed.zip" in text
    assert "304 Not Modified" in text and "ジョルダン" in text and "NAVITIME" in text
    maps = [a for t, a in page.tags if t == "div" and "data-map" in a]
    assert maps and maps[0]["data-geojson"] == "/opendata/" + BASE + "map.geojson"
    assert '<a class="skip-link-inline" href="#after-map">' in text
    assert "/opendata/static/vendor/leaflet/leaflet.js" in page.links
    # The map's alternative: every route and stop is listed as text.
    for name in ("しおかぜバス東ルート", "しおかぜバス北ルート", "しおかぜバス海岸ルート", "潮見駅"):
        assert name in text


def test_route_page_timetable_is_a_real_table(demo):
    text = demo.pages[BASE + "routes/east/index.html"].decode("utf-8")
    assert Page(text).h1 == ["しおかぜバス東ルート"]
    table = re.search(r"<table>.*?</table>", text, re.S).group(0)
    assert "<caption" in table and "（平日）3 便" in table
    assert '<th scope="col">停留所</th>' in table and '<th scope="col">1便</th>' in table
    assert '<th scope="row"><a href="/opendata/' + BASE + 'stops/1001/">潮見駅</a></th>' in table
    assert '<td class="num">7:20</td>' in table
    assert json.loads(demo.pages[BASE + "routes/east/route.geojson"])["features"]


def test_stop_page_hours_as_row_headers(demo):
    text = demo.pages[BASE + "stops/1001/index.html"].decode("utf-8")
    assert Page(text).h1 == ["潮見駅 時刻表"]
    assert "しおみえき" in text and "Shiomi Station" in text
    assert '<th scope="col">時</th><th scope="col">平日（分）</th>' in text
    hours = re.findall(r'<th scope="row">(\d+)時</th>', text)
    assert hours and hours[0] == "7"
    assert "/opendata/" + BASE + "signage/1001/" in Page(text).links


def test_signage_page_embeds_its_data(demo):
    text = demo.pages[BASE + "signage/1001/index.html"].decode("utf-8")
    assert text.startswith("<!doctype html>\n<html lang=\"ja\">")
    raw = re.search(r'data-signage="([^"]*)"', text).group(1)
    data = json.loads(html.unescape(raw))
    assert data["stop"] == "潮見駅" and len(data["departures"]) >= 10
    assert "本文へ移動" not in text  # its own full-screen layout, not base.html
    external = [l for l in Page(text).links if not l.startswith("/opendata/")]  # noqa: E741
    assert external == []  # no request beyond the page's own assets


def test_feed_url_from_the_resource(demo):
    renderer = SiteRenderer(SITE)
    files = {p.name: p.read_bytes() for p in sorted(DEMO_FEED.iterdir())}
    out = gtfs_site(renderer, PACKAGE, {"gtfs_feed_url": "https://feeds.example.jp/bus.zip"},
                    zipped(files), "dataset/community-bus")  # fmt: skip
    assert out.summary["feed_url"] == "https://feeds.example.jp/bus.zip"
    assert "https://feeds.example.jp/bus.zip" in out.pages[BASE + "index.html"].decode()


def test_odd_ids_make_safe_paths():
    odd = ["../x", "a/b", "..", ".", "A1", "a1", "S 3/?", "病院", "ok-1.2", "x.", "#q"]
    slugs = path_slugs(odd)
    assert len(set(slugs.values())) == len(odd)
    assert slugs["ok-1.2"] == "ok-1.2"
    for value in slugs.values():
        assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", value) and value not in (".", "..")
    assert slugs["A1"].lower() != slugs["a1"].lower()  # case-insensitive file systems

    renderer = SiteRenderer(SITE)
    out = gtfs_site(renderer, PACKAGE, {}, zipped(HAND_FEED), "dataset/community-bus/")
    for path in out.pages:
        assert path.startswith(BASE)
        parts = path.split("/")
        assert ".." not in parts and "" not in parts
        assert all(re.fullmatch(r"[A-Za-z0-9_.-]+", p) for p in parts), path
    hospital = BASE + "stops/" + path_slugs(["S 3/?"])["S 3/?"] + "/index.html"
    assert "病院 時刻表" in out.pages[hospital].decode()
    for path, body in out.pages.items():
        if path.endswith(".html"):
            for link in Page(body.decode()).links:
                if link.startswith("/opendata/" + BASE):
                    assert resolve(link, out.pages), (path, link)


def corpus(name: str) -> Path:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"corpus feed {name} not available")
    return path


@pytest.mark.corpus
def test_japanese_corpus_feed_renders():
    out = gtfs_site(SiteRenderer(SITE), {"name": "chiibus", "title": "ちぃばす"}, {},
                    corpus("minato_chiibus.zip").read_bytes(), "dataset/chiibus/")  # fmt: skip
    base = "dataset/chiibus/gtfs/"
    feed_page = out.pages[base + "index.html"].decode()
    assert "日曜・祝日" in feed_page
    assert out.summary["routes"] >= 1 and out.summary["stops"] >= 100
    stop_pages = [p for p in out.pages if p.startswith(base + "stops/")]
    assert len(stop_pages) == out.summary["stops"]  # below the cap: every stop has a page
    sample = out.pages[stop_pages[0]].decode()
    assert "<caption" in sample and '<th scope="row">' in sample


@pytest.mark.corpus
def test_vilnius_stays_within_the_caps():
    out = gtfs_site(SiteRenderer(SITE), {"name": "vilnius", "title": "Vilnius"}, {},
                    corpus("vilnius.zip").read_bytes(), "dataset/vilnius/")  # fmt: skip
    base = "dataset/vilnius/gtfs/"
    stop_pages = [p for p in out.pages if p.startswith(base + "stops/")]
    assert out.summary["stops"] > MAX_STOP_PAGES
    assert len(stop_pages) == MAX_STOP_PAGES
    skipped = out.summary["stops"] - MAX_STOP_PAGES
    assert f"{skipped:,} か所は時刻表のページがありません" in out.pages[base + "index.html"].decode()
