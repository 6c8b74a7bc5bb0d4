"""Benchmark: what the real-CKAN test harness (tests/remote_ckan) costs a run.

Prints, measured in this run:
  - whether `make ckan` has work to do, and its time when it has none (the
    cached case, as `make test` meets it on every run after the first);
  - the start of a throwaway PostgreSQL cluster alone (the baseline);
  - the full start of the `real_ckan` fixture (PostgreSQL, Solr stand-in,
    ckan.ini, `ckan db init`, sysadmin + token, `ckan run` until status_show
    answers), median of --runs, and its ratio to the baseline.

    .venv/bin/python bench/ckan_env.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import PostgresCluster, find_postgres_bin  # noqa: E402
from tests.remote_ckan.ckan_server import CKAN_VENV, RealCkan  # noqa: E402


def make_ckan_cached_seconds() -> tuple[bool, float]:
    """(up to date?, seconds of `make ckan` when it is)."""
    # `make -q ckan` always answers "not up to date" for a phony target, so
    # ask about the stamp file it makes.
    stamp = subprocess.run(
        ["make", "-q", str(CKAN_VENV.relative_to(ROOT) / ".installed")],
        cwd=ROOT, capture_output=True,
    )  # fmt: skip
    if stamp.returncode != 0:
        return False, float("nan")
    began = time.perf_counter()
    subprocess.run(["make", "ckan"], cwd=ROOT, check=True, capture_output=True)
    return True, time.perf_counter() - began


def postgres_start_seconds() -> float:
    bindir = find_postgres_bin()
    if bindir is None:
        sys.exit("no PostgreSQL server binaries: `make postgres`")
    cluster = PostgresCluster(bindir)
    began = time.perf_counter()
    try:
        cluster.start()
        return time.perf_counter() - began
    finally:
        cluster.stop()


def ckan_start_seconds() -> float:
    ckan = RealCkan()
    try:
        ckan.start()
        return ckan.startup_seconds
    finally:
        ckan.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    fresh, cached = make_ckan_cached_seconds()
    if fresh:
        print(f"make ckan (already installed): {cached:.3f} s")
    else:
        print("make ckan: not up to date (run it first; a first install is ~45 s with PyPI)")
        sys.exit(1)
    baseline = statistics.median(postgres_start_seconds() for _ in range(args.runs))
    starts = [ckan_start_seconds() for _ in range(args.runs)]
    median = statistics.median(starts)
    print(f"PostgreSQL cluster start (baseline): median {baseline:.1f} s of {args.runs}")
    print(
        f"real_ckan fixture start: {', '.join(f'{s:.1f}' for s in starts)} s; "
        f"median {median:.1f} s = {median / baseline:.1f} x the baseline"
    )


if __name__ == "__main__":
    main()
