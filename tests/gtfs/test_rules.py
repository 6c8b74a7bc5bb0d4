"""Each generic GTFS rule fires on a tiny feed broken in one place, with the
MobilityData code, the file and the line a person sees (header = 1)."""

from __future__ import annotations

from datetime import date

import pytest

from kokai.gtfs.feed import load_feed
from kokai.gtfs.validate import validate_feed
from kokai.rules import all_rules
from tests.gtfs.conftest import TINY_FEED

TODAY = date(2026, 1, 15)


def notices(path, profile: str = "gtfs", today: date = TODAY) -> set[tuple[str, str | None, int | None]]:
    report = validate_feed(path, profile=profile, today=today)
    return {(f.code, f.path, f.row) for f in report.findings}


def replace(name: str, old: str, new: str) -> dict[str, str]:
    assert old in TINY_FEED[name], (name, old)
    return {name: TINY_FEED[name].replace(old, new)}


def test_tiny_feed_is_clean(make_feed) -> None:
    report = validate_feed(make_feed(), profile="gtfs", today=TODAY)
    assert [(f.code, f.path, f.row) for f in report.findings] == []
    assert report.exit_code == 0


def test_folder_input_gives_the_same_result(make_feed) -> None:
    broken = replace("stops.txt", "35.6850", "abc")
    assert notices(make_feed(broken)) == notices(make_feed(broken, as_zip=False))


CASES = {
    # file and column level
    "missing_required_file": ({"routes.txt": None}, ("missing_required_file", "routes.txt", None)),
    "missing_calendar": (
        {"calendar.txt": None},
        ("missing_calendar_and_calendar_date_files", "calendar.txt", None),
    ),
    "missing_feed_info": ({"feed_info.txt": None}, ("missing_recommended_file", "feed_info.txt", None)),
    "unknown_file": ({"notes.txt": "a,b\n1,2\n"}, ("unknown_file", "notes.txt", None)),
    "missing_required_column": (
        replace("stops.txt", "stop_id,", "id,"),
        ("missing_required_column", "stops.txt", None),
    ),
    "unknown_column": (
        {"trips.txt": "route_id,service_id,trip_id,colour\nR1,WD,T1,red\n"},
        ("unknown_column", "trips.txt", None),
    ),
    "empty_file": ({"agency.txt": ""}, ("empty_file", "agency.txt", None)),
    "duplicated_column": (
        {"trips.txt": "route_id,service_id,trip_id,trip_id\nR1,WD,T1,T1\n"},
        ("duplicated_column", "trips.txt", None),
    ),
    "empty_column_name": (
        {"trips.txt": "route_id,service_id,trip_id,\nR1,WD,T1,x\n"},
        ("empty_column_name", "trips.txt", None),
    ),
    "invalid_row_length": (
        replace("stops.txt", "S2,Station,", "S2,Station,extra,"),
        ("invalid_row_length", "stops.txt", 3),
    ),
    "new_line_in_value": (
        replace("stops.txt", "S2,Station,", 'S2,"Sta\ntion",'),
        ("new_line_in_value", "stops.txt", 3),
    ),
    # field formats
    "missing_required_field": (
        replace("stops.txt", "S3,", ","),
        ("missing_required_field", "stops.txt", 4),
    ),
    "invalid_date": (replace("calendar.txt", "20250101", "2025-01-01"), ("invalid_date", "calendar.txt", 2)),
    "invalid_time": (replace("stop_times.txt", "08:05:00", "8h05"), ("invalid_time", "stop_times.txt", 3)),
    "invalid_color": (
        {"routes.txt": "route_id,agency_id,route_short_name,route_type,route_color\nR1,A1,1,3,#FF0000\n"},
        ("invalid_color", "routes.txt", 2),
    ),
    "invalid_url": (replace("agency.txt", "https://bus.example.jp/", "bus.example.jp"), ("invalid_url", "agency.txt", 2)),
    "invalid_email": (
        replace("feed_info.txt", "bus@example.jp", "bus-at-example.jp"),
        ("invalid_email", "feed_info.txt", 2),
    ),
    "missing_feed_contact": (
        replace("feed_info.txt", ",bus@example.jp", ","),
        ("missing_feed_contact_email_and_url", "feed_info.txt", 2),
    ),
    "missing_feed_version": (
        {"feed_info.txt": "feed_publisher_name,feed_publisher_url,feed_lang,feed_contact_email\n"
         "Kokai,https://bus.example.jp/,ja,bus@example.jp\n"},
        ("missing_recommended_field", "feed_info.txt", 2),
    ),
    "invalid_language_code": (replace("agency.txt", ",ja\n", ",日本語\n"), ("invalid_language_code", "agency.txt", 2)),
    "invalid_timezone": (replace("agency.txt", "Asia/Tokyo", "JST"), ("invalid_timezone", "agency.txt", 2)),
    "invalid_integer": (replace("stop_times.txt", "S2,2", "S2,two"), ("invalid_integer", "stop_times.txt", 3)),
    "invalid_float": (replace("stops.txt", "35.6850", "35,6850".replace(",", "x")), ("invalid_float", "stops.txt", 3)),
    "number_out_of_range": (replace("stops.txt", "35.6850", "95.0"), ("number_out_of_range", "stops.txt", 3)),
    "unexpected_enum_value": (replace("routes.txt", "City Loop,3", "City Loop,800"), ("unexpected_enum_value", "routes.txt", 2)),
    "non_ascii_id": (
        {**replace("stops.txt", "S3,", "停3,"), **replace("stop_times.txt", ",S3,", ",停3,")},
        ("non_ascii_or_non_printable_char", "stops.txt", 4),
    ),
    "invalid_currency": (
        {"fare_attributes.txt": "fare_id,price,currency_type,payment_method,transfers\nF1,210,YEN,0,0\n"},
        ("invalid_currency", "fare_attributes.txt", 2),
    ),
    # keys
    "duplicate_key": (replace("stops.txt", "S3,Library", "S2,Library"), ("duplicate_key", "stops.txt", 4)),
    "duplicate_stop_sequence": (
        replace("stop_times.txt", "S3,3", "S3,2"),
        ("duplicate_key", "stop_times.txt", 4),
    ),
    "foreign_key_violation": (replace("stop_times.txt", ",S3,", ",S9,"), ("foreign_key_violation", "stop_times.txt", 4)),
    "service_id_fk": (
        {"trips.txt": "route_id,service_id,trip_id\nR1,XX,T1\n"},
        ("foreign_key_violation", "trips.txt", 2),
    ),
    # stop_times
    "arrival_before_previous_departure": (
        replace("stop_times.txt", "08:10:00,08:10:00", "08:03:00,08:03:00"),
        ("stop_time_with_arrival_before_previous_departure_time", "stop_times.txt", 4),
    ),
    "only_arrival": (
        replace("stop_times.txt", "08:05:00,08:06:00", "08:05:00,"),
        ("stop_time_with_only_arrival_or_departure_time", "stop_times.txt", 3),
    ),
    "missing_trip_edge": (
        replace("stop_times.txt", "T1,08:10:00,08:10:00", "T1,,"),
        ("missing_trip_edge", "stop_times.txt", 4),
    ),
    "decreasing_or_equal_stop_time_distance": (
        {"stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence,shape_dist_traveled\n"
         "T1,08:00:00,08:00:00,S1,1,0\nT1,08:05:00,08:06:00,S2,2,500\nT1,08:10:00,08:10:00,S3,3,500\n"},
        ("decreasing_or_equal_stop_time_distance", "stop_times.txt", 4),
    ),
    "timepoint_without_times": (
        {"stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence,timepoint\n"
         "T1,08:00:00,08:00:00,S1,1,1\nT1,,,S2,2,1\nT1,08:10:00,08:10:00,S3,3,1\n"},
        ("stop_time_timepoint_without_times", "stop_times.txt", 3),
    ),
    "missing_timepoint_value": (
        {"stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence,timepoint\n"
         "T1,08:00:00,08:00:00,S1,1,1\nT1,08:05:00,08:06:00,S2,2,\nT1,08:10:00,08:10:00,S3,3,1\n"},
        ("missing_timepoint_value", "stop_times.txt", 3),
    ),
    "fast_travel": (
        replace("stops.txt", "S3,Library,35.6900,139.7750", "S3,Library,34.6900,135.5000"),
        ("fast_travel_between_consecutive_stops", "stop_times.txt", 4),
    ),
    "unused_and_unusable_trip": (
        {"trips.txt": "route_id,service_id,trip_id\nR1,WD,T1\nR1,WD,T2\n"},
        ("unused_trip", "trips.txt", 3),
    ),
    "stop_without_stop_time": (
        {"stops.txt": TINY_FEED["stops.txt"] + "S4,Park,35.6910,139.7760\n"},
        ("stop_without_stop_time", "stops.txt", 5),
    ),
    # routes, stops, agencies
    "route_names_missing": (
        replace("routes.txt", "R1,A1,1,City Loop,3", "R1,A1,,,3"),
        ("route_both_short_and_long_name_missing", "routes.txt", 2),
    ),
    "route_short_name_too_long": (
        replace("routes.txt", "R1,A1,1,", "R1,A1,Community Loop Line,"),
        ("route_short_name_too_long", "routes.txt", 2),
    ),
    "duplicate_route_name": (
        {"routes.txt": TINY_FEED["routes.txt"] + "R2,A1,1,City Loop,3\n",
         "trips.txt": "route_id,service_id,trip_id\nR1,WD,T1\n"},
        ("duplicate_route_name", "routes.txt", 3),
    ),
    "missing_stop_name": (replace("stops.txt", "S2,Station,", "S2,,"), ("missing_stop_name", "stops.txt", 3)),
    "stop_without_location": (
        replace("stops.txt", "S2,Station,35.6850,139.7700", "S2,Station,,"),
        ("stop_without_location", "stops.txt", 3),
    ),
    "point_near_origin": (
        replace("stops.txt", "S2,Station,35.6850,139.7700", "S2,Station,0.1,0.1"),
        ("point_near_origin", "stops.txt", 3),
    ),
    "point_near_pole": (
        replace("stops.txt", "S2,Station,35.6850,139.7700", "S2,Station,89.9,139.77"),
        ("point_near_pole", "stops.txt", 3),
    ),
    "station_with_parent_station": (
        {"stops.txt": "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
         "S1,City Hall,35.6812,139.7671,0,ST\nS2,Station,35.6850,139.7700,0,\n"
         "S3,Library,35.6900,139.7750,0,\nST,Hub,35.6812,139.7671,1,ST2\nST2,Hub2,35.6812,139.7671,1,\n"},
        ("station_with_parent_station", "stops.txt", 5),
    ),
    "wrong_parent_location_type": (
        {"stops.txt": "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
         "S1,City Hall,35.6812,139.7671,0,S2\nS2,Station,35.6850,139.7700,0,\n"
         "S3,Library,35.6900,139.7750,0,\n"},
        ("wrong_parent_location_type", "stops.txt", 2),
    ),
    "missing_required_agency_id": (
        {"agency.txt": TINY_FEED["agency.txt"] + "A2,Other Bus,https://other.example.jp/,Asia/Tokyo,ja\n",
         "routes.txt": "route_id,route_short_name,route_long_name,route_type\nR1,1,City Loop,3\n"},
        ("missing_required_agency_id", "routes.txt", 2),
    ),
    "inconsistent_agency_timezone": (
        {"agency.txt": TINY_FEED["agency.txt"] + "A2,Other Bus,https://other.example.jp/,Asia/Seoul,ja\n"},
        ("inconsistent_agency_timezone", "agency.txt", 3),
    ),
    # calendar and feed_info
    "calendar_out_of_order": (
        replace("calendar.txt", "20250101,20991231", "20991231,20250101"),
        ("start_and_end_range_out_of_order", "calendar.txt", 2),
    ),
    "expired_calendar": (replace("calendar.txt", "20991231", "20251231"), ("expired_calendar", "calendar.txt", 2)),
    "feed_expiration_7": (replace("feed_info.txt", "20991231", "20260118"), ("feed_expiration_date7_days", "feed_info.txt", 2)),
    "feed_expiration_30": (replace("feed_info.txt", "20991231", "20260201"), ("feed_expiration_date30_days", "feed_info.txt", 2)),
    "missing_feed_info_date": (
        replace("feed_info.txt", ",20250101,20991231", ",20250101,"),
        ("missing_feed_info_date", "feed_info.txt", 2),
    ),
    # frequencies
    "overlapping_frequency": (
        {"frequencies.txt": "trip_id,start_time,end_time,headway_secs\n"
         "T1,06:00:00,09:00:00,600\nT1,08:00:00,10:00:00,600\n"},
        ("overlapping_frequency", "frequencies.txt", 3),
    ),
    "frequency_range_equal": (
        {"frequencies.txt": "trip_id,start_time,end_time,headway_secs\nT1,06:00:00,06:00:00,600\n"},
        ("start_and_end_range_equal", "frequencies.txt", 2),
    ),
    # shapes
    "decreasing_shape_distance": (
        {"shapes.txt": "shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence,shape_dist_traveled\n"
         "SH,35.6812,139.7671,1,0\nSH,35.6850,139.7700,2,500\nSH,35.6900,139.7750,3,400\n",
         "trips.txt": "route_id,service_id,trip_id,shape_id\nR1,WD,T1,SH\n"},
        ("decreasing_shape_distance", "shapes.txt", 4),
    ),
    "unused_shape": (
        {"shapes.txt": "shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\n"
         "SH,35.6812,139.7671,1\nSH,35.6900,139.7750,2\n"},
        ("unused_shape", "shapes.txt", 2),
    ),
    "stop_too_far_from_shape": (
        {"shapes.txt": "shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\n"
         "SH,35.6812,139.7671,1\nSH,35.6900,139.7750,2\n",
         "trips.txt": "route_id,service_id,trip_id,shape_id\nR1,WD,T1,SH\n",
         **replace("stops.txt", "S2,Station,35.6850,139.7700", "S2,Station,35.6850,139.7900")},
        ("stop_too_far_from_shape", "stop_times.txt", 3),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rule_fires(make_feed, case: str) -> None:
    changes, expected = CASES[case]
    found = notices(make_feed(changes))
    if expected[2] is None:
        assert expected[:2] in {(code, path) for code, path, _ in found}, found
    else:
        assert expected in found, found


def test_unusable_trip_also_reported_for_a_trip_without_stop_times(make_feed) -> None:
    found = notices(make_feed({"trips.txt": "route_id,service_id,trip_id\nR1,WD,T1\nR1,WD,T2\n"}))
    assert ("unusable_trip", "trips.txt", 3) in found
    assert ("unusable_trip", "trips.txt", 2) not in found


def test_errors_exit_1_and_unreadable_exit_2(make_feed, tmp_path) -> None:
    broken = validate_feed(make_feed(replace("stop_times.txt", ",S3,", ",S9,")), today=TODAY)
    assert broken.exit_code == 1
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    unreadable = validate_feed(tmp_path / "bad.zip", today=TODAY)
    assert unreadable.exit_code == 2
    assert {f.code for f in unreadable.findings} == {"i_o_error"}
    assert validate_feed(tmp_path / "nowhere.zip", today=TODAY).exit_code == 2


def test_lines_follow_the_file_when_rows_are_skipped(make_feed) -> None:
    text = TINY_FEED["stops.txt"].replace("S2,Station,", "\nS2,Station,")
    path = make_feed({"stops.txt": text, "stop_times.txt": TINY_FEED["stop_times.txt"].replace(",S3,", ",S9,")})
    feed, findings = load_feed(path)
    assert ("empty_row", 3) in {(f.code, f.row) for f in findings}
    # S2 moved one line down: the loader maps DataFrame rows back to file lines.
    assert feed.line("stops.txt", 1) == 4
    assert feed.lines("stops.txt").to_list() == [2, 4, 5]


def test_bom_spaces_and_empty_cells(make_feed) -> None:
    stops = "\ufeffstop_id , stop_name,stop_lat,stop_lon\nS1 , City Hall ,35.6812,139.7671\nS2,\"\",35.6850,139.7700\n"
    feed, _ = load_feed(make_feed({"stops.txt": stops}))
    frame = feed.files["stops.txt"]
    assert frame.columns == ["stop_id", "stop_name", "stop_lat", "stop_lon"]
    assert frame["stop_id"].to_list() == ["S1", "S2"]
    assert frame["stop_name"].to_list() == ["City Hall", None]


def test_non_utf8_file_is_reported_not_raised(make_feed) -> None:
    stops = "stop_id,stop_name,stop_lat,stop_lon\nS1,市役所,35.6812,139.7671\n".encode("shift_jis")
    found = notices(make_feed({"stops.txt": stops}))
    assert ("invalid_character", "stops.txt", 2) in found


def test_jp_profile_does_not_flood_japanese_ids(make_feed) -> None:
    changes = {**replace("stops.txt", "S3,", "停3,"), **replace("stop_times.txt", ",S3,", ",停3,")}
    path = make_feed(changes)
    assert "non_ascii_or_non_printable_char" in {c for c, _, _ in notices(path, "gtfs")}
    assert "non_ascii_or_non_printable_char" not in {c for c, _, _ in notices(path, "jp")}


def test_v2_translations_are_not_missing_columns_in_jp_profile(make_feed) -> None:
    path = make_feed({"translations.txt": "trans_id,lang,translation\n市役所,ja-Hrkt,しやくしょ\n"})
    assert ("missing_required_column", "translations.txt", None) in notices(path, "gtfs")
    assert ("missing_required_column", "translations.txt", None) not in notices(path, "jp")


def test_generic_rules_use_mobilitydata_codes_and_severities() -> None:
    gtfs_guru = pytest.importorskip("gtfs_guru")
    schema = gtfs_guru.notice_schema()
    ours = [rule for (source, _), rule in all_rules().items() if source == "mobilitydata"]
    assert len(ours) >= 60
    for rule in ours:
        assert rule.code in schema, rule.code
        assert schema[rule.code]["severityLevel"].lower() == rule.severity, rule.code


def test_docs_list_every_implemented_code() -> None:
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "gtfs-notices.md").read_text("utf-8")
    for (source, code), _ in all_rules().items():
        if source in ("mobilitydata",) or code in ("unsafe_zip_entry", "zip_too_large"):
            assert f"`{code}`" in docs, code


def test_stop_times_out_of_file_order_are_ordered_by_sequence(make_feed) -> None:
    header, *rows = TINY_FEED["stop_times.txt"].splitlines()
    shuffled = "\n".join([header, rows[2], rows[0], rows[1]]) + "\n"
    assert notices(make_feed({"stop_times.txt": shuffled})) == set()
    # Now the stop with sequence 3 (file line 2) arrives before the departure of sequence 2.
    backwards = shuffled.replace("T1,08:10:00,08:10:00,S3,3", "T1,08:03:00,08:03:00,S3,3")
    found = notices(make_feed({"stop_times.txt": backwards}))
    assert ("stop_time_with_arrival_before_previous_departure_time", "stop_times.txt", 2) in found


def test_quoted_commas_and_quotes_are_values_not_separators(make_feed) -> None:
    stops = (
        'stop_id,stop_name,stop_lat,stop_lon\nS1,"City Hall, East ""A""",35.6812,139.7671\n'
        'S2,Station,35.6850,139.7700\nS3,"Library,\nWest",35.6900,139.7750\n'
    )
    path = make_feed({"stops.txt": stops})
    feed, findings = load_feed(path)
    assert feed.files["stops.txt"]["stop_name"].to_list()[:2] == ['City Hall, East "A"', "Station"]
    assert [(f.code, f.row) for f in findings] == [("new_line_in_value", 4)]
    # The record after the multi-line value keeps its own line number.
    assert feed.lines("stops.txt").to_list() == [2, 3, 4]


def test_stray_quote_is_a_parsing_failure_not_a_crash(make_feed) -> None:
    stops = 'stop_id,stop_name,stop_lat,stop_lon\nS1,City "Hall,35.6812,139.7671\nS2,Station,35.6850,139.7700\n'
    report = validate_feed(make_feed({"stops.txt": stops}), profile="gtfs", today=TODAY)
    codes = {(f.code, f.path) for f in report.findings}
    assert ("csv_parsing_failed", "stops.txt") in codes or ("invalid_row_length", "stops.txt") in codes
    assert report.exit_code == 1


def test_random_corruption_never_raises(make_feed) -> None:
    import random

    rng = random.Random(20261121)
    alphabet = b'",\n\r x\xe3\x81\x82\xff0:'
    for _ in range(40):
        changes = {}
        for name in rng.sample(sorted(TINY_FEED), 2):
            data = bytearray(TINY_FEED[name].encode())
            for _ in range(rng.randint(1, 6)):
                data[rng.randrange(len(data))] = rng.choice(alphabet)
            changes[name] = bytes(data)
        report = validate_feed(make_feed(changes), profile="gtfs", today=TODAY)
        assert report.exit_code in (0, 1, 2)
