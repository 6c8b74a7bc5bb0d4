"""A device or a named pipe given to `kokai validate` or `kokai fix` is refused
at once (exit 2, a Japanese message), never read: /dev/zero never ends and a
FIFO without a writer blocks forever."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")


def kokai(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kokai.cli", *args],
        capture_output=True, text=True, timeout=30, cwd=cwd,
    )  # fmt: skip


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_validate_refuses_a_device_or_a_fifo(tmp_path, fifo, special):
    target = str(fifo) if special == "fifo" else special
    proc = kokai(tmp_path, "validate", target, "--format", "json")
    assert proc.returncode == 2, proc.stderr
    [finding] = json.loads(proc.stdout)["findings"]
    assert finding["code"] == "not_a_regular_file"
    assert "通常のファイルでもフォルダでもない" in finding["message"]["ja"]
    kind = "名前付きパイプ" if special == "fifo" else "デバイスファイル"
    assert kind in finding["message"]["ja"]


def test_a_fifo_inside_a_dataset_folder_is_not_read(tmp_path, fifo):
    (tmp_path / "ok.csv").write_text("ID,名称\n1,公民館\n", encoding="utf-8")
    proc = kokai(tmp_path, "validate", str(tmp_path), "--format", "json")
    assert proc.returncode == 2, proc.stderr
    report = json.loads(proc.stdout)
    [unreadable] = [f for f in report["findings"] if f["code"] == "unreadable_file"]
    assert unreadable["path"] == str(fifo)
    assert "名前付きパイプ" in unreadable["message"]["ja"]
    assert str(tmp_path / "ok.csv") in [s["path"] for s in report["sources"]]


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_fix_refuses_a_device_or_a_fifo_as_in(tmp_path, fifo, special):
    target = str(fifo) if special == "fifo" else special
    out = tmp_path / "out.csv"
    proc = kokai(tmp_path, "fix", target, str(out))
    assert proc.returncode == 2, proc.stderr
    assert "読めません" in proc.stdout
    assert not out.exists()


def test_fix_refuses_a_fifo_as_out(tmp_path, fifo):
    source = tmp_path / "in.csv"
    source.write_text("ID,名称\n1,公民館\n", encoding="utf-8")
    proc = kokai(tmp_path, "fix", str(source), str(fifo))
    assert proc.returncode == 2
    assert "出力先" in proc.stderr and "名前付きパイプ" in proc.stderr
    assert fifo.is_fifo()
