"""The HTTP layer: OpenAPI lists every route; bad requests get CKAN's answers."""

from __future__ import annotations

import json

from fastapi.routing import APIRoute

from kokai.catalog.actions import action_names


def test_openapi_lists_every_route_and_action(sqlite_catalog):
    app = sqlite_catalog.client.app
    document = sqlite_catalog.client.get("/openapi.json").json()
    paths = document["paths"]
    for route in app.routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            assert route.path in paths, route.path
    parameters = paths["/api/3/action/{name}"]["post"]["parameters"]
    enum = next(p for p in parameters if p["name"] == "name")["schema"]["enum"]
    required = {
        "site_read", "status_show", "package_list", "current_package_list_with_resources",
        "package_show", "package_search", "resource_show", "organization_list",
        "organization_show", "group_list", "group_show", "tag_list", "license_list",
        "help_show", "package_create", "package_update", "package_patch", "package_delete",
        "resource_create", "resource_update", "resource_delete", "organization_create",
        "organization_member_create", "ckanext_showcase_create", "ckanext_showcase_show",
        "ckanext_showcase_list", "ckanext_showcase_package_association_create",
        "ckanext_showcase_package_list", "ckanext_package_showcase_list",
    }  # fmt: skip
    assert required <= set(enum) == set(action_names())
    assert "/api/action/{name}" in paths


def test_get_on_a_write_action_and_unknown_action(sqlite_catalog):
    client = sqlite_catalog.client
    response = client.get("/api/3/action/package_create")
    assert response.status_code == 400
    assert response.json() == (
        "Bad request: JSON Error: Invalid request. Please use POST method for your request"
    )
    unknown = client.post("/api/3/action/no_such_action", json={})
    assert unknown.status_code == 400
    assert unknown.json() == "Bad request: Action name not known: no_such_action"
    assert unknown.headers["content-type"].startswith("application/json")


def test_bad_json_and_non_object_bodies_are_400(sqlite_catalog):
    client = sqlite_catalog.client
    headers = {"Content-Type": "application/json"}
    broken = client.post("/api/3/action/package_show", content=b'{"id": ', headers=headers)
    assert broken.status_code == 400
    assert broken.json().startswith("Bad request: JSON Error")
    array = client.post("/api/3/action/package_show", content=b"[1, 2]", headers=headers)
    assert array.status_code == 400 and "dictionary" in array.json()
    binary = client.post("/api/3/action/package_show", content=b"\xff\xfe\x00", headers=headers)
    assert binary.status_code == 400


def test_oversize_body_is_400(sqlite_catalog):
    big = json.dumps({"id": "x" * (11 * 1024 * 1024)}).encode()
    response = sqlite_catalog.client.post(
        "/api/3/action/package_show", content=big, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "too large" in response.json()


def test_wrong_types_are_409_with_field_messages(sqlite_catalog):
    catalog = sqlite_catalog
    catalog.ok("organization_create", {"name": "sample-city"})
    response = catalog.call("package_create", {
        "name": "typed", "owner_org": "sample-city", "title": {"ja": "辞書"}, "tags": "防災",
        "extras": {"a": 1}, "resources": "none",
    }, token=catalog.sysadmin_token)  # fmt: skip
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["__type"] == "Validation Error"
    assert {"title", "tags", "extras", "resources"} <= set(error)
    bad_limit = catalog.call("package_list", {"limit": "ten"}, method="GET")
    assert bad_limit.status_code == 409 and bad_limit.json()["error"]["limit"] == [
        "Invalid integer"
    ]
    missing = catalog.call("package_show", {}, method="GET")
    assert missing.status_code == 409 and missing.json()["error"]["id"] == ["Missing value"]


def test_form_encoded_and_repeated_query_parameters(sqlite_catalog):
    catalog = sqlite_catalog
    catalog.ok("organization_create", {"name": "sample-city"})
    form = catalog.client.post(
        "/api/3/action/organization_show", data={"id": "sample-city"},
    )  # fmt: skip
    assert form.status_code == 200 and form.json()["result"]["name"] == "sample-city"
    legacy = catalog.client.post(
        "/api/3/action/organization_show",
        content=b'{"id": "sample-city"}=',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert legacy.status_code == 200
    repeated = catalog.client.get(
        "/api/3/action/package_search?fq=name:a&fq=name:b&facet.field=tags"
    )
    assert repeated.status_code == 200


def test_jsonp_callback(sqlite_catalog):
    response = sqlite_catalog.client.get("/api/3/action/site_read?callback=handle")
    assert response.status_code == 200
    assert response.text.startswith("handle(") and response.text.endswith(");")
    evil = sqlite_catalog.client.get("/api/3/action/site_read?callback=alert(1)")
    assert evil.status_code == 400
