"""Issue 13: a FIFO or a device given as the feed, or found among the files of a
feed folder, is refused at once (exit 2, a finding that says so), never read:
reading /dev/zero or a FIFO without a writer would never end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gtfs.conftest import TINY_FEED, write_feed

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")


def _validate(feed: Path) -> tuple[int, dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "kokai.cli", "gtfs", "validate", str(feed), "--format", "json"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def _assert_refused(code: int, report: dict, name: str | None = None) -> None:
    assert code == 2, report["findings"]
    finding = report["findings"][0]
    assert finding["code"] == "i_o_error"
    assert "通常のファイルではありません" in finding["message"]["ja"]
    assert "not a regular file" in finding["message"]["en"]
    if name:
        assert name in finding["message"]["ja"]


def test_fifo_as_the_feed(tmp_path: Path) -> None:
    fifo = tmp_path / "feed.zip"
    os.mkfifo(fifo)
    _assert_refused(*_validate(fifo))


def test_dev_zero_as_the_feed() -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    _assert_refused(*_validate(Path("/dev/zero")))


def test_fifo_named_stops_txt_in_a_feed_folder(tmp_path: Path) -> None:
    folder = write_feed(tmp_path / "feed", {**TINY_FEED, "stops.txt": None}, as_zip=False)
    os.mkfifo(folder / "stops.txt")
    _assert_refused(*_validate(folder), name="stops.txt")


def test_link_to_dev_zero_in_a_feed_folder(tmp_path: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    folder = write_feed(tmp_path / "feed", {**TINY_FEED, "shapes.txt": None}, as_zip=False)
    (folder / "shapes.txt").symlink_to("/dev/zero")
    _assert_refused(*_validate(folder), name="shapes.txt")
