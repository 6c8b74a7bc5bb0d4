"""Memory is bounded by design (issue 13): findings are capped while they are
made and counted exactly, and the checks that find many bad rows count them
with polars instead of making a Python object per row.

Peak memory is measured in a fresh process (a wrapper runs the `kokai` command
as its only child and reports that child's ru_maxrss), so other tests and the
pytest process itself do not count."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from kokai.validators.report import MAX_FINDINGS_PER_CODE

# The command's peak for the 14.9 KB file below: about 300 MiB (100 MiB of it is
# the interpreter with polars and the GTFS libraries loaded). Before the findings
# were capped while made it was about 1.5 GiB (4 million findings); 600 MiB leaves
# room for allocator and thread-count differences between machines.
WIDE_FILE_PEAK_MIB = 600
# With the city's bounding box the command may use at most this much more memory
# than without it (the box is one more boolean column; before, every point outside
# it became a Python dict and a finding: 1.7 GB against 0.6 GB on 1M rows).
BBOX_PEAK_RATIO = 1.3

_WRAPPER = """
import json, resource, subprocess, sys
with open(sys.argv[1], "wb") as out:
    code = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL).returncode
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"exit": code, "peak_mib": peak}))
"""


def run_kokai(tmp_path: Path, *args: str) -> tuple[int, float, dict]:
    """Run `kokai ARGS --format json` in a fresh process: (exit, peak MiB, report)."""
    out = tmp_path / f"report-{len(list(tmp_path.glob('report-*')))}.json"
    command = [sys.executable, "-m", "kokai.cli", *args, "--format", "json"]
    proc = subprocess.run(
        [sys.executable, "-c", _WRAPPER, str(out), *command],
        capture_output=True, text=True, timeout=240, cwd=tmp_path, check=True,
    )  # fmt: skip
    result = json.loads(proc.stdout)
    return result["exit"], result["peak_mib"], json.loads(out.read_text(encoding="utf-8"))


def counts(report: dict) -> dict[str, int]:
    return {code: entry["count"] for code, entry in report["summary"]["by_code"].items()}


def test_a_2000_column_header_over_one_cell_rows_stays_small(tmp_path):
    # 14.9 KB: 2,000 names, then 2,000 rows of one cell each. Every row misses
    # 1,999 cells and repeats the row above.
    path = tmp_path / "wide.csv"
    header = ",".join(f"c{i}" for i in range(2000))
    path.write_text(header + "\n" + "x\n" * 2000, encoding="utf-8")
    assert path.stat().st_size < 15_000
    code, peak, report = run_kokai(tmp_path, "validate", str(path))
    assert code == 1
    # exact counts: one missing-cell per short row, every row after the first repeats it
    assert counts(report) == {"missing-cell": 2000, "duplicate_record": 1999, "schema_not_detected": 1}
    assert report["summary"]["errors"] == 3999
    assert report["summary"]["truncated"] is True
    kept = [f for f in report["findings"] if f["code"] == "missing-cell"]
    assert len(kept) == MAX_FINDINGS_PER_CODE
    assert kept[0]["row"] == 2 and kept[0]["params"]["missing"] == 1999
    assert peak < WIDE_FILE_PEAK_MIB, f"peak {peak:.0f} MiB"


def test_short_rows_that_would_need_tens_of_millions_of_empty_cells_are_refused(tmp_path):
    # 51 KB: 20,000 one-cell rows under 2,000 columns would be 40 million cells
    # (the old reader made them all, and a missing-cell finding for each)
    path = tmp_path / "wider.csv"
    header = ",".join(f"c{i}" for i in range(2000))
    path.write_text(header + "\n" + "x\n" * 20_000, encoding="utf-8")
    code, peak, report = run_kokai(tmp_path, "validate", str(path))
    assert code == 2
    [finding] = report["findings"]
    assert finding["code"] == "too_many_missing_cells"
    assert finding["params"]["missing"] == 2000 * 20_001 - 2000 - 20_000
    assert peak < WIDE_FILE_PEAK_MIB, f"peak {peak:.0f} MiB"


def _points(path: Path, rows: int) -> None:
    """Facilities in Tokyo: every one of them is outside 潮見市's bounding box."""
    rng = random.Random(13)
    lines = ["ID,名称,緯度,経度"]
    lines += [
        f"{i},施設{i},{35.6 + rng.random() * 0.1:.6f},{139.6 + rng.random() * 0.1:.6f}"
        for i in range(1, rows + 1)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.timeout(600)
def test_a_city_bounding_box_costs_about_nothing_on_200k_points(tmp_path):
    path = tmp_path / "points.csv"
    _points(path, 200_000)
    boxed = tmp_path / "boxed.toml"
    boxed.write_text('[city]\ncode = "229997"\nbbox = [137.88, 34.665, 138.04, 34.755]\n', encoding="utf-8")
    plain = tmp_path / "plain.toml"
    plain.write_text('[city]\ncode = "229997"\n', encoding="utf-8")
    code, peak_plain, report = run_kokai(tmp_path, "--config", str(plain), "validate", str(path))
    assert code == 0 and "coordinate_outside_city" not in counts(report)
    code, peak_boxed, report = run_kokai(tmp_path, "--config", str(boxed), "validate", str(path))
    assert code == 0  # outside the city is a warning
    assert counts(report)["coordinate_outside_city"] == 200_000
    assert report["summary"]["warnings"] == 200_000
    kept = [f for f in report["findings"] if f["code"] == "coordinate_outside_city"]
    assert len(kept) == MAX_FINDINGS_PER_CODE and kept[0]["row"] == 2
    assert peak_boxed < BBOX_PEAK_RATIO * peak_plain, f"{peak_boxed:.0f} vs {peak_plain:.0f} MiB"
