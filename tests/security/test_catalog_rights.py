"""Issue 13, catalog rights: who may do what, as CKAN's auth functions decide."""

from __future__ import annotations

import pytest


@pytest.fixture
def city(sqlite_catalog):
    """Two organizations with an editor each, a thematic group, a dataset in it.
    (The auth functions do not depend on the database: SQLite only.)"""
    catalog = sqlite_catalog
    catalog.ok("organization_create", {"name": "sample-city", "title": "サンプル市"})
    catalog.ok("organization_create", {"name": "other-city", "title": "となり町"})
    catalog.ok("group_create", {"name": "bousai", "title": "防災"})
    catalog.ok("package_create", {"name": "shelters", "owner_org": "sample-city"})
    catalog.ok(
        "package_create",
        {"name": "in-group", "owner_org": "sample-city", "groups": [{"name": "bousai"}]},
    )
    catalog.editor = catalog.user("editor", org="sample-city")
    catalog.outsider = catalog.user("outsider", org="other-city")
    return catalog


def status(catalog, action: str, data: dict, token: str | None) -> int:
    return catalog.call(action, data, token=token).status_code


# ---------------------------------------------------------------- datasets without an organization


@pytest.mark.parametrize("package_type", ["harvest", "showcase", "application", "dataset"])
def test_editor_cannot_create_an_unowned_dataset_with_another_type(city, package_type):
    for owner in ({}, {"owner_org": ""}, {"owner_org": None}):
        data = {"name": "no-org", "type": package_type, **owner}
        response = city.call("package_create", data, token=city.editor)
        assert response.status_code == 409, response.text
        assert response.json()["error"]["owner_org"] == ["An organization must be provided"]
    assert "no-org" not in city.ok("package_list")


def test_editor_cannot_move_a_dataset_out_of_its_organization(city):
    for data in ({"owner_org": ""}, {"owner_org": None, "type": "harvest"}):
        response = city.call("package_patch", {"id": "shelters", **data}, token=city.editor)
        assert response.status_code == 409, response.text
    assert city.ok("package_show", {"id": "shelters"})["organization"]["name"] == "sample-city"


def test_sysadmin_may_still_create_unowned_non_datasets(city):
    created = city.ok("package_create", {"name": "harvest-source", "type": "harvest"})
    assert created["owner_org"] is None and created["type"] == "harvest"


# ---------------------------------------------------------------- showcases


@pytest.fixture
def showcase(city):
    city.ok(
        "ckanext_showcase_create", {"name": "hinan-app", "title": "避難所アプリ"}, token=city.editor
    )
    return city


def test_only_the_creator_or_a_sysadmin_changes_a_showcase(showcase):
    link = {"showcase_id": "hinan-app", "package_id": "shelters"}
    for token in (showcase.outsider, None):
        assert status(showcase, "ckanext_showcase_package_association_create", link, token) == 403
        assert status(showcase, "ckanext_showcase_delete", {"id": "hinan-app"}, token) == 403
    refused = showcase.call("ckanext_showcase_delete", {"id": "hinan-app"}, token=showcase.outsider)
    assert refused.json()["error"]["message"] == (
        "Access denied: User outsider not authorized to delete showcase hinan-app"
    )
    showcase.ok("ckanext_showcase_package_association_create", link, token=showcase.editor)
    for token in (showcase.outsider, None):
        assert status(showcase, "ckanext_showcase_package_association_delete", link, token) == 403
    assert showcase.ok("ckanext_showcase_show", {"id": "hinan-app"})["num_datasets"] == 1
    showcase.ok("ckanext_showcase_package_association_delete", link)  # sysadmin
    showcase.ok("ckanext_showcase_delete", {"id": "hinan-app"}, token=showcase.editor)
    assert showcase.ok("ckanext_showcase_list") == []


def test_an_admin_of_the_showcase_organization_may_change_it(showcase):
    admin = showcase.user("org-admin")
    showcase.ok("organization_member_create",
                {"id": "other-city", "username": "org-admin", "role": "admin"})  # fmt: skip
    showcase.ok("ckanext_showcase_create",
                {"name": "other-app", "owner_org": "other-city"}, token=showcase.outsider)  # fmt: skip
    assert status(showcase, "ckanext_showcase_delete", {"id": "other-app"}, showcase.editor) == 403
    showcase.ok("ckanext_showcase_delete", {"id": "other-app"}, token=admin)


# ---------------------------------------------------------------- thematic groups


def test_adding_a_dataset_to_a_group_needs_membership(city):
    groups = [{"name": "bousai"}]
    data = {"name": "mine", "owner_org": "sample-city", "groups": groups}
    refused = city.call("package_create", data, token=city.editor)
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == (
        "Access denied: User editor not authorized to edit these groups"
    )
    update = {"id": "shelters", "groups": groups}
    assert status(city, "package_patch", update, city.editor) == 403
    assert status(city, "package_update", {**update, "name": "shelters"}, city.editor) == 403
    link = {"id": "bousai", "object": "shelters", "object_type": "package"}
    assert status(city, "member_create", link, city.editor) == 403
    assert city.ok("group_show", {"id": "bousai"})["package_count"] == 1
    # A dataset already in the group keeps it when its editor changes other fields.
    kept = city.ok("package_patch", {"id": "in-group", "notes": "更新"}, token=city.editor)
    assert [g["name"] for g in kept["groups"]] == ["bousai"]
    # Once a member of the group (any capacity), the editor may add datasets to it.
    city.ok("group_member_create", {"id": "bousai", "username": "editor", "role": "member"})
    city.ok("package_patch", update, token=city.editor)
    city.ok("package_create", data, token=city.editor)
    assert city.ok("group_show", {"id": "bousai"})["package_count"] == 3


def test_member_create_puts_a_dataset_in_a_group(city):
    city.ok("group_member_create", {"id": "bousai", "username": "outsider", "role": "member"})
    link = {"id": "bousai", "object": "shelters", "object_type": "package"}
    # A member of the group who may not edit the dataset.
    assert status(city, "member_create", link, city.outsider) == 403
    city.ok("group_member_create", {"id": "bousai", "username": "editor", "role": "member"})
    city.ok("member_create", link, token=city.editor)
    assert [g["name"] for g in city.ok("package_show", {"id": "shelters"})["groups"]] == ["bousai"]


def test_users_and_tokens(city):
    assert status(city, "user_create", {"name": "intruder"}, city.editor) == 403
    assert status(city, "user_create", {"name": "intruder"}, None) == 403
    assert status(city, "api_token_create", {"user": "outsider", "name": "x"}, city.editor) == 403
    own = city.ok("api_token_create", {"user": "editor", "name": "laptop"}, token=city.editor)
    assert city.ok("package_show", {"id": "shelters"}, token=own["token"])["name"] == "shelters"
    assert status(city, "user_update", {"id": "editor", "sysadmin": True}, city.editor) == 403
    assert status(city, "user_update", {"id": "outsider", "fullname": "x"}, city.editor) == 403
    assert city.ok("user_update", {"id": "editor", "fullname": "編集 太郎"}, token=city.editor)
    assert status(city, "user_show", {"id": "outsider"}, city.editor) == 403
