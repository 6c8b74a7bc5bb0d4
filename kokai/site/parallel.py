"""Dataset pages rendered in worker processes, for builds that render many.

A dataset page is the costliest unit (template, preview, map, GTFS pages) and
each is independent of the others, so a full build hands them to one worker
per core while the main process renders the lists, the search index and the
catalog-wide files. Workers are spawned (not forked: the parent may already
run polars' threads) and get the package dicts from the parent, so they read
the catalog only for stored files."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from kokai.catalog.client import LocalCatalog
from kokai.config import Config
from kokai.site.catalog_reader import CatalogReader
from kokai.site.output import SiteOutput
from kokai.site.render import SiteInfo, SiteRenderer

MIN_PAGES = 200  # fewer dataset pages than this render in the main process
CHUNK = 100  # datasets per task

_context = None  # the worker's BuildContext


def worker_count() -> int:
    return min(os.cpu_count() or 1, 4)


def _start_worker(config: Config, site: SiteInfo, static_version: str, shared: dict) -> None:
    from kokai.site.pages import BuildContext

    global _context
    _context = BuildContext(
        site=site,
        renderer=SiteRenderer(site, static_version=static_version),
        reader=CatalogReader(LocalCatalog(config)),
        summaries=[],
        packages={},
        state_dir=Path(),
        out_dir=Path(),
    )
    # what the parent already read from the catalog, so that no worker reads it again
    _context.__dict__.update(shared)


def _render(out_dir: Path, packages: list[dict]) -> tuple[list[tuple[str, list[str]]], list[str]]:
    from kokai.site.pages import dataset_files_of

    output = SiteOutput(out_dir, {})
    done = []
    for package in packages:
        _context.packages[package["name"]] = package
        files = dataset_files_of(_context, package["name"])
        for path, content in files.items():
            output.write(path, content)
        done.append((package["name"], list(files)))
        del _context.packages[package["name"]]
    return done, output.log.written


class DatasetWorkers:
    """A pool rendering dataset pages; `results()` yields (name, paths) and the written files."""

    def __init__(self, config: Config, site: SiteInfo, static_version: str, shared: dict):
        self.pool = ProcessPoolExecutor(
            max_workers=worker_count(),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(config, site, static_version, shared),
        )
        self.futures: list[Future] = []

    def submit(self, out_dir: Path, packages: list[dict]) -> None:
        for start in range(0, len(packages), CHUNK):
            chunk = packages[start : start + CHUNK]
            self.futures.append(self.pool.submit(_render, out_dir, chunk))

    def results(self) -> Iterator[tuple[list[tuple[str, list[str]]], list[str]]]:
        try:
            for future in self.futures:
                yield future.result()
        finally:
            self.pool.shutdown(cancel_futures=True)
