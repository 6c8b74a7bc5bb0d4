"""The demo city's datasets pass validation, GTFS feed included (what `make demo` runs)."""

import json
import shutil
from pathlib import Path

from kokai.cli import main

DATASETS = Path(__file__).resolve().parents[2] / "datasets"


def run_json(capsys, *args) -> tuple[int, dict]:
    code = main(["validate", *args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_every_demo_dataset_is_clean(capsys):
    folders = sorted(str(p) for p in DATASETS.iterdir() if (p / "datapackage.yaml").is_file())
    assert len(folders) >= 5
    code, doc = run_json(capsys, *folders)
    assert code == 0, doc["findings"][:5]
    assert doc["summary"]["errors"] == 0 and doc["summary"]["warnings"] == 0
    kinds = {s["kind"] for s in doc["sources"]}
    assert kinds >= {"datapackage", "table", "gtfs"}
    schemas = {s.get("schema") for s in doc["sources"] if s["kind"] == "table"}
    assert schemas >= {"evacuation-sites", "gsi-shelters", "population-by-area-age", "public-facilities"}


def test_broken_feed_in_a_data_package_fails(tmp_path, capsys):
    folder = tmp_path / "community-bus"
    shutil.copytree(DATASETS / "community-bus", folder)
    stop_times = folder / "feed" / "stop_times.txt"
    lines = stop_times.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("stop_id")] = "no-such-stop"
    lines[1] = ",".join(cells)
    stop_times.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, doc = run_json(capsys, str(folder))
    assert code == 1
    hits = [f for f in doc["findings"] if f["code"] == "foreign_key_violation"]
    assert hits and hits[0]["row"] == 2 and hits[0]["field"] == "stop_id"
