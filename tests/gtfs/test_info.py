"""`kokai gtfs info`: the feed summary, checked against numbers computed here
independently (csv module, datetime) from the same files."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from kokai.errors import KokaiError
from kokai.gtfs.info import describe_feed, render_info

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "gtfs"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


# Weekday service all of June 2026 (Mon 1 Jun – Tue 30 Jun) except a holiday on
# Monday 15 Jun, plus a Saturday service; one trip runs past midnight.
SMALL = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
    "6000020212016,岐阜市,https://www.example.jp/,Asia/Tokyo\n",
    "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\n"
    "R1,6000020212016,1,循環,3\nR2,6000020212016,2,北線,3\n",
    "trips.txt": "route_id,service_id,trip_id\n"
    "R1,WD,T1\nR1,WD,T2\nR2,WD,T3\nR1,SA,T4\nR2,EXTRA,T5\n",
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\nS1,駅前,35.4,136.7\nS2,市役所,35.41,136.71\n",
    "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
    "T1,06:05:00,06:05:00,S1,1\nT1,06:15:00,06:15:00,S2,2\n"
    "T2,12:00:00,12:00:00,S1,1\nT2,12:10:00,12:10:00,S2,2\n"
    "T3,23:50:00,23:50:00,S1,1\nT3,24:20:00,24:20:00,S2,2\n"
    "T4,9:00:00,9:00:00,S1,1\nT4,9:10:00,9:10:00,S2,2\n"
    "T5,10:00:00,10:00:00,S1,1\nT5,10:10:00,10:10:00,S2,2\n",
    "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
    "start_date,end_date\nWD,1,1,1,1,1,0,0,20260601,20260630\nSA,0,0,0,0,0,1,0,20260601,20260630\n",
    "calendar_dates.txt": "service_id,date,exception_type\nWD,20260615,2\nEXTRA,20260610,1\n",
}


def test_small_feed_summary(tmp_path: Path) -> None:
    info = describe_feed(_write(tmp_path / "feed", SMALL), today=date(2026, 6, 20))
    assert info["validity"] == {
        "first_service_date": "2026-06-01",
        "last_service_date": "2026-06-30",
        "days_until_expiry": 10,
        "expired": False,
        "service_days": 22 - 1 + 4,  # 22 weekdays minus the holiday, plus 4 Saturdays
    }
    assert info["counts"]["routes"] == 2 and info["counts"]["trips"] == 5
    assert info["first_departure"] == "06:05:00"
    assert info["last_departure"] == "24:20:00"  # past midnight, kept as written
    days = info["trips_by_day_type"]
    assert days["weekday"] == {"date": "2026-06-01", "trips": 3, "days_like_this": 20}
    assert days["saturday"]["trips"] == 1
    assert days["sunday_holiday"] is None
    assert info["busiest_date"] == {"date": "2026-06-10", "trips": 4}
    assert [r["trips"] for r in info["routes"]] == [3, 2]
    assert info["agencies"][0]["houjin_bangou_valid"] is True


def test_expired_feed(tmp_path: Path) -> None:
    info = describe_feed(_write(tmp_path / "feed", SMALL), today=date(2026, 7, 3))
    assert info["validity"]["expired"] is True
    assert info["validity"]["days_until_expiry"] == -3
    assert "期限切れ" in render_info(info, "text", "ja")
    assert "EXPIRED" in render_info(info, "text", "en")


def test_render_text_and_json(tmp_path: Path) -> None:
    info = describe_feed(_write(tmp_path / "feed", SMALL), today=date(2026, 6, 20))
    text = render_info(info, "text", "ja")
    assert "運行期間: 2026-06-01 – 2026-06-30" in text
    assert "平日: 3 便" in text
    assert "法人番号 OK" in text
    assert json.loads(render_info(info, "json", "ja")) == json.loads(json.dumps(info))


def test_unreadable_feed_is_a_staff_error(tmp_path: Path) -> None:
    with pytest.raises(KokaiError):
        describe_feed(tmp_path / "missing.zip", today=date(2026, 6, 1))


def _rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    text = archive.read(name).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _day(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


@pytest.mark.corpus
def test_minato_matches_its_files() -> None:
    path = CORPUS / "minato_chiibus.zip"
    if not path.exists():
        pytest.skip("shared corpus absent")
    today = date(2026, 6, 1)
    info = describe_feed(path, today=today)

    with zipfile.ZipFile(path) as archive:
        routes = _rows(archive, "routes.txt")
        stops = _rows(archive, "stops.txt")
        trips = _rows(archive, "trips.txt")
        stop_times = _rows(archive, "stop_times.txt")
        calendar = _rows(archive, "calendar.txt")
        calendar_dates = _rows(archive, "calendar_dates.txt")

    active: set[tuple[str, date]] = set()
    for row in calendar:
        day, end = _day(row["start_date"]), _day(row["end_date"])
        while day <= end:
            if row[WEEKDAYS[day.weekday()]] == "1":
                active.add((row["service_id"], day))
            day += timedelta(days=1)
    for row in calendar_dates:
        key = (row["service_id"], _day(row["date"]))
        if row["exception_type"] == "1":
            active.add(key)
        else:
            active.discard(key)
    trips_of_service = Counter(t["service_id"] for t in trips)
    per_date: Counter = Counter()
    for service_id, day in active:
        per_date[day] += trips_of_service[service_id]
    running = [d for d, n in per_date.items() if n]

    def seconds(text: str) -> int:
        h, m, s = (int(p) for p in text.split(":"))
        return h * 3600 + m * 60 + s

    departures = [seconds(r["departure_time"]) for r in stop_times if r["departure_time"]]

    assert info["gtfs_jp_version"] == "v3"
    assert info["counts"]["routes"] == len(routes)
    assert info["counts"]["stops"] == len(stops)
    assert info["counts"]["trips"] == len(trips)
    assert info["counts"]["stop_times"] == len(stop_times)
    assert info["validity"]["first_service_date"] == min(running).isoformat()
    assert info["validity"]["last_service_date"] == max(running).isoformat()
    assert info["validity"]["days_until_expiry"] == (max(running) - today).days
    first = min(departures)
    assert info["first_departure"] == f"{first // 3600:02d}:{first // 60 % 60:02d}:{first % 60:02d}"
    assert seconds(info["last_departure"]) == max(departures)
    busiest = max(sorted(per_date), key=lambda d: per_date[d])
    assert info["busiest_date"] == {"date": busiest.isoformat(), "trips": per_date[busiest]}
    for kind in ("weekday", "saturday", "sunday_holiday"):
        usual = info["trips_by_day_type"][kind]
        assert per_date[date.fromisoformat(usual["date"])] == usual["trips"]
    route_trips = Counter(t["route_id"] for t in trips)
    assert {r["route_id"]: r["trips"] for r in info["routes"]} == dict(route_trips)


def test_cli_info(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kokai.cli import main

    feed = _write(tmp_path / "feed", SMALL)
    assert main(["gtfs", "info", str(feed), "--date", "2026-06-20", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["trips"] == 5
    assert main(["gtfs", "info", str(tmp_path / "missing.zip")]) == 2
    assert "読み込めません" in capsys.readouterr().err
