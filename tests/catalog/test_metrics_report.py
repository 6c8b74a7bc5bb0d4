"""`metrics_report` / `kokai metrics report`: datasets published, downloads,
unique downloaders, GTFS pulls by consumer, 二次利用件数; text, CSV (Excel) and JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from kokai.catalog import tracking
from kokai.catalog.access_log import parse_log
from kokai.catalog.models import Package
from kokai.cli import main
from kokai.config import load_config
from kokai.metrics_render import render_report
from tests.conftest import dataset

PERIOD = {"from": "2026-01", "to": "2026-03"}


def created_on(catalog, name: str, when: str, **values) -> None:
    with catalog.local.session() as session:
        session.execute(
            update(Package)
            .where(Package.name == name)
            .values(metadata_created=datetime.fromisoformat(when), **values)
        )


def seed_city(c) -> dict[str, str]:
    """Datasets created in known months, downloads and feed pulls on known days."""
    c.ok("organization_create", {"name": "sample-city", "title": "サンプル市"})
    ids = {}
    for name, when, extra in (
        ("old", "2025-06-01T09:00:00", {}),
        ("shelters", "2026-01-15T09:00:00", {}),
        ("population", "2026-02-03T09:00:00", {}),
        (
            "bus",
            "2026-02-20T09:00:00",
            {"resources": [{"url": "https://e.jp/f.zip", "format": "GTFS"}]},
        ),
        ("internal", "2026-01-20T09:00:00", {"private": True}),
        ("withdrawn", "2026-01-05T09:00:00", {}),
    ):
        ids[name] = c.ok("package_create", dataset(name, **extra))["id"]
        created_on(c, name, when)
    c.ok("package_delete", {"id": "withdrawn"})
    with c.local.session() as session:

        def download(name: str, day: str, ip: str, ua: str = "Mozilla/5.0") -> None:
            tracking.record_download(
                session, package_id=ids[name], resource_id="r-" + name,
                url=f"/dataset/{ids[name]}/resource/r-{name}/download", client_ip=ip,
                user_agent=ua, now=datetime.fromisoformat(day + "T05:00:00"),
            )  # fmt: skip

        def pull(day: str, ua: str, not_modified: bool, times: int = 1) -> None:
            for _ in range(times):
                tracking.record_feed_fetch(
                    session, package_id=ids["bus"], user_agent=ua, not_modified=not_modified,
                    now=datetime.fromisoformat(day + "T05:00:00"),
                )  # fmt: skip

        download("shelters", "2025-12-31", "192.0.2.1")  # before the period
        download("shelters", "2026-01-10", "192.0.2.1")
        download("shelters", "2026-01-10", "192.0.2.1")  # the same visitor: once
        download("shelters", "2026-01-10", "192.0.2.2")
        download("population", "2026-01-10", "192.0.2.1")  # another URL, same visitor
        download("shelters", "2026-01-11", "192.0.2.1")  # a new day: a new key
        download("internal", "2026-01-12", "192.0.2.3")
        download("population", "2026-02-05", "192.0.2.1")
        pull("2026-01-10", "Google-Transit/1.0", False, times=2)
        pull("2026-02-01", "NAVITIME-Fetcher/2.0", True, times=3)
        pull("2026-03-05", "curl/8.5.0", False)
        download("shelters", "2026-04-01", "192.0.2.1")  # after the period
    return ids


@pytest.fixture
def reported(catalog):
    seed_city(catalog)
    created = catalog.ok("reuse_create", {"title": "避難所マップ", "url": "https://app.example.jp/",
                                          "reuse_type": "app", "datasets": ["shelters"]})  # fmt: skip
    catalog.ok("reuse_moderate", {"id": created["id"], "moderation_state": "approved"})
    return catalog


def test_report_figures_and_json_shape(reported):
    """On SQLite and PostgreSQL (month grouping is done by the database)."""
    report = reported.ok("metrics_report", PERIOD)  # as a sysadmin: every dataset
    assert set(report) == {"report", "version", "generated", "site", "period", "demo_data",
                           "notes", "datasets_published", "downloads", "gtfs_pulls", "reuses"}  # fmt: skip
    assert report["period"] == {"from": "2026-01-01", "to": "2026-03-31",
                                "months": ["2026-01", "2026-02", "2026-03"]}  # fmt: skip
    assert report["demo_data"] == {"included": False, "imports": []}
    published = report["datasets_published"]
    assert published["public_now"] == 4 and published["before_period"] == 1
    assert [(r["published"], r["cumulative"]) for r in published["by_month"]] == [
        (1, 2),
        (2, 4),
        (0, 4),
    ]
    downloads = report["downloads"]
    assert [(r["month"], r["downloads"], r["unique_downloaders"]) for r in downloads["by_month"]] == [
        ("2026-01", 5, 4), ("2026-02", 1, 1), ("2026-03", 0, 0),
    ]  # fmt: skip
    assert (downloads["total"], downloads["unique_downloaders"]) == (6, 5)
    assert downloads["unique_downloaders_method"] == "daily_unique_visitors_summed"
    by_dataset = {d["name"]: (d["total"], d["by_month"]) for d in downloads["by_dataset"]}
    assert by_dataset == {
        "shelters": (3, {"2026-01": 3, "2026-02": 0, "2026-03": 0}),
        "population": (2, {"2026-01": 1, "2026-02": 1, "2026-03": 0}),
        "internal": (1, {"2026-01": 1, "2026-02": 0, "2026-03": 0}),
    }
    pulls = report["gtfs_pulls"]
    by_family = {r["family"]: (r["fetches"], r["not_modified"]) for r in pulls["by_family"]}
    assert by_family == {"google": (2, 0), "navitime": (0, 3), "jorudan": (0, 0),
                         "gtfs-data-jp": (0, 0), "other": (1, 0)}  # fmt: skip
    january = {r["family"]: r["fetches"] for r in pulls["by_month"] if r["month"] == "2026-01"}
    assert january["google"] == 2 and len(pulls["by_month"]) == 3 * 5
    assert {(r["name"], r["family"]) for r in pulls["by_dataset"]} == {
        ("bus", "google"),
        ("bus", "navitime"),
        ("bus", "other"),
    }
    reuses = report["reuses"]
    assert reuses["total"] == 1 and reuses["approved_in_period"] == 0
    assert [(r["name"], r["count"]) for r in reuses["by_dataset"]] == [("shelters", 1)]
    assert {n["key"] for n in report["notes"]} >= {"unique_downloaders", "downloads"}
    # Anonymous callers see public datasets only.
    public = reported.ok("metrics_report", PERIOD, token=None)["downloads"]
    assert [r["downloads"] for r in public["by_month"]] == [4, 1, 0]
    assert [r["unique_downloaders"] for r in public["by_month"]] == [3, 1, 0]
    assert "internal" not in {d["name"] for d in public["by_dataset"]}
    # The default period: the last 12 months, up to today.
    default = reported.ok("metrics_report", token=None)
    assert len(default["period"]["months"]) == 12
    assert default["reuses"]["approved_in_period"] == 1


def test_period_must_be_months_or_days_in_order(sqlite_catalog):
    for query in ({"from": "2026-13"}, {"to": "2026/01"}, {"from": "2026-02", "to": "2026-01"},
                  {"from": "1990-01", "to": "2026-01"}):  # fmt: skip
        response = sqlite_catalog.call("metrics_report", query)
        assert response.status_code == 409, (query, response.text)
    days = sqlite_catalog.ok(
        "metrics_report", {"from": "2026-02-10", "to": "2026-02-20"}, token=None
    )
    assert days["period"] == {"from": "2026-02-10", "to": "2026-02-20", "months": ["2026-02"]}


def test_csv_opens_in_japanese_excel_and_text_explains_unique(reported):
    report = reported.ok("metrics_report", PERIOD)
    text_csv = render_report(report, "csv")
    assert text_csv.encode("utf-8").startswith(b"\xef\xbb\xbf")  # the BOM Excel needs
    assert "\r\n" in text_csv
    rows = list(csv.reader(io.StringIO(text_csv.removeprefix("\ufeff"))))
    assert rows[0] == ["区分", "月", "データセット", "タイトル", "種別", "指標", "値"]
    assert ["公開データセット数", "2026-02", "", "", "", "新規公開", "2"] in rows
    assert ["ダウンロード数", "2026-01", "", "", "", "ユニーク利用者（日別の合計）", "4"] in rows
    assert ["GTFS取得", "2026-02", "", "", "NAVITIME", "確認(304)", "3"] in rows
    assert ["二次利用件数", "", "", "", "", "承認済み（合計）", "1"] in rows
    assert ["注記", "", "", "", "", "デモデータ", "含まない"] in rows
    assert any(r[5] == "ユニーク利用者数の数え方" and "日ごと" in r[6] for r in rows)
    text = render_report(report, "text")
    assert "日ごとのユニーク利用者数" in text and "デモデータ" not in text
    assert "■ 二次利用件数（承認済みの活用事例）  1 件" in text
    assert json.loads(render_report(report, "json")) == report


def demo_log(folder, ids, day) -> str:
    when = f"{day.day:02d}/{day.strftime('%b')}/{day.year}:12:00:00 +0900"
    path = folder / "demo-access.log"
    path.write_text(
        f'192.0.2.50 - - [{when}] "GET /gtfs/bus/feed.zip HTTP/1.1" 200 10 "-" "Google-Transit"\n',
        encoding="utf-8",
    )
    return str(path)


def test_demo_data_is_announced_in_every_format(sqlite_catalog, tmp_path):
    c = sqlite_catalog
    ids = seed_city(c)
    day = datetime.now().date() - timedelta(days=2)
    log = parse_log(demo_log(tmp_path, ids, day))
    result = c.local.as_site().action.access_log_import(log=log, demo=True)
    assert result["demo"] is True and result["feed_fetches_added"] == 1
    report = c.ok("metrics_report", token=None)
    assert report["demo_data"]["included"] is True
    assert report["demo_data"]["imports"][0]["name"] == "demo-access.log"
    assert report["notes"][0]["key"] == "demo_data"
    assert "デモデータを含みます" in render_report(report, "text")
    rows = list(csv.reader(io.StringIO(render_report(report, "csv").removeprefix("\ufeff"))))
    assert ["注記", "", "", "", "", "デモデータ", "含む: demo-access.log"] in rows
    # A period without the demo days says nothing about it.
    quiet = c.ok("metrics_report", PERIOD, token=None)
    assert quiet["demo_data"]["included"] is False


def test_cli_metrics_report(tmp_path, monkeypatch, capsysbinary):
    monkeypatch.delenv("KOKAI_DATABASE_URL", raising=False)
    (tmp_path / "kokai.toml").write_text('[city]\nname = "テスト市"\n', encoding="utf-8")
    config = ["--config", str(tmp_path / "kokai.toml")]
    from kokai.catalog.client import LocalCatalog

    site = LocalCatalog(load_config(tmp_path / "kokai.toml")).as_site()
    site.action.organization_create(name="sample-city")
    site.action.package_create(**dataset("shelters"))
    assert main([*config, "metrics", "report", "--format", "csv", "--from", "2026-01"]) == 0
    out = capsysbinary.readouterr().out
    assert out.startswith(b"\xef\xbb\xbf\xe5\x8c\xba\xe5\x88\x86,")  # BOM, then 区分
    assert main([*config, "metrics", "report", "--format", "json", "--from", "2026-01",
                 "--to", "2026-02"]) == 0  # fmt: skip
    report = json.loads(capsysbinary.readouterr().out)
    assert report["period"]["months"] == ["2026-01", "2026-02"]
    assert report["site"]["title"] == "テスト市"
    assert main([*config, "metrics", "report"]) == 0
    assert "kokai 利用状況レポート" in capsysbinary.readouterr().out.decode()
    assert main([*config, "metrics", "report", "--from", "2026-13"]) == 2
    assert "期間の指定が正しくありません" in capsysbinary.readouterr().err.decode()
