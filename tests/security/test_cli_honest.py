"""The CLI is honest with CI: a bug is exit 3 (never 1, "errors found"), and a
reader that goes away (`| head`) never turns an invalid file into exit 0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kokai import cli
from kokai.validators.report import Report
from kokai.validators.table import CHECK_FAILED

RAGGED = "a,b\n1,2,3\n4\n"  # extra-cell and missing-cell: errors, exit 1


def _boom(args, config):
    raise RuntimeError("simulated bug")


def test_a_bug_exits_3_with_one_line_and_a_log(monkeypatch, capsys):
    monkeypatch.setitem(cli.COMMANDS, "schemas", _boom)
    assert cli.main(["schemas"]) == cli.EXIT_BUG
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "内部エラー" in err and "simulated bug" in err
    log = Path(err.rsplit("details: ", 1)[1])
    try:
        assert "Traceback" in log.read_text(encoding="utf-8")
        assert "_boom" in log.read_text(encoding="utf-8")
    finally:
        log.unlink()


def test_debug_shows_the_traceback(monkeypatch, capsys):
    monkeypatch.setitem(cli.COMMANDS, "schemas", _boom)
    assert cli.main(["--debug", "schemas"]) == cli.EXIT_BUG
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: simulated bug" in err


def test_a_bug_finding_makes_the_report_exit_3():
    report = Report()
    report.add(CHECK_FAILED.finding(path="a.csv", reason="KeyError: 'x'"))
    assert report.exit_code == 3


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_closed_stdout_keeps_exit_1_for_an_invalid_file(tmp_path, fmt):
    bad = tmp_path / "bad.csv"
    bad.write_text(RAGGED, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kokai.cli", "validate", str(bad), "--format", fmt],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # the reader goes away before kokai writes anything
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err.decode()
    assert b"Traceback" not in err
