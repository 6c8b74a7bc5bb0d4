"""Every response of the web app says X-Content-Type-Options: nosniff: API JSON
(the FastReadPath and the routed path), CKAN errors, Starlette's 404/405, an
unhandled 500, DCAT, the OpenAPI docs, downloads and redirects."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

RESOURCE_URL = "https://example.jp/shelters.csv"


@pytest.fixture
def site(sqlite_catalog):
    catalog = sqlite_catalog
    catalog.ok("organization_create", {"name": "sample-city", "title": "サンプル市"})
    package = catalog.ok(
        "package_create",
        {
            "name": "shelters",
            "owner_org": "sample-city",
            "resources": [{"url": RESOURCE_URL, "format": "CSV", "name": "避難所"}],
        },
    )
    uploaded = catalog.ok(
        "resource_create",
        {"package_id": package["id"], "format": "CSV"},
        files={"upload": ("a.csv", b"1,2\n", "text/csv")},
    )
    return catalog, package, uploaded


def requests(package, uploaded):
    link = package["resources"][0]["id"]
    download = uploaded["url"].removeprefix("http://testserver")
    return [
        ("GET", "/api/3/action/package_list", {}, 200),  # FastReadPath
        ("GET", "/api/3/action/package_show?id=nope", {}, 404),  # FastReadPath error
        ("GET", "/api/3/action/package_list?callback=cb", {}, 200),  # JSONP (routed)
        ("POST", "/api/3/action/package_search", {"json": {"q": "避難"}}, 200),
        ("POST", "/api/3/action/package_create", {"json": {"name": "x"}}, 403),
        ("POST", "/api/3/action/package_search", {"content": b"{oops"}, 400),
        ("GET", "/api/3/action/no_such_action", {}, 400),
        ("GET", "/api/3", {}, 200),
        ("GET", "/api/util/status", {}, 200),
        ("GET", "/catalog.jsonld", {}, 200),
        ("GET", "/catalog.ttl?page=0", {}, 409),
        ("GET", "/dataset/shelters.rdf", {}, 200),
        ("GET", "/dataset/nope.rdf", {}, 404),
        ("GET", "/docs", {}, 200),
        ("GET", "/openapi.json", {}, 200),
        ("GET", "/no/such/page", {}, 404),
        ("DELETE", "/api/3/action/package_list", {}, 405),
        ("GET", download, {}, 200),
        ("HEAD", download, {}, 200),
        ("GET", f"/dataset/shelters/resource/{link}/download/shelters.csv", {}, 302),
        ("GET", "/gtfs/shelters/feed.zip", {}, 404),
    ]


def test_every_response_says_nosniff(site):
    catalog, package, uploaded = site
    for method, path, kwargs, status in requests(package, uploaded):
        response = catalog.client.request(method, path, follow_redirects=False, **kwargs)
        assert response.status_code == status, (method, path, response.text[:200])
        assert response.headers.get("x-content-type-options") == "nosniff", (method, path)
        assert response.headers.get_list("x-content-type-options") == ["nosniff"]


def test_an_unhandled_500_says_nosniff(sqlite_catalog):
    app = sqlite_catalog.client.app

    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom-for-test")
    assert response.status_code == 500
    assert response.headers.get("x-content-type-options") == "nosniff"


def test_nosniff_over_real_http(live_server):
    import httpx

    with httpx.Client(base_url=live_server.url) as client:
        for path in ("/api/3/action/package_list", "/api/3/action/nope", "/catalog.jsonld"):
            assert client.get(path).headers.get("x-content-type-options") == "nosniff"
