"""`kokai import`: a CKAN package dict as a dataset folder (pure), and the
command end to end against kokai's own CKAN-compatible API served live on
127.0.0.1 as the CKAN to import from."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import ckanapi
import pytest
import requests
import yaml

from kokai.catalog.client import LocalCatalog
from kokai.catalog.db import dispose_engine
from kokai.cli import main
from kokai.publish.ckan_import import (
    STATE_FOLDER,
    Importer,
    ImportOptions,
    descriptor_for,
    import_catalog,
    remote_packages,
    resource_filenames,
)
from kokai.publish.remote_ckan import PushOptions, push
from tests.conftest import fresh_sqlite_url
from tests.publish.conftest import DEMO_TODAY, assert_imported_like, empty_city

# A package as CKAN 2.12 shows it (shape observed, shared/reference/ckan-api.md §5).
CKAN_PACKAGE = {
    "id": "79db", "name": "aed-list", "title": "AED設置箇所一覧", "notes": "市内の AED。\n",
    "license_id": "cc-by", "license_title": "Creative Commons Attribution",
    "license_url": "http://www.opendefinition.org/licenses/cc-by", "private": False, "state": "active",
    "organization": {"name": "sample-city", "title": "サンプル市", "type": "organization"},
    "tags": [{"name": "防災"}, {"name": "AED"}],
    "extras": [{"key": "spatial", "value": '{"type":"Polygon","coordinates":[[[130.1,33.5],[130.4,33.5],'
                                           '[130.4,33.7],[130.1,33.7],[130.1,33.5]]]}'},
               {"key": "frequency", "value": "http://publications.europa.eu/resource/authority/frequency/MONTHLY"},
               {"key": "temporal_start", "value": "2026-04-01"}, {"key": "kokai_source", "value": "x"}],
    "resources": [
        {"id": "r1", "name": "AED一覧", "format": "CSV", "description": "一覧表", "url_type": "upload",
         "url": "http://ckan.example/dataset/79db/resource/r1/download/aed%20list.csv"},
        {"id": "r2", "name": "a", "format": "", "url": "http://ckan.example/api/export?id=3"},
        {"id": "r3", "name": "aed-map", "format": "GeoJSON", "url": "http://ckan.example/files/aed.geojson"},
    ],
}  # fmt: skip


def test_descriptor_inverts_the_publish_mapping():
    filenames = resource_filenames(CKAN_PACKAGE)
    assert filenames == {"r1": "aed list.csv", "r2": "a.dat", "r3": "aed.geojson"}
    descriptor = descriptor_for(CKAN_PACKAGE, filenames)
    assert descriptor["name"] == "aed-list" and descriptor["title"] == "AED設置箇所一覧"
    assert descriptor["description"] == "市内の AED。\n"
    assert descriptor["licenses"] == [{"name": "cc-by", "title": "Creative Commons Attribution",
                                       "path": "http://www.opendefinition.org/licenses/cc-by"}]  # fmt: skip
    assert descriptor["keywords"] == ["AED", "防災"]
    assert descriptor["kokai:organization"] == {"name": "sample-city", "title": "サンプル市"}
    assert descriptor["kokai:update_frequency"] == "毎月"  # from the DCAT-AP frequency URI
    assert descriptor["kokai:spatial"] == [130.1, 33.5, 130.4, 33.7]
    assert descriptor["kokai:temporal"] == {"start": "2026-04-01"}
    names = [(r["name"], r.get("title"), r["path"], r["format"]) for r in descriptor["resources"]]
    assert names == [("aed-list", "AED一覧", "aed list.csv", "csv"), ("a-2", "a", "a.dat", "dat"),
                     ("aed-map", None, "aed.geojson", "geojson")]  # fmt: skip
    assert not any("kokai_source" in json.dumps(v) for v in descriptor.values())


def test_a_resource_not_downloaded_is_left_out():
    descriptor = descriptor_for(CKAN_PACKAGE, {"r3": "aed.geojson"})
    assert [r["path"] for r in descriptor["resources"]] == ["aed.geojson"]


def test_same_file_names_get_told_apart():
    package = {"resources": [{"id": "a", "url": "http://x/d/data.csv"}, {"id": "b", "url": "http://y/data.csv"}]}
    assert resource_filenames(package) == {"a": "data.csv", "b": "2-data.csv"}


# ---------------------------------------------------------------- against a live CKAN-compatible API


@pytest.fixture
def remote(city, live_server):
    """The demo city published, then pushed into the live server (the CKAN to import from)."""
    assert {o.status for o in city.publish()} == {"published"}

    def make_client():
        return ckanapi.RemoteCKAN(live_server.url, apikey=live_server.token)

    pushed = push(LocalCatalog(city.config), make_client, live_server.url, PushOptions())
    assert pushed.count("created") == 5
    live_server.source_city = city
    return live_server


@pytest.fixture
def empty_kokai(tmp_path, sqlite_template):
    """A city folder with its own empty catalog and no datasets."""
    config = empty_city(tmp_path / "new-city", fresh_sqlite_url(sqlite_template, tmp_path / "new-db"))
    yield config
    dispose_engine(config)


def run_import(config, url, capsys, *args):
    code = main(["--config", str(config.source), "import", "--ckan-url", url, "--date", DEMO_TODAY.isoformat(), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_import_into_an_empty_kokai_gives_the_same_catalog(remote, empty_kokai, capsys):
    code, out, err = run_import(empty_kokai, remote.url, capsys, "--validate", "--publish")
    assert code == 0, out + err
    assert "5 件: 新規 5" in out and "5 / 5 件が通ります" in out
    source = remote.source_city.catalog()
    imported = LocalCatalog(empty_kokai).as_site()
    assert sorted(imported.action.package_list()) == sorted(source.action.package_list())
    for name in source.action.package_list():
        assert_imported_like(
            imported.action.package_show(id=name), source.action.package_show(id=name)
        )
    folder = Path(empty_kokai.datasets_dir) / "evacuation-sites"
    descriptor = yaml.safe_load((folder / "datapackage.yaml").read_text("utf-8"))
    assert descriptor["resources"][0]["schema"] == "evacuation-sites"


def test_a_second_import_downloads_nothing_and_changes_nothing(remote, empty_kokai, capsys):
    code, out, _ = run_import(empty_kokai, remote.url, capsys)
    assert code == 0 and "ファイルのダウンロード 5 件" in out
    folder = Path(empty_kokai.datasets_dir)
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    code, out, _ = run_import(empty_kokai, remote.url, capsys)
    assert code == 0 and "変更なし 5" in out and "ファイルのダウンロード 0 件" in out
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()} == before


class InterruptedSession(requests.Session):
    """A session killed (KeyboardInterrupt) in the middle of its `fail_at`-th download."""

    def __init__(self, fail_at: int):
        super().__init__()
        self.fail_at, self.calls = fail_at, 0

    def get(self, url, **kwargs):
        self.calls += 1
        response = super().get(url, **kwargs)
        if self.calls == self.fail_at:
            original = response.iter_content

            def broken(size):
                for i, chunk in enumerate(original(size)):
                    if i:
                        raise KeyboardInterrupt
                    yield chunk[: len(chunk) // 2]
                raise KeyboardInterrupt

            response.iter_content = broken
        return response


def test_an_interrupted_import_resumes_after_the_last_complete_file(remote, empty_kokai):
    out = Path(empty_kokai.datasets_dir)
    options = ImportOptions(out=out)
    client = ckanapi.RemoteCKAN(remote.url)
    packages = remote_packages(client, lambda: ckanapi.RemoteCKAN(remote.url))
    importer = Importer(remote.url, "", options, session=InterruptedSession(fail_at=3))
    with pytest.raises(KeyboardInterrupt):
        for package in packages:
            importer.dataset(package)
    assert not list(out.rglob("*.part")) and not list(out.rglob(".*.tmp"))
    assert len(list(out.glob("*/datapackage.yaml"))) == 2  # the third was cut off in its file
    states = [json.loads(p.read_text("utf-8")) for p in sorted((out / STATE_FOLDER).glob("*.json"))]
    assert [len(s["files"]) for s in states] == [1, 1, 0]
    result = import_catalog(lambda: ckanapi.RemoteCKAN(remote.url), remote.url, "", options)
    assert sum(d.downloaded for d in result.datasets) == 3
    assert sum(d.kept for d in result.datasets) == 2
    source = remote.source_city.catalog()
    for item in result.datasets:
        descriptor = yaml.safe_load((item.folder / "datapackage.yaml").read_text("utf-8"))
        expected = {r["hash"] for r in source.action.package_show(id=item.name)["resources"]}
        got = {hashlib.sha256((item.folder / r["path"]).read_bytes()).hexdigest() for r in descriptor["resources"]}
        assert got == expected


def test_files_over_the_size_cap_are_not_downloaded(remote, empty_kokai):
    out = Path(empty_kokai.datasets_dir)
    result = import_catalog(lambda: ckanapi.RemoteCKAN(remote.url), remote.url, "",
                            ImportOptions(out=out, org="shiomi-city-bousai", max_bytes=1000))  # fmt: skip
    assert [d.name for d in result.datasets] == ["evacuation-sites", "shelters"]
    assert all("上限" in d.failed[0] for d in result.datasets) and result.failed
    assert not [p for p in out.rglob("*") if p.suffix in (".csv", ".part")]


def test_a_folder_the_city_made_itself_is_never_overwritten(remote, empty_kokai, capsys):
    own = Path(empty_kokai.datasets_dir) / "shelters"
    own.mkdir(parents=True)
    (own / "datapackage.yaml").write_text("name: shelters\ntitle: 市が書いたもの\n", encoding="utf-8")
    code, out, _ = run_import(empty_kokai, remote.url, capsys)
    assert code == 1 and "shelters: 取り込まず" in out and "上書きしません" in out
    assert (own / "datapackage.yaml").read_text("utf-8") == "name: shelters\ntitle: 市が書いたもの\n"


def test_validate_lists_which_datasets_would_pass_the_gate(remote, empty_kokai, capsys):
    remote_client = ckanapi.RemoteCKAN(remote.url, apikey=remote.token)
    remote_client.action.package_patch(id="population", notes="")  # no description: the gate refuses
    code, out, _ = run_import(empty_kokai, remote.url, capsys, "--validate")
    assert code == 1
    assert "4 / 5 件が通ります" in out and "× population" in out and "✓ shelters" in out
    assert LocalCatalog(empty_kokai).as_site().action.package_list() == []  # --validate alone publishes nothing
