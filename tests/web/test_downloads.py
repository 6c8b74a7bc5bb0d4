"""/dataset/<id>/resource/<rid>/download/<filename>: streaming, Range, HEAD, counting."""

from __future__ import annotations

import hashlib
import uuid
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import inspect, text

from tests.conftest import app_catalog, make_config

CLIENT_IP = "203.0.113.58"
CONTENT = (
    "番号,名称,住所\n" + "".join(f"{n},避難所{n},市内{n}丁目\n" for n in range(400))
).encode()
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"


# conftest's module-wide `server`, seen from a fixed client address, redirects not followed.
SERVER_OPTIONS = {"client": (CLIENT_IP, 40000), "follow_redirects": False}


@pytest.fixture()
def catalog(server):
    """A fresh public and a fresh private dataset, each with an uploaded CSV."""
    call = server["call"]
    suffix = uuid.uuid4().hex[:8]
    datasets = {}
    for key, private in (("hinanjo", False), ("internal", True)):
        package = call(
            "package_create",
            json={
                "name": f"{key}-{suffix}",
                "title": f"{key} データ",
                "owner_org": server["org"]["id"],
                "private": private,
            },
        )
        resource = call(
            "resource_create",
            data={"package_id": package["id"], "name": "一覧", "format": "CSV"},
            files={"upload": ("hinanjo.csv", CONTENT, "text/csv")},
        )
        datasets[key] = {"package": package, "resource": resource}
    return server["client"], {**server, "datasets": datasets}


def download_path(info, name="hinanjo") -> str:
    resource = info["datasets"][name]["resource"]
    return resource["url"].removeprefix("http://testserver")


def summary(client, info, name="hinanjo", headers=None):
    package_id = info["datasets"][name]["package"]["id"]
    response = client.get("/api/3/action/package_show", params={"id": package_id}, headers=headers)
    result = response.json()["result"]
    return result["tracking_summary"], result["resources"][0]["tracking_summary"]


def test_upload_url_streams_the_stored_file_with_validators(catalog):
    client, info = catalog
    path = download_path(info)
    assert path.endswith("/download/hinanjo.csv")
    response = client.get(path, headers={"User-Agent": BROWSER})
    assert response.status_code == 200
    assert response.content == CONTENT
    assert response.headers["content-length"] == str(len(CONTENT))
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["etag"] == f'"{hashlib.sha256(CONTENT).hexdigest()}"'
    assert parsedate_to_datetime(response.headers["last-modified"]).year >= 2026


def test_head_has_the_same_headers_and_no_body(catalog):
    client, info = catalog
    path = download_path(info)
    get = client.get(path)
    head = client.head(path)
    assert head.status_code == 200
    assert head.content == b""
    for header in ("content-length", "content-type", "etag", "last-modified", "accept-ranges"):
        assert head.headers[header] == get.headers[header]


@pytest.mark.parametrize(
    ("range_header", "start", "end"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=100-", 100, None),
        ("bytes=-20", None, None),
        ("bytes=5-999999", 5, None),
    ],
)
def test_single_range_is_206(catalog, range_header, start, end):
    client, info = catalog
    response = client.get(download_path(info), headers={"Range": range_header})
    size = len(CONTENT)
    if start is None:  # suffix range: the last 20 bytes
        start, expected = size - 20, CONTENT[-20:]
    else:
        expected = CONTENT[start : (end + 1 if end is not None else None)]
    assert response.status_code == 206
    assert response.content == expected
    last = start + len(expected) - 1
    assert response.headers["content-range"] == f"bytes {start}-{last}/{size}"
    assert response.headers["content-length"] == str(len(expected))


def test_unsatisfiable_range_is_416_and_multi_range_gets_the_whole_file(catalog):
    client, info = catalog
    size = len(CONTENT)
    response = client.get(download_path(info), headers={"Range": f"bytes={size}-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{size}"
    whole = client.get(download_path(info), headers={"Range": "bytes=0-1,5-6"})
    assert whole.status_code == 200 and whole.content == CONTENT


def test_if_range_with_an_old_etag_gets_the_whole_file(catalog):
    client, info = catalog
    response = client.get(
        download_path(info), headers={"Range": "bytes=0-9", "If-Range": '"stale"'}
    )
    assert response.status_code == 200
    assert response.content == CONTENT


def test_one_count_per_client_per_day_and_api_clients_count(catalog):
    client, info = catalog
    path = download_path(info)
    assert summary(client, info) == ({"total": 0, "recent": 0}, {"total": 0, "recent": 0})
    client.get(path, headers={"User-Agent": BROWSER})
    client.get(path, headers={"User-Agent": BROWSER})
    assert summary(client, info) == ({"total": 1, "recent": 1}, {"total": 1, "recent": 1})
    client.get(path, headers={"User-Agent": "curl/8.5.0"})  # command line clients count
    package, resource = summary(client, info)
    assert package == {"total": 2, "recent": 2}
    assert resource == {"total": 2, "recent": 2}
    shown = client.get(
        "/api/3/action/resource_show", params={"id": info["datasets"]["hinanjo"]["resource"]["id"]}
    ).json()["result"]
    assert shown["tracking_summary"] == {"total": 2, "recent": 2}


def test_head_304_416_and_continued_ranges_are_not_downloads(catalog):
    client, info = catalog
    path = download_path(info)
    etag = client.head(path).headers["etag"]
    client.get(path, headers={"User-Agent": "a", "If-None-Match": etag})
    client.get(path, headers={"User-Agent": "b", "Range": "bytes=100-"})  # a resumed download
    client.get(path, headers={"User-Agent": "c", "Range": f"bytes={len(CONTENT)}-"})
    assert client.get(path, headers={"User-Agent": "a", "If-None-Match": etag}).status_code == 304
    assert summary(client, info)[0] == {"total": 0, "recent": 0}
    client.get(path, headers={"User-Agent": "d", "Range": "bytes=0-99"})  # a download's start
    assert summary(client, info)[0] == {"total": 1, "recent": 1}


def test_no_client_address_in_the_database(catalog):
    client, info = catalog
    for agent in (BROWSER, "curl/8.5.0", "ckanapi/4.11 (+https://github.com/ckan/ckanapi)"):
        assert client.get(download_path(info), headers={"User-Agent": agent}).status_code == 200
    assert summary(client, info)[0]["total"] == 3
    engine = info["app"].state.engine
    rows = []
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                rows.append(" ".join(str(value) for value in row))
    dump = "\n".join(rows)
    assert "hinanjo" in dump  # the dump does contain the catalog
    assert CLIENT_IP not in dump
    assert CLIENT_IP.replace(".", "") not in dump


def test_unknown_ids_and_wrong_filename_are_ckan_style_404(catalog):
    client, info = catalog
    dataset = info["datasets"]["hinanjo"]
    package_id, resource_id = dataset["package"]["id"], dataset["resource"]["id"]
    other_resource = info["datasets"]["internal"]["resource"]["id"]
    for path in (
        f"/dataset/{package_id}/resource/{resource_id}/download/other.csv",
        f"/dataset/no-such-dataset/resource/{resource_id}/download/hinanjo.csv",
        f"/dataset/{package_id}/resource/no-such-resource/download/hinanjo.csv",
        f"/dataset/{package_id}/resource/{other_resource}/download/hinanjo.csv",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        body = response.json()
        assert body["success"] is False
        assert body["error"]["__type"] == "Not Found Error"
    # by name works as well as by id
    name = dataset["package"]["name"]
    by_name = f"/dataset/{name}/resource/{resource_id}/download/hinanjo.csv"
    assert client.get(by_name).content == CONTENT


def test_private_dataset_needs_a_member_token(catalog):
    client, info = catalog
    path = download_path(info, "internal")
    assert client.get(path).status_code == 404
    response = client.get(path, headers={"Authorization": info["token"]})
    assert response.status_code == 200
    assert response.content == CONTENT
    assert "no-store" in response.headers["cache-control"]


def test_link_resource_redirects_and_counts(catalog):
    client, info = catalog
    package = info["datasets"]["hinanjo"]["package"]
    link = info["call"](
        "resource_create",
        json={"package_id": package["id"], "name": "地図", "url": "https://example.jp/map.html"},
    )
    path = f"/dataset/{package['id']}/resource/{link['id']}/download/map.html"
    response = client.get(path, headers={"User-Agent": BROWSER})
    assert response.status_code == 302
    assert response.headers["location"] == "https://example.jp/map.html"
    shown = client.get("/api/3/action/resource_show", params={"id": link["id"]}).json()["result"]
    assert shown["tracking_summary"] == {"total": 1, "recent": 1}


def test_download_counting_on_each_backend(tmp_path, database_url):
    """The whole path (upload, download, count, package_show) on SQLite and PostgreSQL."""
    config = make_config(tmp_path, database_url)
    with app_catalog(config, client=(CLIENT_IP, 40000)) as catalog:
        client, headers = catalog.client, {"Authorization": catalog.sysadmin_token}
        client.post("/api/3/action/organization_create", json={"name": "org"}, headers=headers)
        package = client.post(
            "/api/3/action/package_create", json={"name": "ds", "owner_org": "org"}, headers=headers
        ).json()["result"]
        resource = client.post(
            "/api/3/action/resource_create",
            data={"package_id": package["id"]},
            files={"upload": ("data.csv", CONTENT, "text/csv")},
            headers=headers,
        ).json()["result"]
        path = resource["url"].removeprefix("http://testserver")
        for agent in (BROWSER, BROWSER, "curl/8.5.0"):
            assert client.get(path, headers={"User-Agent": agent}).content == CONTENT
        shown = client.get("/api/3/action/package_show", params={"id": "ds"}).json()["result"]
    assert shown["tracking_summary"] == {"total": 2, "recent": 2}
    assert shown["resources"][0]["tracking_summary"] == {"total": 2, "recent": 2}
