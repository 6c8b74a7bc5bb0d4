"""kokai.gtfs.timetable: day-type columns, service days, stop and route
timetables (times after midnight), route lines, on the demo feed and on a small
hand-made feed (HAND_FEED, also used by the signage and page tests)."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest

from kokai.gtfs.timetable import (
    format_time,
    hour_label,
    load_timetable,
    services_on,
    signage_data,
)

DEMO_FEED = Path(__file__).resolve().parents[2] / "datasets" / "community-bus" / "feed"

# Weekday (WD), Saturday (SA) and Sunday (HO) services; 2026-11-23 (Mon, 勤労感謝の日)
# removed from WD and added to HO; 2026-12-30 (Wed) runs the Saturday timetable; HCD is
# a holiday service given only by calendar_dates (December Sundays and 11-23). R1 has a
# shape and a trip after midnight (24:45, 25:10); route "R/2 夜" has no shape and odd ids.
HAND_FEED: dict[str, str] = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone,agency_lang\n"
    "A1,テスト交通,https://bus.example.jp/,Asia/Tokyo,ja\n",
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon,platform_code\n"
    "S1,駅前,35.0000,139.0000,1\n"
    "S2,市役所,35.0100,139.0100,\n"
    "S 3/?,病院,35.0200,139.0200,\n"
    "S4,車庫,35.0300,139.0300,\n",
    "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type,route_color,"
    "route_text_color\n"
    "R1,A1,1,駅前線,3,E4007F,FFFFFF\n"
    "R/2 夜,A1,,病院線,3,,\n",
    "trips.txt": "route_id,service_id,trip_id,trip_headsign,direction_id,shape_id\n"
    "R1,WD,T1,病院,0,SH1\n"
    "R1,WD,T2,車庫,0,SH1\n"
    "R1,SA,T3,病院,0,SH1\n"
    "R1,HO,T4,病院,0,SH1\n"
    "R/2 夜,WD,T5,駅前,1,\n"
    "R/2 夜,HCD,T6,駅前,1,\n",
    "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
    "T1,08:00:00,08:00:00,S1,1\nT1,08:10:00,08:10:00,S2,2\nT1,08:20:00,08:20:00,S 3/?,3\n"
    "T2,23:50:00,23:50:00,S1,1\nT2,24:45:00,24:45:00,S2,2\nT2,25:10:00,25:10:00,S 3/?,3\n"
    "T2,25:30:00,25:30:00,S4,4\n"
    "T3,09:00:00,09:00:00,S1,1\nT3,09:10:00,09:10:00,S2,2\nT3,09:20:00,09:20:00,S 3/?,3\n"
    "T4,10:00:00,10:00:00,S1,1\nT4,10:10:00,10:10:00,S2,2\nT4,10:20:00,10:20:00,S 3/?,3\n"
    "T5,07:00:00,07:00:00,S 3/?,1\nT5,07:30:00,07:30:00,S1,2\n"
    "T6,12:00:00,12:00:00,S 3/?,1\nT6,12:30:00,12:30:00,S1,2\n",
    "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
    "start_date,end_date\n"
    "WD,1,1,1,1,1,0,0,20261101,20270331\n"
    "SA,0,0,0,0,0,1,0,20261101,20270331\n"
    "HO,0,0,0,0,0,0,1,20261101,20270331\n",
    "calendar_dates.txt": "service_id,date,exception_type\n"
    "WD,20261123,2\nHO,20261123,1\n"
    "WD,20261230,2\nSA,20261230,1\n"
    "HCD,20261123,1\nHCD,20261206,1\nHCD,20261213,1\nHCD,20261220,1\nHCD,20261227,1\n",
    "shapes.txt": "shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\n"
    "SH1,35.0000,139.0000,1\nSH1,35.0050,139.0020,2\nSH1,35.0100,139.0100,3\n"
    "SH1,35.0200,139.0200,4\nSH1,35.0300,139.0300,5\n",
}


def write_hand_feed(folder: Path, files: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hand.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in (files or HAND_FEED).items():
            archive.writestr(name, text)
    return path


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    return load_timetable(write_hand_feed(tmp_path_factory.mktemp("hand")))


@pytest.fixture(scope="module")
def demo():
    return load_timetable(DEMO_FEED)


def test_columns_from_calendar_and_calendar_dates_only(hand):
    columns = {c.label: set(c.service_ids) for c in hand.columns}
    assert list(columns) == ["平日", "土曜", "日曜・祝日"]
    assert columns == {"平日": {"WD"}, "土曜": {"SA"}, "日曜・祝日": {"HO", "HCD"}}
    # HCD runs on 5 of the ~21 Sundays of the span: its trips are marked ※.
    assert hand.partial_services == {"HCD"}


def test_service_days(hand):
    cal = hand.calendar
    assert services_on(cal, date(2026, 12, 1)) == {"WD"}  # a Tuesday
    assert services_on(cal, date(2026, 11, 23)) == {"HO", "HCD"}  # Monday holiday
    assert services_on(cal, date(2026, 12, 30)) == {"SA"}  # added date, weekday removed
    assert services_on(cal, date(2026, 12, 5)) == {"SA"}
    assert services_on(cal, date(2026, 12, 6)) == {"HO", "HCD"}
    assert services_on(cal, date(2026, 12, 7)) == {"WD"}
    assert services_on(cal, date(2027, 4, 1)) == set()  # after the calendar


def test_validity_falls_back_to_calendar(hand, demo):
    assert (hand.start, hand.end) == (date(2026, 11, 1), date(2027, 3, 31))
    assert (demo.start, demo.end) == (date(2026, 4, 1), date(2027, 3, 31))  # feed_info


def test_stop_timetable_sorts_after_midnight(hand):
    groups = hand.stop_groups("S2")
    assert [(g.route_id, g.headsign) for g in groups] == [("R1", "病院"), ("R1", "車庫")]
    late = groups[1].times["weekday"]
    assert late == [(24 * 3600 + 45 * 60, False)]
    assert format_time(late[0][0]) == "翌0:45"
    assert hour_label(24) == "翌0時" and hour_label(23) == "23時"
    assert [t for t, _ in groups[0].times["weekday"]] == [8 * 3600 + 10 * 60]
    assert [t for t, _ in groups[0].times["saturday"]] == [9 * 3600 + 10 * 60]
    # S1's departures: R1 only (R/2 夜 ends there: an arrival is not a departure).
    times = [(d.time, d.route_id) for d in hand.departures["S1"]]
    assert times == [(28800, "R1"), (32400, "R1"), (36000, "R1"), (85800, "R1")]
    hcd = [t for g in hand.stop_groups("S 3/?") for t in g.times.get("holiday", [])]
    assert (12 * 3600, True) in hcd  # the calendar_dates-only holiday trip, marked ※


def test_route_grid_merges_stop_patterns(hand):
    (direction,) = hand.route_directions("R1")
    assert direction.stops == ["S1", "S2", "S 3/?", "S4"]  # T2 goes on to S4
    weekday = direction.trips["weekday"]
    assert [t.trip_id for t in weekday] == ["T1", "T2"]
    assert weekday[0].times == {0: 28800, 1: 29400, 2: 30000}  # no time at S4
    assert weekday[1].times[3] == 25 * 3600 + 30 * 60
    assert direction.headsigns == ["病院", "車庫"]
    (back,) = hand.route_directions("R/2 夜")
    assert back.direction_id == "1" and back.stops == ["S 3/?", "S1"]
    assert [t.trip_id for t in back.trips["holiday"]] == ["T6"]


def test_route_lines_from_shapes_or_stops(hand):
    features = {f["properties"]["route_id"]: f for f in hand.routes_geojson()["features"]}
    shaped = features["R1"]
    assert shaped["properties"]["color"] == "#E4007F"
    assert shaped["properties"]["name"] == "1 駅前線"
    coords = shaped["geometry"]["coordinates"]
    assert coords[0] == [139.0, 35.0] and coords[-1] == [139.03, 35.03] and len(coords) == 5
    plain = features["R/2 夜"]
    assert plain["geometry"] == {"type": "LineString",
                                 "coordinates": [[139.02, 35.02], [139.0, 35.0]]}  # fmt: skip
    stops = hand.stops_geojson()["features"]
    assert {f["properties"]["name"] for f in stops} == {"駅前", "市役所", "病院", "車庫"}
    assert next(f for f in stops if f["properties"]["stop_id"] == "S1")["properties"][
        "description"
    ] == "のりば 1"


def test_signage_data_is_compact_and_complete(hand):
    data = signage_data(hand, "S2")
    assert data["services"] == ["HO", "SA", "WD"]
    times = [d[0] for d in data["departures"]]
    assert times == sorted(times) and times[-1] == 24 * 3600 + 45 * 60
    assert [data["headsigns"][d[2]] for d in data["departures"]] == ["病院"] * 3 + ["車庫"]
    assert [0, "0000001", "20261101", "20270331"] in data["calendar"]
    assert [2, "20261123", 2] in data["dates"] and [0, "20261123", 1] in data["dates"]
    assert all(row[0] in (0, 1, 2) for row in data["dates"])  # HCD is not at S2


def test_demo_feed(demo):
    assert [c.label for c in demo.columns] == ["平日", "土曜", "日曜・祝日"]
    assert [r.name for r in demo.routes.values()] == [
        "しおかぜバス東ルート", "しおかぜバス北ルート", "しおかぜバス海岸ルート",
    ]  # fmt: skip
    assert demo.routes["east"].color == "#E4007F"
    assert demo.stops["1001"].reading == "しおみえき"
    assert demo.stops["1001"].english == "Shiomi Station"
    assert services_on(demo.calendar, date(2026, 4, 29)) == {"holiday"}
    groups = demo.stop_groups("1001")
    assert groups and all(
        [t for t, _ in ts] == sorted(t for t, _ in ts) for g in groups for ts in g.times.values()
    )
    assert demo.trip_count == 30
