"""Validation of uploaded files, off the request: a small process pool.

The web process only queues a job (`submit`) and reads the upload's record
for its progress; a worker process reads the file, runs the same checks as
`kokai validate` (tables and workbooks: `validate_table`, the function
`validate_paths` runs for one file; feeds: `validate_feed`, as `kokai gtfs
validate`) with the city's config, runs `kokai fix` (`fix_file`, Excel's
UTF-8-with-BOM form) when the report has problems, and writes the Report's
JSON, a preview of the first rows and the record (kokai/web/staff/upload_store.py).

Workers are spawned, never forked: polars (and its thread pool) must not be
copied into a child after import. At most MAX_WORKERS of them, at a lower
CPU priority than the web process, so that pages keep answering while a
million-row file is checked; further jobs wait in the pool's queue.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from kokai.config import Config
from kokai.web.staff import upload_store
from kokai.web.staff.upload_store import UploadRecord

log = logging.getLogger("kokai.staff.validation")

# one worker per spare core, at most 2: on a 2-core machine the other core serves pages
MAX_WORKERS = max(1, min(2, (os.cpu_count() or 2) - 1))
PREVIEW_ROWS = 20
WORKER_NICENESS = 5
FIXED_SUFFIX = "_修正.csv"
PARENT_CHECK_S = 1.0

_lock = threading.Lock()
_executor: ProcessPoolExecutor | None = None


# ------------------------------------------------------------------ the web process side


def _start_worker(parent: int) -> None:
    """In each new worker: a lower priority than the web process, a watch that
    ends the worker when the web process is gone (killed, or stopped without
    shutting the pool down), and the checks imported once (polars, schemas)
    so that the first job is not slow."""
    try:
        os.nice(WORKER_NICENESS)
    except OSError:
        pass
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    import kokai.validators.fix  # noqa: F401
    import kokai.validators.table  # noqa: F401


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(0)


def _warm() -> int:
    return os.getpid()


def executor() -> ProcessPoolExecutor:
    """The process pool (started on first use)."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = ProcessPoolExecutor(
                max_workers=MAX_WORKERS,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
        return _executor


def warm_up() -> None:
    """Start the workers now (spawning and importing take a second), so that
    the first upload does not wait for them."""
    executor().submit(_warm)


def shutdown(wait: bool = True) -> None:
    """Stop the pool (tests, and the app's shutdown); a later submit starts a new one."""
    global _executor
    with _lock:
        found, _executor = _executor, None
    if found is not None:
        found.shutdown(wait=wait, cancel_futures=True)


def submit(config: Config, record: UploadRecord) -> Future:
    """Queue the validation of `record`; a job that dies (a worker killed,
    out of memory) marks the upload failed instead of leaving it queued, and
    the next job gets a new pool."""
    try:
        future = executor().submit(run_job, config, record.id)
    except BrokenProcessPool:  # a worker died since the last job: start again
        shutdown(wait=False)
        future = executor().submit(run_job, config, record.id)

    def finished(done: Future) -> None:
        if done.cancelled():
            return
        error = done.exception()
        if error is not None:
            log.error("validation of upload %s failed: %r", record.id, error)
            _mark_failed(config, record.id)
            if isinstance(error, BrokenProcessPool):
                shutdown(wait=False)

    future.add_done_callback(finished)
    return future


def _mark_failed(config: Config, upload_id: str) -> None:
    try:
        record = upload_store.load_record(config, upload_id)
    except Exception:  # the folder is gone: nothing to mark
        return
    if record.status != "done":
        record.status = "failed"
        record.failure = "検証の途中で内部エラーが起きました。もう一度アップロードしてください。続く場合は管理者に連絡してください。"
        upload_store.update_record(record)


# ------------------------------------------------------------------ the worker side


def run_job(config: Config, upload_id: str) -> str:
    """Validate one upload (in a worker process); returns its final status."""
    record = upload_store.load_record(config, upload_id)
    try:
        if record.kind == "gtfs":
            _validate_feed(config, record)
        else:
            _validate_table(config, record)
    except Exception:
        log.exception("validation of upload %s failed", upload_id)
        _mark_failed(config, upload_id)
        return "failed"
    return "done"


def _progress(record: UploadRecord, stage: str, progress: float, status: str = "running") -> None:
    record.stage, record.progress, record.status = stage, progress, status  # type: ignore[assignment]
    upload_store.update_record(record)


def _settings(config: Config):
    """The kokai.toml the check used, as `kokai validate` reports it."""
    from kokai.validators.report import Settings

    if config.source is None:
        return Settings(ignored=config.ignored)
    return Settings(path=str(config.source), city_name=config.city_name, city_code=config.city_code)


def _validate_feed(config: Config, record: UploadRecord) -> None:
    from kokai.gtfs.validate import validate_feed

    _progress(record, "checking", 0.2)
    report = validate_feed(str(record.path))
    report.settings = _settings(config)
    _finish(record, _shown(report, {str(record.path): record.filename}))


def _validate_table(config: Config, record: UploadRecord) -> None:
    from kokai.validators.reading import read_table
    from kokai.validators.report import Report
    from kokai.validators.table import context_from, validate_table

    path = str(record.path)
    _progress(record, "reading", 0.05)
    try:
        table = read_table(path)
    except Exception:  # validate_table reads it again and reports the bug as a finding
        table = None
    rows = table.data.height if table is not None else 0
    _progress(record, f"checking:{rows}", 0.3)
    report = Report(settings=_settings(config))
    table = validate_table(path, report, context=context_from(config), table=table)
    names = {path: record.filename}
    shown = _shown(report, names)
    upload_store.write_json(record.folder / upload_store.PREVIEW, preview_of(table, shown))
    if table.readable and (report.total("error") or report.total("warning")):
        _progress(record, "fixing", 0.7)
        _fix(config, record, names)
    _finish(record, shown)


def _fix(config: Config, record: UploadRecord, names: dict[str, str]) -> None:
    """The fixed copy beside the upload, kept when `kokai fix` changed anything."""
    from kokai.validators.fix import WROTE_CSV, fix_file

    fixed = record.folder / (Path(record.filename).stem + FIXED_SUFFIX)
    report = fix_file(record.path, fixed, config=config, excel=True)
    report.settings = _settings(config)
    source = str(record.path)
    changed = any(f.path == source and f.code != WROTE_CSV.code for f in report.findings)
    if not changed or not fixed.is_file():
        fixed.unlink(missing_ok=True)
        return
    names = {**names, str(fixed): fixed.name}
    upload_store.write_report(record, _shown(report, names), upload_store.FIX)
    record.fixed_path = fixed


def _finish(record: UploadRecord, report) -> None:
    upload_store.write_report(record, report)
    record.error_count = report.total("error")
    record.warning_count = report.total("warning")
    _progress(record, "done", 1.0, "done")


def _shown(report, names: dict[str, str]):
    """The report with the stored files' paths replaced by the names staff
    know (the uploaded file's name): findings, parameters, sources and counts."""
    from kokai.validators.report import Findings, Report

    def rename(value: Any) -> Any:
        return names.get(value, value) if isinstance(value, str) else value

    findings = Findings()
    for f in report.findings:
        params = {k: rename(v) for k, v in f.params.items()}
        findings.append(dataclasses.replace(f, path=rename(f.path), params=params))
    findings.counts.clear()
    for (path, code, severity), n in report.counts.items():
        findings.counts[(rename(path), code, severity)] += n
    sources = [dataclasses.replace(s, path=rename(s.path)) for s in report.sources]
    return Report(findings=findings, sources=sources, settings=report.settings)


def preview_of(table, report) -> dict[str, Any]:
    """The first rows of the table as the page shows them: the header (with
    Excel's column letters for a sheet), each row's line number and cells,
    with personal data masked as the report masks it."""
    from kokai.validators.personal_data.cells import mask_text
    from kokai.validators.personal_data.masking import mask_in_text
    from kokai.validators.reading.excel import SheetTable, column_letter

    header = list(table.header)
    personal_columns, personal_cells = set(), set()
    for f in report.findings:
        if f.code == "personal_data_column" and f.field:
            personal_columns.add(f.field)
        elif f.code == "personal_number" and f.field and f.params.get("basis") != "keyword":
            personal_columns.add(f.field)
        elif f.code in ("personal_number", "personal_email") and f.row is not None:
            personal_cells.add((f.row, f.field))
    head = table.data.head(PREVIEW_ROWS)
    lines = table.line.head(PREVIEW_ROWS).to_list()
    rows = []
    for line, values in zip(lines, head.iter_rows(), strict=False):
        cells = []
        for name, value in zip(header, values, strict=False):
            text = "" if value is None else str(value)
            if text and (name in personal_columns or (line, name) in personal_cells):
                text = mask_text(text)
            elif text:
                text = mask_in_text(text)
            cells.append(text)
        rows.append({"line": int(line), "cells": cells})
    letters = [column_letter(i) for i in range(len(header))] if isinstance(table, SheetTable) else []
    return {
        "header": header,
        "letters": letters,
        "header_line": table.header_line,
        "rows": rows,
        "total_rows": table.data.height,
    }
