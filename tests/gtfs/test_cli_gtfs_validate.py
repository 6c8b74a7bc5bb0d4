"""`kokai gtfs validate`: exit codes, formats, profile choice, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kokai.cli import main
from tests.gtfs.conftest import TINY_FEED, corpus_feed

BROKEN_STOP_TIMES = TINY_FEED["stop_times.txt"].replace(",S3,", ",S9,")


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["gtfs", "validate", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_valid_feed_exits_0_with_json_report(make_feed, capsys) -> None:
    code, out, _ = _run(
        capsys, str(make_feed()), "--profile", "gtfs", "--format", "json", "--date", "2026-01-15"
    )
    report = json.loads(out)
    assert code == 0 and report["valid"] is True
    source = report["sources"][0]
    assert source["kind"] == "gtfs" and source["profile"] == "gtfs"
    assert source["validation_date"] == "2026-01-15"


def test_errors_exit_1_and_name_file_and_row(make_feed, capsys) -> None:
    feed = make_feed({"stop_times.txt": BROKEN_STOP_TIMES})
    code, out, _ = _run(capsys, str(feed), "--profile", "gtfs", "--format", "json")
    assert code == 1
    findings = json.loads(out)["findings"]
    assert {"code": "foreign_key_violation", "path": "stop_times.txt", "row": 4} in [
        {k: f[k] for k in ("code", "path", "row")} for f in findings
    ]
    fk = next(f for f in findings if f["code"] == "foreign_key_violation")
    assert "stops.txt" in fk["message"]["ja"] and fk["value"] == "S9"


@pytest.mark.parametrize("fmt", ["text", "junit", "github"])
def test_other_formats(make_feed, capsys, fmt: str) -> None:
    feed = make_feed({"stop_times.txt": BROKEN_STOP_TIMES})
    code, out, _ = _run(capsys, str(feed), "--profile", "gtfs", "--format", fmt, "--lang", "en")
    assert code == 1
    assert "stop_times.txt" in out
    if fmt == "junit":
        assert out.lstrip().startswith("<")
    if fmt == "github":
        assert "::error" in out


def test_unreadable_feed_exits_2(tmp_path: Path, capsys) -> None:
    (tmp_path / "broken.zip").write_bytes(b"this is not a zip")
    code, out, _ = _run(capsys, str(tmp_path / "broken.zip"), "--format", "json")
    assert code == 2
    assert [f["code"] for f in json.loads(out)["findings"]] == ["i_o_error"]


@pytest.mark.corpus
def test_japanese_feed_gets_jp_profile_by_default(capsys) -> None:
    gifu = corpus_feed("gifu_city_community_bus.zip")
    code, out, _ = _run(capsys, str(gifu), "--format", "json", "--date", "2026-11-21")
    report = json.loads(out)
    source = report["sources"][0]
    assert source["profile"] == "jp" and source["gtfs_jp_version"] == "v2"
    by_code = report["summary"]["by_code"]
    # No flood of generic warnings on Japanese ids, no v2 translations "missing columns".
    assert "non_ascii_or_non_printable_char" not in by_code
    assert "missing_required_column" not in by_code
    # The same feed in the generic profile reports both, as MobilityData's validator does.
    _, out, _ = _run(capsys, str(gifu), "--profile", "gtfs", "--format", "json", "--date", "2026-11-21")
    generic = json.loads(out)["summary"]["by_code"]
    assert generic["missing_required_column"]["count"] == 3
    assert generic["non_ascii_or_non_printable_char"]["count"] > 1000
    # The feed's one kind of error (shape_dist_traveled going backwards on 8 stop times).
    assert code == 1
    assert [c for c, v in by_code.items() if v["severity"] == "error"] == [
        "decreasing_or_equal_stop_time_distance"
    ]


def test_real_command_prints_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "feed").mkdir()
    (tmp_path / "feed" / "stops.txt").write_bytes("stop_id,stop_name\n1,駅\n".encode("cp932"))
    proc = subprocess.run(
        [sys.executable, "-m", "kokai.cli", "gtfs", "validate", str(tmp_path / "feed")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "agency.txt" in proc.stdout  # missing_required_file, in Japanese first
