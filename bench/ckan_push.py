"""Benchmark: `kokai push` and `kokai import` of a 1,000-dataset catalog.

Generates the catalog of bench/publish.py (1,000 generated facility tables +
the demo GTFS feed) in a temporary folder, publishes it into its own kokai
catalog, and then, against a local CKAN:
  - the first push of every dataset (organizations, datasets, uploaded files):
    datasets per second and write calls;
  - a second push of the unchanged catalog: its time, its ratio to the first,
    and its write calls, which must be 0;
  - the import of the whole remote catalog into an empty folder (every file
    downloaded): datasets per second; and a second import (nothing downloaded).

The local CKAN is the real CKAN 2.12.0 of tests/remote_ckan when it is
installed (`make ckan`; it runs without Solr, so import reads it with
package_list + package_show), else kokai's own CKAN-compatible API served by
uvicorn on 127.0.0.1; the output says which.

    .venv/bin/python bench/ckan_push.py [--datasets 1000] [--rows 50] [--target auto|real|kokai]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import ckanapi  # noqa: E402
import pytest  # noqa: E402

from kokai.catalog.client import LocalCatalog  # noqa: E402
from kokai.catalog.db import dispose_engine, get_engine  # noqa: E402
from kokai.config import load_config  # noqa: E402
from kokai.publish.ckan_import import ImportOptions, import_catalog  # noqa: E402
from kokai.publish.remote_ckan import PushOptions, push  # noqa: E402

bench_publish = __import__("publish")  # bench/publish.py: the generated catalog
make_city, publish_all = bench_publish.make_city, bench_publish.publish


@contextlib.contextmanager
def real_ckan() -> Iterator[tuple[str, str, str]]:
    from tests.remote_ckan.ckan_server import RealCkan

    ckan = RealCkan()
    ckan.start()
    try:
        yield ckan.url, ckan.token, f"real CKAN {ckan.version} (127.0.0.1, Solr stand-in: search answers nothing)"
    finally:
        ckan.stop()


@contextlib.contextmanager
def kokai_server(scratch: Path) -> Iterator[tuple[str, str, str]]:
    from tests.conftest import LiveServer

    template = scratch / "template.sqlite3"
    get_engine(f"sqlite:///{template}")
    dispose_engine(f"sqlite:///{template}")
    with pytest.MonkeyPatch.context() as monkeypatch, LiveServer(scratch / "remote", monkeypatch, template) as server:
        yield server.url, server.token, "kokai's own CKAN-compatible API (uvicorn, SQLite, 127.0.0.1)"


def remote_target(choice: str, scratch: Path):
    if choice in ("auto", "real"):
        try:
            from tests.remote_ckan.ckan_server import PrerequisiteMissing, installed_ckan_venv

            installed_ckan_venv()
            return real_ckan()
        except PrerequisiteMissing as exc:
            if choice == "real":
                raise SystemExit(f"no real CKAN: {exc}") from None
            print(f"(no real CKAN: {exc}; using kokai's own server)")
    return kokai_server(scratch)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--target", choices=("auto", "real", "kokai"), default="auto")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kokai-bench-push-") as scratch_name:
        scratch = Path(scratch_name)
        root = make_city(scratch / "city", args.datasets, args.rows)
        folders = sorted(p for p in (root / "datasets").iterdir() if p.is_dir())
        elapsed, counts = publish_all(root, folders)
        print(f"catalog: {len(folders)} datasets published into kokai in {elapsed:.1f} s {counts}")
        config = load_config(root / "kokai.toml")
        with remote_target(args.target, scratch) as (url, token, what):
            print(f"remote: {what} at {url}")

            def make_client():
                return ckanapi.RemoteCKAN(url, apikey=token)

            started = time.perf_counter()
            first = push(LocalCatalog(config), make_client, url, PushOptions())
            cold = time.perf_counter() - started
            failed = first.failed
            assert not failed, failed[0].reason
            n = first.count("created")
            print(f"first push:         {cold:8.2f} s  {n / cold:7.1f} datasets/s  ({n} created, "
                  f"{first.write_calls} write calls)")  # fmt: skip

            started = time.perf_counter()
            second = push(LocalCatalog(config), make_client, url, PushOptions())
            again = time.perf_counter() - started
            assert second.write_calls == 0, second.write_calls
            print(f"unchanged push:     {again:8.2f} s  ({second.count('unchanged')} unchanged, "
                  f"{second.write_calls} write calls; {cold / again:.1f}x faster than the first push)")  # fmt: skip

            out = scratch / "imported"
            started = time.perf_counter()
            imported = import_catalog(make_client, url, token, ImportOptions(out=out))
            took = time.perf_counter() - started
            files = sum(d.downloaded for d in imported.datasets)
            print(f"import:             {took:8.2f} s  {len(imported.datasets) / took:7.1f} datasets/s  "
                  f"({files} files downloaded)")  # fmt: skip
            started = time.perf_counter()
            again_import = import_catalog(make_client, url, token, ImportOptions(out=out))
            took_again = time.perf_counter() - started
            files = sum(d.downloaded for d in again_import.datasets)
            assert files == 0, files
            print(f"unchanged import:   {took_again:8.2f} s  ({files} files downloaded; "
                  f"{took / took_again:.1f}x faster than the first import)")  # fmt: skip
        dispose_engine(config)


if __name__ == "__main__":
    main()
