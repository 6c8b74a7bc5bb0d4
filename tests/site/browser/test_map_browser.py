"""The map in a real browser: a page extending base.html, served under a
sub-path from 127.0.0.1, with Leaflet copied from node_modules and map.js."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
import pytest
from markupsafe import Markup

from kokai.site.assets import copy_vendor_assets
from kokai.site.render import STATIC, SiteInfo, SiteRenderer

SHELTERS = [
    ("潮見小学校", 35.6581, 139.7017, "/opendata/shelter/shiomi-es/"),
    ("潮見中央公民館", 35.6612, 139.7075, None),
    ("みなと公園", 35.6549, 139.7101, None),
]
BUS_LINE = {"name": "コミュニティバス 北ルート", "color": "#b00020"}

MAP_PAGE = """{% extends "base.html" %}
{% block title %}避難所の地図{% endblock %}
{% block head %}
<link rel="stylesheet" href="{{ asset('vendor/leaflet/leaflet.css') }}">
<link rel="stylesheet" href="{{ asset('map.css') }}">
{% endblock %}
{% block main %}
<h1>避難所の地図</h1>
<a href="#after-map" data-map-skip="shelter-map" hidden>地図を飛ばして一覧へ</a>
<div class="map" id="shelter-map" data-map hidden aria-label="避難所とバス路線の地図"{% if geojson_url %} data-geojson="{{ geojson_url }}"{% endif %}>
{% if inline_json %}<script type="application/json">{{ inline_json }}</script>{% endif %}
</div>
<h2 id="after-map" tabindex="-1">避難所の一覧</h2>
<table>
  <caption>避難所</caption>
  <thead><tr><th scope="col">名称</th><th scope="col">緯度</th><th scope="col">経度</th></tr></thead>
  <tbody>
  {% for name, lat, lon, _ in shelters %}
  <tr><td>{{ name }}</td><td>{{ lat }}</td><td>{{ lon }}</td></tr>
  {% endfor %}
  </tbody>
</table>
{% endblock %}
{% block scripts %}
{% if with_leaflet %}<script src="{{ asset('vendor/leaflet/leaflet.js') }}"></script>{% endif %}
<script src="{{ asset('map.js') }}"></script>
{% endblock %}
"""


def feature_collection(shelters=SHELTERS, line=BUS_LINE) -> dict:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"name": name, "url": url, "description": "指定緊急避難場所"},
        }
        for name, lat, lon, url in shelters
    ]
    features.append({
        "type": "Feature",
        "geometry": {"type": "LineString",
                     "coordinates": [[lon, lat] for _, lat, lon, _ in shelters]},
        "properties": line,
    })
    return {"type": "FeatureCollection", "features": features}


def build_map_site(out: Path, *, inline: dict | None = None, with_leaflet: bool = True) -> None:
    """A one-page site under /opendata/: map/index.html (+ map/data.geojson)."""
    site = SiteInfo(
        title="潮見市オープンデータ", city_name="潮見市", city_code="999999",
        base_url="https://opendata.example.jp/opendata", api_url="https://opendata.example.jp/api",
        today=date(2026, 11, 27),
    )
    renderer = SiteRenderer(site)
    renderer.env.loader = jinja2.ChoiceLoader(
        [jinja2.DictLoader({"map_test.html": MAP_PAGE}), renderer.env.loader]
    )
    shutil.copytree(STATIC, out / "static", dirs_exist_ok=True)
    copy_vendor_assets(out)
    (out / "map").mkdir(parents=True)
    (out / "map" / "data.geojson").write_text(
        json.dumps(feature_collection(), ensure_ascii=False), encoding="utf-8"
    )
    # Inline JSON inside <script>: "<" escaped so data cannot close the element.
    inline_json = json.dumps(inline, ensure_ascii=False).replace("<", "\\u003c") if inline else ""
    (out / "map" / "index.html").write_bytes(renderer.page(
        "map_test.html",
        shelters=SHELTERS,
        geojson_url="" if inline else renderer.url("map/data.geojson"),
        inline_json=Markup(inline_json),
        with_leaflet=with_leaflet,
        breadcrumbs=[("避難所の地図", "map/")],
    ))


@pytest.fixture
def map_page(page, static_server, tmp_path):
    build_map_site(tmp_path)
    base = static_server(tmp_path, "/opendata/")
    page.goto(base + "map/")
    page.locator("#shelter-map.leaflet-container").wait_for()
    page.locator("#shelter-map .leaflet-marker-icon").nth(len(SHELTERS) - 1).wait_for()
    return page


def focused_marker_name(page) -> str | None:
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return e && e.classList.contains('leaflet-marker-icon') ? e.alt : null; }"
    )


def test_map_shows_points_and_line_on_gsi_tiles(map_page):
    page = map_page
    markers = page.locator("#shelter-map .leaflet-marker-icon")
    assert sorted(markers.evaluate_all("els => els.map(e => e.alt)")) == sorted(
        name for name, *_ in SHELTERS
    )
    line = page.locator("#shelter-map path.leaflet-interactive")
    assert line.count() == 1
    assert line.get_attribute("aria-label") == BUS_LINE["name"]
    line.focus()  # the line's name shows without a mouse, in a tooltip
    assert page.locator("#shelter-map .leaflet-tooltip").inner_text() == BUS_LINE["name"]
    assert page.locator("#shelter-map").get_attribute("role") == "region"
    # The skip link, hidden without JavaScript, is shown with the map.
    assert page.locator("[data-map-skip]").is_visible()
    attribution = page.locator("#shelter-map .leaflet-control-attribution")
    link = attribution.get_by_role("link", name="地理院タイル")
    assert link.is_visible()
    assert link.get_attribute("href") == "https://maps.gsi.go.jp/development/ichiran.html"
    tiles = page.locator("#shelter-map img.leaflet-tile")
    tiles.first.wait_for(state="attached")
    assert "cyberjapandata.gsi.go.jp/xyz/std/" in tiles.first.get_attribute("src")
    assert page.script_errors == []


def test_only_tile_requests_leave_the_machine(map_page, outside_requests):
    page = map_page
    # A tile whose request was aborted is "complete" (failed): the router has seen it.
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.leaflet-tile')].some(img => img.complete)"
    )
    assert outside_requests, "the map should at least ask for its tiles"
    hosts = {urlsplit(url).hostname for url in outside_requests}
    assert hosts == {"cyberjapandata.gsi.go.jp"}, outside_requests


def test_markers_work_from_the_keyboard(map_page):
    page = map_page
    page.locator("[data-map-skip]").focus()
    names = set()
    for _ in range(4 + len(SHELTERS)):  # the map, its line, then its markers
        page.keyboard.press("Tab")
        if name := focused_marker_name(page):
            names.add(name)
            if len(names) == 1:
                first = name
                page.keyboard.press("Enter")
                popup = page.locator("#shelter-map .leaflet-popup-content")
                popup.wait_for()
                assert first in popup.inner_text()
                assert "指定緊急避難場所" in popup.inner_text()
                page.keyboard.press("Escape")
                popup.wait_for(state="detached")
                assert focused_marker_name(page) == first
    assert names == {name for name, *_ in SHELTERS}

    # Focus leaves the map with Tab (no trap), through the zoom and attribution links.
    for _ in range(12):
        page.keyboard.press("Tab")
        if not page.evaluate(
            "() => document.getElementById('shelter-map').contains(document.activeElement)"
        ):
            break
    else:
        pytest.fail("keyboard focus stays inside the map")


def test_popup_link_and_text_from_data_are_not_html(page, static_server, tmp_path):
    hostile = [("<img src=x onerror=window.pwned=1>潮見", 35.66, 139.70, "javascript:alert(1)")]
    build_map_site(tmp_path, inline=feature_collection(hostile, {"name": "<b>線</b>"}))
    page.goto(static_server(tmp_path, "/opendata/") + "map/")
    marker = page.locator("#shelter-map .leaflet-marker-icon")
    marker.wait_for()
    marker.focus()
    page.keyboard.press("Enter")
    popup = page.locator("#shelter-map .leaflet-popup-content")
    popup.wait_for()
    assert "<img src=x onerror=window.pwned=1>潮見" in popup.inner_text()
    assert popup.locator("img").count() == 0
    # A javascript: URL is dropped: the name is shown as plain text, not as a link.
    assert popup.locator("a").count() == 0
    assert page.evaluate("() => window.pwned") is None


def test_without_leaflet_map_js_does_nothing(page, static_server, tmp_path):
    build_map_site(tmp_path, with_leaflet=False)
    page.goto(static_server(tmp_path, "/opendata/") + "map/")
    page.locator("table").wait_for()
    assert page.locator("#shelter-map").is_hidden()
    assert page.locator("[data-map-skip]").is_hidden()
    assert page.locator(".leaflet-container").count() == 0
    assert page.script_errors == []


def test_map_page_has_no_serious_accessibility_violation(map_page, axe_violations):
    violations = axe_violations(map_page)
    assert not violations, str(violations)
