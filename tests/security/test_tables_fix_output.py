"""`kokai fix IN OUT` never writes through a symbolic link and never leaves
half a file: OUT is written to a temporary file in its folder and renamed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kokai.errors import KokaiError
from kokai.validators.fix import fix_file

SOURCE = "ID,名称,災害種別_洪水\n" + "".join(f"{i},公民館{i},○\n" for i in range(1, 4001))


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "in.csv"
    path.write_text(SOURCE, encoding="utf-8")
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_out_that_is_a_symlink_to_a_file_elsewhere_is_refused(tmp_path, source):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    victim = elsewhere / "settings.txt"
    victim.write_text("do not touch\n", encoding="utf-8")
    out = tmp_path / "out" / "fixed.csv"
    out.parent.mkdir()
    out.symlink_to(victim)
    with pytest.raises(KokaiError) as info:
        fix_file(source, out)
    assert info.value.exit_code == 2
    assert "シンボリックリンク" in str(info.value)
    assert victim.read_text(encoding="utf-8") == "do not touch\n"
    assert out.is_symlink() and leftovers(out.parent) == []


def test_a_dangling_symlink_is_refused_too(tmp_path, source):
    out = tmp_path / "fixed.csv"
    out.symlink_to(tmp_path / "not-yet" / "target.csv")
    proc = subprocess.run(
        [sys.executable, "-m", "kokai.cli", "fix", str(source), str(out)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "シンボリックリンク" in proc.stderr
    assert not (tmp_path / "not-yet").exists()


# The child may write at most this many bytes to any file (RLIMIT_FSIZE), so
# writing OUT (about 60 KB) fails half-way, as on a full disk.
_FILE_SIZE_LIMIT = 4096
_LIMITED = f"""
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, ({_FILE_SIZE_LIMIT}, {_FILE_SIZE_LIMIT}))
from kokai.cli import main
sys.exit(main(["fix", sys.argv[1], sys.argv[2]]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
@pytest.mark.parametrize("existing", [None, "previous,copy\n"])
def test_a_failure_half_way_leaves_no_partial_out(tmp_path, source, existing):
    out = tmp_path / "fixed.csv"
    if existing is not None:
        out.write_text(existing, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-B", "-c", _LIMITED, str(source), str(out)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "書き出せません" in proc.stderr
    if existing is None:
        assert not out.exists()
    else:
        assert out.read_text(encoding="utf-8") == existing  # the old OUT, whole
    assert leftovers(tmp_path) == []


def test_out_is_replaced_whole_and_readable(tmp_path, source):
    out = tmp_path / "fixed.csv"
    out.write_text("previous\n", encoding="utf-8")
    report = fix_file(source, out)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("ID,名称,災害種別_洪水\n1,公民館1,1\n")
    assert text.count("\n") == 4001
    assert oct(out.stat().st_mode & 0o777) == oct(0o644)
    assert report.codes()["fixed_flag"] == 4000
    assert leftovers(tmp_path) == []
