"""Issue 13: a zip bomb given as a GTFS feed is refused while it inflates, with
little memory, a clear Japanese finding and exit status 2, by `kokai gtfs
validate` and by `kokai validate` on a data package; real feeds pass the limits.

Peak memory is measured in a wrapper process whose only child is kokai, so that
RUSAGE_CHILDREN is kokai's own (not that of other tests' children)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kokai.gtfs.archive import read_feed_files
from kokai.gtfs.validate import validate_feed
from tests.gtfs.conftest import CORPUS_GTFS, TINY_FEED, write_feed
from tests.gtfs.zips import write_bomb

PEAK_LIMIT_MB = 500  # Python, polars and numpy alone take ~120 MB
_MEASURE = (
    "import json, resource, subprocess, sys, time\n"
    "t = time.monotonic()\n"
    "p = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=300)\n"
    "print(json.dumps({'rc': p.returncode, 'out': p.stdout, 'err': p.stderr,\n"
    "  'seconds': time.monotonic() - t,\n"
    "  'peak_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))\n"
)


def run_kokai(*args: str) -> dict:
    """`kokai ARGS` in a child process: exit status, output, seconds, peak memory (MB)."""
    wrapper = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "kokai.cli", *args]
    proc = subprocess.run(wrapper, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2.6 MB zip whose stops.txt inflates to 1 GiB (the rest of the feed is fine)."""
    others = {name: text for name, text in TINY_FEED.items() if name != "stops.txt"}
    path = write_bomb(tmp_path_factory.mktemp("bomb") / "bomb.zip", 1024**3, others=others)
    assert path.stat().st_size < 3_000_000
    return path


def _assert_refused_as_bomb(result: dict) -> dict:
    assert "Traceback" not in result["err"], result["err"][-2000:]
    assert result["rc"] == 2, (result["rc"], result["out"][:2000], result["err"][-2000:])
    report = json.loads(result["out"])
    bombs = [f for f in report["findings"] if f["code"] == "zip_too_large"]
    assert bombs, report["findings"]
    assert "zip 爆弾" in bombs[0]["message"]["ja"] and "stops.txt" in bombs[0]["message"]["ja"]
    assert result["peak_mb"] < PEAK_LIMIT_MB, f"peak {result['peak_mb']:.0f} MB"
    return report


def test_zip_bomb_is_refused_with_bounded_memory(bomb: Path) -> None:
    result = run_kokai("gtfs", "validate", str(bomb), "--format", "json")
    report = _assert_refused_as_bomb(result)
    assert [f["code"] for f in report["findings"]] == ["zip_too_large"]
    assert result["seconds"] < 30


def test_zip_bomb_in_a_data_package_is_refused(bomb: Path, tmp_path: Path) -> None:
    package = tmp_path / "bus"
    package.mkdir()
    (package / "bomb.zip").write_bytes(bomb.read_bytes())
    (package / "datapackage.yaml").write_text(
        "name: bus\ntitle: コミュニティバス\nlicenses:\n  - name: CC-BY-4.0\n"
        "resources:\n  - name: bus\n    path: bomb.zip\n    format: gtfs\n",
        encoding="utf-8",
    )
    _assert_refused_as_bomb(run_kokai("validate", str(package), "--format", "json"))


def test_a_member_over_the_ratio_is_refused_even_when_small(tmp_path: Path) -> None:
    # 4 MB of zeros: harmless in size, but no GTFS text compresses 1000:1.
    path = write_feed(tmp_path / "zeros", {**TINY_FEED, "shapes.txt": b"0" * (4 * 1024**2)})
    report = validate_feed(path, profile="gtfs")
    assert [(f.code, f.fatal) for f in report.findings] == [("zip_too_large", True)]
    assert report.exit_code == 2
    assert "shapes.txt" in report.findings[0].message_ja


def test_per_file_limit_is_counted_while_inflating(tmp_path: Path, monkeypatch) -> None:
    from kokai.gtfs import archive

    # A member of ordinary, poorly compressible text over a (lowered) per-file limit.
    rows = "".join(f"S{i},Stop {i * 7919 % 100003},35.{i:06d},139.{i * 31 % 999983:06d}\n"
                   for i in range(40_000))  # fmt: skip
    path = write_feed(tmp_path / "big", {**TINY_FEED, "stops.txt": TINY_FEED["stops.txt"] + rows})
    monkeypatch.setattr(archive, "MAX_FILE_BYTES", 1024**2)
    report = validate_feed(path, profile="gtfs")
    assert [f.code for f in report.findings] == ["zip_too_large"]
    assert "stops.txt の展開後の大きさ 1 MB" in report.findings[0].message_ja


@pytest.mark.corpus
@pytest.mark.parametrize("feed", sorted(p.name for p in CORPUS_GTFS.glob("*.zip")) or ["none"])
def test_real_feeds_pass_the_limits(feed: str) -> None:
    path = CORPUS_GTFS / feed
    if not path.exists():
        pytest.skip("shared corpus absent")
    files, findings = read_feed_files(path)
    assert [f.code for f in findings if f.fatal] == []
    with zipfile.ZipFile(path) as zf:
        assert set(files.contents) == {
            i.filename for i in zf.infolist() if "/" not in i.filename and not i.is_dir()
        }
