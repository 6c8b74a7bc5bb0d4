"""Served files cannot run as pages: attachment, nosniff, a sandboxing CSP, and a
Content-Type from the server's allow-list (kokai.web.security), never from the
editor's mimetype field."""

from __future__ import annotations

import io
import uuid
import zipfile
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy import update

from kokai.catalog.db import session_scope
from kokai.catalog.models import Resource

SANDBOX = "default-src 'none'; sandbox"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def upload(catalog, filename: str, content: bytes, *, fmt: str, mimetype: str | None = None):
    """A new public dataset with one uploaded resource; returns (package, resource)."""
    if not catalog.client.post(
        "/api/3/action/organization_show", json={"id": "sample-city"}
    ).json()["success"]:
        catalog.ok("organization_create", {"name": "sample-city", "title": "サンプル市"})
    package = catalog.ok(
        "package_create",
        {"name": f"files-{uuid.uuid4().hex[:8]}", "title": "ファイル", "owner_org": "sample-city"},
    )
    fields = {"package_id": package["id"], "name": filename, "format": fmt}
    if mimetype:
        fields["mimetype"] = mimetype
    resource = catalog.ok(
        "resource_create",
        fields,
        files={"upload": (filename, content, mimetype or "application/octet-stream")},
    )
    return package, resource


def path_of(resource) -> str:
    return resource["url"].removeprefix("http://testserver")


def assert_inert(response: httpx.Response) -> None:
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-security-policy"] == SANDBOX
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("filename", "content", "fmt", "mimetype"),
    [
        ("x.html", HTML, "HTML", "text/html"),
        ("x.svg", SVG, "SVG", "image/svg+xml"),
        ("x.xhtml", HTML, "XHTML", "application/xhtml+xml"),
        ("x.html", HTML, "", "text/html"),
    ],
    ids=["html", "svg", "xhtml", "html-without-format"],
)
def test_html_and_svg_are_served_as_octet_stream_attachments(
    sqlite_catalog, filename, content, fmt, mimetype
):
    _, resource = upload(sqlite_catalog, filename, content, fmt=fmt, mimetype=mimetype)
    for method in ("GET", "HEAD"):
        response = sqlite_catalog.client.request(method, path_of(resource))
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/octet-stream"
        assert_inert(response)
    assert sqlite_catalog.client.get(path_of(resource)).content == content


@pytest.mark.parametrize(
    ("filename", "fmt", "mimetype", "expected"),
    [
        ("a.csv", "CSV", "text/html", "text/csv"),  # the stored mimetype is never used
        ("a.csv", "", None, "text/csv"),  # no format: the file's extension
        ("a.geojson", "GeoJSON", None, "application/geo+json"),
        ("a.json", "JSON", None, "application/json"),
        (
            "a.xlsx",
            "XLSX",
            None,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("a.pdf", "PDF", None, "application/pdf"),
        ("a.txt", "TXT", None, "text/plain"),
        ("a.xml", "XML", "application/xml", "application/octet-stream"),
        ("a.kml", "KML", None, "application/octet-stream"),
        ("a.bin", "weird/format", "text/html", "application/octet-stream"),
    ],
)
def test_content_type_comes_from_the_allow_list(sqlite_catalog, filename, fmt, mimetype, expected):
    _, resource = upload(sqlite_catalog, filename, b"1,2\n", fmt=fmt, mimetype=mimetype)
    response = sqlite_catalog.client.get(path_of(resource))
    assert response.status_code == 200
    assert response.headers["content-type"] == expected
    assert_inert(response)


def test_range_304_and_416_answers_are_inert_too(sqlite_catalog):
    _, resource = upload(sqlite_catalog, "a.html", HTML, fmt="HTML", mimetype="text/html")
    client, path = sqlite_catalog.client, path_of(resource)
    etag = client.get(path).headers["etag"]
    for headers, status in (
        ({"Range": "bytes=0-9"}, 206),
        ({"Range": "bytes=99999-"}, 416),
        ({"If-None-Match": etag}, 304),
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == status
        assert_inert(response)
        if status == 206:
            assert response.headers["content-type"] == "application/octet-stream"


def test_japanese_file_name_in_rfc_5987_form(sqlite_catalog):
    name = "避難所 一覧(2026年).csv"
    _, resource = upload(sqlite_catalog, name, "番号,名称\n".encode(), fmt="CSV")
    response = sqlite_catalog.client.get(path_of(resource))
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=\"download.csv\"; filename*=UTF-8''")
    assert unquote(disposition.split("UTF-8''", 1)[1]) == name
    assert disposition.isascii()


def test_content_disposition_never_carries_quotes_or_control_characters():
    from kokai.web.security import content_disposition, content_type_for

    value = content_disposition('a"b\r\nSet-Cookie: x=1\\..\\名前.csv')
    assert "\r" not in value and "\n" not in value
    assert value.startswith('attachment; filename="download.csv"')
    assert content_disposition('report "final".csv').startswith(
        "attachment; filename=\"report final.csv\"; filename*=UTF-8''report%20final.csv"
    )
    assert content_disposition("").startswith('attachment; filename="download"')
    assert content_type_for(None, None) == "application/octet-stream"
    assert content_type_for(" .CSV ", None) == "text/csv"


def test_stored_crlf_in_mimetype_and_format_cannot_break_the_response(sqlite_catalog):
    """Fields written before validation existed (or by hand) are never header material."""
    _, resource = upload(sqlite_catalog, "a.csv", b"1,2\n", fmt="CSV")
    with session_scope(sqlite_catalog.config) as session:
        session.execute(
            update(Resource)
            .where(Resource.id == resource["id"])
            .values(
                mimetype="text/html\r\nSet-Cookie: stolen=1",
                format="CSV\r\nX-Injected: 1",
            )
        )
    response = sqlite_catalog.client.get(path_of(resource))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv"
    assert "set-cookie" not in response.headers
    assert "x-injected" not in response.headers
    assert_inert(response)


def test_stored_crlf_in_a_link_url_stays_inside_the_location(sqlite_catalog):
    sqlite_catalog.ok("organization_create", {"name": "sample-city"})
    package = sqlite_catalog.ok(
        "package_create",
        {
            "name": "link",
            "owner_org": "sample-city",
            "resources": [{"url": "https://example.jp/a.csv"}],
        },
    )
    resource_id = package["resources"][0]["id"]
    with session_scope(sqlite_catalog.config) as session:
        session.execute(
            update(Resource)
            .where(Resource.id == resource_id)
            .values(url="https://example.jp/a.csv\r\nSet-Cookie: stolen=1")
        )
    response = sqlite_catalog.client.get(
        f"/dataset/link/resource/{resource_id}/download/a.csv", follow_redirects=False
    )
    assert response.status_code == 302
    assert "set-cookie" not in response.headers
    assert "\r" not in response.headers["location"] and "\n" not in response.headers["location"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_stored_crlf_mimetype_over_real_http(live_server):
    """Under uvicorn (h11) a CR/LF header value used to be a 500."""
    auth = {"Authorization": live_server.token}
    with httpx.Client(base_url=live_server.url, headers=auth) as client:
        client.post("/api/3/action/organization_create", json={"name": "sample-city"})
        package = client.post(
            "/api/3/action/package_create",
            json={"name": "crlf", "owner_org": "sample-city"},
        ).json()["result"]
        resource = client.post(
            "/api/3/action/resource_create",
            data={"package_id": package["id"], "format": "CSV"},
            files={"upload": ("a.csv", b"1,2\n", "text/csv")},
        ).json()["result"]
        with session_scope(live_server.config) as session:
            session.execute(
                update(Resource)
                .where(Resource.id == resource["id"])
                .values(mimetype="text/csv\r\nSet-Cookie: stolen=1")
            )
        response = client.get(resource["url"])
    assert response.status_code == 200
    assert response.content == b"1,2\n"
    assert "set-cookie" not in response.headers
    assert response.headers["content-type"] == "text/csv"


def gtfs_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("agency.txt", "agency_id,agency_name\n1,テスト市バス\n")
    return buffer.getvalue()


def test_gtfs_feed_urls_are_inert_zip_attachments(sqlite_catalog):
    package, _ = upload(
        sqlite_catalog, "バス時刻表.zip", gtfs_zip(), fmt="GTFS", mimetype="text/html"
    )
    for path in (f"/gtfs/{package['name']}/feed.zip", f"/gtfs/{package['name']}/1.zip"):
        for method in ("GET", "HEAD"):
            response = sqlite_catalog.client.request(method, path)
            assert response.status_code == 200, path
            assert response.headers["content-type"] == "application/zip"
            assert_inert(response)
            disposition = response.headers["content-disposition"]
            assert unquote(disposition.split("UTF-8''", 1)[1]) == "バス時刻表.zip"
