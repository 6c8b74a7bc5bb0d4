"""The catalog's HTTP layer (FastAPI): decodes requests, dispatches CKAN
actions by name and wraps results in CKAN's envelope. It holds no catalog
logic: that lives in `actions/`.

`create_app(config)` also mounts the download/GTFS routes
(`kokai.web.downloads.router`) and the DCAT routes
(`kokai.web.dcat_routes.router`).
`app.state.catalog` (the `LocalCatalog`: sessions, action contexts, package
cache), `app.state.config` and `app.state.engine` are what those routers may
read from `request.app.state`.

Read actions run in the event loop (they are short SQL reads of cached
data); write actions run in the thread pool. GETs of read actions take a
lean path (`FastReadPath`) that skips Starlette's request and routing layers;
the FastAPI routes document the same paths in the OpenAPI document.
"""

from __future__ import annotations

import json
import logging
import pathlib
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Path, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.routing import Route
from starlette.staticfiles import StaticFiles

from kokai.catalog import auth
from kokai.catalog.actions import (
    NotAuthorized,
    NotFound,
    SearchError,
    SearchQueryError,
    ValidationError,
    action_names,
    has_action,
    is_side_effect_free,
)
from kokai.catalog.blobs import BlobStoreError
from kokai.catalog.client import LocalCatalog
from kokai.catalog.dictize import dumps
from kokai.config import Config
from kokai.web import dcat_routes, downloads, request_data
from kokai.web.request_data import InputError
from kokai.web.security import NOSNIFF, SecurityHeaders
from kokai.web.staff import mount_staff
from kokai.web.token_guard import TokenGuard, client_key, too_many_body

log = logging.getLogger("kokai.catalog")

JSON_BODY_LIMIT = 10 * 1024 * 1024  # 10 MB of JSON or form data
UPLOAD_LIMIT = 1024 * 1024 * 1024  # 1 GB per multipart request (resource files)
JSON_TYPE = "application/json;charset=utf-8"
ERROR_STATUS = {
    NotFound: (404, "Not Found Error"),
    NotAuthorized: (403, "Authorization Error"),
    ValidationError: (409, "Validation Error"),
    SearchQueryError: (400, "Search Query Error"),
    SearchError: (409, "Search Error"),
}


class BadRequest(Exception):
    """Answered as CKAN does: HTTP 400 with a bare JSON string."""


def bad_request(message: str) -> Response:
    return Response(dumps(f"Bad request: {message}"), status_code=400, media_type=JSON_TYPE)


def error_dict(exc: Exception) -> tuple[int, dict]:
    for cls, (status, kind) in ERROR_STATUS.items():
        if isinstance(exc, cls):
            if isinstance(exc, ValidationError):
                return status, {**exc.errors, "__type": kind}
            message = getattr(exc, "message", "") or ""
            if isinstance(exc, NotFound):
                message = f"Not found: {message}" if message else "Not found"
            elif isinstance(exc, NotAuthorized):
                message = f"Access denied: {message}" if message else "Access denied"
            return status, {"__type": kind, "message": message}
    if isinstance(exc, BlobStoreError):  # the details (bucket, endpoint) go to the log only
        return 503, {
            "__type": "Service Unavailable",
            "message": "ファイルの保存先が使えません / the file storage is unavailable",
        }
    return 500, {"__type": "Internal Server Error", "message": "Internal Server Error"}


def _multi_dict(items) -> dict[str, Any]:
    """Query/form pairs as a dict: a repeated key becomes a list (CKAN)."""
    out: dict[str, Any] = {}
    for key, value in items:
        if key in out:
            if not isinstance(out[key], list):
                out[key] = [out[key]]
            out[key].append(value)
        else:
            out[key] = value
    return out


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request_data.declared_length(request.headers.get("content-length"))
    if declared is not None and declared > limit:
        raise BadRequest(f"Request body too large (limit {limit // (1024 * 1024)} MB)")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequest(f"Request body too large (limit {limit // (1024 * 1024)} MB)")
        chunks.append(chunk)
    return b"".join(chunks)


async def decode_request(request: Request) -> dict:
    """The data dict of a request as CKAN builds it (query string, JSON, form, multipart);
    strictly decoded (`kokai.web.request_data`): malformed input is a BadRequest."""
    try:
        return await _decode_request(request)
    except InputError as exc:
        raise BadRequest(str(exc)) from exc


async def _decode_request(request: Request) -> dict:
    if request.method == "GET":
        query = request.scope["query_string"].decode("latin-1")
        data = _multi_dict(request_data.parse_pairs(query))
        data.pop("callback", None)
        data.pop("_", None)
        return data
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        declared = request_data.declared_length(request.headers.get("content-length"))
        if declared is None:  # the size limit needs a declared length
            raise BadRequest("Content-Length is required for multipart/form-data uploads")
        if declared > UPLOAD_LIMIT:
            raise BadRequest(f"Request body too large (limit {UPLOAD_LIMIT // (1024 * 1024)} MB)")
        try:
            form = await request.form(max_files=10, max_fields=1000)
        except Exception as exc:  # malformed multipart
            raise BadRequest(f"Invalid multipart data: {exc}") from exc
        data = _multi_dict(form.multi_items())
        for key, value in list(data.items()):
            if isinstance(value, str) and value[:1] in "[{":
                try:  # ckanapi str-encodes nested values of a multipart call
                    data[key] = request_data.loads(value)
                except ValueError:
                    pass
        request_data.check(data)  # keys and values, e.g. from a multipart charset=utf-7
        request_data.check([v.filename for _, v in form.multi_items() if isinstance(v, UploadFile)])
        return data
    body = await _read_body(request, JSON_BODY_LIMIT)
    if content_type == "application/x-www-form-urlencoded":
        pairs = request_data.decode_form(body)
        if len(pairs) == 1 and pairs[0][1] == "" and pairs[0][0][:1] == "{":
            body = pairs[0][0].encode("utf-8")  # legacy: the whole body is one JSON key
        else:
            return _multi_dict(pairs)
    if not body.strip():
        return {}
    data = request_data.loads(body)
    if not isinstance(data, dict):
        raise BadRequest(
            f"JSON Error: Request data JSON decoded to {json.dumps(data)[:100]} "
            "but a dictionary was required"
        )
    return data


def help_url(request: Request, name: str) -> str:
    """Absolute and always /api/3, as CKAN writes it (from the Host the client used)."""
    host = request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
    root = request.scope.get("root_path", "")
    return f"{request.url.scheme}://{host}{root}/api/3/action/help_show?name={name}"


def execute(
    catalog: LocalCatalog,
    name: str,
    data: dict,
    token: str | None,
    help_text: bytes,
    on_unknown_token: Callable[[], None] | None = None,
) -> tuple[int, bytes]:
    """Run an action and wrap it in CKAN's envelope: (HTTP status, body)."""
    try:
        result = catalog.run(name, data, token=token, on_unknown_token=on_unknown_token)
    except Exception as exc:
        status, error = error_dict(exc)
        if status >= 500:
            log.exception("action %s failed", name)
        return status, b'{"help": ' + help_text + b', "success": false, "error": ' + dumps(
            error
        ) + b"}"
    return 200, b'{"help": ' + help_text + b', "success": true, "result": ' + catalog.encode(
        result
    ) + b"}"


async def dispatch(request: Request, name: str) -> Response:
    catalog: LocalCatalog = request.app.state.catalog
    if not has_action(name):
        return bad_request(f"Action name not known: {name}")
    read_only = is_side_effect_free(name)
    if request.method == "GET" and not read_only:
        return bad_request("JSON Error: Invalid request. Please use POST method for your request")
    callback = request.query_params.get("callback") if request.method == "GET" else None
    token = None if callback else auth.token_from_headers(request.headers)
    help_text = dumps(help_url(request, name))
    # Before the body is read: a blocked client's upload is not even received.
    guard: TokenGuard = request.app.state.token_guard
    client = client_key(request.scope)
    wait = guard.retry_after(client) if token is not None else 0
    if wait:
        return Response(
            too_many_body(help_text, wait),
            status_code=429,
            headers={"Retry-After": str(wait)},
            media_type=JSON_TYPE,
        )
    try:
        data = await decode_request(request)
    except BadRequest as exc:
        return bad_request(str(exc))
    uploads = [v for v in data.values() if isinstance(v, UploadFile)]
    try:
        call = (catalog, name, data, token, help_text, guard.failure_hook(client))
        if read_only and not uploads:
            status, body = execute(*call)
        else:
            status, body = await run_in_threadpool(execute, *call)
    finally:
        for upload in uploads:
            await upload.close()
    if callback and status == 200:
        if not callback.replace("_", "").replace(".", "").isalnum():
            return bad_request("Invalid callback name")
        return Response(
            callback.encode() + b"(" + body + b");", media_type="application/javascript"
        )
    return Response(body, status_code=status, media_type=JSON_TYPE)


class FastReadPath:
    """The hot path: a GET of a read action is answered here, in front of the
    whole FastAPI stack, without building a Starlette request or routing;
    everything else (POST, JSONP, unknown or write actions, other routes,
    bad input) is left to the app (`answered` is False)."""

    PREFIXES = ("/api/3/action/", "/api/action/")

    def __init__(self, catalog: LocalCatalog, guard: TokenGuard):
        self.catalog = catalog
        self.guard = guard

    async def answered(self, scope, send) -> bool:
        if scope["type"] != "http" or scope["method"] != "GET":
            return False
        path: str = scope["path"]
        for prefix in self.PREFIXES:
            if path.startswith(prefix):
                name = path[len(prefix) :]
                if not (has_action(name) and is_side_effect_free(name)):
                    return False
                query = scope["query_string"].decode("latin-1")
                try:
                    data = _multi_dict(request_data.parse_pairs(query))
                except InputError:  # the app answers it (400)
                    return False
                if "callback" in data:
                    return False
                await self.answer(scope, send, name, data)
                return True
        return False

    async def answer(self, scope, send, name: str, data: dict) -> None:
        data.pop("_", None)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        server = scope.get("server") or ("127.0.0.1", 80)
        host = headers.get("host") or f"{server[0]}:{server[1]}"
        root = scope.get("root_path", "")
        help_text = dumps(
            f"{scope.get('scheme', 'http')}://{host}{root}/api/3/action/help_show?name={name}"
        )
        token = auth.token_from_headers(headers)
        wait = hook = None
        if token is not None:  # anonymous calls (the hot path) skip the guard
            client = client_key(scope)
            wait, hook = self.guard.retry_after(client), self.guard.failure_hook(client)
        if wait:
            status, body = 429, too_many_body(help_text, wait)
            extra = [(b"retry-after", str(wait).encode())]
        else:
            status, body = execute(self.catalog, name, data, token, help_text, hook)
            extra = []
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", JSON_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                    NOSNIFF,
                    *extra,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class KokaiApp(FastAPI):
    """FastAPI with the fast read path in front of everything, and
    `SecurityHeaders` around the rest of the stack (Starlette's error
    middleware included), so that every response says ``nosniff``."""

    fast_read: FastReadPath | None = None

    def build_middleware_stack(self):
        return SecurityHeaders(super().build_middleware_stack())

    async def __call__(self, scope, receive, send) -> None:
        if self.fast_read is not None and await self.fast_read.answered(scope, send):
            return
        await super().__call__(scope, receive, send)


def create_app(config: Config) -> FastAPI:
    """The catalog application for `config` (database migrated on first use)."""
    catalog = LocalCatalog(config)
    try:
        catalog.sweep_storage()  # blobs of uploads a killed process left uncommitted
    except BlobStoreError as exc:  # the API still serves the catalog; downloads answer 503
        log.warning("storage garbage collection skipped: %s", exc)
    engine = catalog.engine
    app = KokaiApp(
        title="kokai catalog",
        description="CKAN Action API v3 compatible catalog of a Japanese city's open data.",
        version="0.1.0",
    )
    app.state.config = config
    app.state.engine = engine
    app.state.catalog = catalog
    app.state.package_cache = catalog.cache
    app.state.token_guard = TokenGuard()
    app.fast_read = FastReadPath(catalog, app.state.token_guard)
    names = action_names()
    action_doc = "CKAN action: " + ", ".join(names)
    name_param = Path(description=action_doc, json_schema_extra={"enum": names})

    async def action_endpoint(request: Request, name: str = name_param) -> Response:
        return await dispatch(request, name)

    routes = [
        ("/api/3/action/{name}", "CKAN Action API v3"),
        ("/api/action/{name}", "CKAN Action API (unversioned, as ckanapi calls it)"),
    ]
    for path, summary in routes:
        for method in ("GET", "POST"):
            app.add_api_route(
                path,
                action_endpoint,
                methods=[method],
                summary=f"{summary} ({method})",
                description=(
                    "GET for side-effect-free actions, POST for all; CKAN's envelope "
                    "{help, success, result|error}. " + action_doc
                ),
                operation_id=f"action_{method.lower()}_{'v3' if '/3/' in path else 'unversioned'}",
                tags=["CKAN Action API"],
            )

    # The documented routes above go through FastAPI's parameter handling; the
    # same paths are served first by plain Starlette routes, which skip it
    # (the action layer decodes the request itself) on the hot path.
    async def fast_action_endpoint(request: Request) -> Response:
        return await dispatch(request, request.path_params["name"])

    for position, (path, _) in enumerate(routes):
        app.router.routes.insert(
            position,
            Route(path, fast_action_endpoint, methods=["GET", "POST"], include_in_schema=False),
        )

    @app.get("/api", summary="API version", tags=["CKAN Action API"])
    @app.get("/api/3", summary="API version", tags=["CKAN Action API"])
    async def api_version() -> dict:
        return {"version": 3}

    @app.get(
        "/api/util/status", summary="Site status (udata's CKAN backend)", tags=["CKAN Action API"]
    )
    async def util_status() -> JSONResponse:
        from kokai.catalog.actions.get import CKAN_VERSION

        return JSONResponse(
            {
                "ckan_version": CKAN_VERSION,
                "site_url": config.site_url,
                "site_title": config.city_name or "kokai",
                "site_description": "",
                "locale_default": "ja",
                "extensions": ["kokai", "showcase", "tracking", "dcat"],
            }
        )

    app.include_router(downloads.router)
    app.include_router(dcat_routes.router)
    mount_staff(app, config)
    mount_site(app, config.site_dir)
    return app


def mount_site(app: FastAPI, site_dir: pathlib.Path) -> None:
    """Serve the built static site (`kokai site build`) at / for the demo, after
    every API route so that none of them is shadowed. Production serves _site/
    from any web server or CDN instead."""
    if site_dir.is_dir():
        app.mount("/", StaticFiles(directory=site_dir, html=True), name="site")


def create_default_app() -> FastAPI:
    """The app for the kokai.toml found from the working directory, for
    `uvicorn --factory kokai.web.app:create_default_app --workers N`."""
    from kokai.config import load_config

    return create_app(load_config())
