"""The real-CKAN harness itself: CKAN 2.12.0 answers through ckanapi, keeps
organizations, datasets (tags, extras) and uploaded files, refuses invalid
input with a ValidationError, and `purge_all` empties it. Also the harness's
own rules (skip / fail when CKAN is missing, what the Solr stand-in answers)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import ckanapi
import pytest

from .ckan_server import CKAN_VERSION, PrerequisiteMissing, installed_ckan_venv
from .fixtures import missing_prerequisite
from .solr_standin import SolrStandIn

SHELTERS_CSV = (
    "名称,住所,緯度,経度,収容人数\n"
    "第一小学校,東京都千代田区一番町1-1,35.6895,139.6917,450\n"
    "中央公民館,東京都千代田区二番町2-2,35.6912,139.7003,120\n"
).encode()


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def test_status_show_is_ckan_2_12_0(real_ckan):
    with real_ckan.remote(anonymous=True) as ckan:
        status = ckan.action.status_show()
    assert status["ckan_version"] == CKAN_VERSION == "2.12.0"
    assert status["site_url"] == real_ckan.url


def test_dataset_with_tags_extras_and_uploaded_file_reads_back(clean_ckan, tmp_path):
    csv_path = tmp_path / "shelters.csv"
    csv_path.write_bytes(SHELTERS_CSV)
    with clean_ckan.remote() as ckan:
        org = ckan.action.organization_create(name="sample-city", title="サンプル市")
        created = ckan.action.package_create(
            name="evacuation-shelters",
            title="指定緊急避難場所一覧",
            owner_org=org["id"],
            license_id="cc-by",
            tags=[{"name": "避難所"}, {"name": "防災"}],
            extras=[
                {"key": "全国地方公共団体コード", "value": "131016"},
                {"key": "update_frequency", "value": "monthly"},
            ],
        )
        with csv_path.open("rb") as upload:
            resource = ckan.action.resource_create(
                package_id=created["id"], name="避難所一覧 CSV", format="CSV", upload=upload
            )
        shown = ckan.action.package_show(id="evacuation-shelters")
        organization = ckan.action.organization_show(id="sample-city")

    assert organization["title"] == "サンプル市"
    assert shown["title"] == "指定緊急避難場所一覧"
    assert shown["organization"]["name"] == "sample-city"
    assert shown["license_id"] == "cc-by"
    assert sorted(t["name"] for t in shown["tags"]) == ["避難所", "防災"]
    assert {e["key"]: e["value"] for e in shown["extras"]} == {
        "全国地方公共団体コード": "131016",
        "update_frequency": "monthly",
    }
    [stored] = shown["resources"]
    assert stored["id"] == resource["id"]
    assert stored["url_type"] == "upload"
    assert stored["name"] == "避難所一覧 CSV"
    assert stored["url"].startswith(f"{clean_ckan.url}/dataset/{created['id']}/resource/")
    assert stored["url"].endswith("/shelters.csv")
    # The file is in CKAN's storage and comes back byte for byte.
    assert _get(stored["url"]) == SHELTERS_CSV
    assert clean_ckan.uploaded_file(resource["id"]).read_bytes() == SHELTERS_CSV


def test_invalid_dataset_is_a_validation_error(clean_ckan):
    with clean_ckan.remote() as ckan:
        with pytest.raises(ckanapi.ValidationError) as raised:
            ckan.action.package_create(name="Not A Valid Name!", title="名前が不正")
        assert "name" in raised.value.error_dict
        assert ckan.action.package_list() == []


def test_purge_all_removes_private_datasets_and_organizations(clean_ckan):
    with clean_ckan.remote() as ckan:
        org = ckan.action.organization_create(name="purge-city")
        private = ckan.action.package_create(
            name="private-draft", owner_org=org["id"], private=True
        )
        ckan.action.package_create(name="public-one", owner_org=org["id"])
        assert ckan.action.package_list() == ["public-one"]  # private ones are not listed
    clean_ckan.purge_all()
    with clean_ckan.remote() as ckan:
        assert ckan.action.package_list() == []
        assert ckan.action.organization_list() == []
        with pytest.raises(ckanapi.NotFound):
            ckan.action.package_show(id=private["id"])
    assert clean_ckan.query("SELECT count(*) FROM package") == [(0,)]


def test_anonymous_caller_cannot_write(real_ckan):
    with real_ckan.remote(anonymous=True) as ckan:
        with pytest.raises(ckanapi.NotAuthorized):
            ckan.action.organization_create(name="not-allowed")


# -- the harness's own rules: no CKAN needed -------------------------------


def test_missing_ckan_names_make_ckan(tmp_path):
    with pytest.raises(PrerequisiteMissing, match="make ckan"):
        installed_ckan_venv(tmp_path / "ckan-2.12.0")
    (tmp_path / "half" / "bin").mkdir(parents=True)
    (tmp_path / "half" / "bin" / "ckan").touch()  # no .installed stamp: pip did not finish
    with pytest.raises(PrerequisiteMissing):
        installed_ckan_venv(tmp_path / "half")


def test_missing_ckan_fails_under_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="make ckan"):
        missing_prerequisite("CKAN is not installed: run `make ckan`")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="make ckan"):
        missing_prerequisite("CKAN is not installed: run `make ckan`")


def test_solr_standin_answers_only_index_calls(tmp_path):
    schema = tmp_path / "schema.xml"
    schema.write_bytes(b'<schema name="ckan-2.11" version="1.6"></schema>')
    standin = SolrStandIn(schema).start()
    try:
        base = standin.solr_url
        assert base.startswith("http://127.0.0.1:")
        assert _get(f"{base}/schema?wt=schema.xml") == schema.read_bytes()
        request = urllib.request.Request(
            f"{base}/update/?commit=true", data=b"<add/>", method="POST"
        )
        assert json.loads(_get(request))["responseHeader"]["status"] == 0
        assert standin.update_calls == 1
        selected = json.loads(_get(f"{base}/select/?q=*:*&wt=json"))
        assert selected["response"] == {"numFound": 0, "start": 0, "docs": []}
        for other in (f"{base}/admin/cores", base.replace("/solr/ckan", "/elsewhere")):
            with pytest.raises(urllib.error.HTTPError) as refused:
                _get(other)
            assert refused.value.code == 404
    finally:
        standin.stop()

