"""`kokai gtfs fix IN OUT`: repairs the mechanical problems, never changes IN,
writes a deterministic zip (or a folder), lists every change and validates OUT."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest

from kokai.errors import KokaiError
from kokai.gtfs import fix as gtfs_fix
from kokai.gtfs.fix import fix_feed
from kokai.gtfs.validate import validate_feed
from tests.gtfs.conftest import TINY_FEED, corpus_feed, write_feed

TODAY = date(2026, 1, 15)
UNSORTED = (
    "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
    "T2,09:10:00,09:10:00,S3,10\nT1,08:00:00,08:00:00,S1,1\nT2,09:00:00,09:00:00,S1,2\n"
    "T1,08:10:00,08:10:00,S3,3\nT1,08:05:00,08:06:00,S2,2\n"
)
BROKEN = {
    **TINY_FEED,
    "stops.txt": "\ufeff" + TINY_FEED["stops.txt"].replace("City Hall", " City Hall\t"),
    "routes.txt": TINY_FEED["routes.txt"].replace("\n", "\r\n"),
    "trips.txt": "route_id,service_id,trip_id\nR1,WD,T1\nR1,WD,T2\n",
    "stop_times.txt": UNSORTED,
    "agency.txt": TINY_FEED["agency.txt"].replace("Kokai Bus", "潮見バス").encode("cp932"),
    "feed_info.txt": None,
}


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_every_change_is_listed_and_out_is_clean(tmp_path: Path) -> None:
    feed = write_feed(tmp_path / "in", BROKEN)
    before = feed.read_bytes()
    report = fix_feed(feed, tmp_path / "out.zip", profile="gtfs", today=TODAY)
    assert feed.read_bytes() == before  # IN is never changed
    changes = {(f.code, f.path, f.row, f.field) for f in report.findings if f.severity == "info"}
    assert {
        ("fixed_bom", "stops.txt", None, None),
        ("fixed_whitespace", "stops.txt", 2, "stop_name"),
        ("fixed_line_endings", "routes.txt", None, None),
        ("fixed_gtfs_encoding", "agency.txt", None, None),
        ("sorted_rows", "stop_times.txt", None, None),
        ("created_feed_info", "feed_info.txt", None, None),
    } <= changes
    out = _members(tmp_path / "out.zip")
    assert sorted(out) == list(out)  # members sorted by name
    assert out["stop_times.txt"].decode().splitlines()[1:] == [
        "T1,08:00:00,08:00:00,S1,1", "T1,08:05:00,08:06:00,S2,2", "T1,08:10:00,08:10:00,S3,3",
        "T2,09:00:00,09:00:00,S1,2", "T2,09:10:00,09:10:00,S3,10",
    ]  # fmt: skip
    assert out["stops.txt"].startswith(b"stop_id,") and b" City Hall" not in out["stops.txt"]
    assert b"\r" not in out["routes.txt"]
    assert "潮見バス" in out["agency.txt"].decode("utf-8")
    assert out["feed_info.txt"].decode().splitlines() == [
        "feed_publisher_name,feed_publisher_url,feed_lang,feed_start_date,feed_end_date",
        "潮見バス,https://bus.example.jp/,ja,20250101,20991231",
    ]
    # OUT's validation is in the report, and decides the exit status
    assert (
        report.exit_code
        == validate_feed(tmp_path / "out.zip", profile="gtfs", today=TODAY).exit_code
        == 0
    )
    assert any(s.path == str(tmp_path / "out.zip") for s in report.sources)


def test_out_zip_is_deterministic_and_folder_out_works(tmp_path: Path) -> None:
    feed = write_feed(tmp_path / "in", BROKEN)
    fix_feed(feed, tmp_path / "a.zip", today=TODAY)
    fix_feed(feed, tmp_path / "b.zip", today=TODAY)
    digest = [hashlib.sha256((tmp_path / n).read_bytes()).hexdigest() for n in ("a.zip", "b.zip")]
    assert digest[0] == digest[1]
    fix_feed(feed, tmp_path / "folder", today=TODAY)
    assert {p.name: p.read_bytes() for p in (tmp_path / "folder").iterdir()} == _members(
        tmp_path / "a.zip"
    )
    # a folder IN is only read too
    fix_feed(tmp_path / "folder", tmp_path / "c.zip", today=TODAY)
    assert _members(tmp_path / "c.zip") == _members(tmp_path / "a.zip")


def test_clean_feed_is_left_as_it_is(tmp_path: Path) -> None:
    feed = write_feed(tmp_path / "in", TINY_FEED)
    report = fix_feed(feed, tmp_path / "out.zip", today=TODAY)
    assert [f for f in report.findings if f.rule.source == "kokai"] == []
    assert _members(tmp_path / "out.zip") == {k: v.encode() for k, v in sorted(TINY_FEED.items())}


def test_lone_cr_inside_a_value_is_kept(tmp_path: Path) -> None:
    # Gifu's translations.txt has a CR alone inside a reading; it is no line end.
    stops = "stop_id,stop_name,stop_lat,stop_lon\r\nS1,City\rHall,35.6812,139.7671\r\n"
    stops += "S2,Station,35.6850,139.7700\r\nS3,Library,35.6900,139.7750\r\n"
    feed = write_feed(tmp_path / "in", {**TINY_FEED, "stops.txt": stops})
    fix_feed(feed, tmp_path / "out.zip", today=TODAY)
    assert _members(tmp_path / "out.zip")["stops.txt"].split(b"\n")[1] == (
        b"S1,City\rHall,35.6812,139.7671"
    )


def test_sort_in_buckets_keeps_memory_bounded(tmp_path: Path, monkeypatch) -> None:
    # Tiny buckets: many bucket files, each sorted alone; every trip still ends up whole
    # and in stop_sequence order.
    monkeypatch.setattr(gtfs_fix, "BUCKET_BYTES", 64)
    rows = [
        f"T{t},08:{s:02d}:00,08:{s:02d}:00,S{1 + s % 3},{s}" for s in (3, 1, 2) for t in range(40)
    ]
    text = "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n" + "\n".join(rows) + "\n"
    trips = "route_id,service_id,trip_id\n" + "".join(f"R1,WD,T{t}\n" for t in range(40))
    feed = write_feed(tmp_path / "in", {**TINY_FEED, "stop_times.txt": text, "trips.txt": trips})
    fix_feed(feed, tmp_path / "out.zip", today=TODAY)
    lines = _members(tmp_path / "out.zip")["stop_times.txt"].decode().splitlines()[1:]
    assert len(lines) == 120
    order = [(line.split(",")[0], int(line.split(",")[4])) for line in lines]
    trips_seen = [t for i, (t, _) in enumerate(order) if i == 0 or order[i - 1][0] != t]
    assert len(trips_seen) == len(set(trips_seen)) == 40  # each trip in one block
    assert all(a[1] < b[1] for a, b in zip(order, order[1:], strict=False) if a[0] == b[0])


def test_refuses_to_overwrite_in_or_a_folder_with_files(tmp_path: Path) -> None:
    feed = write_feed(tmp_path / "in", TINY_FEED, as_zip=False)
    with pytest.raises(KokaiError):
        fix_feed(feed, feed)
    with pytest.raises(KokaiError):
        fix_feed(feed, tmp_path)  # not empty


def test_unreadable_in_gives_the_validation_error(tmp_path: Path) -> None:
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    report = fix_feed(tmp_path / "bad.zip", tmp_path / "out.zip", today=TODAY)
    assert [f.code for f in report.findings] == ["i_o_error"]
    assert report.exit_code == 2 and not (tmp_path / "out.zip").exists()


@pytest.mark.corpus
def test_corpus_feed_fixed_keeps_its_errors(tmp_path: Path) -> None:
    # Gifu: CRLF, a lone CR inside a reading, spaces; nothing that changes a value's meaning.
    feed = corpus_feed("gifu_city_community_bus.zip")
    report = fix_feed(feed, tmp_path / "out.zip", today=TODAY)
    before = validate_feed(feed, today=TODAY)
    after = validate_feed(tmp_path / "out.zip", today=TODAY)
    errors = lambda r: sorted(  # noqa: E731
        (c, n) for (_, c, s), n in r.counts.items() if s in ("error", "warning")
    )
    assert errors(after) == errors(before)
    assert {f.code for f in report.findings} >= {"fixed_line_endings", "fixed_whitespace"}


def test_cli_fix_and_dataset_folder(tmp_path: Path) -> None:
    feed = write_feed(tmp_path / "ds" / "feed", BROKEN, as_zip=False)
    (tmp_path / "ds" / "datapackage.yaml").write_text(
        "name: bus\nresources:\n  - name: bus-gtfs\n    path: feed\n    format: gtfs\n",
        encoding="utf-8",
    )
    run = [sys.executable, "-m", "kokai.cli"]
    done = subprocess.run([*run, "gtfs", "fix", str(tmp_path / "ds"), str(tmp_path / "o.zip"),
                           "--format", "json", "--date", "2026-01-15", "--profile", "gtfs"],
                          capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "sorted_rows" in done.stdout and "created_feed_info" in done.stdout
    for command in ("validate", "info"):
        done = subprocess.run([*run, "gtfs", command, str(tmp_path / "ds"), "--date",
                               "2026-01-15"], capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
        assert done.returncode in (0, 1), done.stderr
        assert str(feed) in done.stdout
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "datapackage.yaml").write_text("name: x\nresources: []\n", "utf-8")
    done = subprocess.run([*run, "gtfs", "validate", str(tmp_path / "empty")],
                          capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "format: gtfs" in done.stderr
