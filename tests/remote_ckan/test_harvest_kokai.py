"""Issue 10, point 4: a CKAN that harvests kokai's Action API gets every public
dataset exactly once and never a private (or deleted) one.

Two clients do the harvesting, each from CKAN's side of the fence:

- ckanext-harvest's own CKANHarvester in a real CKAN 2.12.0, run with CKAN's
  CLI `ckan harvester run-test` (gather + fetch + import in one process; the job
  still goes on a Redis queue, so this CKAN gets a throwaway Redis). Its gather
  stage pages kokai's `package_search` 100 rows at a time, sorted `id asc`.
  It silently drops repeated ids between pages, so the test also pages kokai
  the same way itself to see that no page repeats a dataset.
- `ckanapi dump datasets --all` run from the CKAN virtualenv (package_list,
  then package_show for each), as a mirror script would.

The harvested datasets land in the harvesting CKAN's database; the Solr
stand-in only acknowledges their indexing, and nothing here asserts a search
result of the harvesting CKAN."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from collections.abc import Iterator

import ckanapi
import pytest

from tests.conftest import LiveServer, dataset

from .ckan_server import RealCkan
from .fixtures import running_ckan

PUBLIC = 120  # two pages of the harvester's 100 rows, the second one short
HARVESTER_ROWS = 100


@pytest.fixture(scope="module")
def harvesting_ckan() -> Iterator[RealCkan]:
    yield from running_ckan(
        plugins=("harvest", "ckan_harvester"),
        plugin_migrations=("harvest",),
        with_redis=True,
    )


@pytest.fixture(scope="module")
def kokai_with_private_datasets(tmp_path_factory, sqlite_template):
    """kokai on 127.0.0.1 (tests/conftest.py's LiveServer, as `live_server`,
    but once for this module: seeding takes a while) with PUBLIC public
    datasets in two organizations, plus private and deleted ones that no
    harvester may get. Yields (server, {id: name} public, {id: name} hidden)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        root = tmp_path_factory.mktemp("kokai-harvested")
        with LiveServer(root, monkeypatch, sqlite_template) as live_server:
            yield live_server, *_seed(live_server)


def _seed(live_server: LiveServer) -> tuple[dict[str, str], dict[str, str]]:
    site = live_server.catalog.as_site()
    site.action.organization_create(name="sample-city", title="サンプル市")
    site.action.organization_create(name="other-town", title="となり町")
    public = {}
    for i in range(PUBLIC):
        org = "sample-city" if i % 3 else "other-town"
        created = site.action.package_create(
            **dataset(f"open-{i:03d}", org=org, tags=["オープンデータ", "防災"])
        )
        public[created["id"]] = created["name"]
    hidden = {}
    for i in range(7):
        created = site.action.package_create(
            **dataset(f"private-{i}", private=True, tags=["内部"])
        )
        hidden[created["id"]] = created["name"]
    for i in range(3):
        created = site.action.package_create(**dataset(f"withdrawn-{i}"))
        site.action.package_delete(id=created["id"])
        hidden[created["id"]] = created["name"]
    return public, hidden


def test_ckan_harvester_gets_every_public_dataset_once(
    harvesting_ckan, kokai_with_private_datasets
):
    kokai, public, hidden = kokai_with_private_datasets
    with harvesting_ckan.remote() as ckan:
        org = ckan.action.organization_create(name="harvested-city", title="収集先")
        ckan.action.harvest_source_create(
            name="kokai-city",
            title="kokai のカタログ",
            url=kokai.url,
            source_type="ckan",
            owner_org=org["id"],
        )
    harvesting_ckan.cli("harvester", "run-test", "kokai-city")

    # Every harvest object the gather stage made is one remote dataset.
    guids = Counter(
        guid for (guid,) in harvesting_ckan.query("SELECT guid FROM harvest_object")
    )
    assert set(guids) == set(public)
    assert all(count == 1 for count in guids.values())
    assert not set(guids) & set(hidden)
    errors = harvesting_ckan.query(
        "SELECT message FROM harvest_gather_error UNION ALL "
        "SELECT message FROM harvest_object_error"
    )
    assert errors == []
    # ... and each became a dataset of the harvesting CKAN, under kokai's id and name.
    imported = dict(
        harvesting_ckan.query(
            "SELECT id, name FROM package WHERE type = 'dataset' AND state = 'active'"
        )
    )
    assert imported == public
    with harvesting_ckan.remote(anonymous=True) as ckan:
        some_id = sorted(public)[0]
        shown = ckan.action.package_show(id=some_id)
        assert shown["name"] == public[some_id]
        assert {t["name"] for t in shown["tags"]} == {"オープンデータ", "防災"}
        for private_name in hidden.values():
            with pytest.raises(ckanapi.NotFound):
                ckan.action.package_show(id=private_name)


def test_kokai_pages_like_the_harvester_asks_without_repeats(kokai_with_private_datasets):
    """The requests CKANHarvester._search_for_datasets makes (rows=100, start
    += 100, sort=id asc, until an empty page), without its de-duplication."""
    kokai, public, hidden = kokai_with_private_datasets
    seen: list[str] = []
    with ckanapi.RemoteCKAN(kokai.url) as anonymous:
        start = 0
        while True:
            page = anonymous.action.package_search(
                rows=HARVESTER_ROWS, start=start, sort="id asc"
            )["results"]
            if not page:
                break
            seen.extend(p["id"] for p in page)
            start += HARVESTER_ROWS
    assert len(seen) == len(set(seen)) == PUBLIC
    assert set(seen) == set(public)
    assert seen == sorted(seen)


def test_ckanapi_dump_all_gets_every_public_dataset_once(
    ckan_venv, kokai_with_private_datasets, tmp_path
):
    kokai, public, hidden = kokai_with_private_datasets
    out = tmp_path / "datasets.jsonl"
    ckanapi_bin = ckan_venv / "bin" / "ckanapi"
    result = subprocess.run(
        [str(ckanapi_bin), "dump", "datasets", "--all", "-r", kokai.url, "-O", str(out),
         "-p", "2", "-q"],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
        # its worker processes are started as `ckanapi` from PATH
        env={**os.environ, "PATH": f"{ckan_venv / 'bin'}{os.pathsep}{os.environ['PATH']}"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    dumped = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    ids = Counter(d["id"] for d in dumped)
    assert set(ids) == set(public)
    assert all(count == 1 for count in ids.values())
    assert {d["name"] for d in dumped} == set(public.values())
    assert not any(d.get("private") for d in dumped)
