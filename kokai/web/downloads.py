"""Counted downloads and stable GTFS feed URLs.

- ``/dataset/{id}/resource/{rid}/download/{filename}``: CKAN's upload URL. Streams
  the current version of the stored file (single ``Range`` → 206, unsatisfiable
  → 416, ``HEAD``), with ``ETag`` (the sha256) and ``Last-Modified`` (when the
  version was made); counts the download (see ``tracking``). A link resource
  (not uploaded) redirects to its URL, as CKAN does.
- ``/gtfs/{dataset}/feed.zip`` (current version) and ``/gtfs/{dataset}/{version}.zip``
  (a stored version): one stable URL for routing services, with ``ETag`` /
  ``Last-Modified`` / ``Cache-Control`` and 304 on ``If-None-Match`` /
  ``If-Modified-Since``; fetches (200) and checks (304) are counted per
  consumer family (``user_agents``).

Versions are read from the catalog (kokai.catalog.storage) and bytes from the
blob store (kokai.catalog.blobs): a local file is read directly, an S3
object is streamed through. A version whose blob cannot be read answers 404
(missing) or 503 (storage unreachable), before any byte is sent.

Every served file is an attachment that cannot run as a page
(``kokai.web.security``): ``Content-Disposition: attachment`` with its UTF-8
name, ``X-Content-Type-Options: nosniff``, a sandboxing CSP, and a Content-Type
from the server's allow-list by format, never the stored ``mimetype``. Header
values never come from stored fields unsanitised. Client headers that do not
parse (a Range of 5,000 digits, a date Python cannot represent) are ignored.

What is counted as a download: a GET answered 200, or 206 for a range that
starts at byte 0. HEAD, 304, 416 and the continuation of an interrupted
download (a range starting later) are not.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from kokai.catalog import auth, storage
from kokai.catalog.blobs import BlobNotFound, BlobStore, BlobStoreError
from kokai.catalog.errors import NotAuthorized, NotFound
from kokai.catalog.tracking import record_download, record_feed_fetch
from kokai.vocab.gtfs import feed_resource
from kokai.web.http_dates import as_utc, format_http_date, parse_http_date
from kokai.web.security import content_type_for, file_headers
from kokai.web.token_guard import client_key

log = logging.getLogger(__name__)

router = APIRouter(tags=["downloads"])

CHUNK_SIZE = 256 * 1024
DOWNLOAD_CACHE_CONTROL = "public, no-cache"  # caches revalidate, so every download reaches us
FEED_CACHE_CONTROL = "public, max-age=300"
VERSION_CACHE_CONTROL = "public, max-age=31536000, immutable"
PRIVATE_CACHE_CONTROL = "private, no-store"


@dataclass(frozen=True)
class _Target:
    package_id: str
    resource_id: str
    private: bool
    resource: dict[str, Any]  # as resource_show returns it


# ---------------------------------------------------------------- routes


@router.get(
    "/dataset/{dataset_id}/resource/{resource_id}/download/{filename}",
    summary="Download a resource's file (counted)",
    operation_id="download_resource",
    response_model=None,
)
@router.head(
    "/dataset/{dataset_id}/resource/{resource_id}/download/{filename}",
    summary="Download a resource's file (counted) (headers only)",
    operation_id="download_resource_head",
    response_model=None,
)
def download_resource(
    request: Request, dataset_id: str, resource_id: str, filename: str
) -> Response:
    target = _find_resource(request, dataset_id, resource_id)
    if target is None:
        return _not_found(request, "Resource not found")
    resource = target.resource
    if resource.get("url_type") != "upload":
        if _is_http_url(resource.get("url")):
            # A link resource: CKAN redirects; the click still counts as a download.
            task = _count_download_task(request, target) if request.method == "GET" else None
            return RedirectResponse(resource["url"], status_code=302, background=task)
        return _not_found(request, "Resource file not found")
    stored = _stored_file(request, resource["id"], None)
    if stored is None or unquote(filename) not in _known_filenames(resource, stored):
        return _not_found(request, "Resource file not found")
    media_type = content_type_for(resource.get("format"), stored.filename)
    cache_control = PRIVATE_CACHE_CONTROL if target.private else DOWNLOAD_CACHE_CONTROL
    return _file_response(
        request,
        stored,
        media_type=media_type,
        cache_control=cache_control,
        on_download=lambda: _count_download_task(request, target),
    )


@router.get(
    "/gtfs/{dataset_id}/feed.zip",
    summary="The current GTFS(-JP) feed of a dataset",
    operation_id="gtfs_current_feed",
    response_model=None,
)
@router.head(
    "/gtfs/{dataset_id}/feed.zip",
    summary="The current GTFS(-JP) feed of a dataset (headers only)",
    operation_id="gtfs_current_feed_head",
    response_model=None,
)
def gtfs_current_feed(request: Request, dataset_id: str) -> Response:
    return _gtfs_feed(request, dataset_id, version=None)


@router.get(
    "/gtfs/{dataset_id}/{version}.zip",
    summary="One stored version of a dataset's GTFS(-JP) feed",
    operation_id="gtfs_feed_version",
    response_model=None,
)
@router.head(
    "/gtfs/{dataset_id}/{version}.zip",
    summary="One stored version of a dataset's GTFS(-JP) feed (headers only)",
    operation_id="gtfs_feed_version_head",
    response_model=None,
)
def gtfs_feed_version(request: Request, dataset_id: str, version: str) -> Response:
    if not _VERSION.fullmatch(version):  # str.isdigit() would take "²" and "١"
        return _not_found(request, "GTFS feed version not found")
    return _gtfs_feed(request, dataset_id, version=int(version))


# ---------------------------------------------------------------- GTFS


def _gtfs_feed(request: Request, dataset_id: str, version: int | None) -> Response:
    package = _show_package(request, dataset_id)
    if package is None:
        return _not_found(request, "Dataset not found")
    resource = feed_resource(package)
    if resource is None or not _safe_id(resource["id"]):
        return _not_found(request, "This dataset has no GTFS feed")
    stored = _stored_file(request, resource["id"], version)
    if stored is None:
        return _not_found(request, "GTFS feed version not found")
    target = _Target(package["id"], resource["id"], package["private"], resource)

    def count(not_modified: bool) -> BackgroundTask | None:
        if request.method != "GET":
            return None
        return BackgroundTask(
            _record_feed, request, target, not_modified, request.headers.get("user-agent")
        )

    if target.private:
        cache_control = PRIVATE_CACHE_CONTROL
    else:
        # A numbered version never changes; feed.zip does.
        cache_control = FEED_CACHE_CONTROL if version is None else VERSION_CACHE_CONTROL
    return _file_response(
        request,
        stored,
        media_type="application/zip",
        cache_control=cache_control,
        on_download=lambda: count(False),
        on_not_modified=lambda: count(True),
    )



# ---------------------------------------------------------------- responses


def _file_response(
    request: Request,
    stored: storage.StoredFile,
    *,
    media_type: str,
    cache_control: str,
    on_download,
    on_not_modified=lambda: None,
) -> Response:
    """A stored file with validators, conditional GET, a single Range, and HEAD."""
    etag = f'"{stored.sha256}"'
    last_modified = as_utc(stored.created)
    headers = {
        "ETag": etag,
        "Last-Modified": format_http_date(last_modified),
        "Cache-Control": cache_control,
        "Accept-Ranges": "bytes",
        **file_headers(stored.filename),
    }
    if _not_modified(request, stored.sha256, last_modified):
        return Response(status_code=304, headers=headers, background=on_not_modified())

    size = stored.size
    byte_range = None
    range_header = request.headers.get("range")
    if range_header and _if_range_matches(request.headers.get("if-range"), etag, last_modified):
        byte_range = _parse_range(range_header, size)
        if byte_range == "unsatisfiable":
            return Response(
                status_code=416,
                headers={**headers, "Content-Range": f"bytes */{size}"},
            )
    if isinstance(byte_range, tuple):
        start, end = byte_range
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    else:
        start, end, status = 0, size - 1, 200
    length = end - start + 1 if size else 0
    headers["Content-Length"] = str(length)
    # Set as a header, not media_type=: Starlette would add "; charset=utf-8" to text/*,
    # and a city's CSV is as often Shift_JIS as UTF-8.
    headers["Content-Type"] = media_type

    if request.method == "HEAD":
        return Response(status_code=status, headers=headers)
    # Opened before the response starts, so that a missing blob or an unreachable
    # store is an error status, not a download cut short.
    blobs: BlobStore = request.app.state.catalog.blobs
    try:
        path = blobs.local_path(stored.sha256)
        if path is not None:
            body = _read_file(path.open("rb"), start, length)
        else:
            body = blobs.open_range(stored.sha256, start, length)
    except (BlobNotFound, FileNotFoundError):
        log.error("stored file %s (version %s) is missing", stored.sha256, stored.version)
        return _not_found(request, "Resource file not found")
    except BlobStoreError as exc:
        log.error("cannot read stored file %s: %s", stored.sha256, exc)
        return _unavailable(request)
    task = on_download() if start == 0 else None  # a later range continues a download
    return StreamingResponse(body, status_code=status, headers=headers, background=task)


def _read_file(handle: BinaryIO, start: int, length: int) -> Iterator[bytes]:
    """`length` bytes of an open local file from `start`; closes it when done."""
    with handle:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


_RANGE = re.compile(r"^\s*bytes\s*=\s*([0-9]*)\s*-\s*([0-9]*)\s*$", re.I | re.ASCII)
_VERSION = re.compile(r"[0-9]{1,9}")
_MAX_OFFSET = 10**18  # larger than any file; longer numbers are read as this


def _offset(digits: str) -> int:
    """A byte position from ASCII digits; 5,000 digits is "very large", not a ValueError."""
    return int(digits) if len(digits) <= 18 else _MAX_OFFSET


def _parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """One ``bytes=`` range → (start, end) inclusive; "unsatisfiable"; or None to
    ignore the header (malformed, another unit, or several ranges: RFC 9110 lets
    a server answer those with the whole file)."""
    match = _RANGE.match(header)
    if match is None:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # suffix range: the last N bytes
        suffix = _offset(last)
        if suffix == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - suffix), size - 1
    start = _offset(first)
    end = _offset(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        return "unsatisfiable"
    return start, min(end, size - 1)


def _if_range_matches(if_range: str | None, etag: str, last_modified: datetime) -> bool:
    """Without If-Range the Range applies; with it, only when the validator still matches."""
    if not if_range:
        return True
    if_range = if_range.strip()
    if if_range.startswith('"'):
        return if_range == etag  # strong comparison
    since = parse_http_date(if_range)
    return since is not None and int(last_modified.timestamp()) == int(since.timestamp())


def _not_modified(request: Request, sha256: str, last_modified: datetime) -> bool:
    """RFC 9110 §13.2.2: If-None-Match (weak comparison, lists, ``*``) decides when
    present; otherwise If-Modified-Since (GET/HEAD only)."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        for tag in if_none_match.split(","):
            tag = tag.strip()
            if tag.startswith("W/"):
                tag = tag[2:]
            if tag.strip('"') == sha256 and tag.startswith('"'):
                return True
        return False
    since = parse_http_date(request.headers.get("if-modified-since"))
    if since is None:
        return False
    # HTTP dates have whole seconds: compare at that precision.
    return int(last_modified.timestamp()) <= int(since.timestamp())


def _unavailable(request: Request) -> JSONResponse:
    """The storage cannot be read right now (the details go to the log, not the client)."""
    return JSONResponse(
        status_code=503,
        headers={"Retry-After": "60"},
        content={
            "success": False,
            "error": {
                "__type": "Service Unavailable",
                "message": "ファイルを一時的に読み出せません / the file cannot be read right now",
            },
        },
    )


def _not_found(request: Request, message: str) -> JSONResponse:
    """CKAN's Not Found envelope, so API clients read the error the usual way."""
    site = str(getattr(request.app.state.config, "site_url", "") or request.base_url).rstrip("/")
    return JSONResponse(
        status_code=404,
        content={
            "help": f"{site}/api/3/action/help_show?name=resource_show",
            "success": False,
            "error": {"__type": "Not Found Error", "message": f"Not found: {message}"},
        },
    )


# ---------------------------------------------------------------- lookups and counting


def _show_package(request: Request, ref: str) -> dict[str, Any] | None:
    """The dataset as package_show gives it to the caller (anonymous, or the
    owner of the request's token); None when it does not exist, is not an
    active dataset or the caller may not see it (private datasets stay hidden)."""
    token = auth.token_from_headers(request.headers)
    counted = request.app.state.token_guard.failure_hook(client_key(request.scope))
    try:
        package = request.app.state.catalog.run(
            "package_show", {"id": ref}, token=token, on_unknown_token=counted
        )
    except (NotAuthorized, NotFound):
        return None
    if package.get("state") != "active" or package.get("type") != "dataset":
        return None
    return package


def _stored_file(
    request: Request, resource_id: str, version: int | None
) -> storage.StoredFile | None:
    """The current (version None) or a numbered version of a resource's file."""
    if not _safe_id(resource_id):
        return None
    with request.app.state.catalog.sessions() as session:
        if version is None:
            return storage.current_file(session, resource_id)
        return storage.file_for_version(session, resource_id, version)


def _find_resource(request: Request, dataset_ref: str, resource_id: str) -> _Target | None:
    package = _show_package(request, dataset_ref)
    if package is None:
        return None
    resource = next((r for r in package["resources"] if r["id"] == resource_id), None)
    if resource is None:
        return None
    return _Target(package["id"], resource["id"], package["private"], resource)


def _known_filenames(resource: dict[str, Any], stored: storage.StoredFile) -> set[str]:
    names = {stored.filename}
    path = urlsplit(resource.get("url") or "").path
    if path:
        names.add(unquote(path.rsplit("/", 1)[-1]))
    return names


def _safe_id(resource_id: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9_-]{1,100}", resource_id))


def _is_http_url(value: str | None) -> bool:
    return bool(value) and str(value).startswith(("http://", "https://"))


def _count_download_task(request: Request, target: _Target) -> BackgroundTask:
    url = f"/dataset/{target.package_id}/resource/{target.resource_id}/download"
    return BackgroundTask(
        _record_download,
        request,
        target,
        url,
        request.client.host if request.client else None,
        request.headers.get("user-agent"),
    )


def _record_download(
    request: Request, target: _Target, url: str, client_ip: str | None, user_agent: str | None
) -> None:
    """Runs after the response is sent; a counting failure never breaks a download."""
    try:
        with request.app.state.catalog.session() as session:
            record_download(
                session,
                package_id=target.package_id,
                resource_id=target.resource_id,
                url=url,
                client_ip=client_ip,
                user_agent=user_agent,
            )
    except Exception:  # noqa: BLE001
        log.exception("could not record a download of resource %s", target.resource_id)


def _record_feed(
    request: Request, target: _Target, not_modified: bool, user_agent: str | None
) -> None:
    try:
        with request.app.state.catalog.session() as session:
            record_feed_fetch(
                session,
                package_id=target.package_id,
                user_agent=user_agent,
                not_modified=not_modified,
            )
            if not not_modified:
                # A feed fetch is also a download of the resource (tracking_summary).
                record_download(
                    session,
                    package_id=target.package_id,
                    resource_id=target.resource_id,
                    url=f"/dataset/{target.package_id}/resource/{target.resource_id}/download",
                    client_ip=request.client.host if request.client else None,
                    user_agent=user_agent,
                )
    except Exception:  # noqa: BLE001
        log.exception("could not record a GTFS feed fetch of dataset %s", target.package_id)
