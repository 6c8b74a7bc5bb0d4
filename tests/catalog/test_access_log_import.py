"""`kokai metrics import-log`: downloads from web-server access logs, counted as
the server counts them (one per visitor per URL per UTC day), idempotent, with
no address or User-Agent stored."""

from __future__ import annotations

import gzip
import json
import sys
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from kokai.catalog import access_log
from kokai.catalog.access_log import AccessLogSalt, parse_log, route_of
from kokai.catalog.client import LocalCatalog
from kokai.catalog.db import dispose_engine
from kokai.catalog.errors import NotAuthorized, ValidationError
from kokai.catalog.tracking import feed_consumer_counts, utc_today
from kokai.cli import main
from kokai.config import load_config
from tests.conftest import make_config

RESOURCE = "0b7d1c1e-0000-4000-8000-0000000000a1"
FEED_RESOURCE = "0b7d1c1e-0000-4000-8000-0000000000b1"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) KokaiTestBrowser/1.0"
CURL = "curl/8.5.0 kokai-test"
GOOGLE = "Google-Transit-Test/1.0 (+https://support.google.com/transitpartners)"
NAVITIME = "NAVITIME-Test-Fetcher/2.0"
ADDRESSES = ("203.0.113.7", "198.51.100.23", "192.0.2.99", "2001:db8::42")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def stamp(day, hour: int = 12, minute: int = 0) -> str:
    """A JST timestamp on `day` (12:00 JST is 03:00 UTC the same day)."""
    when = datetime.combine(day, time(hour, minute))
    return f"{when.day:02d}/{MONTHS[when.month - 1]}/{when.year}:{when:%H:%M}:07 +0900"


def line(ip: str, day, path: str, status: int = 200, agent: str = BROWSER, method: str = "GET",
         hour: int = 12) -> str:  # fmt: skip
    return (f'{ip} - - [{stamp(day, hour)}] "{method} {path} HTTP/1.1" {status} 5120 '
            f'"https://city.example.jp/dataset/shelters" "{agent}"')  # fmt: skip


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class City:
    """A catalog with a CSV dataset and a GTFS dataset, and an access log of them."""

    def __init__(self, root: Path, url: str, site_url: str = "http://testserver"):
        self.root = root
        self.config = make_config(root, url, site_url=site_url)
        self.catalog = LocalCatalog(self.config)
        site = self.catalog.as_site()
        site.action.organization_create(name="sample-city")
        self.shelters = site.action.package_create(
            name="shelters", owner_org="sample-city",
            resources=[{"id": RESOURCE, "url": "https://cdn.example.jp/shelters.csv", "format": "CSV"}],
        )["id"]  # fmt: skip
        self.bus = site.action.package_create(
            name="bus", owner_org="sample-city",
            resources=[{"id": FEED_RESOURCE, "url": "https://cdn.example.jp/feed.zip", "format": "GTFS"}],
        )["id"]  # fmt: skip
        self.d1 = utc_today() - timedelta(days=3)
        self.d2 = utc_today() - timedelta(days=2)

    def download(self, ref: str | None = None, query: str = "") -> str:
        return f"/dataset/{ref or self.shelters}/resource/{RESOURCE}/download/shelters.csv{query}"

    def log_lines(self) -> list[str]:
        d1, d2 = self.d1, self.d2
        ip1, ip2, ip3, ip4 = ADDRESSES
        return [
            line(ip1, d1, self.download()),  # 1: A downloads
            line(ip1, d1, self.download(), hour=15),  # 2: A again, same day: still one
            line(ip1, d2, self.download()),  # 3: A the next day: one more
            line(ip2, d1, self.download()),  # 4: B
            line(ip1, d1, self.download(), agent=CURL),  # 5: another client at A's address
            line(ip3, d1, self.download(), method="HEAD"),  # 6: HEAD: not a download
            line(ip3, d1, self.download(), status=206),  # 7: a range: not counted
            line(ip3, d1, self.download(), status=304),  # 8
            line(ip3, d1, self.download(), status=404),  # 9
            line(ip4, d1, self.download("shelters", "?x=1")),  # 10: by name, with a query
            line(ip3, d1, f"/dataset/{self.shelters}/resource/nosuch/download/x.csv"),  # 11
            line(ip1, d1, "/gtfs/bus/feed.zip", agent=GOOGLE),  # 12: a fetch
            line(ip1, d1, "/gtfs/bus/feed.zip", agent=GOOGLE, hour=13),  # 13: another fetch
            line(ip2, d1, "/gtfs/bus/feed.zip", status=304, agent=NAVITIME),  # 14: checks
            line(ip2, d1, "/gtfs/bus/feed.zip", status=304, agent=NAVITIME, hour=13),  # 15
            line(ip2, d1, "/gtfs/bus/feed.zip", status=304, agent=NAVITIME, hour=14),  # 16
            line(ip3, d2, f"/gtfs/{self.bus}/3.zip", agent=CURL),  # 17: a version, other
            line(ip1, d1, "/dataset/shelters"),  # 18: a page
            line(ip2, d1, "/static/site.css"),  # 19
            f'{ip1} - - [{stamp(d1)}] "GET /dataset/{self.shelters}/resource/',  # 20: cut short
            f'{ip2} - - [{stamp(d1)}] "GET /dataset HTTP/1.1" 200 512',  # 21: common log format
            "\x16\x03\x01 not a log line",  # 22
            "",  # 23: a blank line is not an error
            line(ip4, d2, "/dataset/shelters", agent="Googlebot/2.1"),  # 24: a crawler's page
        ]

    def totals(self) -> tuple[int, int]:
        site = self.catalog.as_site()
        return tuple(site.action.package_show(id=name)["tracking_summary"]["total"]
                     for name in ("shelters", "bus"))  # fmt: skip

    def feed_counts(self) -> dict:
        with self.catalog.session() as session:
            return feed_consumer_counts(session, self.bus)

    def import_(self, *paths: Path, demo: bool = False) -> list[dict]:
        site = self.catalog.as_site()
        return [site.action.access_log_import(log=parse_log(p), demo=demo) for p in paths]


@pytest.fixture
def city(tmp_path, database_url):
    made = City(tmp_path, database_url)
    yield made
    dispose_engine(made.config)


EXPECTED_TOTALS = (5, 2)  # shelters: A d1, A d2, B, A's curl, the one by name; bus: 2 fetchers


def test_counts_downloads_and_feed_pulls_as_the_server_does(city):
    log = write(city.root / "access.log", city.log_lines())
    [result] = city.import_(log)
    assert city.totals() == EXPECTED_TOTALS
    feeds = city.feed_counts()
    assert feeds["google"] == {"fetches": 2, "not_modified": 0}
    assert feeds["navitime"] == {"fetches": 0, "not_modified": 3}
    assert feeds["other"] == {"fetches": 1, "not_modified": 0}
    assert result["lines"] == 24
    assert (result["unreadable"], result["unreadable_lines"]) == (3, [20, 21, 22])
    assert result["unknown"] == 1  # the resource that does not exist
    assert result["downloads_added"] == 7  # 5 of shelters, the feed's 2 fetchers
    assert (result["feed_fetches_added"], result["feed_checks_added"]) == (3, 3)
    assert (result["first_day"], result["last_day"]) == (city.d1.isoformat(), city.d2.isoformat())
    assert result["already_imported"] is False and result["demo"] is False


def test_the_same_log_twice_plain_or_gzipped_counts_once(city):
    log = write(city.root / "access.log", city.log_lines())
    packed = city.root / "access.log.1.gz"
    packed.write_bytes(gzip.compress(log.read_bytes()))
    first, again, zipped = city.import_(log, log, packed)
    assert first["already_imported"] is False
    for result in (again, zipped):
        assert result["already_imported"] is True
        assert result["previous"]["name"] == "access.log"
        assert result["downloads_added"] == 0
    assert city.totals() == EXPECTED_TOTALS
    assert city.feed_counts()["google"]["fetches"] == 2


def test_overlapping_logs_count_each_visit_once(city):
    lines = city.log_lines()
    # Two rotations that share lines 8-17, and a gzipped third holding a repeat of line 1.
    first = write(city.root / "access.log.2", lines[:17])
    second = write(city.root / "access.log.1", lines[7:])
    third = city.root / "other.log.gz"
    third.write_bytes(gzip.compress((lines[0] + "\n" + lines[1] + "\n").encode()))
    results = city.import_(first, second, third)
    assert [r["already_imported"] for r in results] == [False, False, False]
    assert city.totals() == EXPECTED_TOTALS
    feeds = city.feed_counts()
    assert feeds["google"]["fetches"] == 2 and feeds["navitime"]["not_modified"] == 3
    assert results[1]["downloads_added"] == 0 and results[2]["downloads_added"] == 0
    # A later log with one more check by NAVITIME on the same day adds only that.
    more = write(city.root / "access.log", lines[13:16] + [line(ADDRESSES[1], city.d1,
                 "/gtfs/bus/feed.zip", status=304, agent=NAVITIME, hour=20)])  # fmt: skip
    [added] = city.import_(more)
    assert added["feed_checks_added"] == 1
    assert city.feed_counts()["navitime"]["not_modified"] == 4


def test_no_address_or_user_agent_is_stored_anywhere(city):
    city.import_(write(city.root / "access.log", city.log_lines()))
    engine = city.catalog.engine
    secrets = [*ADDRESSES, "KokaiTestBrowser", "kokai-test", "Google-Transit-Test", "NAVITIME-Test"]
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            rows = connection.execute(text(f'SELECT * FROM "{table}"')).all()
            dump = "\n".join(repr(tuple(row)) for row in rows)
            for secret in secrets:
                assert secret not in dump, (table, secret)
        if engine.url.get_backend_name() == "sqlite":
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    if engine.url.get_backend_name() == "sqlite":
        raw = Path(engine.url.database).read_bytes()
        for secret in secrets:
            assert secret.encode() not in raw


def test_salts_outlive_a_day_for_overlaps_and_are_purged_after_the_retention(city):
    old = utc_today() - timedelta(days=access_log.SALT_RETENTION_DAYS + 30)
    log = write(city.root / "old.log", [line(ADDRESSES[0], old, city.download()),
                                        line(ADDRESSES[0], city.d1, city.download())])  # fmt: skip
    [result] = city.import_(log)
    assert result["days_beyond_retention"] == 1
    with city.catalog.session() as session:
        kept = set(session.scalars(select(AccessLogSalt.day)))
        assert kept == {city.d1}  # the old day's salt went at the end of the import
        assert access_log.purge_salts(session, utc_today() + timedelta(days=60)) == 1
        assert list(session.scalars(select(AccessLogSalt.day))) == []
    assert city.totals()[0] == 2


def test_only_the_site_and_sysadmins_import(city):
    parsed = parse_log(write(city.root / "a.log", city.log_lines()))
    with pytest.raises(NotAuthorized):
        city.catalog.as_user(None).action.access_log_import(log=parsed)
    with pytest.raises(ValidationError) as refused:
        city.catalog.as_site().action.access_log_import(log={"lines": 3})
    assert "log" in refused.value.errors
    assert city.totals() == (0, 0)


def test_paths_under_the_site_url_prefix(tmp_path, sqlite_template):
    from tests.conftest import fresh_sqlite_url

    made = City(tmp_path, fresh_sqlite_url(sqlite_template, tmp_path),
                site_url="https://city.example.jp/opendata/")  # fmt: skip
    try:
        prefix = access_log.site_path_prefix(made.config.site_url)
        assert prefix == "/opendata"
        assert route_of("/opendata/gtfs/bus/feed.zip?t=1", prefix) == ("feed", "bus", "feed")
        assert route_of("https://cdn.example.jp/opendata/gtfs/bus/12.zip", prefix) == (
            "feed",
            "bus",
            "12",
        )
        assert route_of("/opendata/gtfs/bus/latest.zip", prefix) is None
        assert route_of("/opendata/dataset/a/resource/b/download", prefix) is None
        log = write(tmp_path / "cdn.log", [
            line(ADDRESSES[0], made.d1, "/opendata" + made.download()),
            line(ADDRESSES[1], made.d1, "/opendata/gtfs/bus/feed.zip", agent=GOOGLE),
        ])  # fmt: skip
        made.catalog.as_site().action.access_log_import(log=parse_log(log, prefix=prefix))
        assert made.totals() == (1, 1)
    finally:
        dispose_engine(made.config)


def test_reading_in_parallel_gives_the_same_result(tmp_path, monkeypatch):
    lines = []
    day = utc_today() - timedelta(days=1)
    for n in range(3000):
        lines.append(
            line(f"198.51.100.{n % 50}", day, f"/dataset/d{n % 7}/resource/r{n % 3}/download/f.csv")
        )
        if n % 400 == 0:
            lines.append("broken line")
        if n % 3 == 0:
            lines.append(line("192.0.2.1", day, "/gtfs/bus/feed.zip", status=304, agent=NAVITIME))
    log = write(tmp_path / "big.log", lines)
    monkeypatch.setattr(access_log, "CHUNK_SIZE", 16 * 1024)
    one = parse_log(log, workers=1)
    two = parse_log(log, workers=2)
    assert (two.lines, two.unreadable, two.unreadable_lines) == (one.lines, one.unreadable,
                                                                  one.unreadable_lines)  # fmt: skip
    assert one.unreadable == 8 and one.unreadable_lines[0] == 2
    assert two.requests == one.requests and two.fingerprint == one.fingerprint
    assert sum(sum(v.values()) for v in one.requests.values()) == 4000


# ---------------------------------------------------------------- the CLI


def test_cli_import_log(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("KOKAI_DATABASE_URL", raising=False)
    (tmp_path / "kokai.toml").write_text('[site]\nurl = "http://testserver"\n', encoding="utf-8")
    config_path = tmp_path / "kokai.toml"
    made = City(tmp_path, load_config(config_path).catalog_url)
    log = write(tmp_path / "access.log", made.log_lines())
    config = ["--config", str(config_path)]
    assert main([*config, "metrics", "import-log", str(log), "--demo"]) == 0
    captured = capsys.readouterr()
    assert "ダウンロード 7 件" in captured.out
    assert "読めない行 (combined 形式ではない): 3 行（行 20, 21, 22）" in captured.out
    assert "デモデータとして記録しました" in captured.out
    assert "\r" not in captured.err  # no progress when stderr is not a terminal
    assert main([*config, "metrics", "import-log", str(log), "--format", "json"]) == 0
    [again] = json.loads(capsys.readouterr().out)["files"]
    assert again["already_imported"] is True
    assert main([*config, "metrics", "import-log", str(tmp_path / "missing.log")]) == 2
    assert "ファイルがありません" in capsys.readouterr().err
    garbage = write(tmp_path / "error.log", ["[Mon Oct 10 13:55:36 2026] [error] oops"] * 3)
    assert main([*config, "metrics", "import-log", str(garbage)]) == 1
    assert "読めない行" in capsys.readouterr().out
    broken = tmp_path / "broken.log.gz"
    broken.write_bytes(gzip.compress(log.read_bytes())[:200])
    assert main([*config, "metrics", "import-log", str(broken)]) == 2
    assert "ログを読めません" in capsys.readouterr().err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    other = write(tmp_path / "other.log", made.log_lines()[:3])
    assert main([*config, "metrics", "import-log", str(other)]) == 0
    assert "other.log: 読み込み中 100%" in capsys.readouterr().err
    assert made.totals() == EXPECTED_TOTALS
    dispose_engine(made.config)


def test_the_feed_resource_is_the_gtfs_one_or_a_zip_in_a_dataset_tagged_gtfs():
    from kokai.vocab.gtfs import feed_resource

    cases = [
        ({"resources": [{"id": "a", "format": "CSV"}, {"id": "b", "format": "GTFS-JP"}], "tags": []}, "b"),
        ({"resources": [{"id": "a", "format": "", "url": "https://e.jp/x.zip"}],
          "tags": [{"name": "GTFS"}]}, "a"),
        ({"resources": [{"id": "a", "format": "", "name": "feed.ZIP"}], "tags": [{"name": "gtfs-jp"}]}, "a"),
        ({"resources": [{"id": "a", "format": "", "url": "https://e.jp/x.zip"}], "tags": []}, None),
        ({"resources": [], "tags": [{"name": "gtfs"}]}, None),
    ]  # fmt: skip
    for package, expected in cases:
        found = feed_resource(package)
        assert (found["id"] if found else None) == expected
