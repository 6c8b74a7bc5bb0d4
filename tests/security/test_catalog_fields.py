"""Issue 13, catalog fields: values that would reach HTTP headers, links,
the database or the JSON encoder broken are refused as validation errors
(409), never stored, never a 500."""

from __future__ import annotations

import pytest

from tests.conftest import BACKENDS, module_catalog


@pytest.fixture(scope="module", params=BACKENDS)
def org(request, tmp_path_factory, sqlite_template):
    """One catalog per backend for the module: the refused writes change nothing,
    and the tests that write use names of their own."""
    with module_catalog(request, tmp_path_factory, sqlite_template) as catalog:
        catalog.ok("organization_create", {"name": "sample-city", "title": "サンプル市"})
        catalog.ok("package_create", {"name": "base", "owner_org": "sample-city"})
        catalog.ok("package_create", {"name": "links", "owner_org": "sample-city"})
        yield catalog


def refused(catalog, action: str, data: dict, field: str, method: str = "POST") -> dict:
    response = catalog.call(action, data, token=catalog.sysadmin_token, method=method)
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["__type"] == "Validation Error"
    assert field in error, error
    return error


# ---------------------------------------------------------------- header-bound fields

CONTROL = ["text/csv\r\nX-Injected: 1", "CSV\n", "a\x7fb", "a\x00b", "tab\there", "\x1b[31m"]


@pytest.mark.parametrize("value", CONTROL)
@pytest.mark.parametrize("field", ["mimetype", "format", "name", "mimetype_inner"])
def test_control_characters_in_header_bound_resource_fields(org, field, value):
    refused(
        org, "resource_create", {"package_id": "base", "url": "https://e.jp/a", field: value}, field
    )
    error = refused(
        org,
        "package_create",
        {"name": "ctl", "owner_org": "sample-city", "resources": [{field: value}]},
        "resources",
    )
    assert field in error["resources"][0]
    resource = org.ok("resource_create", {"package_id": "base", "url": "https://e.jp/b"})
    refused(org, "resource_patch", {"id": resource["id"], field: value}, field)
    refused(org, "resource_update", {"id": resource["id"], field: value}, field)


@pytest.mark.parametrize("value", ["https://e.jp/a\r\nSet-Cookie: x=1", "https://e.jp/\x00"])
def test_control_characters_in_urls(org, value):
    refused(org, "resource_create", {"package_id": "base", "url": value}, "url")
    refused(org, "package_patch", {"id": "base", "url": value}, "url")


# ---------------------------------------------------------------- link schemes

BAD_URLS = [
    "javascript:alert(1)", " JavaScript:alert(1)", "JAVASCRIPT:alert(1)", "\tdata:text/html,<b>x",
    "data:text/html;base64,PHNjcmlwdD4=", "java\nscript:alert(1)", "vbscript:msgbox(1)",
    "  data:image/svg+xml,<svg onload=alert(1)>",
]  # fmt: skip
GOOD_URLS = ["https://example.jp/a.csv", "http://example.jp/", "/files/a.csv", "a.csv", ""]


@pytest.mark.parametrize("value", BAD_URLS)
def test_dataset_and_resource_urls_refuse_script_and_data_links(org, value):
    refused(org, "package_create", {"name": "js", "owner_org": "sample-city", "url": value}, "url")
    refused(org, "package_patch", {"id": "base", "url": value}, "url")
    refused(org, "resource_create", {"package_id": "base", "url": value}, "url")
    error = refused(
        org, "package_patch", {"id": "base", "resources": [{"url": value}]}, "resources"
    )
    assert error["resources"][0]["url"]
    assert org.ok("package_show", {"id": "base"})["url"] in (None, "")


@pytest.mark.parametrize("value", GOOD_URLS)
def test_http_https_and_relative_links_are_kept(org, value):
    assert org.ok("package_patch", {"id": "links", "url": value})["url"] == (value or None)
    assert org.ok("resource_create", {"package_id": "base", "url": value})["url"] == value


def test_uploaded_file_url_is_the_download_url(org):
    result = org.ok(
        "resource_create",
        {"package_id": "base", "name": "施設"},
        files={"upload": ("a.csv", "名称\n市役所\n".encode(), "text/csv")},
    )
    assert result["url"].startswith("http://testserver/dataset/")
    assert result["url_type"] == "upload"


# ---------------------------------------------------------------- lone surrogates


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("package_create", '{"name": "s1", "owner_org": "sample-city", "title": "\\ud800"}'),
        ("package_create", '{"name": "s2", "owner_org": "sample-city", "tags": [{"name": "\\udfff"}]}'),
        ("package_create", '{"name": "s3", "owner_org": "sample-city", "extras": [{"key": "k", "value": "\\ud800"}]}'),
        ("package_patch", '{"id": "base", "notes": "避難\\ud800所"}'),
        ("resource_create", '{"package_id": "base", "name": "\\ud800", "url": "https://e.jp"}'),
        ("resource_create", '{"package_id": "base", "\\ud800": "x"}'),
        ("organization_create", '{"name": "org2", "title": "\\ud800"}'),
        ("package_show", '{"id": "\\ud800"}'),
    ],
)  # fmt: skip
def test_lone_surrogates_are_refused_not_500(org, action, body):
    response = org.client.post(
        f"/api/3/action/{action}",
        content=body.encode(),
        headers={"Authorization": org.sysadmin_token, "Content-Type": "application/json"},
    )
    # Refused by the web layer's decoder (400) or by the catalog (409); never stored.
    assert response.status_code in (400, 409), response.text
    assert org.ok("package_show", {"id": "base"})["notes"] is None


def test_lone_surrogates_through_local_catalog_are_validation_errors(org):
    import ckanapi

    site = org.local.as_site()
    with pytest.raises(ckanapi.ValidationError) as error:
        site.action.package_patch(id="base", title="\ud800")
    assert list(error.value.error_dict) == ["title"]
    with pytest.raises(ckanapi.ValidationError) as error:
        site.action.package_create(name="s", owner_org="sample-city", tags=[{"name": "\udc00x"}])
    assert list(error.value.error_dict) == ["tags"]


# ---------------------------------------------------------------- names and ids


@pytest.mark.parametrize("suffix", ["\n", "\r\n", "\n\n"])
def test_names_and_ids_with_a_trailing_newline(org, suffix):
    refused(org, "package_create", {"name": "name" + suffix, "owner_org": "sample-city"}, "name")
    refused(org, "package_patch", {"id": "base", "name": "base" + suffix}, "name")
    refused(org, "organization_create", {"name": "org" + suffix}, "name")
    refused(org, "group_create", {"name": "grp" + suffix}, "name")
    refused(org, "user_create", {"name": "user" + suffix}, "name")
    refused(org, "resource_create", {"package_id": "base", "id": "rid" + suffix}, "id")
    refused(org, "organization_create", {"name": "org-ok", "id": "oid" + suffix}, "id")
    refused(org, "package_create", {"name": "pid-ok", "owner_org": "sample-city",
                                    "id": "pid" + suffix}, "id")  # fmt: skip
    error = refused(
        org, "package_create",
        {"name": "rid-ok", "owner_org": "sample-city", "resources": [{"id": "rid" + suffix}]},
        "resources",
    )  # fmt: skip
    assert error["resources"][0]["id"] == ["Invalid id"]
    assert set(org.ok("package_list")) == {"base", "links"}


def test_ids_longer_than_the_id_column(org):
    refused(org, "resource_create", {"package_id": "base", "id": "r" * 37}, "id")
    created = org.ok("resource_create", {"package_id": "base", "id": "q" * 36})
    assert created["id"] == "q" * 36


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize("size", [10**30, -(10**30), 2**63])
def test_resource_size_too_large_for_the_database(org, size):
    refused(
        org, "resource_create", {"package_id": "base", "url": "https://e.jp", "size": size}, "size"
    )
    error = refused(
        org, "package_patch", {"id": "base", "resources": [{"url": "https://e.jp", "size": size}]},
        "resources",
    )  # fmt: skip
    assert error["resources"][0]["size"]


def test_resource_size_over_2_gb_is_stored(org):
    size = 5 * 1024**3  # a 5 GB archive: BIGINT, as CKAN
    created = org.ok("resource_create", {"package_id": "base", "url": "https://e.jp", "size": size})
    assert org.ok("resource_show", {"id": created["id"]})["size"] == size


@pytest.mark.parametrize(
    "action",
    ["package_list", "current_package_list_with_resources", "organization_list", "group_list"],
)
@pytest.mark.parametrize("key", ["limit", "offset"])
@pytest.mark.parametrize("value", [2**63, 10**30])
def test_list_limits_too_large_for_the_database(org, action, key, value):
    for method in ("GET", "POST"):
        error = refused(org, action, {key: value}, key, method=method)
        assert error[key] == ["Must be at most 9223372036854775807"]
    assert org.call(action, {key: 2**63 - 1}).status_code == 200


@pytest.mark.parametrize("action", ["tag_list", "ckanext_showcase_list"])
def test_lists_without_paging_ignore_huge_limits(org, action):
    response = org.call(action, {"limit": 2**63, "offset": 10**30})
    assert response.status_code == 200, response.text
