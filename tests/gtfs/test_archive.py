"""Safe reading of zip and folder feeds: traversal names, subfolders, size limits."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from kokai.gtfs import archive
from kokai.gtfs.archive import read_feed_files
from kokai.gtfs.feed import load_feed
from tests.gtfs.conftest import TINY_FEED, write_feed


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return path


def test_traversal_and_absolute_names_are_reported_and_not_read(tmp_path: Path) -> None:
    members = {**TINY_FEED, "../evil.txt": "x", "/etc/passwd.txt": "y", "a/../../up.txt": "z"}
    files, findings = read_feed_files(_zip(tmp_path / "f.zip", members))
    unsafe = sorted(f.value for f in findings if f.code == "unsafe_zip_entry")
    assert unsafe == ["../evil.txt", "/etc/passwd.txt", "a/../../up.txt"]
    assert set(files.contents) == set(TINY_FEED)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path.parent / "evil.txt").exists()


def test_files_in_a_subfolder_are_reported_as_mobilitydata_does(tmp_path: Path) -> None:
    members = {f"gtfs/{name}": text for name, text in TINY_FEED.items()}
    feed, findings = load_feed(_zip(tmp_path / "nested.zip", members))
    codes = [f.code for f in findings]
    assert codes == ["invalid_input_files_in_subfolder"]
    assert feed is not None and feed.files == {}


def test_macos_metadata_folder_is_ignored(tmp_path: Path) -> None:
    members = {**TINY_FEED, "__MACOSX/._stops.txt": "junk"}
    _, findings = read_feed_files(_zip(tmp_path / "mac.zip", members))
    assert findings == []


def test_folder_input_with_subfolder(tmp_path: Path) -> None:
    folder = write_feed(tmp_path / "dir", dict(TINY_FEED), as_zip=False)
    (folder / "old").mkdir()
    (folder / "old" / "stops.txt").write_text("stop_id\n")
    files, findings = read_feed_files(folder)
    assert set(files.contents) == set(TINY_FEED)
    assert [f.code for f in findings] == ["invalid_input_files_in_subfolder"]


def test_total_size_limit_stops_a_zip_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 5 MB of zeros compresses to a few kB; lower the limit instead of writing gigabytes.
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("stops.txt", "0" * 5_000_000)
    assert path.stat().st_size < 50_000
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 1_000_000)
    feed, findings = load_feed(path)
    assert feed is None
    assert [(f.code, f.fatal) for f in findings] == [("zip_too_large", True)]


def test_member_count_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "MAX_MEMBERS", 5)
    path = _zip(tmp_path / "many.zip", {f"f{i}.txt": "a\n" for i in range(6)})
    feed, findings = load_feed(path)
    assert feed is None and [f.code for f in findings] == ["zip_too_large"]


def test_not_a_zip_and_missing_path(tmp_path: Path) -> None:
    (tmp_path / "x.zip").write_bytes(b"PK\x03\x04garbage")
    for path in (tmp_path / "x.zip", tmp_path / "missing.zip"):
        feed, findings = load_feed(path)
        assert feed is None
        assert [(f.code, f.fatal) for f in findings] == [("i_o_error", True)]


def test_gtfs_kit_view_reads_only_the_safe_root_files(tmp_path: Path) -> None:
    members = {**TINY_FEED, "../routes.txt": "route_id\nEVIL\n", "translations.txt":
               "table_name,field_name,language,translation,record_id\nstops,stop_name,en,X,S1\n"}
    feed, _ = load_feed(_zip(tmp_path / "f.zip", members))
    typed = feed.gtfs_kit()
    assert typed.routes["route_id"].tolist() == ["R1"]
    assert len(typed.stop_times) == 3
    assert feed.gtfs_kit() is typed  # cached
