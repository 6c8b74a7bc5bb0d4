"""Shared fixtures for the GTFS tests: a tiny valid feed written on the fly, and
the real corpus feeds (skipped when ../shared/corpus is absent)."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

CORPUS_GTFS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "gtfs"

# A small valid feed: one agency, two stops, one route, one trip of three stop times.
# Dates are far in the future so that no expiry warning depends on the test date.
TINY_FEED: dict[str, str] = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone,agency_lang\n"
    "A1,Kokai Bus,https://bus.example.jp/,Asia/Tokyo,ja\n",
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
    "S1,City Hall,35.6812,139.7671\n"
    "S2,Station,35.6850,139.7700\n"
    "S3,Library,35.6900,139.7750\n",
    "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\n"
    "R1,A1,1,City Loop,3\n",
    "trips.txt": "route_id,service_id,trip_id\nR1,WD,T1\n",
    "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
    "T1,08:00:00,08:00:00,S1,1\n"
    "T1,08:05:00,08:06:00,S2,2\n"
    "T1,08:10:00,08:10:00,S3,3\n",
    "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
    "start_date,end_date\nWD,1,1,1,1,1,0,0,20250101,20991231\n",
    "feed_info.txt": "feed_publisher_name,feed_publisher_url,feed_lang,feed_start_date,"
    "feed_end_date,feed_version,feed_contact_email\n"
    "Kokai,https://bus.example.jp/,ja,20250101,20991231,2025.1,bus@example.jp\n",
}

FeedMaker = Callable[..., Path]


def write_feed(directory: Path, files: dict[str, str | bytes], *, as_zip: bool = True) -> Path:
    """Writes `files` (name → text or bytes; None values are skipped) as a zip or a folder."""
    directory.mkdir(parents=True, exist_ok=True)
    if not as_zip:
        for name, content in files.items():
            if content is None:
                continue
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            data = content.encode("utf-8") if isinstance(content, str) else content
            target.write_bytes(data)
        return directory
    path = directory / "feed.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            if content is None:
                continue
            zf.writestr(name, content)
    return path


@pytest.fixture
def make_feed(tmp_path: Path) -> FeedMaker:
    """make_feed(**changes, as_zip=True): TINY_FEED with files replaced (or removed with
    None), written to a fresh folder under tmp_path."""
    counter = iter(range(1000))

    def _make(changes: dict[str, str | bytes | None] | None = None, *, as_zip: bool = True) -> Path:
        files = {**TINY_FEED, **(changes or {})}
        return write_feed(tmp_path / f"feed{next(counter)}", files, as_zip=as_zip)

    return _make


def corpus_feed(name: str) -> Path:
    path = CORPUS_GTFS / name
    if not path.exists():
        pytest.skip(f"corpus feed {name} not available")
    return path
