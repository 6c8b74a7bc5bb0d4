"""Freshness (kokai/publish/freshness.py) and `kokai status`: overdue datasets
at each frequency's boundary, GTFS feeds ending within 30 days, datasets whose
last publish was refused, and the exit status a scheduled job reads."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

import kokai.catalog.actions.publish_log as publish_log_actions
from kokai.cli import main
from kokai.publish.freshness import (
    GTFS_EXPIRED,
    GTFS_EXPIRING,
    JST,
    KINDS,
    OVERDUE,
    REFUSED,
    catalog_state,
    freshness_alerts,
    render_status,
    status_exit_code,
)
from kokai.vocab.frequency import UPDATE_FREQUENCIES

NOW = datetime(2026, 6, 15, 3, 0, 0)  # naive UTC; 2026-06-15 12:00 in Japan


def package(name: str = "population", frequency: str | None = "毎月", modified: datetime | None = None,
            resources: list | None = None, title: str = "町丁別人口") -> dict:  # fmt: skip
    extras = [{"key": "update_frequency", "value": frequency}] if frequency else []
    return {
        "name": name,
        "title": title,
        "metadata_modified": (modified or NOW).isoformat(),
        "extras": extras,
        "resources": resources or [{"name": "data", "format": "CSV"}],
    }


def record(name: str, status: str, created: datetime, record_id: int, **fields) -> dict:
    return {"id": record_id, "package_name": name, "status": status, "created": created.isoformat(),
            "by": "tanaka", "summary": {}, "message": "", **fields}  # fmt: skip


def kinds(alerts) -> list[tuple[str, str]]:
    return [(a.kind, a.dataset) for a in alerts]


# ------------------------------------------------------------------ overdue


@pytest.mark.parametrize("frequency", [f for f in UPDATE_FREQUENCIES if f.allowance is not None],
                         ids=lambda f: f.eu_code)  # fmt: skip
def test_overdue_boundary_for_each_frequency(frequency):
    on_time = package(frequency=frequency.word, modified=NOW - frequency.allowance)
    assert freshness_alerts([on_time], [], NOW) == []
    late = package(frequency=frequency.word, modified=NOW - frequency.allowance - timedelta(seconds=1))
    (alert,) = freshness_alerts([late], [], NOW)
    assert alert.kind == OVERDUE and alert.dataset == "population"
    assert alert.details["frequency"] == frequency.word
    assert alert.details["allowance_days"] == frequency.allowance.days
    assert f"「{frequency.word}」" in alert.message_ja and "kokai publish" in alert.message_ja


def test_zuiji_and_no_frequency_are_never_overdue():
    ten_years = NOW - timedelta(days=3650)
    assert freshness_alerts([package(frequency="随時", modified=ten_years)], [], NOW) == []
    assert freshness_alerts([package(frequency=None, modified=ten_years)], [], NOW) == []
    assert freshness_alerts([package(frequency="月1回", modified=ten_years)], [], NOW) == []


def test_the_last_change_is_the_newest_published_record_not_metadata_modified():
    old = NOW - timedelta(days=100)
    recent = NOW - timedelta(days=3)
    # an old package, recently published: on time
    assert freshness_alerts([package(modified=old)], [record("population", "published", recent, 5)], NOW) == []
    # the catalog entry was touched recently, but the last publish is old: overdue
    (alert,) = freshness_alerts([package(modified=recent)], [record("population", "published", old, 5)], NOW)
    assert alert.kind == OVERDUE and alert.details["last_change"] == old.replace(tzinfo=UTC).isoformat()
    assert alert.details["days_since_change"] == 100


def test_a_refusal_is_not_a_change():
    old = NOW - timedelta(days=40)
    records = [record("population", "published", old, 1), record("population", "refused", NOW, 2)]
    found = freshness_alerts([package(modified=old)], records, NOW)
    assert kinds(found) == [(OVERDUE, "population"), (REFUSED, "population")]


# ------------------------------------------------------------------ GTFS feeds


def bus(end: str, start: str = "2026-04-01") -> dict:
    feed = {"name": "feed", "id": "r1", "format": "GTFS", "gtfs_service_start": start, "gtfs_service_end": end}
    return package("community-bus", frequency="随時", resources=[feed], title="コミュニティバス")


@pytest.mark.parametrize(("days_left", "kind"), [(31, None), (30, GTFS_EXPIRING), (1, GTFS_EXPIRING),
                                                  (0, GTFS_EXPIRING), (-1, GTFS_EXPIRED), (-200, GTFS_EXPIRED)])  # fmt: skip
def test_gtfs_feed_expiry(days_left, kind):
    today = date(2026, 6, 15)  # NOW in Japan
    found = freshness_alerts([bus((today + timedelta(days=days_left)).isoformat())], [], NOW)
    if kind is None:
        assert found == []
        return
    (alert,) = found
    assert (alert.kind, alert.dataset, alert.details["days_left"]) == (kind, "community-bus", days_left)
    assert alert.details["resource"] == "feed"
    assert "ください" in alert.message_ja
    if days_left == 0:
        assert "本日まで" in alert.message_ja
    if kind == GTFS_EXPIRED:
        assert "終わっています" in alert.message_ja


def test_gtfs_today_is_the_date_in_japan():
    feed = bus("2026-06-15")
    before_midnight_jst = datetime(2026, 6, 15, 14, 59)  # 23:59 JST on the 15th
    after_midnight_jst = datetime(2026, 6, 15, 15, 0)  # 00:00 JST on the 16th
    assert kinds(freshness_alerts([feed], [], before_midnight_jst)) == [(GTFS_EXPIRING, "community-bus")]
    assert kinds(freshness_alerts([feed], [], after_midnight_jst)) == [(GTFS_EXPIRED, "community-bus")]


def test_resources_without_a_readable_service_end_are_ignored():
    assert freshness_alerts([bus("")], [], NOW) == []
    assert freshness_alerts([bus("someday")], [], NOW) == []


# ------------------------------------------------------------------ refusals


def test_refused_last_is_listed_refused_then_published_is_not():
    t = NOW - timedelta(days=1)
    shelters = package("shelters", frequency="随時", title="指定避難所一覧")
    refused_last = [record("shelters", "published", t, 1), record("shelters", "refused", t, 2,
                                                                   summary={"errors": 3}, by="sato")]  # fmt: skip
    (alert,) = freshness_alerts([shelters], refused_last, NOW)
    assert (alert.kind, alert.dataset, alert.title) == (REFUSED, "shelters", "指定避難所一覧")
    assert alert.details["by"] == "sato" and alert.details["summary"] == {"errors": 3}
    assert "エラー 3 件" in alert.message_ja and "以前の版" in alert.message_ja
    published_after = [record("shelters", "refused", t, 1), record("shelters", "published", t, 2)]
    assert freshness_alerts([shelters], published_after, NOW) == []


def test_the_newest_record_wins_whatever_the_order_given():
    shelters = package("shelters", frequency="随時")
    records = [record("shelters", "refused", NOW - timedelta(days=2), 1),
               record("shelters", "published", NOW - timedelta(days=1), 2)]  # fmt: skip
    assert freshness_alerts([shelters], list(reversed(records)), NOW) == []


def test_a_dataset_refused_before_it_was_ever_published_is_listed():
    (alert,) = freshness_alerts([], [record("new-data", "refused", NOW, 7)], NOW)
    assert (alert.kind, alert.dataset, alert.details["in_catalog"]) == (REFUSED, "new-data", False)
    assert "まだ公開されていません" in alert.message_ja


# ------------------------------------------------------------------ together, exit status, output


def everything() -> list:
    packages = [
        package("population", modified=NOW - timedelta(days=40)),
        bus("2026-06-20"),
        package("shelters", frequency="随時"),
        package("aed", frequency="毎年", modified=NOW - timedelta(days=10)),
    ]
    records = [record("shelters", "refused", NOW, 3), record("old-bus", "refused", NOW, 4)]
    return freshness_alerts(packages, records, NOW)


def test_alerts_are_ordered_by_kind_then_dataset():
    assert kinds(everything()) == [(OVERDUE, "population"), (GTFS_EXPIRING, "community-bus"),
                                   (REFUSED, "old-bus"), (REFUSED, "shelters")]  # fmt: skip
    assert [k for k in KINDS] == [OVERDUE, GTFS_EXPIRED, GTFS_EXPIRING, REFUSED]


def test_exit_status_is_one_for_any_alert():
    assert status_exit_code([]) == 0
    assert status_exit_code(freshness_alerts([package(modified=NOW - timedelta(days=40))], [], NOW)) == 1
    assert status_exit_code(freshness_alerts([bus("2026-06-20")], [], NOW)) == 1
    assert status_exit_code(freshness_alerts([], [record("x-data", "refused", NOW, 1)], NOW)) == 1
    assert status_exit_code(freshness_alerts([package()], [], NOW)) == 0


def test_json_output_shape():
    data = json.loads(render_status(everything(), now=NOW, datasets=4, fmt="json"))
    assert set(data) == {"checked", "datasets", "ok", "exit_code", "counts", "alerts"}
    assert data["checked"] == "2026-06-15T03:00:00+00:00"
    assert (data["datasets"], data["ok"], data["exit_code"]) == (4, False, 1)
    assert data["counts"] == {OVERDUE: 1, GTFS_EXPIRED: 0, GTFS_EXPIRING: 1, REFUSED: 2}
    first = data["alerts"][0]
    assert set(first) == {"kind", "dataset", "title", "message", "details"}
    assert set(first["message"]) == {"ja", "en"}
    assert first["details"]["due"] == (NOW - timedelta(days=40) + timedelta(days=31)).replace(tzinfo=UTC).isoformat()
    empty = json.loads(render_status([], now=NOW, datasets=0, fmt="json"))
    assert (empty["ok"], empty["exit_code"], empty["alerts"]) == (True, 0, [])


def test_text_output_labels_every_alert():
    text = render_status(everything(), now=NOW, datasets=4)
    assert "2026-06-15 12:00（日本時間）" in text
    alert_lines = [line for line in text.splitlines() if line.startswith("  ✗ [")]
    assert len(alert_lines) == 4
    assert any(line.startswith("  ✗ [更新の遅れ]") for line in alert_lines)
    assert any(line.startswith("  ✗ [運行期間の終了間近]") for line in alert_lines)
    assert "\x1b[" not in text
    assert "✓ 対応が必要なものはありません" in render_status([], now=NOW, datasets=0)


# ------------------------------------------------------------------ `kokai status` on a catalog




def create(catalog, name: str, frequency: str, resources: list | None = None, **fields) -> dict:
    return catalog.action.package_create(
        name=name, title=fields.pop("title", f"{name} のデータ"), owner_org="bousai",
        extras=[{"key": "update_frequency", "value": frequency}],
        resources=resources or [{"name": name, "url": f"https://example.jp/{name}.csv", "format": "CSV"}],
        **fields,
    )  # fmt: skip


def today_in_japan() -> date:
    return datetime.now(UTC).astimezone(JST).date()


def status(capsys, args: list[str], day: date) -> tuple[int, dict]:
    code = main([*args, "status", "--date", day.isoformat(), "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_status_on_an_empty_catalog(site, capsys):
    args, _ = site
    assert main([*args, "status"]) == 0
    assert "✓ 対応が必要なものはありません" in capsys.readouterr().out
    code, data = status(capsys, args, today_in_japan())
    assert code == 0 and data["datasets"] == 0 and data["alerts"] == []


def test_status_overdue_exits_one(site, capsys):
    args, catalog = site
    create(catalog, "monthly-data", "毎月")
    create(catalog, "whenever-data", "随時")
    today = today_in_japan()
    code, data = status(capsys, args, today + timedelta(days=1))
    assert (code, data["datasets"], data["alerts"]) == (0, 2, [])
    code, data = status(capsys, args, today + timedelta(days=40))
    assert code == 1
    assert [(a["kind"], a["dataset"]) for a in data["alerts"]] == [(OVERDUE, "monthly-data")]
    assert main([*args, "status", "--date", (today + timedelta(days=40)).isoformat()]) == 1
    out = capsys.readouterr().out
    assert "✗ [更新の遅れ]" in out and "monthly-data" in out and "whenever-data" not in out


def test_status_gtfs_expiry_through_the_catalog(site, capsys):
    args, catalog = site
    end = today_in_japan() + timedelta(days=60)
    feed = {"name": "feed", "url": "https://example.jp/feed.zip", "format": "GTFS",
            "gtfs_service_start": "2026-04-01", "gtfs_service_end": end.isoformat()}  # fmt: skip
    create(catalog, "community-bus", "随時", resources=[feed])
    for offset, code_wanted, kind in ((31, 0, None), (30, 1, GTFS_EXPIRING), (0, 1, GTFS_EXPIRING),
                                      (-1, 1, GTFS_EXPIRED)):  # fmt: skip
        code, data = status(capsys, args, end - timedelta(days=offset))
        assert code == code_wanted, offset
        assert [a["kind"] for a in data["alerts"]] == ([kind] if kind else []), offset
        if kind:
            assert data["alerts"][0]["details"]["days_left"] == offset


def test_status_refused_then_published(site, capsys):
    args, catalog = site
    create(catalog, "shelters", "随時", title="指定避難所一覧")
    catalog.action.publish_record_create(package_name="shelters", status="published", by="tanaka")
    catalog.action.publish_record_create(package_name="shelters", status="refused", by="sato",
                                         summary={"errors": 2, "warnings": 0, "infos": 0})  # fmt: skip
    code, data = status(capsys, args, today_in_japan())
    assert code == 1
    (alert,) = data["alerts"]
    assert (alert["kind"], alert["dataset"], alert["title"]) == (REFUSED, "shelters", "指定避難所一覧")
    assert alert["details"]["by"] == "sato"
    catalog.action.publish_record_create(package_name="shelters", status="published", by="sato")
    code, data = status(capsys, args, today_in_japan())
    assert (code, data["alerts"]) == (0, [])


def test_status_sees_private_datasets_and_first_time_refusals(site, capsys):
    args, catalog = site
    create(catalog, "internal-data", "随時", private=True, title="内部データ")
    catalog.action.publish_record_create(package_name="internal-data", status="refused", by="sato")
    catalog.action.publish_record_create(package_name="brand-new", status="refused", by="sato")
    code, data = status(capsys, args, today_in_japan())
    assert code == 1
    assert [(a["dataset"], a["title"], a["details"]["in_catalog"]) for a in data["alerts"]] == [
        ("brand-new", "brand-new", False), ("internal-data", "内部データ", True)]  # fmt: skip
    assert data["datasets"] == 1


def test_catalog_state_pages_the_search_and_the_log(site, monkeypatch):
    _, catalog = site
    names = [f"data-{i}" for i in range(5)]
    for name in names:
        create(catalog, name, "毎月")
        catalog.action.publish_record_create(package_name=name, status="published", by="tanaka")
        catalog.action.publish_record_create(package_name=name, status="refused", by="tanaka")
    monkeypatch.setattr(publish_log_actions, "MAX_LIST", 2)  # the log returns 2 records a call
    packages, records = catalog_state(catalog, page_size=2)
    assert sorted(p["name"] for p in packages) == names
    newest = {(r["package_name"], r["status"]) for r in records}
    assert newest == {(n, s) for n in names for s in ("published", "refused")}
