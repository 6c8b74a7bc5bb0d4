"""No 500 from input: malformed JSON, form and query data are CKAN's 400 (a bare
"Bad request: ..." string); odd path segments, paging and dates are 404/409;
download headers that do not parse are ignored."""

from __future__ import annotations

import io
import uuid
import zipfile

import pytest

from tests.conftest import app_catalog, fresh_sqlite_url, make_config

ACTION = "/api/3/action"
BIG = "9" * 5000


def assert_bad_request(response) -> None:
    assert response.status_code == 400, response.text[:300]
    assert response.json().startswith("Bad request: ")


@pytest.fixture(scope="module")
def org(tmp_path_factory, sqlite_template):
    """One catalog for the module: bad input changes nothing."""
    root = tmp_path_factory.mktemp("web-input")
    with app_catalog(make_config(root, fresh_sqlite_url(sqlite_template, root))) as catalog:
        catalog.ok("organization_create", {"name": "sample-city", "title": "サンプル市"})
        yield catalog


def post_json(catalog, action: str, body: str | bytes):
    headers = {"Authorization": catalog.sysadmin_token, "Content-Type": "application/json"}
    return catalog.client.post(f"{ACTION}/{action}", content=body, headers=headers)


# ---------------------------------------------------------------- JSON bodies


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])
def test_non_standard_json_numbers_are_400(org, literal):
    body = '{"name": "nan-test", "owner_org": "sample-city", "extras": [{"key": "a", "value": %s}]}'
    assert_bad_request(post_json(org, "package_create", body % literal))
    assert_bad_request(post_json(org, "package_search", f'{{"q": {literal}}}'))
    assert org.call("package_show", {"id": "nan-test"}).status_code == 404


@pytest.mark.parametrize("depth", [101, 1000, 100_000])
def test_deep_nesting_is_400_with_the_limit(org, depth):
    deep_list = "[" * depth + "]" * depth
    deep_dict = '{"a":' * depth + "1" + "}" * depth
    for value in (deep_list, deep_dict):
        response = post_json(org, "package_search", f'{{"q": {value}}}')
        assert_bad_request(response)
        assert "100 levels" in response.json()
        response = post_json(
            org, "package_create", f'{{"name": "deep", "owner_org": "sample-city", "x": {value}}}'
        )
        assert_bad_request(response)


def test_nesting_within_the_limit_is_accepted(org):
    value = '{"a":' * 90 + "1" + "}" * 90
    response = post_json(
        org, "package_create", f'{{"name": "shallow", "owner_org": "sample-city", "x": {value}}}'
    )
    assert response.status_code == 200, response.text[:300]


@pytest.mark.parametrize(
    "body",
    [
        '{"name": "s1", "owner_org": "sample-city", "title": "\\ud800"}',
        '{"name": "s1", "owner_org": "sample-city", "title": "abc\\udfffdef"}',
        '{"name": "s1", "owner_org": "sample-city", "\\udc00": "1"}',
        '{"name": "s1", "owner_org": "sample-city", "tags": [{"name": "\\ud83d"}]}',
    ],
)
def test_lone_surrogates_are_400(org, body):
    assert_bad_request(post_json(org, "package_create", body))
    assert_bad_request(post_json(org, "package_search", '{"q": "\\ud800"}'))


def test_a_surrogate_pair_is_an_ordinary_character(org):
    body = '{"name": "emoji", "owner_org": "sample-city", "title": "\\ud83d\\ude8c バス"}'
    response = post_json(org, "package_create", body)
    assert response.status_code == 200, response.text[:300]
    assert response.json()["result"]["title"] == "\U0001f68c バス"


# ---------------------------------------------------------------- form and query strings


def test_invalid_utf8_in_form_data_is_400(org):
    headers = {
        "Authorization": org.sysadmin_token,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    for body in (b"name=f1&owner_org=sample-city&title=%ED%A0%80", b"name=f1&title=\xff\xfe"):
        response = org.client.post(f"{ACTION}/package_create", content=body, headers=headers)
        assert_bad_request(response)
    assert org.call("package_show", {"id": "f1"}).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "q=%ED%A0%80",  # an encoded surrogate
        "q=%FF",
        "q=%ED%A0%80&callback=cb",  # JSONP: the routed path, not the FastReadPath
        "%ED%A0%80=1",
    ],
)
def test_invalid_utf8_in_the_query_string_is_400(sqlite_catalog, query):
    assert_bad_request(sqlite_catalog.client.get(f"{ACTION}/package_search?{query}"))


def test_multipart_field_decoded_to_a_surrogate_is_400(org):
    """Starlette decodes multipart fields with the request's charset; UTF-7 can
    spell a lone surrogate ("+2AA-")."""
    boundary = "kokai-boundary"
    parts = [("name", b"mp1"), ("owner_org", b"sample-city"), ("title", b"+2AA-")]
    body = (
        b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value
            + b"\r\n"
            for name, value in parts
        )
        + f"--{boundary}--\r\n".encode()
    )
    headers = {
        "Authorization": org.sysadmin_token,
        "Content-Type": f"multipart/form-data; boundary={boundary}; charset=utf-7",
    }
    response = org.client.post(f"{ACTION}/package_create", content=body, headers=headers)
    assert_bad_request(response)


# ---------------------------------------------------------------- GTFS versions, DCAT paging


def gtfs_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("agency.txt", "agency_id,agency_name\n1,テスト市バス\n")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def feed(org):
    package = org.ok("package_create", {"name": "bus", "owner_org": "sample-city"})
    org.ok(
        "resource_create",
        {"package_id": package["id"], "format": "GTFS"},
        files={"upload": ("feed.zip", gtfs_zip(), "application/zip")},
    )
    return org


@pytest.mark.parametrize("version", ["²", "①", "١", "1²", "0x1", " 1", BIG, "1" * 10])
def test_gtfs_version_must_be_ascii_digits(feed, version):
    assert feed.client.get("/gtfs/bus/1.zip").status_code == 200
    response = feed.client.get(f"/gtfs/bus/{version}.zip")
    assert response.status_code == 404
    assert response.json()["error"]["__type"] == "Not Found Error"


@pytest.mark.parametrize("page", ["²", "١", "①", BIG, "0", "-1"])
def test_dcat_page_must_be_ascii_digits(sqlite_catalog, page):
    response = sqlite_catalog.client.get("/catalog.jsonld", params={"page": page})
    assert response.status_code == 409
    assert response.json()["error"]["page"] == [
        "page は 1 以上の整数です / page must be a positive integer"
    ]


@pytest.mark.parametrize(
    "since",
    [
        "99999-01-01",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-14:00",
        "9999-12-31T23:00:00-23:59",
    ],
)
def test_dcat_modified_since_that_overflows_is_409(sqlite_catalog, since):
    response = sqlite_catalog.client.get("/catalog.jsonld", params={"modified_since": since})
    assert response.status_code == 409
    assert "modified_since" in response.json()["error"]


@pytest.mark.parametrize("since", ["0001-01-01", "0999-12-31T23:00:00", "9999-12-31T23:59:59Z"])
def test_dcat_modified_since_at_the_edges_of_the_calendar(sqlite_catalog, since):
    response = sqlite_catalog.client.get("/catalog.jsonld", params={"modified_since": since})
    assert response.status_code == 200, response.text[:300]


# ---------------------------------------------------------------- download headers

CONTENT = "番号,名称\n1,中央公民館\n".encode()


@pytest.fixture
def download(org):
    package = org.ok(
        "package_create", {"name": f"dl-{uuid.uuid4().hex[:6]}", "owner_org": "sample-city"}
    )
    resource = org.ok(
        "resource_create",
        {"package_id": package["id"], "format": "CSV"},
        files={"upload": ("a.csv", CONTENT, "text/csv")},
    )
    return org.client, resource["url"].removeprefix("http://testserver")


@pytest.mark.parametrize(
    ("range_header", "statuses"),
    [
        ("bytes=" + BIG + "-", {416}),
        ("bytes=0-" + BIG, {200, 206}),
        ("bytes=-" + BIG, {200, 206}),
        ("bytes=" + BIG + "-" + BIG, {416}),
        ("bytes=²-".encode("latin-1"), {200}),  # str.isdigit() takes "²"
        ("bytes=0-²".encode("latin-1"), {200}),
    ],
)
def test_range_with_huge_or_odd_numbers(download, range_header, statuses):
    client, path = download
    response = client.get(path, headers={"Range": range_header})
    assert response.status_code in statuses
    if response.status_code in (200, 206):
        assert response.content == CONTENT


ODD_DATES = [  # an HTTP-date is in GMT, in datetime's range
    "Fri, 31 Dec 9999 23:59:59 -2359",
    "Fri, 31 Dec 9999 23:59:59 +2359",
    "Fri, 31 Dec 9999 23:59:59 +0900",
    "Mon, 01 Jan 0001 00:00:00 +2359",
    "Sat, 01 Jan 10000 00:00:00 GMT",
    "Fri, 31 Dec " + BIG + " 23:59:59 GMT",
]


@pytest.mark.parametrize("date", ODD_DATES)
def test_if_modified_since_that_cannot_be_a_last_modified_is_ignored(download, date):
    client, path = download
    response = client.get(path, headers={"If-Modified-Since": date})
    assert response.status_code == 200
    assert response.content == CONTENT


@pytest.mark.parametrize("date", ODD_DATES)
def test_if_range_with_an_odd_date_sends_the_whole_file(download, date):
    client, path = download
    response = client.get(path, headers={"Range": "bytes=0-3", "If-Range": date})
    assert response.status_code == 200
    assert response.content == CONTENT


def test_the_last_http_date_is_an_ordinary_date(download):
    client, path = download
    last = "Fri, 31 Dec 9999 23:59:59 GMT"
    assert client.get(path, headers={"If-Modified-Since": last}).status_code == 304
    response = client.get(path, headers={"Range": "bytes=0-3", "If-Range": last})
    assert response.status_code == 200  # not the file's Last-Modified: the whole file


@pytest.mark.parametrize("content_type", ["application/json", "multipart/form-data; boundary=x"])
def test_a_5000_digit_content_length_is_400(sqlite_catalog, content_type):
    headers = {"Content-Length": BIG, "Content-Type": content_type}
    response = sqlite_catalog.client.post(
        f"{ACTION}/package_search", content=b"{}", headers=headers
    )
    assert_bad_request(response)
    assert "too large" in response.json()
