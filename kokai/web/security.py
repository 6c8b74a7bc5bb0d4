"""Response headers that keep served bytes from running as pages.

- `SecurityHeaders`: a pure-ASGI middleware that adds ``X-Content-Type-Options:
  nosniff`` to every HTTP response (API JSON, errors, DCAT, docs, downloads,
  redirects, the FastReadPath answers). `create_app` wraps the whole stack with
  it, outside Starlette's error middleware, so unhandled 500s carry it too.
- `content_type_for(format, filename)`: the Content-Type of a served file comes
  from the server-side allow-list `CONTENT_TYPES`, looked up by the resource's
  format, then by the file's extension; never from the editor's ``mimetype``.
  Anything else, HTML, XHTML and SVG included, is ``application/octet-stream``.
  XML and its dialects (RDF, KML, GML) are left out on purpose: a browser
  renders any ``*/xml`` or ``*+xml`` type as a document, and an XML document
  can carry XHTML or SVG with scripts; data clients read those files by their
  name or their format field, not by the Content-Type of a download.
- `file_headers(filename)`: ``Content-Disposition: attachment`` with an ASCII
  fallback and the RFC 5987 UTF-8 name (Japanese file names), and a CSP that
  sandboxes the file if it is ever opened in a browser anyway.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

NOSNIFF = (b"x-content-type-options", b"nosniff")
FILE_CSP = "default-src 'none'; sandbox"
OCTET_STREAM = "application/octet-stream"

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

# format word or file extension (lower case, no dot) → Content-Type
CONTENT_TYPES: dict[str, str] = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "txt": "text/plain",
    "text": "text/plain",
    "json": "application/json",
    "geojson": "application/geo+json",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
    "zip": "application/zip",
    "gtfs": "application/zip",
    "gtfs-jp": "application/zip",
    "gtfs_jp": "application/zip",
    "gtfsjp": "application/zip",
    "xlsx": _XLSX,
    "xls": "application/vnd.ms-excel",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "docx": _DOCX,
    "doc": "application/msword",
    "odt": "application/vnd.oasis.opendocument.text",
    "pptx": _PPTX,
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
}


class SecurityHeaders:
    """Adds ``X-Content-Type-Options: nosniff`` to every HTTP response start
    (unless the app set it already). One closure per request, no Starlette objects."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if not any(key == NOSNIFF[0] for key, _ in headers):  # ASGI names are lower case
                    headers.append(NOSNIFF)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def content_type_for(file_format: str | None, filename: str | None) -> str:
    """The allow-listed Content-Type of a served file, by format, then by extension."""
    extension = filename.rpartition(".")[2] if filename and "." in filename else ""
    for word in (file_format, extension):
        key = (word or "").strip().lower().lstrip(".")
        if key in CONTENT_TYPES:
            return CONTENT_TYPES[key]
    return OCTET_STREAM


def clean_filename(name: str | None, default: str = "download") -> str:
    """A file name fit for a header: NFC, its last path component, without
    control or other non-printable characters and without quotes."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"').strip(" .")
    return name[:200] or default


def content_disposition(filename: str | None) -> str:
    """``attachment`` with an ASCII ``filename`` and the UTF-8 ``filename*`` (RFC 6266/5987)."""
    name = clean_filename(filename)
    if name.isascii():
        fallback = name
    else:
        stem, dot, ext = name.rpartition(".")
        keep_ext = dot and stem and ext.isascii() and ext.isalnum() and len(ext) <= 10
        fallback = "download" + (f".{ext}" if keep_ext else "")
    encoded = quote(name, safe="!#$&+^`|~")  # RFC 5987 attr-char; the rest %-encoded
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def file_headers(filename: str | None) -> dict[str, str]:
    """The headers every served file carries, whatever the status (200, 206, 304, 416)."""
    return {
        "Content-Disposition": content_disposition(filename),
        "Content-Security-Policy": FILE_CSP,
        "X-Content-Type-Options": "nosniff",
    }
