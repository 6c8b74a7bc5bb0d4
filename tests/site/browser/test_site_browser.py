"""The built demo site in Chromium, served by `kokai serve`'s app beside the
API: search by a two-character word, the dataset page's preview and map, a
counted download, keyboard use, and axe-core on every page type."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest

from kokai.catalog.client import LocalCatalog
from kokai.catalog.db import dispose_engine
from kokai.gtfs.timetable import load_timetable, services_on
from tests.publish.conftest import REPO
from tests.site.conftest import DemoCity, publish_demo_city

DEMO_FEED = REPO / "datasets" / "community-bus" / "feed"
JST = timezone(timedelta(hours=9))


@dataclass
class ServedSite:
    url: str  # the API and the site at /
    city: DemoCity
    out: Path

    def catalog(self) -> LocalCatalog:
        return self.city.catalog()


@pytest.fixture(scope="module")
def served_site(tmp_path_factory) -> Iterator[ServedSite]:
    import uvicorn

    from kokai.web.app import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    root = tmp_path_factory.mktemp("browser-city")
    city = publish_demo_city(root / "city", site_url=url)
    out = root / "_site"
    city.builder(out, base_url=url).build()
    city.config.site_dir = out
    server = uvicorn.Server(uvicorn.Config(create_app(city.config), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        assert time.time() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    yield ServedSite(url, city, out)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    dispose_engine(city.config)


def search(page, site: ServedSite, words: str) -> list[str]:
    page.goto(f"{site.url}/datasets/")
    page.get_by_label("キーワードで探す").fill(words)
    page.get_by_role("button", name="検索").click()
    status = page.locator("#search-status")
    status.wait_for(state="visible")
    page.wait_for_function("() => document.querySelector('#search-status').textContent.trim() !== ''")
    return page.locator("#search-results li a").evaluate_all("els => els.map(e => e.textContent)")


def test_search_finds_datasets_by_two_character_words(page, served_site):
    titles = search(page, served_site, "避難")
    assert "指定避難所一覧" in titles and "指定緊急避難場所一覧" in titles
    assert "公共施設一覧" not in titles
    assert "件見つかりました" in page.locator("#search-status").text_content()
    assert "q=" in page.url  # the query is kept in the address, so it can be shared
    titles = search(page, served_site, "バス")
    assert titles[0] == "コミュニティバス しおかぜバス 時刻表（GTFS-JP）"
    search(page, served_site, "存在しない言葉")
    assert "見つかりませんでした" in page.locator("#search-status").text_content()
    assert page.script_errors == []


def test_search_from_the_address_and_by_keyboard(page, served_site):
    page.goto(f"{served_site.url}/datasets/?q=人口")
    page.wait_for_function("() => document.querySelector('#search-status').textContent.trim() !== ''")
    assert "地域・年齢別人口" in page.locator("#search-results").text_content()
    page.goto(f"{served_site.url}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "本文へ移動"
    page.get_by_label("データセットをキーワードで探す").focus()
    page.keyboard.type("避難")
    page.keyboard.press("Enter")
    page.wait_for_url("**/datasets/?q=*")
    page.wait_for_function("() => document.querySelector('#search-status').textContent.trim() !== ''")
    assert "指定避難所一覧" in page.locator("#search-results").text_content()


def test_dataset_page_shows_preview_and_map(page, served_site):
    page.goto(f"{served_site.url}/dataset/shelters/")
    table = page.get_by_role("table").filter(has_text="施設・場所名")
    assert table.locator("tbody tr").count() == 20
    assert table.locator("tbody tr").first.locator("td").nth(2).text_content() == "潮見第一小学校"
    page.locator(".leaflet-container").wait_for()
    assert page.locator(".leaflet-marker-icon").count() == 25
    attribution = page.locator(".leaflet-control-attribution")
    assert attribution.is_visible() and "地理院タイル" in attribution.text_content()
    outside = {u.split("/")[2] for u in page.outside_requests}
    assert outside <= {"cyberjapandata.gsi.go.jp"}, outside
    assert page.script_errors == []


def test_a_download_through_the_site_is_counted(page, served_site):
    catalog = served_site.catalog()
    before = catalog.action.package_show(id="population")["tracking_summary"]["total"]
    page.goto(f"{served_site.url}/dataset/population/")
    with page.expect_download() as download:
        page.get_by_role("link", name="をダウンロード").first.click()
    assert download.value.suggested_filename.endswith(".csv")
    deadline = time.time() + 10
    while catalog.action.package_show(id="population")["tracking_summary"]["total"] == before:
        assert time.time() < deadline, "the download was not counted"
        time.sleep(0.1)
    assert catalog.action.package_show(id="population")["tracking_summary"]["total"] == before + 1


PAGE_TYPES = [
    "/",
    "/datasets/",
    "/datasets/?q=避難",
    "/datasets/tag/",
    "/datasets/format/CSV/",
    "/dataset/shelters/",
    "/dataset/population/",
    "/dataset/community-bus/",
    "/dataset/community-bus/gtfs/",
    "/dataset/community-bus/gtfs/routes/east/",
    "/dataset/community-bus/gtfs/stops/1001/",
    "/dataset/community-bus/gtfs/signage/1001/?now=2026-12-01T08:00:00%2B09:00",
    "/organizations/",
    "/organization/shiomi-city-bousai/",
    "/reuses/",
    "/metrics/",
    "/accessibility/",
    "/api/",
]


@pytest.mark.parametrize("path", PAGE_TYPES)
def test_no_serious_accessibility_violations(page, served_site, axe_violations, path):
    page.add_init_script(
        "window.cspViolations = []; document.addEventListener('securitypolicyviolation',"
        " e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.goto(served_site.url + path)
    if "signage" in path:
        page.locator("#signage-rows tr").first.wait_for()
    if "?q=" in path:
        page.wait_for_function("() => document.querySelector('#search-status').textContent.trim() !== ''")
    if page.locator("[data-map]").count():
        page.locator(".leaflet-container").first.wait_for()
    violations = axe_violations(page)
    assert not violations, str(violations)
    assert page.script_errors == []
    # the built site asks nothing of other hosts but the map tiles, and its own
    # Content-Security-Policy lets everything it needs through
    assert {u.split("/")[2] for u in page.outside_requests} <= {"cyberjapandata.gsi.go.jp"}
    assert page.evaluate("window.cspViolations") == []


def expected_next(day: date, minute: int) -> tuple[str, str]:
    """The next departure at 潮見駅 (stop 1001) from the demo feed itself: the
    services running on `day` (calendar + calendar_dates), the first at or
    after `minute`; else the first of the next day with service."""
    timetable = load_timetable(DEMO_FEED)
    departures = timetable.departures["1001"]
    for offset in range(8):
        running = services_on(timetable.calendar, day + timedelta(days=offset))
        times = sorted(
            d.time for d in departures
            if d.service_id in running and (offset or d.time // 60 >= minute)
        )  # fmt: skip
        if times:
            hours, minutes = divmod(times[0] // 60, 60)
            return f"{hours % 24}:{minutes:02d}", "ended" if offset else ""
    raise AssertionError("no service in a week")


@pytest.mark.parametrize(
    "now, day, minute",
    [
        ("2026-12-01T08:00:00+09:00", date(2026, 12, 1), 8 * 60),  # a Tuesday
        ("2026-11-23T08:00:00+09:00", date(2026, 11, 23), 8 * 60),  # 勤労感謝の日, a Monday
        ("2026-12-02T00:40:00+09:00", date(2026, 12, 2), 40),  # after midnight
        ("2026-12-01T21:00:00+09:00", date(2026, 12, 1), 21 * 60),  # after the last bus
    ],
)
def test_signage_shows_the_next_departure_for_a_fixed_clock(page, served_site, now, day, minute):
    time_text, ended = expected_next(day, minute)
    page.goto(f"{served_site.url}/dataset/community-bus/gtfs/signage/1001/?now={quote(now)}")
    first = page.locator("#signage-rows tr").first
    first.wait_for()
    assert first.locator("td.time").text_content() == time_text
    assert page.locator("#signage-clock").text_content() == f"{int(now[11:13])}:{now[14:16]}"
    status = page.locator("#signage-status").text_content()
    assert ("運行は終了しました" in status) == bool(ended), status


def test_signage_follows_the_clock_without_the_network(page, served_site):
    page.clock.install(time=datetime(2026, 12, 1, 8, 0, tzinfo=JST))
    page.goto(f"{served_site.url}/dataset/community-bus/gtfs/signage/1001/")
    first_time = page.locator("#signage-rows tr td.time").first
    first_time.wait_for()
    assert first_time.text_content() == expected_next(date(2026, 12, 1), 8 * 60)[0]
    page.context.set_offline(True)
    page.clock.run_for("03:00:00")  # the page's own timer redraws it, with no request
    assert page.locator("#signage-clock").text_content() == "11:00"
    assert first_time.text_content() == expected_next(date(2026, 12, 1), 11 * 60)[0]
    assert page.script_errors == []
