"""LocalCatalog: the in-process client answers as ckanapi's RemoteCKAN does
against the running server, errors included."""

from __future__ import annotations

import io
import re

import ckanapi
import pytest

from kokai.catalog.client import LocalCatalog
from tests.conftest import add_user, fresh_sqlite_url, make_config

# Differ between two catalogs by construction.
VOLATILE = {
    "id", "package_id", "owner_org", "group_id", "table_id", "creator_user_id",
    "metadata_created", "metadata_modified", "created", "last_modified", "revision_id",
}  # fmt: skip
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def comparable(value):
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    if isinstance(value, str):
        return UUID.sub("<id>", value)  # e.g. in upload URLs
    return value


def outcome(call):
    """The result of `call()`, or what went wrong, in terms both clients share."""
    try:
        return ("ok", comparable(call()))
    except ckanapi.ValidationError as exc:
        errors = {k: v for k, v in exc.error_dict.items() if k != "__type"}
        return ("ValidationError", errors)
    except ckanapi.NotAuthorized as exc:
        message = exc.extra_msg["message"] if isinstance(exc.extra_msg, dict) else exc.extra_msg
        return ("NotAuthorized", UUID.sub("<id>", message.split(": ", 1)[-1]))
    except ckanapi.NotFound:
        return ("NotFound",)
    except ckanapi.SearchQueryError:
        return ("SearchQueryError",)


def scenario(ckan, anonymous) -> list:
    """Create an organization and a dataset with resources, patch, search, show,
    delete; then the four kinds of error."""
    action = ckan.action
    steps = [
        lambda: action.organization_create(name="sample-city", title="サンプル市"),
        lambda: action.group_create(name="bousai", title="防災"),
        lambda: action.package_create(
            name="shelters", title="指定緊急避難場所", owner_org="sample-city",
            notes="市内の避難所", license_id="cc-by-4.0", tags=[{"name": "防災"}],
            groups=[{"name": "bousai"}], extras=[{"key": "spatial", "value": "139.5,35.5"}],
            resources=[{"url": "https://example.jp/a.csv", "name": "一覧", "custom": "値"},
                       {"url": "https://example.jp/b.geojson"}],
        ),  # fmt: skip
        lambda: action.package_patch(id="shelters", notes="更新しました", private=False),
        lambda: action.resource_create(
            package_id="shelters", name="アップロード", upload=("hinanjo.csv", io.BytesIO(b"a\n1\n"))
        ),
        lambda: action.package_search(q="避難", fq="organization:sample-city", rows=5),
        lambda: action.package_show(id="shelters"),
        lambda: action.package_list(),
        lambda: action.organization_list(all_fields=True),
        lambda: action.organization_show(id="sample-city", include_datasets=True),
        lambda: action.tag_list(),
        # errors
        lambda: action.package_show(id="no-such-dataset"),
        lambda: action.resource_show(id="no-such-resource"),
        lambda: action.package_create(name="Bad Name", owner_org="sample-city", private=[]),
        lambda: action.package_create(name="shelters", owner_org="sample-city"),
        lambda: action.package_list(limit=2**63),
        lambda: action.package_search(fq="nosuchfield:1"),
        lambda: anonymous.action.package_create(name="anon", owner_org="sample-city"),
        lambda: anonymous.action.organization_create(name="anon-org"),
        lambda: action.package_delete(id="shelters"),
        lambda: anonymous.action.package_show(id="shelters"),
        lambda: action.package_show(id="shelters"),
    ]
    return [outcome(step) for step in steps]


def test_local_catalog_answers_as_remote_ckan(live_server, tmp_path, sqlite_template, monkeypatch):
    monkeypatch.delenv("KOKAI_DATABASE_URL", raising=False)
    root = tmp_path / "local"
    # The same site URL, so that upload URLs match too.
    config = make_config(root, fresh_sqlite_url(sqlite_template, root), site_url=live_server.url)
    local = LocalCatalog(config)
    add_user(local, "admin", sysadmin=True)
    with ckanapi.RemoteCKAN(live_server.url, apikey=live_server.token) as remote:
        remote_results = scenario(remote, ckanapi.RemoteCKAN(live_server.url))
    local_results = scenario(local.as_user("admin"), local.as_user(None))
    kinds = [result[0] for result in local_results]
    assert kinds[:11] == ["ok"] * 11
    assert kinds[11:] == [
        "NotFound", "NotFound", "ValidationError", "ValidationError", "ValidationError",
        "SearchQueryError", "NotAuthorized", "NotAuthorized", "ok", "NotAuthorized", "ok",
    ]  # fmt: skip
    for step, (here, there) in enumerate(zip(local_results, remote_results, strict=True)):
        assert here == there, step
    assert local_results[-1][1]["state"] == "deleted"


def test_errors_are_ckanapi_classes(tmp_path, sqlite_template, monkeypatch):
    monkeypatch.delenv("KOKAI_DATABASE_URL", raising=False)
    config = make_config(tmp_path, fresh_sqlite_url(sqlite_template, tmp_path))
    local = LocalCatalog(config)
    with pytest.raises(ckanapi.NotFound):
        local.action.package_show(id="nothing")
    with pytest.raises(ckanapi.NotAuthorized):
        local.action.organization_create(name="city")
    with pytest.raises(ckanapi.ValidationError) as error:
        local.as_site().action.organization_create(name="x")
    assert error.value.error_dict == {"name": ['Name "x" length is less than minimum 2']}
    with pytest.raises(ckanapi.SearchQueryError):
        local.action.package_search(fq="nosuchfield:1")
    with pytest.raises(ckanapi.CKANAPIError):
        local.action.no_such_action()
    with pytest.raises(ckanapi.NotAuthorized):
        local.as_user("nobody").action.package_list()


def test_writes_invalidate_the_cache_and_transactions_roll_back(
    tmp_path, sqlite_template, monkeypatch
):
    monkeypatch.delenv("KOKAI_DATABASE_URL", raising=False)
    config = make_config(tmp_path, fresh_sqlite_url(sqlite_template, tmp_path))
    site = LocalCatalog(config).as_site()
    site.action.organization_create(name="city")
    site.action.package_create(name="aed", owner_org="city", title="AED")
    assert site.action.package_show(id="aed")["title"] == "AED"  # cached now
    site.action.package_patch(id="aed", title="AED 設置場所")
    assert site.action.package_show(id="aed")["title"] == "AED 設置場所"
    with pytest.raises(ckanapi.ValidationError):
        with site.transaction() as tx:
            tx.action.package_patch(id="aed", title="途中")
            tx.action.package_create(name="Bad Name", owner_org="city")
    assert site.action.package_show(id="aed")["title"] == "AED 設置場所"
    with site.transaction() as tx:
        tx.action.user_create(name="tanaka")
        tx.action.organization_member_create(id="city", username="tanaka", role="editor")
    editor = site.as_user("tanaka")
    assert editor.check_access("package_update", {"id": "aed"}) is True
    assert editor.action.package_patch(id="aed", notes="編集者")["notes"] == "編集者"
