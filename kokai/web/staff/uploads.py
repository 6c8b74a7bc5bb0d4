"""Upload → report → fix: the staff pages that check a file before it is published.

- GET/POST /staff/upload: a file for a new dataset (in one of the user's
  organisations); GET /staff/upload?dataset=NAME goes to the dataset's own form;
- GET/POST /staff/datasets/<name>/upload: a new version of one of its files;
- GET /staff/uploads/<id>: the report (while the worker runs: its progress),
  /status (JSON, polled by staff-upload.js), /report.html and /report.csv
  (downloads), /fixed (the copy `kokai fix` made).

Who may upload is the catalog's decision, asked as the user before the file is
accepted: `package_update` of the dataset, or creating a dataset in the chosen
organisation. The body goes to disk as it arrives, never into memory, and is
cut off at MAX_UPLOAD_BYTES (413): staff-upload.js sends the file itself as the
body (with X-CSRF-Token and X-File-Name), and without JavaScript the plain
multipart form is parsed by Starlette, which spools files to disk. Validation
runs in a worker process (kokai/web/staff/validation_jobs.py); reading and
rendering reports run in the thread pool, so the event loop never waits on them.
Files are only ever sent back as attachments (kokai/web/security.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from kokai.catalog.client import LocalCatalog
from kokai.catalog.errors import NotAuthorized, NotFound
from kokai.validators.render_html import problem_groups, render_csv, render_html, verdict
from kokai.web.security import content_type_for, file_headers
from kokai.web.staff import upload_store, validation_jobs
from kokai.web.staff.common import (
    SignedIn,
    StaffUser,
    creatable_organizations,
    forbidden,
    message_page,
    not_found,
    render,
    url_for_path,
    user_catalog,
)
from kokai.web.staff.upload_store import UploadRecord

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
# a multipart body carries the file plus its boundaries and the small fields
FORM_OVERHEAD = 64 * 1024
WRITE_BATCH = 1024 * 1024  # bytes gathered before one write in the thread pool
SHOWN_PER_PROBLEM = 50
ACCEPT = ".csv,.tsv,.txt,.xlsx,.xlsm,.xls,.ods,.zip"
TOO_LARGE_JA = (
    f"ファイルが大きすぎます。アップロードできるのは {MAX_UPLOAD_BYTES // (1024 * 1024)} MB までです。"
    "ファイルを分けるか、管理者に相談してください。"
)
KIND_JA = "CSV（.csv）、Excel（.xlsx・.xls・.ods）、GTFS の zip（.zip）のどれかを選んでください。"
STAGES_JA = {
    "": "順番を待っています",
    "reading": "ファイルを読んでいます",
    "checking": "検査しています",
    "fixing": "直せるところを直した修正版を作っています",
    "done": "検査が終わりました",
}


class BodyTooLarge(Exception):
    """The request body went past MAX_UPLOAD_BYTES."""


class _CappedReceive:
    """The ASGI receive of a request, counting body bytes and stopping at `limit`."""

    def __init__(self, receive: Callable, limit: int):
        self.receive, self.limit, self.size, self.exceeded = receive, limit, 0, False

    async def __call__(self) -> dict:
        message = await self.receive()
        if message["type"] == "http.request":
            self.size += len(message.get("body", b""))
            if self.size > self.limit:
                self.exceeded = True
                raise BodyTooLarge()
        return message


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def too_large(request: Request) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": TOO_LARGE_JA}, status_code=413)
    return message_page(request, 413, "ファイルが大きすぎます", TOO_LARGE_JA)


class CappedUploadRoute(APIRoute):
    """A route whose body is cut off at the upload limit before anything reads
    it (the session and CSRF dependencies included): a declared length over the
    limit is answered 413 at once, and a body that grows past it stops there."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def capped(request: Request) -> Response:
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES + FORM_OVERHEAD:
                return too_large(request)
            receive = _CappedReceive(request.receive, MAX_UPLOAD_BYTES + FORM_OVERHEAD)
            capped_request = Request(request.scope, receive)
            try:
                return await handler(capped_request)
            except Exception:  # the form parser or CSRF check fails on the cut body
                if receive.exceeded:
                    return too_large(capped_request)
                raise

        return capped


router = APIRouter()
uploads = APIRouter(route_class=CappedUploadRoute)


# ------------------------------------------------------------------ who may upload what


def _dataset(catalog: LocalCatalog, name: str) -> dict[str, Any] | None:
    """The dataset as the user sees it, when they may update it; None when it
    does not exist (NotFound) — NotAuthorized when they may not update it."""
    try:
        if not catalog.check_access("package_update", {"id": name}):
            raise NotAuthorized(name)
        return catalog.action.package_show(id=name)
    except NotFound:
        return None


def _resources(package: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"id": r["id"], "name": r.get("name") or r.get("url", "").rsplit("/", 1)[-1] or r["id"],
         "format": (r.get("format") or "").upper()}
        for r in package.get("resources", [])
    ]  # fmt: skip


# ------------------------------------------------------------------ the forms


def _form_page(request: Request, status: int = 200, **context: Any) -> Response:
    values = {
        "dataset": None, "resources": [], "organizations": [], "chosen_org": "", "chosen_resource": "",
        "error": "", "error_field": "", "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024), "accept": ACCEPT,
        "max_bytes": MAX_UPLOAD_BYTES, "too_large": TOO_LARGE_JA,
    }  # fmt: skip
    values.update(context)
    return render(request, "staff/upload.html", status_code=status, **values)


@router.get("/staff/upload")
async def new_dataset_form(request: Request, user: SignedIn, dataset: str = "") -> Response:
    if dataset:
        return RedirectResponse(url_for_path(request, f"/staff/datasets/{dataset}/upload"), status_code=303)
    validation_jobs.warm_up()
    catalog = user_catalog(request, user)
    organizations = await run_in_threadpool(creatable_organizations, catalog)
    if not organizations:
        return forbidden(request, "新しいデータセットを作る権限がありません。組織の編集者に登録してもらってください。")
    return _form_page(request, organizations=organizations, action="/staff/upload")


@router.get("/staff/datasets/{name}/upload")
async def new_version_form(request: Request, name: str, user: SignedIn) -> Response:
    catalog = user_catalog(request, user)
    try:
        package = await run_in_threadpool(_dataset, catalog, name)
    except NotAuthorized:
        return forbidden(request, f"データセット「{name}」を更新する権限がありません。")
    if package is None:
        return not_found(request, f"データセット「{name}」は見つかりません。")
    return _form_page(
        request, dataset=package, resources=_resources(package), action=f"/staff/datasets/{name}/upload"
    )


@uploads.post("/staff/upload")
async def upload_new_dataset(request: Request, user: SignedIn) -> Response:
    catalog = user_catalog(request, user)
    fields = await _fields(request)
    organization = fields.get("organization", "")
    organizations = await run_in_threadpool(creatable_organizations, catalog)
    if not organizations:
        return _refused(request, "新しいデータセットを作る権限がありません。")
    if not organization:
        return await _invalid(request, 400, "組織を選んでください。", "organization", organizations=organizations,
                              action="/staff/upload")  # fmt: skip
    if organization not in {o["name"] for o in organizations}:
        return _refused(request, f"組織「{organization}」にデータセットを作る権限がありません。")
    return await _accept(request, user, fields, organization=organization, dataset=None, resource=None,
                         form={"organizations": organizations, "action": "/staff/upload", "chosen_org": organization})  # fmt: skip


@uploads.post("/staff/datasets/{name}/upload")
async def upload_new_version(request: Request, name: str, user: SignedIn) -> Response:
    catalog = user_catalog(request, user)
    try:
        package = await run_in_threadpool(_dataset, catalog, name)
    except NotAuthorized:
        return _refused(request, f"データセット「{name}」を更新する権限がありません。")
    if package is None:
        return not_found(request, f"データセット「{name}」は見つかりません。")
    fields = await _fields(request)
    resources = _resources(package)
    resource = fields.get("resource", "")
    form = {"dataset": package, "resources": resources, "action": f"/staff/datasets/{name}/upload",
            "chosen_resource": resource}  # fmt: skip
    if len(resources) == 1 and not resource:
        resource = resources[0]["id"]
    if resources and resource not in {r["id"] for r in resources}:
        return await _invalid(request, 400, "新しい版にするファイルを選んでください。", "resource", **form)
    return await _accept(request, user, fields, organization=package.get("owner_org"), dataset=package["name"],
                         resource=resource or None, form=form)  # fmt: skip


def _refused(request: Request, message_ja: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": message_ja}, status_code=403)
    return forbidden(request, message_ja)


async def _invalid(request: Request, status: int, message_ja: str, field: str, **form: Any) -> Response:
    await _discard(request)
    if _wants_json(request):
        return JSONResponse({"error": message_ja, "field": field}, status_code=status)
    return _form_page(request, status, error=message_ja, error_field=field, **form)


def _is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip().lower() == "multipart/form-data"


async def _fields(request: Request) -> dict[str, str]:
    """The small fields: from the multipart form, or (a raw upload by
    staff-upload.js) from the query string."""
    if _is_multipart(request):
        form = await request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}
    return dict(request.query_params)


async def _discard(request: Request) -> None:
    """Close the spooled files of a refused multipart form."""
    if _is_multipart(request):
        form = await request.form()
        await form.close()


async def _accept(
    request: Request, user: StaffUser, fields: dict[str, str], *, organization: str | None,
    dataset: str | None, resource: str | None, form: dict[str, Any],
) -> Response:  # fmt: skip
    """Store the file, queue its validation and send the user to its report."""
    config = request.app.state.config
    if _is_multipart(request):
        posted = (await request.form()).get("file")
        filename = posted.filename if isinstance(posted, UploadFile) else ""
    else:
        posted, filename = None, unquote(request.headers.get("x-file-name", ""))
    if not filename:
        return await _invalid(request, 400, "アップロードするファイルを選んでください。", "file", **form)
    if upload_store.kind_of(filename) is None:
        return await _invalid(request, 400, f"「{filename}」は受け付けられません。{KIND_JA}", "file", **form)
    incoming = await run_in_threadpool(upload_store.incoming_file, config)
    try:
        if isinstance(posted, UploadFile):
            size = await run_in_threadpool(_copy_spooled, posted, incoming)
            await posted.close()
        else:
            size = await _stream_body(request, incoming)
        if size == 0:
            return await _invalid(request, 400, f"「{filename}」は空のファイルです。", "file", **form)
        record = await run_in_threadpool(
            lambda: upload_store.save_upload(
                config, user=user.name, filename=filename, source=incoming, dataset=dataset,
                resource=resource, organization=organization,
            )  # fmt: skip
        )
    finally:
        await run_in_threadpool(incoming.unlink, True)
    validation_jobs.submit(config, record)
    report_url = url_for_path(request, f"/staff/uploads/{record.id}")
    if _wants_json(request):
        return JSONResponse({"id": record.id, "report_url": report_url}, status_code=201)
    return RedirectResponse(report_url, status_code=303)


def _copy_spooled(posted: UploadFile, target: Path) -> int:
    """The form's spooled file to `target`; returns its size."""
    posted.file.seek(0)
    size = 0
    with open(target, "wb") as out:
        while chunk := posted.file.read(WRITE_BATCH):
            out.write(chunk)
            size += len(chunk)
    return size


async def _stream_body(request: Request, target: Path) -> int:
    """The request body to `target`, written in batches in the thread pool
    (opening and closing the file too); returns its size."""
    out = await run_in_threadpool(open, target, "wb")
    total = 0
    try:
        batch: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            batch.append(chunk)
            size += len(chunk)
            if size >= WRITE_BATCH:
                await run_in_threadpool(out.writelines, batch)
                total += size
                batch, size = [], 0
        if batch:
            await run_in_threadpool(out.writelines, batch)
            total += size
    finally:
        await run_in_threadpool(out.close)
    return total


# ------------------------------------------------------------------ the report


async def _record(request: Request, user: StaffUser, upload_id: str) -> UploadRecord | None:
    try:
        return await run_in_threadpool(upload_store.get_upload, request.app.state.config, upload_id, user)
    except NotFound:
        return None


def _missing(request: Request) -> Response:
    return not_found(request, "このアップロードは見つかりません。自分がアップロードしたファイルの結果だけを見られます。")


def stage_ja(record: UploadRecord) -> str:
    stage, _, rows = record.stage.partition(":")
    if stage == "checking" and rows.isdigit():
        return f"{int(rows):,} 行を検査しています"
    return STAGES_JA.get(stage, STAGES_JA["checking"])


def _status(request: Request, record: UploadRecord) -> dict[str, Any]:
    return {
        "status": record.status,
        "progress": round(record.progress, 3),
        "stage": stage_ja(record),
        "finished": record.finished,
        "errors": record.error_count,
        "warnings": record.warning_count,
        "report_url": url_for_path(request, f"/staff/uploads/{record.id}"),
    }


@router.get("/staff/uploads/{upload_id}/status")
async def upload_status(request: Request, upload_id: str, user: SignedIn) -> Response:
    record = await _record(request, user, upload_id)
    if record is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    return JSONResponse(_status(request, record), headers={"Cache-Control": "no-store"})


def _problem_cells(report) -> tuple[dict[tuple[int, str], str], dict[int, str]]:
    """(row, column) → the first error or warning there, and row → a problem
    of the whole row (a 合計 row), for marking the preview."""
    cells: dict[tuple[int, str], str] = {}
    rows: dict[int, str] = {}
    for f in report.findings:
        if f.severity == "info" or f.row is None:
            continue
        if f.field:
            cells.setdefault((f.row, f.field), f.message("ja"))
        else:
            rows.setdefault(f.row, f.message("ja"))
    return cells, rows


def _preview(record: UploadRecord, report) -> dict[str, Any] | None:
    preview = upload_store.read_preview(record)
    if not preview or not preview.get("header"):
        return None
    cells, rows = _problem_cells(report)
    header = preview["header"]
    shown = []
    for row in preview["rows"]:
        line = row["line"]
        shown.append({
            "line": line,
            "problem": rows.get(line),
            "cells": [{"text": text, "problem": cells.get((line, name))} for name, text in zip(header, row["cells"], strict=False)],
        })  # fmt: skip
    preview["shown"] = shown
    preview["columns"] = [
        f"{preview['letters'][i]}列 {name}" if preview.get("letters") else name for i, name in enumerate(header)
    ]
    return preview


def _report_context(request: Request, record: UploadRecord) -> dict[str, Any]:
    report = upload_store.report_of(record)
    groups = problem_groups(report, SHOWN_PER_PROBLEM)
    changes, still_wrong = [], 0
    if record.fixed_path is not None and upload_store.has_fix_report(record):
        fixed = upload_store.report_of(record, upload_store.FIX)
        changes = [g for g in problem_groups(fixed, SHOWN_PER_PROBLEM) if g.path == record.filename and g.code != "wrote_csv"]
        still_wrong = sum(n for (path, _, sev), n in fixed.counts.items() if path != record.filename and sev == "error")
    return {
        "report": report,
        "verdict": verdict(report),
        "errors": [g for g in groups if g.severity == "error"],
        "warnings": [g for g in groups if g.severity == "warning"],
        "infos": [g for g in groups if g.severity == "info"],
        "preview": _preview(record, report),
        "changes": changes,
        "still_wrong": still_wrong,
    }


@router.get("/staff/uploads/{upload_id}")
async def report_page(request: Request, upload_id: str, user: SignedIn) -> Response:
    record = await _record(request, user, upload_id)
    if record is None:
        return _missing(request)
    context: dict[str, Any] = {"record": record, "status": _status(request, record)}
    if record.status == "done":
        try:
            context.update(await run_in_threadpool(_report_context, request, record))
        except NotFound:  # the report is gone (the folder cleaned up by hand): say so
            record.status, record.failure = "failed", "検査の結果が見つかりません。もう一度アップロードしてください。"
    return await run_in_threadpool(lambda: render(request, "staff/report.html", **context))


def _stem(record: UploadRecord) -> str:
    return Path(record.filename).stem


async def _finished_report(request: Request, user: StaffUser, upload_id: str):
    record = await _record(request, user, upload_id)
    if record is None or record.status != "done":
        return record, None
    return record, await run_in_threadpool(upload_store.report_of, record)


@router.get("/staff/uploads/{upload_id}/report.html")
async def report_html(request: Request, upload_id: str, user: SignedIn) -> Response:
    record, report = await _finished_report(request, user, upload_id)
    if report is None:
        return _missing(request)
    html = await run_in_threadpool(render_html, report, f"検証結果: {record.filename}")
    headers = file_headers(f"{_stem(record)}_検証結果.html")
    return Response(html.encode("utf-8"), media_type="text/html; charset=utf-8", headers=headers)


@router.get("/staff/uploads/{upload_id}/report.csv")
async def report_csv(request: Request, upload_id: str, user: SignedIn) -> Response:
    record, report = await _finished_report(request, user, upload_id)
    if report is None:
        return _missing(request)
    text = await run_in_threadpool(render_csv, report)
    headers = file_headers(f"{_stem(record)}_検証結果.csv")
    return Response(text.encode("utf-8-sig"), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/staff/uploads/{upload_id}/fixed")
async def fixed_copy(request: Request, upload_id: str, user: SignedIn) -> Response:
    record = await _record(request, user, upload_id)
    if record is None or record.fixed_path is None or not await run_in_threadpool(record.fixed_path.is_file):
        return _missing(request)
    name = record.fixed_path.name
    return FileResponse(
        record.fixed_path, media_type=content_type_for("csv", name) + "; charset=utf-8", headers=file_headers(name)
    )


router.include_router(uploads)

