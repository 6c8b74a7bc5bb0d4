"""Times `kokai gtfs validate` against gtfs-guru (Rust port of MobilityData's
validator) on the two large corpus feeds, in the same run:

- in-process: validate_feed() vs gtfs_guru.validate(), median of RUNS runs each;
- whole commands: `kokai gtfs validate --format json` vs `python -c "gtfs_guru…"`,
  with the peak memory (ru_maxrss) of each child process;
- growth: a feed 4x as large (four copies with prefixed ids) to show how time grows.

Prints the figures and the ratios (kokai / gtfs-guru, 4x / 1x); never part of `make test`.
Usage: .venv/bin/python bench/gtfs_validate.py [--runs 3] [--feeds vilnius.zip,...]

The commands run with the bytecode `make setup` compiles (as an installed kokai
runs); without it, and with PYTHONDONTWRITEBYTECODE set, every command would
compile polars' Python source again (about half a second).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import gtfs_guru  # noqa: E402

from kokai.gtfs.feed import load_feed  # noqa: E402
from kokai.gtfs.schema import SCHEMA  # noqa: E402
from kokai.gtfs.validate import validate_feed  # noqa: E402

CORPUS = REPO / ".." / "shared" / "corpus" / "gtfs"
FEEDS = ("vilnius.zip", "metro_north_railroad.zip")
TODAY = date(2026, 11, 21)

# Columns holding ids that other files refer to: prefixed in each copy.
ID_COLUMNS = {
    column.name
    for spec in SCHEMA.values()
    for column in spec.columns
    if column.type == "id"
} | {"origin_id", "destination_id", "contains_id"}


def _kokai(path: Path) -> int:
    return len(validate_feed(path, profile="gtfs", today=TODAY).findings)


def _guru(path: Path) -> int:
    return len(gtfs_guru.validate(str(path), date=TODAY.isoformat()).notices)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _median_time(fn, path: Path, runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system, all threads) of `runs` calls.
    CPU time is shown too because a shared machine makes wall times noisy."""
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), _cpu()
        fn(path)
        walls.append(time.perf_counter() - start)
        cpus.append(_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus)


# Runs one command and reports its wall time and peak RSS. It is started as a small
# separate process because a child forked from this (large) process would count
# this process's memory in its own ru_maxrss.
_LAUNCHER = """
import json, os, subprocess, sys, time
argv = json.loads(sys.argv[1])
start = time.perf_counter()
proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(json.dumps([time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status)]))
"""


def _command(argv: list[str]) -> tuple[float, float]:
    """Wall time (s) and peak RSS (MB) of one command run as a child process."""
    out = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, json.dumps(argv)], capture_output=True, text=True,
        check=True, cwd=REPO,
    )  # fmt: skip
    elapsed, max_rss_kb, exit_code = json.loads(out.stdout)
    if exit_code not in (0, 1):
        raise RuntimeError(f"{argv} exited {exit_code}")
    return elapsed, max_rss_kb / 1024  # Linux reports kilobytes


def _kokai_command(path: Path) -> list[str]:
    return [sys.executable, "-m", "kokai.cli", "gtfs", "validate", str(path), "--profile", "gtfs",
            "--format", "json", "--date", TODAY.isoformat()]  # fmt: skip


def _guru_command(path: Path) -> list[str]:
    code = (
        "import gtfs_guru, sys; "
        f"r = gtfs_guru.validate(sys.argv[1], date={TODAY.isoformat()!r}); print(r.to_json())"
    )
    return [sys.executable, "-c", code, str(path)]


def build_multiplied_feed(source: Path, copies: int, target: Path) -> Path:
    """Writes `copies` copies of the feed into one zip, ids prefixed per copy."""
    feed, _ = load_feed(source)
    assert feed is not None
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, frame in feed.files.items():
            if name not in SCHEMA:
                continue
            parts = []
            for k in range(copies):
                prefixed = [pl.concat_str(pl.lit(f"c{k}_"), pl.col(c)).alias(c)
                            for c in frame.columns if c in ID_COLUMNS]  # fmt: skip
                parts.append(frame.with_columns(prefixed) if k else frame)
            buffer = io.BytesIO()
            pl.concat(parts if name not in ("feed_info.txt",) else parts[:1]).write_csv(buffer)
            zf.writestr(name, buffer.getvalue())
    return target


def _bytes(path: Path) -> int:
    with zipfile.ZipFile(path) as zf:
        return sum(info.file_size for info in zf.infolist())


def _rows(path: Path) -> int:
    with zipfile.ZipFile(path) as zf:
        return sum(zf.read(name).count(b"\n") for name in zf.namelist())


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--feeds", default=",".join(FEEDS))
    parser.add_argument("--copies", type=int, default=4)
    args = parser.parse_args()
    print(f"gtfs-guru {gtfs_guru.__version__}; {os.cpu_count()} CPUs; runs={args.runs}, median")
    print(f"{'feed':<28}{'mode':<14}{'kokai':>10}{'gtfs-guru':>12}{'ratio':>9}"
          f"{'kokai MB':>10}{'guru MB':>9}")  # fmt: skip
    for name in args.feeds.split(","):
        path = CORPUS / name
        if not path.exists():
            print(f"{name}: not in the corpus, skipped")
            continue
        _kokai(path), _guru(path)  # warm-up: imports, caches, page cache
        k, k_cpu = _median_time(_kokai, path, args.runs)
        g, g_cpu = _median_time(_guru, path, args.runs)
        print(f"{name:<28}{'in-process':<14}{k:>9.2f}s{g:>11.2f}s{_ratio(k, g):>9}")
        print(f"{'':<28}{'  cpu time':<14}{k_cpu:>9.2f}s{g_cpu:>11.2f}s{_ratio(k_cpu, g_cpu):>9}")
        kc = [_command(_kokai_command(path)) for _ in range(args.runs)]
        gc = [_command(_guru_command(path)) for _ in range(args.runs)]
        kt, km = statistics.median(t for t, _ in kc), max(m for _, m in kc)
        gt, gm = statistics.median(t for t, _ in gc), max(m for _, m in gc)
        print(f"{'':<28}{'command':<14}{kt:>9.2f}s{gt:>11.2f}s{_ratio(kt, gt):>9}"
              f"{km:>10.0f}{gm:>9.0f}")  # fmt: skip

        with tempfile.TemporaryDirectory(prefix="kokai-bench-") as tmp:
            big = build_multiplied_feed(path, args.copies, Path(tmp) / f"x{args.copies}_{name}")
            _kokai(big)
            k4, k4_cpu = _median_time(_kokai, big, args.runs)
            g4, g4_cpu = _median_time(_guru, big, args.runs)
            label = f"{args.copies}x feed"
            print(f"{'':<28}{label:<14}{k4:>9.2f}s{g4:>11.2f}s{_ratio(k4, g4):>9}")
            print(f"{'':<28}{'  cpu time':<14}{k4_cpu:>9.2f}s{g4_cpu:>11.2f}s"
                  f"{_ratio(k4_cpu, g4_cpu):>9}")  # fmt: skip
            rows, size = _ratio(_rows(big), _rows(path)), _ratio(_bytes(big), _bytes(path))
            print(f"{'':<28}{'growth wall':<14}{_ratio(k4, k):>10}{_ratio(g4, g):>12}"
                  f"   (feed: {rows} rows, {size} bytes; prefixed ids are longer)")  # fmt: skip
            print(f"{'':<28}{'growth cpu':<14}{_ratio(k4_cpu, k_cpu):>10}"
                  f"{_ratio(g4_cpu, g_cpu):>12}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
