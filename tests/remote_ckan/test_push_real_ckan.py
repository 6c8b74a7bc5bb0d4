"""`kokai push` and `kokai import` against a real CKAN 2.12.0 (the `real_ckan`
harness beside this file; skipped only when KOKAI_SKIP_CKAN=1).

The demo city (datasets/) is published into a temporary kokai catalog, pushed,
and read back with ckanapi; pushed again (no write call); changed (one
update); pushed with one dataset the remote refuses (the others land); and
imported back into an empty kokai. No assertion goes through the Solr
stand-in: everything is read with package_show, organization_show,
package_list and the download URLs."""

from __future__ import annotations

import hashlib
import urllib.request

import pytest

from kokai.catalog.client import LocalCatalog
from kokai.catalog.db import dispose_engine
from kokai.cli import main
from kokai.publish import remote_ckan
from kokai.publish.remote_ckan import BODIK_STANDARD_TAG, MARK, PushOptions, push
from tests.conftest import fresh_sqlite_url
from tests.publish.conftest import DEMO_TODAY, assert_imported_like, empty_city, make_city

DEMO = ["community-bus", "evacuation-sites", "population", "public-facilities", "shelters"]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


@pytest.fixture
def demo(tmp_path, monkeypatch, sqlite_template):
    """The demo city published into its own kokai catalog (as tests/publish/conftest.py's `city`)."""
    for name in ("KOKAI_DATABASE_URL", "KOKAI_STORAGE_URL"):
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "city"
    root.mkdir()
    city = make_city(root, fresh_sqlite_url(sqlite_template, tmp_path / "db"))
    assert {o.status for o in city.publish()} == {"published"}
    yield city
    dispose_engine(city.config)


@pytest.fixture
def cli(capsys, monkeypatch, real_ckan):
    """Run a kokai command with the real CKAN's token: (exit code, stdout, stderr)."""
    monkeypatch.setenv("KOKAI_REMOTE_CKAN_TOKEN", real_ckan.token)

    def run(config_path, *args):
        code = main(["--config", str(config_path), *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def client_factory(real_ckan):
    return lambda: real_ckan.remote()


def test_push_then_read_back_with_ckanapi(demo, clean_ckan, cli):
    code, out, err = cli(demo.root / "kokai.toml", "push", "--ckan-url", clean_ckan.url)
    assert code == 0, out + err
    assert "作成 5 件" in out and "失敗 0 件" in out
    local = demo.catalog()
    with clean_ckan.remote() as ckan:
        assert sorted(ckan.action.package_list()) == DEMO
        for name in DEMO:
            theirs, ours = ckan.action.package_show(id=name), local.action.package_show(id=name)
            for key in ("title", "notes", "license_id"):
                assert theirs[key] == ours[key], (name, key)
            assert {t["name"] for t in ours["tags"]} <= {t["name"] for t in theirs["tags"]}
            extras = {e["key"]: e["value"] for e in theirs["extras"]}
            assert extras["lg_code"] == "229997"
            assert extras["update_frequency"] == {e["key"]: e["value"] for e in ours["extras"]}["update_frequency"]
            assert extras[MARK] == demo.config.site_url
            assert "kokai_quality" not in extras
            organization = ckan.action.organization_show(id=theirs["organization"]["name"])
            assert organization["title"] == ours["organization"]["title"]
            assert len(theirs["resources"]) == len(ours["resources"]) == 1
            resource, mine = theirs["resources"][0], ours["resources"][0]
            assert resource["url_type"] == "upload" and resource["url"].startswith(clean_ckan.url)
            body = _get(resource["url"])
            assert hashlib.sha256(body).hexdigest() == mine["hash"] == resource["hash"]
            assert len(body) == mine["size"]
        tags = {t["name"] for t in ckan.action.package_show(id="evacuation-sites")["tags"]}
        assert {BODIK_STANDARD_TAG, "指定緊急避難場所", "指定緊急避難場所一覧"} <= tags
        assert BODIK_STANDARD_TAG not in {t["name"] for t in ckan.action.package_show(id="shelters")["tags"]}


def test_a_second_push_makes_no_write_call(demo, clean_ckan, cli):
    first = push(LocalCatalog(demo.config), client_factory(clean_ckan), clean_ckan.url, PushOptions())
    assert first.count("created") == 5 and first.write_calls > 0
    with clean_ckan.remote() as ckan:
        before = {n: ckan.action.package_show(id=n)["metadata_modified"] for n in DEMO}
    second = push(LocalCatalog(demo.config), client_factory(clean_ckan), clean_ckan.url, PushOptions())
    assert second.write_calls == 0 and second.count("unchanged") == 5
    code, out, _ = cli(demo.root / "kokai.toml", "push", "--ckan-url", clean_ckan.url)
    assert code == 0 and "変更はありません" in out
    with clean_ckan.remote() as ckan:
        assert {n: ckan.action.package_show(id=n)["metadata_modified"] for n in DEMO} == before


def test_one_changed_dataset_is_one_update(demo, clean_ckan, cli):
    push(LocalCatalog(demo.config), client_factory(clean_ckan), clean_ckan.url, PushOptions())
    folder = demo.datasets / "population"
    descriptor = folder / "datapackage.yaml"
    descriptor.write_text(descriptor.read_text("utf-8").replace('title: "地域・年齢別人口"', 'title: "地域・年齢別人口（2026年）"'),
                          "utf-8")  # fmt: skip
    assert [o.status for o in demo.publish("population")] == ["published"]
    result = push(LocalCatalog(demo.config), client_factory(clean_ckan), clean_ckan.url, PushOptions())
    assert [(d.name, d.action) for d in result.plan.datasets if d.action != "unchanged"] == [("population", "updated")]
    assert result.plan.datasets[[d.name for d in result.plan.datasets].index("population")].changes == ["title"]
    assert result.write_calls == 1  # one package_patch: the file is the same
    with clean_ckan.remote() as ckan:
        assert ckan.action.package_show(id="population")["title"] == "地域・年齢別人口（2026年）"


def test_a_refused_dataset_fails_alone(demo, clean_ckan, cli, monkeypatch):
    """CKAN refuses an extra that clashes with one of its own fields (its
    extra_key_not_in_root_schema validator), as a stricter site refuses a field
    kokai's catalog allows; kokai's own catalog refuses that key too, so the
    extra is added to what push reads from the local catalog."""
    read = remote_ckan.local_packages

    def with_a_clashing_extra(catalog):
        packages = read(catalog)
        for package in packages:
            if package["name"] == "population":
                package["extras"] = [*package["extras"], {"key": "version", "value": "2026"}]
        return packages

    monkeypatch.setattr(remote_ckan, "local_packages", with_a_clashing_extra)
    code, out, err = cli(demo.root / "kokai.toml", "push", "--ckan-url", clean_ckan.url)
    assert code == 1
    assert "× population: リモートの CKAN がデータセット「population」を受け付けませんでした" in out
    assert "There is a schema field with the same name" in out  # CKAN's own words
    assert "作成 4 件" in out and "失敗 1 件" in out and "Traceback" not in err
    with clean_ckan.remote() as ckan:
        assert sorted(ckan.action.package_list()) == [n for n in DEMO if n != "population"]


def test_import_from_ckan_into_an_empty_kokai(demo, clean_ckan, cli, tmp_path, sqlite_template):
    push(LocalCatalog(demo.config), client_factory(clean_ckan), clean_ckan.url, PushOptions())
    config = empty_city(tmp_path / "new-city", fresh_sqlite_url(sqlite_template, tmp_path / "new-db"))
    try:
        code, out, err = cli(config.source, "import", "--ckan-url", clean_ckan.url, "--validate", "--publish",
                             "--date", DEMO_TODAY.isoformat())  # fmt: skip
        assert code == 0, out + err
        assert "5 件: 新規 5" in out and "5 / 5 件が通ります" in out
        imported, source = LocalCatalog(config).as_site(), demo.catalog()
        assert sorted(imported.action.package_list()) == DEMO
        for name in DEMO:
            assert_imported_like(
                imported.action.package_show(id=name), source.action.package_show(id=name),
                optional_resource_field="kokai_schema",
            )
        code, out, _ = cli(config.source, "import", "--ckan-url", clean_ckan.url)
        assert code == 0 and "変更なし 5" in out and "ファイルのダウンロード 0 件" in out
    finally:
        dispose_engine(config)
