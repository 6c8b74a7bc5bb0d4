"""Write actions: validation, permissions, updates, uploads (both backends)."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import pytest

from kokai.catalog.blobs import blob_store


@pytest.fixture
def org(catalog):
    catalog.ok("organization_create", {"name": "sample-city", "title": "サンプル市"})
    return catalog


def test_package_create_validation_errors_are_409_per_field(org, make_dataset):
    response = org.call(
        "package_create",
        {"name": "Bad Name", "owner_org": "nowhere", "tags": [{"name": "x"}], "private": []},
        token=org.sysadmin_token,
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["__type"] == "Validation Error"
    assert error["name"] == [
        "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_"
    ]
    assert error["owner_org"] == ["Organization does not exist"]
    assert "tags" in error and "private" in error
    org.ok("package_create", make_dataset("taken"))
    clash = org.call("package_create", make_dataset("taken"), token=org.sysadmin_token)
    assert clash.json()["error"]["name"] == ["That URL is already in use."]
    missing = org.call("package_create", {"title": "名前なし"}, token=org.sysadmin_token)
    assert missing.json()["error"]["name"] == ["Missing value"]


def test_anonymous_and_editors_of_other_orgs_may_not_write(org, make_dataset):
    anonymous = org.call("package_create", make_dataset("anon"))
    assert anonymous.status_code == 403
    assert anonymous.json()["error"]["message"] == (
        "Access denied: User None not authorized to create packages"
    )
    org.ok("organization_create", {"name": "other-city", "title": "となり町"})
    outsider = org.user("outsider", org="other-city")
    refused = org.call("package_create", make_dataset("x1"), token=outsider)
    assert refused.status_code == 409
    assert refused.json()["error"]["owner_org"] == ["You cannot add a dataset to this organization"]
    org.ok("package_create", make_dataset("mine"))
    update = org.call("package_patch", {"id": "mine", "title": "乗っ取り"}, token=outsider)
    assert update.status_code == 403
    assert org.call("organization_create", {"name": "x-org"}, token=outsider).status_code == 403


def test_editor_writes_in_own_organization(org, make_dataset):
    editor = org.user("editor", org="sample-city")
    created = org.ok("package_create", make_dataset("by-editor"), token=editor)
    assert created["owner_org"] == org.ok("organization_show", {"id": "sample-city"})["id"]
    patched = org.ok("package_patch", {"id": "by-editor", "notes": "更新しました"}, token=editor)
    assert patched["notes"] == "更新しました" and patched["title"] == created["title"]
    org.ok("package_delete", {"id": "by-editor"}, token=editor)
    assert "by-editor" not in org.ok("package_list")


def test_package_update_replaces_fields_and_keeps_resource_ids(org, make_dataset):
    created = org.ok("package_create", make_dataset("upd", tags=["古い"]))
    resource_id = created["resources"][0]["id"]
    data = {**created, "title": "新しい題名", "tags": [{"name": "新しい"}], "notes": None}
    data["resources"] = created["resources"] + [{"url": "https://example.jp/b.json", "name": "B"}]
    updated = org.ok("package_update", data)
    assert updated["title"] == "新しい題名" and updated["notes"] is None
    assert [t["name"] for t in updated["tags"]] == ["新しい"]
    assert [r["id"] for r in updated["resources"]][0] == resource_id
    assert updated["resources"][1]["format"] == "JSON"  # guessed from the URL
    assert updated["metadata_modified"] > created["metadata_modified"]
    assert updated["metadata_created"] == created["metadata_created"]
    kept = org.ok("package_update", {"id": "upd", "name": "upd", "title": "資源は残る"})
    assert len(kept["resources"]) == 2  # CKAN 2.12: omitted resources are kept


def test_update_keeps_private_when_omitted(org, make_dataset):
    org.ok("package_create", make_dataset("secret", private=True))
    updated = org.ok("package_update", {"id": "secret", "title": "題名だけ変更"})
    assert updated["private"] is True


def test_delete_hides_dataset_but_sysadmin_still_sees_it(org, make_dataset):
    org.ok("package_create", make_dataset("gone"))
    assert org.ok("package_delete", {"id": "gone"}) is None
    assert org.call("package_show", {"id": "gone"}).status_code == 403
    assert org.ok("package_show", {"id": "gone"})["state"] == "deleted"
    assert org.ok("package_search", {"q": "gone"})["count"] == 0


def test_resource_create_update_delete(org, make_dataset):
    org.ok("package_create", make_dataset("res", resources=[]))
    created = org.ok("resource_create", {
        "package_id": "res", "url": "https://example.jp/a.geojson", "name": "位置",
        "custom_field": "任意の値",
    })  # fmt: skip
    assert created["format"] == "GEOJSON" and created["custom_field"] == "任意の値"
    assert created["position"] == 0
    updated = org.ok(
        "resource_update", {"id": created["id"], "name": "位置情報", "format": "GeoJSON"}
    )
    assert updated["name"] == "位置情報" and updated["url"] == "https://example.jp/a.geojson"
    patched = org.ok("resource_patch", {"id": created["id"], "description": "説明"})
    assert patched["name"] == "位置情報" and patched["description"] == "説明"
    package = org.ok("package_show", {"id": "res"})
    assert package["num_resources"] == 1 and package["resources"][0]["description"] == "説明"
    org.ok("resource_delete", {"id": created["id"]})
    assert org.ok("package_show", {"id": "res"})["num_resources"] == 0
    assert org.call("resource_show", {"id": created["id"]}).status_code == 404


def test_multipart_upload_is_stored_versioned_and_checksummed(org, make_dataset):
    org.ok("package_create", make_dataset("upload", resources=[]))
    content = "名称,緯度,経度\n市役所,35.0,139.0\n".encode()
    result = org.ok(
        "resource_create",
        {"package_id": "upload", "name": "施設一覧"},
        files={"upload": ("施設 一覧.csv", content, "text/csv")},
    )
    package_id = org.ok("package_show", {"id": "upload"})["id"]
    assert result["url_type"] == "upload"
    assert result["url"] == (
        f"http://testserver/dataset/{package_id}/resource/{result['id']}/download/"
        + quote("施設 一覧.csv")
    )
    assert result["hash"] == hashlib.sha256(content).hexdigest()
    assert result["size"] == len(content) and result["format"] == "CSV"
    assert result["mimetype"] == "text/csv" and result["last_modified"]
    versions = org.ok("resource_file_list", {"id": result["id"]})
    assert [(v["version"], v["sha256"]) for v in versions] == [(1, result["hash"])]
    assert blob_store(org.config).local_path(result["hash"]).read_bytes() == content
    downloaded = org.client.get(result["url"].replace("http://testserver", ""))
    assert downloaded.status_code == 200 and downloaded.content == content
    second = org.ok(
        "resource_update",
        {"id": result["id"], "name": "施設一覧"},
        files={"upload": ("施設 一覧.csv", content + "図書館,35.1,139.1\n".encode(), "text/csv")},
    )
    assert second["size"] > result["size"]
    versions = org.ok("resource_file_list", {"id": result["id"]})
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[-1]["sha256"] == second["hash"] and versions[-1]["size"] == second["size"]


def test_organization_member_create(org, make_dataset):
    org.user("newcomer")
    member = org.ok("organization_member_create", {
        "id": "sample-city", "username": "newcomer", "role": "editor",
    })  # fmt: skip
    assert member["capacity"] == "editor"
    bad_role = org.call("organization_member_create",
                        {"id": "sample-city", "username": "newcomer", "role": "king"},
                        token=org.sysadmin_token)  # fmt: skip
    assert bad_role.status_code == 409
    users = org.ok("organization_show", {"id": "sample-city", "include_users": True})["users"]
    assert {"newcomer", "admin"} <= {u["name"] for u in users}


def test_organization_create_validates_name(org):
    response = org.call("organization_create", {"name": "sample-city"}, token=org.sysadmin_token)
    assert response.status_code == 409
    assert response.json()["error"]["name"] == ["Group name already exists in database"]


def test_showcase_actions(org, make_dataset):
    org.ok("package_create", make_dataset("shelters"))
    showcase = org.ok("ckanext_showcase_create", {
        "name": "hinan-app", "title": "避難所マップアプリ", "url": "https://app.example.jp/",
        "image_url": "https://app.example.jp/logo.png",
    })  # fmt: skip
    assert showcase["type"] == "showcase"
    association = org.ok("ckanext_showcase_package_association_create",
                         {"showcase_id": "hinan-app", "package_id": "shelters"})  # fmt: skip
    assert association["showcase_id"] == showcase["id"]
    shown = org.ok("ckanext_showcase_show", {"id": "hinan-app"})
    assert shown["num_datasets"] == 1 and shown["image_url"] == "https://app.example.jp/logo.png"
    assert [s["name"] for s in org.ok("ckanext_showcase_list")] == ["hinan-app"]
    used = org.ok("ckanext_showcase_package_list", {"showcase_id": "hinan-app"})
    assert [p["name"] for p in used] == ["shelters"]
    uses = org.ok("ckanext_package_showcase_list", {"package_id": "shelters"})
    assert [s["name"] for s in uses] == ["hinan-app"]
    # Showcases are not datasets in lists and searches.
    assert org.ok("package_list") == ["shelters"]
    assert org.ok("package_search", {})["count"] == 1
    twice = org.call("ckanext_showcase_package_association_create",
                     {"showcase_id": "hinan-app", "package_id": "shelters"},
                     token=org.sysadmin_token)  # fmt: skip
    assert twice.status_code == 409
    assert org.call("ckanext_showcase_create", {"name": "anon-app"}).status_code == 403


def test_sysadmin_may_keep_ids_on_create(org, make_dataset):
    wanted = "0b7d1c1e-0000-4000-8000-000000000001"
    created = org.ok("package_create", {**make_dataset("kept-id"), "id": wanted})
    assert created["id"] == wanted
    editor = org.user("editor", org="sample-city")
    other = org.ok("package_create", {**make_dataset("other-id"), "id": "chosen"}, token=editor)
    assert other["id"] != "chosen"


def test_create_result_equals_package_show(org, make_dataset):
    """The dict written by the ORM path equals the cached, Core-built one."""
    created = org.ok("package_create", make_dataset(
        "same", tags=["b-tag", "a-tag"], extras=[{"key": "z", "value": "1"}, {"key": "a", "value": "2"}],
        resources=[{"url": "https://example.jp/1.csv", "extra_key": "x"},
                   {"url": "https://example.jp/2.json"}],
    ))  # fmt: skip
    shown = org.ok("package_show", {"id": "same"})
    shown.pop("tracking_summary", None)
    for resource in shown["resources"]:
        resource.pop("tracking_summary", None)
    assert shown == created
    assert [t["name"] for t in shown["tags"]] == ["a-tag", "b-tag"]
    assert [e["key"] for e in shown["extras"]] == ["a", "z"]
