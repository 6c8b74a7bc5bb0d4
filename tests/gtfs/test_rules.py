"""The generic GTFS rules on the tiny feed: loading details (lines, BOM, quotes,
encodings), profiles, exit codes. Each rule firing on a feed broken in one place
is in tests/gtfs/rule_cases.py (run by test_gtfs_rule_cases.py)."""

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
    # Two quotes in all: the scan sees balanced quotes, polars reads a different shape.
    assert [(f.code, f.path, f.row) for f in report.findings if f.path == "stops.txt"] == [
        ("csv_parsing_failed", "stops.txt", None)
    ]
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
        # Corrupt CSV text in a readable zip is an error in the data (1): never an
        # unreadable feed (2) nor a crash. Every corruption of this seed breaks something.
        assert report.exit_code == 1, [f.code for f in report.findings]
        assert report.total("error") > 0


def _many_rows(n: int, row: str) -> str:
    return "".join(row.format(i=i) for i in range(n))


@pytest.mark.parametrize(
    ("changes", "profile", "code", "path"),
    [
        # emit (rules): 1500 stop times naming a stop that does not exist
        ({"stop_times.txt": TINY_FEED["stop_times.txt"]
          + _many_rows(1500, "T1,09:00:00,09:00:00,S9,{i}0\n")},
         "gtfs", "foreign_key_violation", "stop_times.txt"),
        # the CSV scan: 1500 rows of the wrong length
        ({"stops.txt": TINY_FEED["stops.txt"] + _many_rows(1500, "X{i},Extra,35.0,139.0,oops\n")},
         "gtfs", "invalid_row_length", "stops.txt"),
        # a GTFS-JP rule: 1500 offices without a name
        ({"office_jp.txt": "office_id,office_name\n" + _many_rows(1500, "O{i},\n")},
         "jp", "jp_missing_required_field", "office_jp.txt"),
    ],
    ids=["rule", "csv scan", "gtfs-jp rule"],
)  # fmt: skip
def test_findings_past_the_cap_are_counted_not_kept(make_feed, changes, profile, code, path) -> None:
    from kokai.validators.report import MAX_FINDINGS_PER_CODE

    report = validate_feed(make_feed(changes), profile=profile, today=TODAY)
    kept = [f for f in report.findings if f.code == code and f.path == path]
    assert report.codes()[code] == 1500
    assert len(kept) == MAX_FINDINGS_PER_CODE
    assert len({f.row for f in kept}) == MAX_FINDINGS_PER_CODE  # the first rows, each once
    assert report.to_dict()["summary"]["by_code"][code]["count"] == 1500
