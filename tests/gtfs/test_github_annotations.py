"""`--format github` for a feed points at the feed as it sits in the repository:
the member file of a feed folder, or the zip itself with the member named,
so GitHub can attach the annotation to a changed file."""

from __future__ import annotations

import shutil
from pathlib import Path

from kokai.cli import main

DEMO_FEED = Path(__file__).resolve().parents[2] / "datasets" / "community-bus" / "feed"


def break_feed(folder: Path) -> None:
    stops = folder / "stops.txt"
    stops.write_text(stops.read_text(encoding="utf-8").replace("34.718800", "91.0", 1), encoding="utf-8")


def annotations(capsys) -> list[str]:
    return [line for line in capsys.readouterr().out.splitlines() if line.startswith("::error")]


def test_a_feed_folder_is_annotated_on_its_member_file(tmp_path, capsys):
    feed = tmp_path / "feed"
    shutil.copytree(DEMO_FEED, feed)
    break_feed(feed)
    assert main(["--no-config", "gtfs", "validate", str(feed), "--format", "github", "--date", "2026-11-27"]) == 1
    on_stops = [line for line in annotations(capsys) if "stops.txt" in line]
    assert on_stops and all(f"file={feed}/stops.txt,line=2," in line for line in on_stops)


def test_a_zipped_feed_is_annotated_on_the_zip_with_the_member_named(tmp_path, capsys):
    folder = tmp_path / "feed"
    shutil.copytree(DEMO_FEED, folder)
    break_feed(folder)
    archive = Path(shutil.make_archive(str(tmp_path / "bus"), "zip", folder))
    assert main(["--no-config", "gtfs", "validate", str(archive), "--format", "github", "--date", "2026-11-27"]) == 1
    found = annotations(capsys)
    assert found and all(f"file={archive},title=" in line for line in found)
    assert any("(stops.txt line 2)" in line for line in found)
