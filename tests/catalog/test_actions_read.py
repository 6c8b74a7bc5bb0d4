"""Read actions: shapes as CKAN 2.12 returns them, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest


@pytest.fixture
def shared(seeded_shared):
    """The module's seeded catalog (read-only tests)."""
    return seeded_shared


def test_envelope_help_url_is_absolute_and_v3_even_unversioned(shared):
    body = shared.client.get("/api/action/package_list").json()
    assert body["success"] is True
    assert body["help"] == "http://testserver/api/3/action/help_show?name=package_list"
    assert "error" not in body


def test_package_list_names_public_active_datasets_by_name(shared):
    assert shared.ok("package_list", method="GET") == ["aed", "bus-gtfs", "population", "shelters"]
    assert shared.ok("package_list", {"limit": 2, "offset": 1}, method="GET") == [
        "bus-gtfs", "population",
    ]  # fmt: skip


def test_package_modified_list_gives_each_public_dataset_once_with_its_modified(shared):
    rows = shared.ok("package_modified_list", method="GET")
    names = [r["name"] for r in rows]
    assert names == shared.ok("package_list", method="GET")  # public, active, by name
    for row in rows:
        shown = shared.ok("package_show", {"id": row["name"]}, method="GET")
        assert row["metadata_modified"] == shown["metadata_modified"]


def test_package_show_has_ckan_fields(shared):
    package = shared.ok("package_show", {"id": "shelters"}, method="GET")
    for key in (
        "author", "author_email", "creator_user_id", "id", "isopen", "license_id",
        "license_title", "maintainer", "maintainer_email", "metadata_created",
        "metadata_modified", "name", "notes", "num_resources", "num_tags", "organization",
        "owner_org", "private", "state", "title", "type", "url", "version", "extras",
        "resources", "tags", "groups", "relationships_as_subject", "relationships_as_object",
    ):  # fmt: skip
        assert key in package, key
    assert package["title"] == "指定緊急避難場所一覧"
    assert package["type"] == "dataset" and package["state"] == "active"
    assert package["num_tags"] == 2 and package["num_resources"] == 1
    assert package["organization"]["name"] == "sample-city"
    assert package["organization"]["is_organization"] is True
    assert package["owner_org"] == package["organization"]["id"]
    assert [g["name"] for g in package["groups"]] == ["bousai"]
    assert set(package["groups"][0]) == {
        "id", "name", "title", "description", "display_name", "image_display_url",
    }  # fmt: skip
    assert package["extras"][0]["key"] == "spatial"
    tag = package["tags"][0]
    assert set(tag) == {"display_name", "id", "name", "state", "vocabulary_id"}
    resource = package["resources"][0]
    for key in ("cache_last_updated", "created", "format", "hash", "id", "last_modified",
                "mimetype", "package_id", "position", "size", "state", "url", "url_type"):  # fmt: skip
        assert key in resource, key
    assert resource["package_id"] == package["id"]
    assert "T" in package["metadata_created"] and not package["metadata_created"].endswith("Z")


def test_package_show_by_id_equals_by_name(shared):
    by_name = shared.ok("package_show", {"id": "population"})
    by_id = shared.ok("package_show", {"id": by_name["id"]})
    assert by_id["name"] == "population"
    assert by_id["resources"] == by_name["resources"]


def test_license_fields_follow_the_licence_register(shared):
    package = shared.ok("package_show", {"id": "population"})
    assert package["license_title"] == "Creative Commons Attribution"
    assert package["license_url"] == "http://www.opendefinition.org/licenses/cc-by"
    assert package["isopen"] is True
    licences = shared.ok("license_list", method="GET")
    ids = {lic["id"] for lic in licences}
    assert {"cc-by", "cc-by-4.0", "odc-odbl", "notspecified"} <= ids
    assert set(licences[0]) == {
        "id", "title", "url", "status", "maintainer", "family", "domain_content", "domain_data",
        "domain_software", "is_generic", "od_conformance", "osd_conformance",
    }  # fmt: skip


def test_missing_package_is_404_not_found_error(shared):
    response = shared.call("package_show", {"id": "no-such"}, method="GET")
    assert response.status_code == 404
    body = response.json()
    assert body["success"] is False and "result" not in body
    assert body["error"]["__type"] == "Not Found Error"
    assert body["error"]["message"].startswith("Not found")


def test_private_dataset_is_hidden_from_anonymous_and_other_orgs(seeded):
    anonymous = seeded.call("package_show", {"id": "internal-ebpm"}, method="GET")
    assert anonymous.status_code == 403
    assert anonymous.json()["error"]["__type"] == "Authorization Error"
    outsider = seeded.user("outsider", org="other-city")
    assert seeded.call("package_show", {"id": "internal-ebpm"}, token=outsider).status_code == 403
    member = seeded.user("staff", org="sample-city")
    shown = seeded.ok("package_show", {"id": "internal-ebpm"}, token=member)
    assert shown["private"] is True
    assert "internal-ebpm" not in seeded.ok("package_list")


def test_bearer_prefix_is_anonymous_as_in_ckan(seeded):
    member = seeded.user("staff", org="sample-city")
    response = seeded.client.get(
        "/api/3/action/package_show",
        params={"id": "internal-ebpm"},
        headers={"Authorization": f"Bearer {member}"},
    )
    assert response.status_code == 403
    assert "User None" in response.json()["error"]["message"]
    via_ckanapi_header = seeded.client.get(
        "/api/3/action/package_show",
        params={"id": "internal-ebpm"},
        headers={"X-CKAN-API-Key": member},
    )
    assert via_ckanapi_header.status_code == 200


def test_resource_show_returns_the_resource(shared):
    package = shared.ok("package_show", {"id": "population"})
    second = package["resources"][1]
    shown = shared.ok("resource_show", {"id": second["id"]}, method="GET")
    assert shown["id"] == second["id"] and shown["format"] == "XLSX" and shown["position"] == 1
    assert shared.call("resource_show", {"id": "nope"}).status_code == 404


def test_organization_list_and_show(shared):
    # title asc by default: となり町 (hiragana) sorts before サンプル市 (katakana)
    assert shared.ok("organization_list", method="GET") == ["other-city", "sample-city"]
    assert shared.ok("organization_list", {"sort": "name desc"}) == ["sample-city", "other-city"]
    full = shared.ok("organization_list", {"all_fields": True, "sort": "name asc"})
    assert [o["package_count"] for o in full] == [1, 3]  # private datasets are not counted
    assert full[0]["display_name"] == "となり町" and full[0]["is_organization"] is True
    uncounted = shared.ok("organization_list", {"all_fields": True, "include_dataset_count": False})
    assert [o["name"] for o in uncounted] == ["other-city", "sample-city"]
    assert all("package_count" not in o for o in uncounted)
    by_count = shared.ok("organization_list", {"sort": "package_count desc"})
    assert by_count == ["sample-city", "other-city"]  # sorting by count still counts
    org = shared.ok("organization_show", {"id": "sample-city", "include_datasets": True})
    assert org["title"] == "サンプル市" and org["package_count"] == 3
    assert {p["name"] for p in org["packages"]} >= {"shelters", "population", "bus-gtfs"}
    assert shared.call("organization_show", {"id": "nowhere"}).status_code == 404


def test_group_list_and_show(shared):
    assert shared.ok("group_list") == ["bousai"]
    group = shared.ok("group_show", {"id": "bousai"})
    assert group["is_organization"] is False and group["package_count"] == 1


def test_tag_list_only_public_tags(shared):
    tags = shared.ok("tag_list", method="GET")
    assert "防災" in tags and "GTFS" in tags
    assert "内部" not in tags  # only on a private dataset
    assert shared.ok("tag_list", {"query": "防"}) == ["防災"]


def test_current_package_list_with_resources_newest_first(shared):
    packages = shared.ok("current_package_list_with_resources", {"limit": 2})
    assert [p["name"] for p in packages] == ["aed", "bus-gtfs"]
    assert packages[0]["resources"]


def test_status_show_site_read_help_show(shared):
    status = shared.ok("status_show", method="GET")
    assert status["ckan_version"].startswith("2.")
    assert status["site_url"] == "http://testserver"
    assert shared.ok("site_read", method="GET") is True
    assert "dataset" in shared.ok("help_show", {"name": "package_show"}, method="GET")
    assert shared.call("help_show", {"name": "nope"}).status_code == 404


def test_api_version_routes(sqlite_catalog):
    assert sqlite_catalog.client.get("/api/3").json() == {"version": 3}
    assert sqlite_catalog.client.get("/api").json() == {"version": 3}


def test_organization_list_for_user_by_permission_as_ckan(seeded):
    editor = seeded.user("staff", org="sample-city")  # an editor there
    orgs = seeded.ok("organization_list_for_user", {"permission": "create_dataset"}, token=editor)
    assert [(o["name"], o["capacity"]) for o in orgs] == [("sample-city", "editor")]
    assert orgs[0]["package_count"] >= 1 and orgs[0]["is_organization"] is True
    # an editor does not manage the organization (CKAN's default permission)
    assert seeded.ok("organization_list_for_user", token=editor) == []
    assert seeded.ok("organization_list_for_user", {"permission": "read"}, token=editor) != []
    # anonymous: no user, no organizations; a sysadmin: all of them, as admin
    assert seeded.ok("organization_list_for_user", token=None, method="GET") == []
    every = seeded.ok("organization_list_for_user")
    assert {o["name"] for o in every} == set(seeded.ok("organization_list"))
    assert {o["capacity"] for o in every} == {"admin"}
