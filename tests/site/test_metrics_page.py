"""The metrics page (利用状況) rendered from the demo city's metrics report:
the tables carry the report's numbers, the charts are named, the demo-data
notice shows, and text from the catalog stays escaped."""

from __future__ import annotations

import copy
from datetime import date
from html.parser import HTMLParser

import pytest

from kokai.site.metrics_page import metrics_page, month_label
from kokai.site.render import SiteInfo, SiteRenderer

NOTICE = "デモデータを含みます"


class Tables(HTMLParser):
    """Table rows (cell texts) by their caption's id, and every element id."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.ids: set[str] = set()
        self.h1: list[str] = []
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._in_h1 = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "table":
            self._table = []
        elif tag == "caption" and self._table is not None:
            self.tables[attrs["id"]] = self._table
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []
        elif tag == "h1":
            self._in_h1 = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self._table[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._in_h1:
            self.h1.append(data)


@pytest.fixture(scope="module")
def report(demo_city) -> dict:
    return demo_city.catalog().action.metrics_report()


@pytest.fixture(scope="module")
def renderer() -> SiteRenderer:
    site = SiteInfo(
        title="潮見市オープンデータ",
        city_name="潮見市",
        city_code="229997",
        base_url="https://opendata.example.jp/shiomi",
        api_url="http://127.0.0.1:8000",
        today=date(2026, 11, 27),
    )
    return SiteRenderer(site)


def render(renderer: SiteRenderer, report: dict) -> tuple[str, Tables]:
    html = metrics_page(renderer, report).decode("utf-8")
    parser = Tables()
    parser.feed(html)
    return html, parser


def test_every_month_of_downloads_is_in_the_table(renderer, report):
    assert report["downloads"]["total"] > 0
    html, page = render(renderer, report)
    assert "".join(page.h1).strip() == "利用状況"
    rows = page.tables["downloads-caption"]
    body = {row[0]: row[1:] for row in rows[1:]}
    for month in report["downloads"]["by_month"]:
        label = month_label(month["month"])
        assert body[label] == [f"{month['downloads']:,}", f"{month['unique_downloaders']:,}"]
    assert body["合計"][0] == f"{report['downloads']['total']:,}"
    assert len(rows) - 2 == len(report["period"]["months"])  # header and total rows


def test_per_dataset_gtfs_reuses_and_published_tables(renderer, report):
    _, page = render(renderer, report)
    per_dataset = page.tables["dataset-downloads-caption"]
    titles = [row[0] for row in per_dataset[1:]]
    assert titles == [d["title"] for d in report["downloads"]["by_dataset"]]
    assert per_dataset[1][1] == f"{report['downloads']['by_dataset'][0]['total']:,}"
    families = {row[0]: row[1] for row in page.tables["gtfs-family-caption"][1:]}
    labels = {f["family"]: f["label"] for f in report["gtfs_pulls"]["families"]}
    for row in report["gtfs_pulls"]["by_family"]:
        assert families[labels[row["family"]]] == f"{row['fetches']:,}"
    published = page.tables["published-caption"]
    last = report["datasets_published"]["by_month"][-1]
    assert published[-1] == [
        month_label(last["month"]),
        str(last["published"]),
        str(last["cumulative"]),
    ]
    reuse_total = page.tables["reuse-type-caption"][-1]
    assert reuse_total == ["合計", f"{report['reuses']['total']:,}"]


def test_charts_are_named_and_summarised(renderer, report):
    html, page = render(renderer, report)
    assert '<title id="chart-downloads-title">月別ダウンロード数</title>' in html
    for key in ("downloads", "datasets", "gtfs", "reuses", "published"):
        assert f"chart-{key}-title" in page.ids
        assert f"chart-{key}-desc" in page.ids
    assert html.count('role="img"') == 5
    peak = max(report["downloads"]["by_month"], key=lambda m: m["downloads"])
    assert f"{month_label(peak['month'])}の {peak['downloads']:,} 件" in html


def test_demo_notice_only_with_demo_data(renderer, report):
    assert report["demo_data"]["included"]
    html, _ = render(renderer, report)
    assert NOTICE in html
    assert report["demo_data"]["imports"][0]["name"] in html
    real = copy.deepcopy(report)
    real["demo_data"] = {"included": False, "imports": []}
    real["notes"] = [n for n in real["notes"] if n["key"] != "demo_data"]
    html, _ = render(renderer, real)
    assert NOTICE not in html


def test_notes_explain_how_things_are_counted(renderer, report):
    html, _ = render(renderer, report)
    for note in report["notes"]:
        if note["key"] != "demo_data":
            assert note["ja"] in html


def test_catalog_text_is_escaped(renderer, report):
    tricky = copy.deepcopy(report)
    tricky["downloads"]["by_dataset"][0]["title"] = '<img src=x onerror="alert(1)">'
    html, _ = render(renderer, tricky)
    assert "<img src=x" not in html
    assert "&lt;img src=x" in html


def test_a_report_with_nothing_counted(renderer, report):
    empty = copy.deepcopy(report)
    for row in empty["downloads"]["by_month"]:
        row["downloads"] = row["unique_downloaders"] = 0
    empty["downloads"].update(total=0, unique_downloaders=0, by_dataset=[])
    empty["gtfs_pulls"]["by_dataset"] = []
    html, page = render(renderer, empty)
    assert "期間中にダウンロードされたデータセットはありません" in html
    assert "dataset-downloads-caption" not in page.tables
    assert page.tables["downloads-caption"][-1] == ["合計", "0", "0"]
