"""Real corpus feeds broken in one place, on the fly: kokai must report exactly
the new notices (code, file, row) that the break causes, and nothing else."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from kokai.gtfs.validate import validate_feed
from tests.gtfs.conftest import corpus_feed

pytestmark = pytest.mark.corpus

TODAY = date(2026, 11, 21)
Notice = tuple[str, str | None, int | None]


def _members(feed: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(feed) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _write(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _notices(path: Path, profile: str) -> list[Notice]:
    report = validate_feed(path, profile=profile, today=TODAY)
    return sorted((f.code, f.path, f.row) for f in report.findings)


def _new_notices(tmp_path: Path, feed_name: str, profile: str,
                 change: Callable[[dict[str, bytes]], None]) -> list[Notice]:  # fmt: skip
    original = corpus_feed(feed_name)
    members = _members(original)
    change(members)
    broken = _write(tmp_path / f"broken_{feed_name}", members)
    before = _notices(original, profile)
    after = _notices(broken, profile)
    return sorted(set(after) - set(before))


def _lines(members: dict[str, bytes], name: str) -> list[str]:
    return members[name].decode("utf-8-sig").splitlines()


def _set_lines(members: dict[str, bytes], name: str, lines: list[str]) -> None:
    members[name] = ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _set_cell(members: dict[str, bytes], name: str, line: int, column: str, value: str) -> None:
    """Sets `column` on file line `line` (header = 1) of a file without quoted commas."""
    lines = _lines(members, name)
    header = lines[0].split(",")
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = value
    lines[line - 1] = ",".join(cells)
    _set_lines(members, name, lines)


def test_stop_time_pointing_to_a_missing_stop(tmp_path: Path) -> None:
    def change(m: dict[str, bytes]) -> None:
        _set_cell(m, "stop_times.txt", 10, "stop_id", "NO_SUCH_STOP")

    assert _new_notices(tmp_path, "rinko_bus_mlit_sample.zip", "gtfs", change) == [
        ("foreign_key_violation", "stop_times.txt", 10),
    ]


def test_stop_time_going_backwards(tmp_path: Path) -> None:
    # Line 5 of the Rinko sample is the 4th stop of the first trip (6:33); make it 6:20.
    def change(m: dict[str, bytes]) -> None:
        _set_cell(m, "stop_times.txt", 5, "arrival_time", "6:20:00")
        _set_cell(m, "stop_times.txt", 5, "departure_time", "6:20:00")

    assert _new_notices(tmp_path, "rinko_bus_mlit_sample.zip", "gtfs", change) == [
        ("stop_time_with_arrival_before_previous_departure_time", "stop_times.txt", 5),
    ]


def test_expired_calendar(tmp_path: Path) -> None:
    # Minato ちぃばす runs 2026-01-05 to 2026-12-31; end one service (line 2) in March.
    def change(m: dict[str, bytes]) -> None:
        _set_cell(m, "calendar.txt", 2, "end_date", "20260331")

    new = _new_notices(tmp_path, "minato_chiibus.zip", "gtfs", change)
    assert ("expired_calendar", "calendar.txt", 2) in new
    assert {code for code, _, _ in new} <= {"expired_calendar", "unusable_trip"}
    assert [n for n in new if n[0] == "expired_calendar"] == [("expired_calendar", "calendar.txt", 2)]


def test_feed_info_removed(tmp_path: Path) -> None:
    def change(m: dict[str, bytes]) -> None:
        del m["feed_info.txt"]

    # ちぃばす has translations.txt, which makes feed_info.txt required in GTFS itself
    # (MobilityData's MissingFeedInfoValidator): an error in both profiles, said once.
    gtfs = _new_notices(tmp_path, "minato_chiibus.zip", "gtfs", change)
    assert gtfs == [("missing_required_file", "feed_info.txt", None)]
    jp = _new_notices(tmp_path, "minato_chiibus.zip", "jp", change)
    assert jp == [("missing_required_file", "feed_info.txt", None)]


def test_agency_id_check_digit_changed(tmp_path: Path) -> None:
    original = _members(corpus_feed("gifu_city_community_bus.zip"))
    agency_id = _lines(original, "agency.txt")[1].split(",")[0]
    wrong_digit = str((int(agency_id[0]) + 1) % 10)
    wrong = wrong_digit + agency_id[1:]

    def change(m: dict[str, bytes]) -> None:
        for name in ("agency.txt", "routes.txt"):
            m[name] = m[name].replace(agency_id.encode(), wrong.encode())

    new = _new_notices(tmp_path, "gifu_city_community_bus.zip", "jp", change)
    assert new == [("jp_invalid_houjin_bangou", "agency.txt", 2)]


def test_zip_with_parent_directory_entries(tmp_path: Path) -> None:
    def change(m: dict[str, bytes]) -> None:
        m["../stops.txt"] = m.pop("stops.txt")

    new = _new_notices(tmp_path, "rinko_bus_mlit_sample.zip", "gtfs", change)
    zip_path = str(tmp_path / "broken_rinko_bus_mlit_sample.zip")
    # The entry is not read; without stops.txt, references to it are not checked
    # (MobilityData does the same), so nothing else is reported.
    assert new == [
        ("missing_required_file", "stops.txt", None),
        ("unsafe_zip_entry", zip_path, None),
    ]
