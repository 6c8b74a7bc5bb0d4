"""The dataset's staff page, publish and rollback.

- GET  /staff/datasets/<name>: state, resources, links for those allowed, the
  publish log (as `kokai history` shows it, times in Japan time) and the diff
  of the last change of each table (kokai/publish/table_diff.py);
- POST /staff/datasets/<name>/publish (`upload=<id>`: an uploaded new version
  of a resource, `fixed=1`: its fixed copy): the gate and pipeline of
  `kokai publish`, on a staged copy of the folder (kokai/web/staff/drafts.py);
- GET  /staff/datasets/<name>/history: every record, with rollback links;
- GET/POST /staff/datasets/<name>/rollback/<version>: confirm, then
  `Publisher.rollback` (the same gate).

Who may publish is asked of the catalog as the signed-in user before anything
runs (`package_update`, or `package_create` in the dataset's organisation for
a new one): 403 otherwise. The pipeline runs in the thread pool, acting as
the user, so the catalog's auth functions check every write again.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from kokai.catalog.blobs import BlobStoreError
from kokai.catalog.client import LocalCatalog
from kokai.catalog.errors import NotAuthorized, NotFound
from kokai.config import Config
from kokai.errors import KokaiError
from kokai.publish import site_update
from kokai.publish.pipeline import Outcome, Publisher
from kokai.publish.render import change_lines
from kokai.publish.table_diff import TableDiff, TableDiffError, diff_stored, resource_schema
from kokai.validators.render_html import problem_groups
from kokai.web.staff import drafts
from kokai.web.staff.common import (
    SignedIn,
    StaffUser,
    forbidden,
    ja_datetime,
    not_found,
    render,
    user_catalog,
)
from kokai.web.staff.describe import dataset_folder, descriptor_organization, may_edit, valid_name

log = logging.getLogger("kokai.staff")
router = APIRouter()

HISTORY_ON_PAGE = 10  # records on the dataset page; the history page shows all
DIFF_ROWS = 10  # example rows of each kind in a diff
SHOWN_PER_PROBLEM = 50  # example findings per problem in a refusal (as the upload report)
TABLE_FORMATS = ("csv", "tsv")
STATUS_JA = {"published": "公開", "refused": "公開できず", "restored": "公開中の版に戻った"}


# ---------------------------------------------------------------- reading


def read_package(catalog: LocalCatalog, name: str) -> dict | None:
    """The dataset as the user may see it; None when it is not in the catalog (or hidden)."""
    try:
        return catalog.action.package_show(id=name)
    except (NotFound, NotAuthorized):
        return None


def history(catalog: LocalCatalog, name: str, limit: int | None = None) -> list[dict[str, Any]]:
    """The publish log of the dataset, newest first, ready to show."""
    query: dict[str, Any] = {"id": name}
    if limit is not None:
        query["limit"] = limit
    try:
        records = catalog.action.publish_record_list(**query)
    except NotAuthorized:
        return []
    return [shown_record(r) for r in records]


def shown_record(record: dict[str, Any]) -> dict[str, Any]:
    changes = record.get("changes") or {}
    summary = record.get("summary") or {}
    if record["status"] == "published":
        lines = ["最初の公開"] if changes.get("first") else shown_changes(changes)
    elif record["status"] == "refused":
        lines = [f"エラー {summary.get('errors', 0)} 件: {', '.join(summary.get('codes', {}))}"]
    else:
        lines = []
    return {
        **record,
        "when": ja_datetime(record["created"]),
        "status_ja": STATUS_JA.get(record["status"], record["status"]),
        "lines": lines,
    }


CHANGE_MARKS = {"+": "追加：", "~": "変更：", "-": "削除："}


def shown_changes(changes: dict[str, Any]) -> list[str]:
    """`kokai history`'s change lines, with words for its +/~/- marks."""
    lines = []
    for line in change_lines(changes):
        text = line.strip()
        mark, _, rest = text.partition(" ")
        lines.append(CHANGE_MARKS[mark] + rest if mark in CHANGE_MARKS else text)
    return lines


_diff_cache: OrderedDict[tuple, TableDiff | str] = OrderedDict()
_diff_cache_lock = threading.Lock()
DIFF_CACHE_SIZE = 64


def last_change_diffs(catalog: LocalCatalog, config: Config, name: str) -> list[dict[str, Any]]:
    """For each table that changed in the newest published version: its diff
    against the version before (read from storage by sha256)."""
    try:
        newest = catalog.action.publish_record_list(id=name, status="published", limit=2)
    except NotAuthorized:
        return []
    if len(newest) < 2:
        return []
    current = catalog.action.publish_record_show(id=name, version=newest[0]["version"])
    before = newest[1]["manifest"]
    resources = {str(r.get("name")): r for r in current["descriptor"].get("resources") or [] if isinstance(r, dict)}
    out = []
    for resource, stored in current["manifest"].items():
        old = before.get(resource)
        if old is None or old["sha256"] == stored["sha256"] or str(stored.get("format")).lower() not in TABLE_FORMATS:
            continue
        schema = resource_schema(resources.get(resource, {}), drafts.dataset_dir(config, name))
        separator = "\t" if str(stored.get("format")).lower() == "tsv" else ","
        diff = _cached_diff(catalog, old["sha256"], stored["sha256"], schema, separator)
        out.append({
            "resource": resource, "filename": stored["filename"],
            "version_before": newest[1]["version"], "version_after": newest[0]["version"],
            "diff": diff if isinstance(diff, TableDiff) else None,
            "problem": diff if isinstance(diff, str) else None,
        })  # fmt: skip
    return out


def _cached_diff(catalog: LocalCatalog, before: str, after: str, schema: dict | None, separator: str) -> TableDiff | str:
    """Stored files never change, so a diff of two hashes is computed once."""
    key = (str(catalog.config.storage_location), before, after, repr(schema), separator)
    with _diff_cache_lock:
        if key in _diff_cache:
            _diff_cache.move_to_end(key)
            return _diff_cache[key]
    try:
        blobs = catalog.blobs
        result: TableDiff | str = diff_stored(
            blobs.open_range(before, 0, None), blobs.open_range(after, 0, None),
            schema=schema, limit=DIFF_ROWS, separator=separator,
        )  # fmt: skip
    except (TableDiffError, KokaiError, BlobStoreError, OSError) as exc:
        log.warning("diff of %s..%s failed: %s", before[:12], after[:12], exc)
        result = "表の差分を計算できませんでした（ファイルを表として読めません）。"
    with _diff_cache_lock:
        _diff_cache[key] = result
        while len(_diff_cache) > DIFF_CACHE_SIZE:
            _diff_cache.popitem(last=False)
    return result


def dataset_state(package: dict | None, records: list[dict]) -> str:
    if package is None:
        return "まだ公開していません"
    if records and records[0]["status"] == "refused":
        return "公開中（最後の公開は断られました）"
    return "非公開" if package.get("private") else "公開中"


# ---------------------------------------------------------------- pages


def _dataset_context(catalog: LocalCatalog, config: Config, name: str) -> dict[str, Any] | None:
    """Everything the dataset page shows; None when the user may neither see nor edit it."""
    package = read_package(catalog, name)
    folder = dataset_folder(config, name)
    organization = descriptor_organization(config, name) if folder else None
    allowed = may_edit(catalog, name, organization)
    if package is None and not allowed:
        return None
    records = history(catalog, name, HISTORY_ON_PAGE) if allowed else []
    descriptor: dict[str, Any] = {}
    if folder is not None:
        try:
            _, descriptor = drafts.read_descriptor(folder)
        except drafts.DraftError:
            descriptor = {}
    return {
        "name": name,
        "package": package,
        "descriptor": descriptor,
        "title": (package or {}).get("title") or descriptor.get("title") or name,
        "has_folder": folder is not None,
        "can_edit": allowed,
        "state": dataset_state(package, records),
        "records": records,
        "diffs": last_change_diffs(catalog, config, name) if allowed and package else [],
        "resources": (package or {}).get("resources") or [],
    }


@router.get("/staff/datasets/{name}", name="dataset_page")
async def dataset_page(request: Request, name: str, user: SignedIn, upload: str = "") -> Response:
    """The dataset's page; `upload`: the publish form puts that uploaded file in place."""
    if not valid_name(name):
        return not_found(request, f"データセット「{name}」は見つかりません。")
    config = request.app.state.config
    catalog = user_catalog(request, user)
    context = await run_in_threadpool(_dataset_context, catalog, config, name)
    if context is None:
        if dataset_folder(config, name) is None and read_package(catalog.as_site(), name) is None:
            return not_found(request, f"データセット「{name}」は見つかりません。")
        return forbidden(request, f"データセット「{name}」を見る権限がありません。")
    record = _upload_record(config, upload, user, name) if upload and context["can_edit"] else None
    if upload and record is None and context["can_edit"]:
        return not_found(request, "このアップロードは見つかりません（ほかの人のものか、別のデータセットのものです）。")
    return render(request, "staff/dataset.html", upload=record, **context)


@router.get("/staff/datasets/{name}/history", name="history_page")
async def history_page(request: Request, name: str, user: SignedIn, version: int | None = None) -> Response:
    """The whole publish log; `version`: the rollback confirmation for it."""
    config = request.app.state.config
    catalog = user_catalog(request, user)
    if not valid_name(name):
        return not_found(request, f"データセット「{name}」は見つかりません。")
    if not await run_in_threadpool(may_edit, catalog, name, descriptor_organization(config, name)):
        return forbidden(request, f"データセット「{name}」の公開の記録を見る権限がありません。")
    records = await run_in_threadpool(history, catalog, name)
    if version is not None and not any(r["version"] == version and r["status"] == "published" for r in records):
        return not_found(request, f"データセット「{name}」の版 {version} はありません。")
    current = next((r["version"] for r in records if r["status"] == "published"), None)
    return render(request, "staff/history.html", name=name, records=records, confirm=version, current=current)


@router.get("/staff/datasets/{name}/rollback/{version}")
async def rollback_confirm(request: Request, name: str, version: int, user: SignedIn) -> Response:
    return await history_page(request, name, user, version)


@router.post("/staff/datasets/{name}/rollback/{version}")
async def rollback(request: Request, name: str, version: int, user: SignedIn) -> Response:
    config = request.app.state.config
    catalog = user_catalog(request, user)
    if not valid_name(name):
        return not_found(request, f"データセット「{name}」は見つかりません。")
    if not await run_in_threadpool(may_edit, catalog, name, descriptor_organization(config, name)):
        return forbidden(request, f"データセット「{name}」を公開し直す権限がありません。")
    publisher = Publisher(catalog, by=user.name)

    def run() -> Outcome:
        with drafts.dataset_lock(name):
            outcome = publisher.rollback(name, version)
            if outcome.status == "published" and dataset_folder(config, name) is not None:
                drafts.restore_version(catalog, config, name, outcome.version)
            return outcome

    try:
        outcome = await run_in_threadpool(run)
        if outcome.report is not None:  # the scratch folder's paths as the dataset folder's
            outcome.report = drafts.shown_from(outcome.report, drafts.shown_path(config, name, outcome.folder))
    except NotFound:
        return not_found(request, f"データセット「{name}」の版 {version} はありません。")
    except NotAuthorized:
        return forbidden(request, f"データセット「{name}」を公開し直す権限がありません。")
    return await _result(request, config, name, outcome, rollback_from=version)


@router.post("/staff/datasets/{name}/publish")
async def publish(request: Request, name: str, user: SignedIn) -> Response:
    config = request.app.state.config
    catalog = user_catalog(request, user)
    if dataset_folder(config, name) is None:
        return not_found(request, f"データセット「{name}」は見つかりません。")
    if not await run_in_threadpool(may_edit, catalog, name, descriptor_organization(config, name)):
        return forbidden(request, f"データセット「{name}」を公開する権限がありません。")
    form = await request.form()
    upload = None
    if form.get("upload"):
        upload = _upload(config, str(form["upload"]), user, name, fixed=form.get("fixed") in ("1", "on", "true"))
        if upload is None:
            return forbidden(request, "このアップロードは使えません（見つからないか、ほかの人のもの、または別のデータセットのものです）。")
    publisher = Publisher(catalog, by=user.name)
    try:
        outcome = await run_in_threadpool(drafts.publish_dataset, publisher, config, name, upload)
    except drafts.DraftError as exc:
        return render(request, "staff/publish_result.html", status_code=409, name=name, outcome=None,
                      title="公開できません", message=str(exc))  # fmt: skip
    except NotAuthorized:
        return forbidden(request, f"データセット「{name}」を公開する権限がありません。")
    return await _result(request, config, name, outcome)


def _upload_record(config: Config, upload_id: str, user: StaffUser, name: str) -> Any:
    """The upload helper's record of `upload_id`; None when it is not this
    user's (nor they a sysadmin) or is for another dataset."""
    from kokai.web.staff.upload_store import get_upload

    try:
        record = get_upload(config, upload_id, user)
    except (NotFound, LookupError, ValueError, OSError):
        return None
    if record is None or (record.dataset and record.dataset != name):
        return None
    return record


def _upload(config: Config, upload_id: str, user: StaffUser, name: str, fixed: bool) -> drafts.Upload | None:
    """The uploaded file (or its fixed copy) as what a publish puts in place."""
    record = _upload_record(config, upload_id, user, name)
    if record is None:
        return None
    if fixed and record.fixed_path:
        path = Path(record.fixed_path)
        return drafts.Upload(path, Path(record.filename).stem + ".csv", "csv", record.resource)
    return drafts.Upload(Path(record.path), record.filename, record.kind, record.resource)


async def _result(request: Request, config: Config, name: str, outcome: Outcome, rollback_from: int | None = None) -> Response:
    site_problem = None
    if outcome.status == "published":
        site_problem = await run_in_threadpool(update_site, config)
    groups = []
    if outcome.report is not None and outcome.status == "refused":
        groups = problem_groups(outcome.report, SHOWN_PER_PROBLEM, severities=("error", "warning"))
    return render(
        request, "staff/publish_result.html", status_code=422 if outcome.status == "refused" else 200,
        name=name, outcome=outcome, title=_result_title(outcome, rollback_from), message=None,
        changes=shown_changes(outcome.changes),
        errors=[g for g in groups if g.severity == "error"], warnings_found=[g for g in groups if g.severity == "warning"],
        warnings=outcome.summary.get("warnings", 0), site_problem=site_problem, rollback_from=rollback_from,
    )  # fmt: skip


def _result_title(outcome: Outcome, rollback_from: int | None) -> str:
    if outcome.status == "published":
        what = f"版 {rollback_from} の内容で" if rollback_from is not None else ""
        return f"{what}公開しました（版 {outcome.version}）"
    if outcome.status == "unchanged":
        return f"変更はありません（版 {outcome.version} のまま）"
    return "公開できません"


def update_site(config: Config) -> str | None:
    """The site's pages after a publish, as `kokai publish` does; the problem in
    Japanese when the site could not be updated (the publish itself is done)."""
    try:
        site_update.update_site(config)
    except KokaiError as exc:
        log.warning("site not updated after a publish: %s", exc)
        return f"公開は完了しましたが、公開サイトを更新できませんでした（{exc}）。"
    return None
