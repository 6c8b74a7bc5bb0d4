"""The shortcuts that make `kokai gtfs validate` fast give the same answers as
the plain way: times read from their bytes, CSV files with plain quotes read
in one call, stops near a shape found through a grid before any measuring."""

from __future__ import annotations

from datetime import date

import polars as pl

from kokai.gtfs.columns import time_seconds
from kokai.gtfs.feed import parse_csv
from kokai.gtfs.validate import validate_feed
from tests.gtfs.conftest import TINY_FEED, write_feed


def test_time_seconds_from_bytes_matches_the_digits() -> None:
    values = ["05:27:00", "5:27:00", "123:00:00", "25:61:99", "ab:cd:ef", "12345678", "", None]
    got = pl.DataFrame({"t": values}).select(time_seconds(pl.col("t")))["t"].to_list()
    digits = [int(v.replace(":", "")) if v and v.replace(":", "").isdigit() else None for v in values]
    assert got == [d // 10000 * 3600 + d // 100 % 100 * 60 + d % 100 if d is not None else None
                   for d in digits]  # fmt: skip


def test_plain_quotes_read_like_the_full_scan() -> None:
    plain = b'stop_id,stop_name\nS1,"City Hall"\nS2,Station\n'
    comma = b'stop_id,stop_name\nS1,"City, Hall"\nS2,Station\n'
    for data, name in ((plain, "City Hall"), (comma, "City, Hall")):
        parsed = parse_csv("stops.txt", data)
        assert parsed.frame is not None and not parsed.findings
        assert parsed.frame.rows() == [("S1", name), ("S2", "Station")]


def test_blank_line_with_compensating_row_is_still_found() -> None:
    # The comma count balances, but the row with too many values gives it away.
    parsed = parse_csv("stops.txt", b"a,b\n1,2\n\n3,4,5\n")
    codes = sorted(f.code for f in parsed.findings)
    assert codes == ["empty_row", "invalid_row_length"]


def _stops_near_shape(tmp_path, s2: str) -> list[tuple[int | None, dict]]:
    files = {
        **TINY_FEED,
        "trips.txt": "route_id,service_id,trip_id,shape_id\nR1,WD,T1,SH\n",
        # One long straight segment: its points are far from S2, the line is not.
        "shapes.txt": "shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\n"
        "SH,35.6812,139.7671,1\nSH,35.6900,139.7750,2\n",
        "stops.txt": TINY_FEED["stops.txt"].replace("S2,Station,35.6850,139.7700", s2),
    }
    report = validate_feed(write_feed(tmp_path, files), profile="gtfs", today=date(2026, 1, 15))
    return [(f.row, f.params) for f in report.findings if f.code == "stop_too_far_from_shape"]


def test_stop_beside_a_long_segment_is_near(tmp_path) -> None:
    assert _stops_near_shape(tmp_path, "S2,Station,35.6856,139.7711") == []


def test_stop_far_from_the_shape_is_measured(tmp_path) -> None:
    [(row, params)] = _stops_near_shape(tmp_path, "S2,Station,35.6850,139.7900")
    assert row == 3 and params["shape_id"] == "SH" and params["limit"] == 100
    assert 1000 < params["meters"] < 2500


def test_last_record_without_line_feed_reads_like_with_one() -> None:
    for data in (
        b"a,b\n1,2\n3,4",
        b"a,b\n1,2\n3, 4 ",
        b"a,b\r\n1,2\r\n3,4\r",
        b"\xef\xbb\xbfa,b\n1,2\n3,4",
    ):
        ended = parse_csv("stops.txt", data if data.endswith(b"\n") else data + b"\n")
        parsed = parse_csv("stops.txt", data)
        assert parsed.frame is not None and parsed.frame.equals(ended.frame)
        assert parsed.frame.rows() == [("1", "2"), ("3", "4")] and not parsed.findings


def test_short_row_is_found_without_the_comma_count_shortcut() -> None:
    # The last column of a short row is null: the commas are counted, the scan reports it.
    for data in (b"a,b\n1,2\n3\n", b"a,b\n1,2\n3"):
        parsed = parse_csv("stops.txt", data)
        assert [f.code for f in parsed.findings] == ["invalid_row_length"]
        assert parsed.frame is not None and parsed.frame.rows() == [("1", "2")]


def _context(files: dict[str, dict[str, list]]):
    from kokai.gtfs.feed import Feed
    from kokai.gtfs.rules_common import CheckContext

    feed = Feed(source="test", names=list(files))
    for name, columns in files.items():
        feed.files[name] = pl.DataFrame(columns, schema={c: pl.String for c in columns})
    return CheckContext(feed=feed, today=date(2026, 1, 1))


def test_distinct_ids_from_blocks_match_unique() -> None:
    in_blocks = {
        "trip_id": ["T1", "T1", "T2", "T3", "T3"],
        "stop_sequence": ["1", "2", "1", "1", "5"],
    }
    mixed = {"trip_id": ["T1", "T2", "T1", None], "stop_sequence": ["1", "1", "2", "1"]}
    for columns in (in_blocks, mixed):
        ctx = _context({"stop_times.txt": columns})
        want = {v for v in columns["trip_id"] if v is not None}
        got = ctx.distinct("stop_times.txt", "trip_id").to_list()
        assert sorted(got) == sorted(want) and len(got) == len(want)


def test_stop_numbers_leave_unknown_and_null_stops_null() -> None:
    from kokai.gtfs.rule_tables import stop_coordinates, stop_numbers

    ctx = _context({
        "stops.txt": {"stop_id": ["S1", None, "S2"], "stop_lat": ["1", "2", "3"],
                      "stop_lon": ["1", "2", "3"]},
        "stop_times.txt": {"trip_id": ["T1"] * 4, "stop_sequence": ["1", "2", "3", "4"],
                           "stop_id": ["S2", None, "S9", "S1"]},
    })  # fmt: skip
    coords = stop_coordinates(ctx)
    numbers = stop_numbers(ctx)
    assert coords is not None and numbers is not None
    by_id = dict(zip(coords["stop_id"].to_list(), coords["__stop__"].to_list(), strict=True))
    assert numbers.to_list() == [by_id["S2"], None, None, by_id["S1"]]


def test_one_digit_enum_suspects_match_the_string_test() -> None:
    from kokai.gtfs.rules_fields import _suspects
    from kokai.gtfs.schema import Column

    column = Column(name="pickup_type", type="enum", enum=(0, 1, 3))
    values = ["0", "1", "2", "3", "4", "01", "+1", " 1", "1 ", "a", "\u0661", "", None]
    got = pl.DataFrame({"pickup_type": values}).select(_suspects(column))["pickup_type"]
    want = [v is not None and v not in ("0", "1", "3") for v in values]
    assert got.to_list() == want
