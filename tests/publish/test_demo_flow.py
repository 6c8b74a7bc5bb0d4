"""What `make demo` runs, on a copy of the demo city (all but `kokai serve`):
publish, publish again (nothing changed), generate and import the DEMO access
log twice (counted once), the metrics report labelled as demo data, and
`kokai status` with nothing to do."""

from __future__ import annotations

import json
import runpy

from kokai.cli import main
from tests.publish.conftest import DEMO_TODAY, REPO

GENERATOR = REPO / "datasets" / "_demo_access_log.py"


def test_the_demo_does_the_whole_job(city, monkeypatch, capsys):
    monkeypatch.chdir(city.root)
    kokai = ["--config", str(city.root / "kokai.toml")]
    day = ["--date", DEMO_TODAY.isoformat()]  # the demo feed runs 2026-04-01 to 2027-03-31
    assert main([*kokai, "publish", *day, "--format", "json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["counts"] == {"published": 5, "unchanged": 0, "refused": 0}
    assert main([*kokai, "publish", *day]) == 0
    assert capsys.readouterr().out.count("変更はありません") == 5

    log = city.root / "_data" / "demo-access-log.DEMO.log.gz"
    monkeypatch.setattr("sys.argv", ["_demo_access_log.py", str(log)])
    runpy.run_path(str(GENERATOR), run_name="__main__")
    assert main([*kokai, "metrics", "import-log", "--demo", str(log)]) == 0
    capsys.readouterr()
    assert main([*kokai, "metrics", "import-log", "--demo", str(log)]) == 0
    assert "取り込み済み" in capsys.readouterr().out

    assert main([*kokai, "metrics", "report", "--format", "json", "--from", "2026-06", "--to", "2026-11"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["demo_data"]["included"] is True
    assert report["demo_data"]["imports"][0]["name"] == log.name
    downloads = json.dumps(report["downloads"])
    assert "shelters" in downloads and "community-bus" in downloads
    assert main([*kokai, "metrics", "report"]) == 0
    assert "デモデータを含みます" in capsys.readouterr().out

    assert main([*kokai, "status", *day]) == 0
