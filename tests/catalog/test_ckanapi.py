"""Real clients against a live uvicorn on 127.0.0.1: ckanapi (library and
command line) and a ckanext-harvest style paging loop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ckanapi
import pytest

CKANAPI = Path(sys.executable).parent / "ckanapi"
# Compared without timestamps (and ids of things the load recreates).
TIMESTAMPS = {"metadata_created", "metadata_modified", "created", "last_modified",
              "creator_user_id", "tracking_summary"}  # fmt: skip


def create_directly(server, action: str, data: dict):
    """Run an action in-process as the sysadmin (fast bulk setup), through the
    server's own LocalCatalog (its cache sees the change at once)."""
    return server.catalog.as_user("admin").call_action(action, data)


def test_remote_ckan_actions_and_error_mapping(live_server, tmp_path):
    csv_file = tmp_path / "shelters.csv"
    csv_file.write_text("名称\n市役所\n", encoding="utf-8")
    with ckanapi.RemoteCKAN(live_server.url, apikey=live_server.token) as ckan:
        org = ckan.action.organization_create(name="sample-city", title="サンプル市")
        assert org["title"] == "サンプル市"
        package = ckan.action.package_create(
            name="shelters", title="避難所一覧", owner_org="sample-city",
            tags=[{"name": "防災"}], resources=[{"url": "https://example.jp/a.csv"}],
        )  # fmt: skip
        assert package["num_resources"] == 1
        assert ckan.action.package_show(id="shelters")["title"] == "避難所一覧"
        found = ckan.action.package_search(q="避難", fq="organization:sample-city")
        assert found["count"] == 1
        patched = ckan.action.package_patch(id="shelters", notes="更新")
        assert patched["notes"] == "更新"
        with pytest.raises(ckanapi.NotFound):
            ckan.action.package_show(id="no-such-dataset")
        with pytest.raises(ckanapi.ValidationError) as error:
            ckan.action.package_create(name="Bad Name", owner_org="sample-city")
        assert "name" in error.value.error_dict
        with pytest.raises(ckanapi.SearchQueryError):
            ckan.action.package_search(fq="nosuchfield:1")
        with csv_file.open("rb") as fileobj:
            upload = ckan.action.resource_create(
                package_id="shelters", name="アップロード", upload=fileobj
            )
        assert upload["url_type"] == "upload" and upload["url"].startswith(live_server.url)
    with ckanapi.RemoteCKAN(live_server.url) as anonymous:
        with pytest.raises(ckanapi.NotAuthorized):
            anonymous.action.package_create(name="anon", owner_org="sample-city")
        assert anonymous.action.package_list() == ["shelters"]
        got = anonymous.call_action("package_show", {"id": "shelters"}, requests_kwargs={})
        assert got["name"] == "shelters"


def comparable(package: dict) -> dict:
    """A package dict without ids and timestamps."""

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in TIMESTAMPS}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    out = strip(package)
    for tag in out["tags"]:
        tag.pop("id")  # tags are re-created by name, as CKAN does
    return out


def test_ckanapi_dump_then_load_into_an_empty_catalog(live_server, second_live_server, tmp_path):
    for org in ("sample-city", "other-city"):
        create_directly(live_server, "organization_create", {"name": org, "title": f"{org} 役所"})
    for n in range(12):
        create_directly(live_server, "package_create", {
            "name": f"dataset-{n:02d}", "title": f"データ {n} 避難所", "notes": "説明文",
            "owner_org": "sample-city" if n % 2 else "other-city", "license_id": "cc-by-4.0",
            "tags": [{"name": "防災"}, {"name": f"タグ{n % 3}"}],
            "extras": [{"key": "update_frequency", "value": "monthly"}],
            "resources": [{"url": f"https://example.jp/{n}.csv", "name": "CSV", "format": "CSV"}],
        })  # fmt: skip
    env = {**os.environ, "PATH": f"{CKANAPI.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    for kind in ("organizations", "datasets"):
        dump = tmp_path / f"{kind}.jsonl"
        subprocess.run(
            [str(CKANAPI), "dump", kind, "--all", "-O", str(dump), "-p", "2",
             "-r", live_server.url, "-a", live_server.token],
            check=True, env=env, capture_output=True, timeout=120,
        )  # fmt: skip
        lines = dump.read_text(encoding="utf-8").splitlines()
        assert len(lines) == (2 if kind == "organizations" else 12)
        assert "役所" in lines[0]  # UTF-8, not \\u escapes
        loaded = subprocess.run(
            [str(CKANAPI), "load", kind, "-I", str(dump), "-p", "2",
             "-r", second_live_server.url, "-a", second_live_server.token],
            env=env, capture_output=True, timeout=120, text=True,
        )  # fmt: skip
        assert loaded.returncode == 0, loaded.stderr + loaded.stdout
    with (
        ckanapi.RemoteCKAN(live_server.url) as source,
        ckanapi.RemoteCKAN(second_live_server.url) as target,
    ):
        names = source.action.package_list()
        assert target.action.package_list() == names
        for name in names:
            original = comparable(source.action.package_show(id=name))
            copied = comparable(target.action.package_show(id=name))
            assert copied == original


def test_harvester_loop_collects_every_dataset_once(live_server):
    create_directly(live_server, "organization_create", {"name": "sample-city", "title": "サンプル市"})
    for n in range(250):
        create_directly(live_server, "package_create", {
            "name": f"harvest-{n:03d}", "title": f"データセット {n}", "owner_org": "sample-city",
        })  # fmt: skip
    import requests

    seen: list[str] = []
    previous_page = None
    start = 0
    fq = "metadata_modified:[2000-01-01T00:00:00Z TO *]"
    while True:
        response = requests.get(
            f"{live_server.url}/api/3/action/package_search",
            params={"fq": fq, "rows": 100, "start": start, "sort": "id asc"},
            timeout=30,
        )
        assert response.status_code == 200
        results = response.json()["result"]["results"]
        if not results:
            break
        page_ids = [p["id"] for p in results]
        assert page_ids != previous_page, "paging doesn't seem to work"
        previous_page = page_ids
        seen += page_ids
        start += 100
    assert len(seen) == 250 and len(set(seen)) == 250
    assert seen == sorted(seen)
    body = json.loads(
        requests.get(
            f"{live_server.url}/api/3/action/package_search",
            params={"fq": fq, "rows": 0},
            timeout=30,
        ).text  # fmt: skip
    )
    assert body["result"]["count"] == 250
