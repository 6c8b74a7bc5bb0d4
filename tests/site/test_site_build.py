"""`kokai site build` on the published demo city: every page type, links that
resolve under a sub-path, what a dataset page carries, private data kept out,
and incremental builds equal to full ones."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from kokai.cli import main as kokai_main
from kokai.site import pages
from tests.publish.conftest import REPO
from tests.site.conftest import PRIVATE_TITLE, publish_demo_city

BASE = "https://opendata.example.jp/shiomi"


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.lang = None
        self.scripts_ld: list[str] = []
        self._in_ld = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        for name in ("href", "src", "data-geojson"):
            if attrs.get(name):
                self.links.append(attrs[name])
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        self._in_ld = tag == "script" and attrs.get("type") == "application/ld+json"

    def handle_data(self, data):
        if self._in_ld:
            self.scripts_ld.append(data)

    def handle_endtag(self, tag):
        self._in_ld = False


def parse(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text("utf-8"))
    return parser


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def site_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def test_every_page_type_is_built_in_japanese(built_site):
    for path in (
        "index.html", "datasets/index.html", "datasets/tag/index.html", "datasets/format/CSV/index.html",
        "dataset/shelters/index.html", "dataset/community-bus/index.html",
        "organizations/index.html", "organization/shiomi-city-bousai/index.html",
        "reuses/index.html", "metrics/index.html", "accessibility/index.html", "api/index.html",
        "data.json", "catalog.jsonld", "feed.atom", "sitemap.xml", "robots.txt",
    ):  # fmt: skip
        assert (built_site / path).is_file(), path
    for page in html_pages(built_site):
        assert parse(page).lang == "ja", page


def test_internal_links_resolve_under_the_sub_path(built_site):
    prefix = urlsplit(BASE).path + "/"
    broken = []
    for page in html_pages(built_site):
        parsed = parse(page)
        for link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith("#") or link.startswith("mailto:"):
                continue
            assert link.startswith(prefix), f"{page}: {link} is not under {prefix}"
            target = built_site / unquote(parts.path[len(prefix) :])
            if parts.path.endswith("/"):
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{page.relative_to(built_site)} → {link}")
            if parts.fragment and target.suffix == ".html" and target.is_file():
                assert parts.fragment in parse(target).ids, f"{page} → {link}"
    assert broken == []


def test_dataset_page_has_preview_map_attribution_and_json_ld(built_site):
    page = built_site / "dataset/shelters/index.html"
    html = page.read_text("utf-8")
    with (REPO / "datasets/shelters/shelters.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    # the preview shows the header and the first rows as a table
    for header in rows[0]:
        assert f'<th scope="col">{header}</th>' in html
    assert f"<td>{rows[1][2]}</td>" in html and f"<td>{rows[20][2]}</td>" in html
    assert f"<td>{rows[21][2]}</td>" not in html  # only the first 20 rows
    # the map's points are the rows with coordinates, its alternative lists them
    points = json.loads((built_site / "dataset/shelters/points.geojson").read_text("utf-8"))
    assert len(points["features"]) == len(rows) - 1
    assert points["features"][0]["geometry"]["coordinates"] == [
        float(rows[1][8]),
        float(rows[1][7]),
    ]
    assert 'data-geojson="/shiomi/dataset/shelters/points.geojson"' in html
    assert "地図を飛ばす" in html and "地点の一覧" in html
    assert "static/vendor/leaflet/leaflet.js" in html
    # licence and the text to copy
    assert "出典：潮見市 危機管理課「指定避難所一覧」（" in html
    assert f"{BASE}/dataset/shelters/" in html
    # downloads go through the catalog's counted URL
    assert re.search(
        r'href="http://127\.0\.0\.1:8000/dataset/[0-9a-f-]+/resource/[0-9a-f-]+/download/shelters\.csv"',
        html,
    )
    # validation, quality, downloads and the approved reuse
    assert "エラー・警告はありません" in html and "品質スコア" in html
    assert "避難所マップ（テスト）" in html
    (ld,) = parse(page).scripts_ld
    data = json.loads(ld)
    assert data["@type"] == "Dataset" and data["name"] == "指定避難所一覧"
    assert data["distribution"][0]["contentUrl"].endswith("/download/shelters.csv")
    assert data["license"].startswith("https://creativecommons.org/licenses/by/4.0")


def test_a_table_without_coordinates_gets_no_map(built_site):
    html = (built_site / "dataset/population/index.html").read_text("utf-8")
    assert "データの中身" in html
    assert (
        "data-map" not in html and not (built_site / "dataset/population/points.geojson").exists()
    )


def test_private_datasets_never_reach_the_site(built_site):
    for path, content in site_files(built_site).items():
        assert PRIVATE_TITLE.encode() not in content, path
        assert b"private-staff" not in content, path


def test_home_lists_newest_and_most_downloaded(built_site):
    html = (built_site / "index.html").read_text("utf-8")
    assert (
        "新着・更新されたデータセット" in html and "よくダウンロードされているデータセット" in html
    )
    assert "公開しているオープンデータ 5 件" in html
    # the demo log makes community-bus the most downloaded: first in that list
    popular = html.split("よくダウンロードされている", 1)[1]
    assert popular.index("dataset/community-bus/") < popular.index("dataset/shelters/")


def test_facet_pages_work_as_plain_links(built_site):
    html = (built_site / "datasets/index.html").read_text("utf-8")
    assert 'href="/shiomi/datasets/format/GTFS/"' in html
    gtfs = (built_site / "datasets/format/GTFS/index.html").read_text("utf-8")
    assert "dataset/community-bus/" in gtfs and "dataset/shelters/" not in gtfs
    tag = built_site / "datasets/tag/指定避難所/index.html"
    assert "dataset/shelters/" in tag.read_text("utf-8")


def test_incremental_builds_equal_a_full_build(tmp_path, monkeypatch):
    monkeypatch.setattr(pages, "ATOM_ENTRIES", 2)  # the feed keeps 2: a removal brings in a third
    city = publish_demo_city(tmp_path / "city")
    out = tmp_path / "incremental" / "_site"
    first = city.builder(out).build()
    assert first.full and len(first.changed) == 5
    again = city.builder(out).build()
    assert not again.full and again.written == [] and again.deleted == [] and again.units_built == 0

    catalog = city.catalog()
    catalog.action.package_patch(id="population", title="地域別人口（改訂）")
    changed = city.builder(out).build()
    assert changed.changed == ["population"]
    assert "dataset/population/index.html" in changed.written
    assert "dataset/shelters/index.html" not in changed.written
    assert not any(p.startswith("dataset/community-bus/") for p in changed.written)

    # leaving tags takes the dataset off those lists; lists it was never on stay untouched
    catalog.action.package_patch(id="shelters", tags=[{"name": "避難所"}, {"name": "新しいタグ"}])
    retagged = city.builder(out).build()
    assert "datasets/tag/新しいタグ/index.html" in retagged.written
    assert not (out / "datasets/tag/福祉避難所").exists()  # shelters was its only dataset
    bousai = (out / "datasets/tag/防災/index.html").read_text("utf-8")
    assert "dataset/evacuation-sites/" in bousai and "dataset/shelters/" not in bousai
    assert "datasets/tag/GTFS/index.html" not in retagged.written

    catalog.action.package_delete(id="evacuation-sites")
    deleted = city.builder(out).build()
    assert deleted.removed == ["evacuation-sites"]
    assert not (out / "dataset/evacuation-sites").exists()
    catalog.action.package_delete(id="shelters")  # the newest: the feed's third comes in
    city.builder(out).build()

    full = tmp_path / "full" / "_site"
    city.builder(full).build(full=True)
    incremental_files, full_files = site_files(out), site_files(full)
    assert sorted(incremental_files) == sorted(full_files)
    different = [p for p in full_files if incremental_files[p] != full_files[p]]
    assert different == []
    assert all(b"evacuation-sites/" not in c for c in full_files.values() if c)


def test_a_new_base_url_rebuilds_everything(tmp_path, demo_city):
    out = tmp_path / "_site"
    demo_city.builder(out, base_url="https://a.example.jp").build()
    report = demo_city.builder(out, base_url="https://b.example.jp/data").build()
    assert report.full
    assert 'href="/data/datasets/"' in (out / "index.html").read_text("utf-8")


def test_site_build_command(tmp_path, demo_city, capsys):
    out = tmp_path / "cli-site"
    config = str(demo_city.root / "kokai.toml")
    code = kokai_main(
        ["--config", config, "site", "build", "--out", str(out), "--date", "2026-11-27"]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "公開サイトを作りました（すべて）" in printed and "5 datasets" in printed
    assert (out / "index.html").is_file()
    code = kokai_main(
        ["--config", config, "site", "build", "--out", str(out), "--base-url", "ftp://x"]
    )
    assert code != 0
    assert "--base-url" in capsys.readouterr().err


@pytest.fixture
def served(demo_city, built_site, monkeypatch):
    from fastapi.testclient import TestClient

    from kokai.web.app import create_app

    demo_city.config.site_dir = built_site
    with TestClient(create_app(demo_city.config)) as client:
        yield client


def test_serve_mounts_the_site_beside_the_api(served):
    home = served.get("/")
    assert home.status_code == 200 and '<html lang="ja">' in home.text
    assert served.get("/dataset/shelters/").status_code == 200
    assert served.get("/api/3/action/package_show?id=shelters").json()["success"] is True
    assert served.get("/no-such-page/").status_code == 404


def test_preview_reads_cp932_and_caps_rows():
    from kokai.site.preview import PREVIEW_ROWS, table_preview

    text = "名称,緯度,経度\r\n" + "".join(f"施設{i},35.{i:04d},139.5\r\n" for i in range(100))
    preview = table_preview(text.encode("cp932"), complete=True)
    assert preview.fields == ["名称", "緯度", "経度"]
    assert len(preview.rows) == PREVIEW_ROWS and preview.truncated
    assert len(preview.points) == 100 and preview.points[3]["properties"]["name"] == "施設3"
    # a file cut at the read limit drops its last, partial line
    cut = table_preview(text.encode("utf-8")[:200], complete=False)
    assert all(len(row) == 3 for row in cut.rows) and cut.truncated and cut.points_truncated


def test_pages_carry_no_paths_of_the_build_machine(built_site, demo_city):
    for path, content in site_files(built_site).items():
        assert str(demo_city.root).encode() not in content, path
        assert str(built_site).encode() not in content, path


def test_publish_updates_a_site_built_before(tmp_path, capsys):
    city = publish_demo_city(tmp_path / "city")
    config = ["--config", str(city.root / "kokai.toml")]
    city.config.site_dir.mkdir(parents=True, exist_ok=True)
    assert kokai_main([*config, "site", "build", "--date", "2026-11-27"]) == 0
    descriptor = city.root / "datasets/population/datapackage.yaml"
    descriptor.write_text(
        descriptor.read_text("utf-8").replace("地域・年齢別人口", "地域別人口（2026年版）", 1),
        "utf-8",
    )
    capsys.readouterr()
    code = kokai_main([*config, "publish", str(descriptor.parent), "--date", "2026-11-27"])
    assert code == 0
    assert "公開サイトを作りました（変わったところだけ）" in capsys.readouterr().err
    page = (city.config.site_dir / "dataset/population/index.html").read_text("utf-8")
    assert "地域別人口（2026年版）" in page


def test_a_new_download_rebuilds_that_dataset_page_only(tmp_path):
    from fastapi.testclient import TestClient

    from kokai.web.app import create_app

    city = publish_demo_city(tmp_path / "city")
    out = tmp_path / "_site"
    city.builder(out).build()
    before = (out / "dataset/population/index.html").read_text("utf-8")
    url = city.catalog().action.package_show(id="population")["resources"][0]["url"]
    with TestClient(create_app(city.config)) as client:
        assert (
            client.get(urlsplit(url).path, headers={"User-Agent": "Mozilla/5.0"}).status_code == 200
        )
    report = city.builder(out).build()
    assert [p for p in report.written if p.startswith("dataset/")] == [
        "dataset/population/index.html"
    ]
    count = re.compile(r"ダウンロード数（過去12か月）：([0-9,]+) 回")
    assert (
        int(count.search((out / "dataset/population/index.html").read_text("utf-8")).group(1))
        == int(count.search(before).group(1)) + 1
    )


def test_a_broken_feed_put_in_through_the_api_does_not_stop_the_build(tmp_path):
    """A catalog filled through the API (no publish gate) still builds; the page says why
    there is no timetable."""
    city = publish_demo_city(tmp_path / "city")
    catalog = city.catalog()
    organization = catalog.action.package_show(id="shelters")["owner_org"]
    broken = catalog.action.package_create(
        name="broken-bus", title="壊れたバス", owner_org=organization
    )
    catalog.action.resource_create(package_id=broken["id"], name="feed", format="GTFS",
                                   upload=("feed.zip", io.BytesIO(b"not a zip")))  # fmt: skip
    out = tmp_path / "_site"
    report = city.builder(out).build()
    assert "broken-bus" in report.changed
    page = (out / "dataset/broken-bus/index.html").read_text("utf-8")
    assert "時刻表のページを作れませんでした" in page
    assert not (out / "dataset/broken-bus/gtfs").exists()
    assert (out / "dataset/community-bus/gtfs/index.html").is_file()


def test_dataset_pages_rendered_by_worker_processes_equal_the_serial_ones(
    tmp_path, demo_city, monkeypatch
):
    from kokai.site import parallel

    serial = tmp_path / "serial" / "_site"
    demo_city.builder(serial).build()
    monkeypatch.setattr(parallel, "MIN_PAGES", 1)
    monkeypatch.setattr(parallel, "worker_count", lambda: 2)
    pools = []

    class CountedWorkers(parallel.DatasetWorkers):
        def submit(self, out_dir, packages):
            pools.append(len(packages))
            super().submit(out_dir, packages)

    monkeypatch.setattr(parallel, "DatasetWorkers", CountedWorkers)
    workers = tmp_path / "workers" / "_site"
    report = demo_city.builder(workers).build()
    assert pools == [5]  # every dataset page went to the worker processes
    assert "dataset/shelters/index.html" in report.written
    assert site_files(workers) == site_files(serial)


def test_a_changed_template_or_asset_changes_the_fingerprint(tmp_path, monkeypatch):
    """Pages are rebuilt by a kokai whose templates differ, not only its assets."""
    from kokai.site import render

    for name in ("TEMPLATES", "STATIC"):
        copy = tmp_path / name.lower()
        shutil.copytree(getattr(render, name), copy)
        monkeypatch.setattr(render, name, copy)
    before = render.static_fingerprint()
    home = tmp_path / "templates" / "home.html"
    home.write_text(home.read_text("utf-8") + "\n", "utf-8")
    after_template = render.static_fingerprint()
    css = tmp_path / "static" / "site.css"
    css.write_text(css.read_text("utf-8") + "\n", "utf-8")
    assert len({before, after_template, render.static_fingerprint()}) == 3


def test_one_build_at_a_time(tmp_path, demo_city):
    """A build waits while another holds the site's lock (a staff publish and a CLI one)."""
    import fcntl
    import threading

    out = tmp_path / "_site"
    builder = demo_city.builder(out)
    builder.state_dir.mkdir(parents=True)
    reports = []
    with open(builder.state_dir / ".lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        thread = threading.Thread(target=lambda: reports.append(builder.build()))
        thread.start()
        thread.join(timeout=1.5)
        assert thread.is_alive() and not out.exists()  # waiting, nothing written
    thread.join(timeout=120)
    assert reports and reports[0].full and (out / "index.html").is_file()


def test_lists_put_the_newest_published_first_and_a_change_rewrites_only_its_pages(tmp_path):
    """Lists follow publication order, which no update changes, and their pages are
    counted from the oldest end: a new title rewrites only the pages the dataset is
    on (in title order it moved the dataset across pages), and a new dataset only
    the first page of its lists."""
    from kokai.catalog.client import LocalCatalog
    from kokai.site.build import SiteBuilder
    from tests.publish.conftest import DEMO_TODAY, empty_city

    config = empty_city(tmp_path / "city", f"sqlite:///{tmp_path / 'catalog.sqlite3'}")
    catalog = LocalCatalog(config).as_site()
    catalog.action.organization_create(name="bousai", title="防災課")
    for number in range(160):  # the first page (the newest 60) and two older pages of 50
        catalog.action.package_create(
            name=f"dataset-{number:03d}", title=f"データ{159 - number:03d}", owner_org="bousai",
            tags=[{"name": "防災" if number % 2 else "統計"}],
        )  # fmt: skip
    out = tmp_path / "_site"

    def build():
        return SiteBuilder(config, out, today=DEMO_TODAY).build()

    def lists_written(report) -> list[str]:
        return sorted(p for p in report.written if p.startswith("datasets/"))

    build()
    first_page = (out / "datasets/index.html").read_text("utf-8")
    assert first_page.index("dataset/dataset-159/") < first_page.index("dataset/dataset-158/")
    assert "dataset/dataset-100/" in first_page and "dataset/dataset-099/" not in first_page
    older = (out / "datasets/page/2/index.html").read_text("utf-8")
    assert "dataset/dataset-099/" in older and "dataset/dataset-050/" in older
    assert 'page/1/" rel="next">古いもの' in older and 'datasets/" rel="prev">新しいもの' in older
    assert "古いほうから2ページ目" in older
    assert "dataset/dataset-049/" in (out / "datasets/page/1/index.html").read_text("utf-8")

    catalog.action.package_patch(id="dataset-060", title="あたらしい題名")  # on the page of 99 to 50
    assert lists_written(build()) == [
        "datasets/organization/bousai/page/2/index.html", "datasets/page/2/index.html",
        "datasets/tag/統計/index.html",
    ]  # fmt: skip

    catalog.action.package_create(name="dataset-new", title="新しいデータ", owner_org="bousai")
    assert lists_written(build()) == [  # and the organisations' counts
        "datasets/index.html", "datasets/organization/bousai/index.html",
        "datasets/organization/index.html",
    ]  # fmt: skip
    assert "dataset/dataset-new/" in (out / "datasets/index.html").read_text("utf-8")
