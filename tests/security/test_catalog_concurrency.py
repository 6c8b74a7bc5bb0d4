"""Reads are never stale after an acknowledged write (issue 13, item 4).

Eight writer threads add resources to one shared dataset and patch a dataset
of their own, through one LocalCatalog (one "worker"); after each acknowledged
write the writer reads it back through a second LocalCatalog on the same
database (another worker, with its own cache). At the end every acknowledged
resource and value must be in package_show, resource_show, search and DCAT.
Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import io
import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kokai.catalog.client import LocalCatalog
from kokai.catalog.db import dispose_engine
from kokai.catalog.models import ResourceFile
from tests.conftest import make_config

WRITERS = 8
ROUNDS = 6


@pytest.fixture
def two_workers(tmp_path, database_url):
    config = make_config(tmp_path, database_url)
    writer_side = LocalCatalog(config).as_site()
    reader_side = LocalCatalog(config, engine=writer_side.engine).as_site()  # own cache
    site = writer_side
    site.action.organization_create(name="city", title="市")
    site.action.package_create(name="shared", title="共有", owner_org="city")
    for i in range(WRITERS):
        site.action.package_create(name=f"own-{i}", title=f"専用 {i}", owner_org="city")
    yield config, writer_side, reader_side
    dispose_engine(config)


def _writer(i: int, writer, reader, acknowledged: list, stale: list, failures: list) -> None:
    try:
        for n in range(ROUNDS):
            upload = io.BytesIO(f"a,b\n{i},{n}\n".encode())
            resource = writer.action.resource_create(
                package_id="shared", name=f"w{i}-{n}", format="CSV",
                upload=(f"w{i}-{n}.csv", upload),
            )  # fmt: skip
            acknowledged.append(resource["id"])
            seen = {r["id"] for r in reader.action.package_show(id="shared")["resources"]}
            if resource["id"] not in seen:
                stale.append(("package_show", resource["id"]))
            notes = f"w{i} round {n}"
            writer.action.package_patch(id=f"own-{i}", notes=notes)
            if reader.action.package_show(id=f"own-{i}")["notes"] != notes:
                stale.append(("package_patch", i, n))
    except Exception as exc:  # reported by the test, with the writer's number
        failures.append((i, repr(exc)))


def test_concurrent_writers_are_all_visible(two_workers, tmp_path):
    config, writer, reader = two_workers
    acknowledged: list[str] = []
    stale: list = []
    failures: list = []
    threads = [
        threading.Thread(target=_writer, args=(i, writer, reader, acknowledged, stale, failures))
        for i in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures
    assert not stale, f"{len(stale)} reads were stale, e.g. {stale[:3]}"
    assert len(acknowledged) == WRITERS * ROUNDS

    for catalog in (writer, reader, LocalCatalog(config, engine=writer.engine)):
        shared = catalog.action.package_show(id="shared")
        assert {r["id"] for r in shared["resources"]} == set(acknowledged)
        assert shared["num_resources"] == len(acknowledged)
        for rid in acknowledged[:: WRITERS + 1]:
            assert catalog.action.resource_show(id=rid)["package_id"] == shared["id"]
        for i in range(WRITERS):
            found = catalog.action.package_search(fq=f"name:own-{i}")["results"]
            assert [p["notes"] for p in found] == [f"w{i} round {ROUNDS - 1}"]
        assert catalog.action.package_search(fq="name:shared")["results"][0]["num_resources"] == len(
            acknowledged
        )

    from kokai.web.app import create_app

    with TestClient(create_app(config)) as client:
        graph = client.get("/dataset/shared.jsonld").text
        assert all(rid in graph for rid in acknowledged)
        catalog_page = client.get("/catalog.jsonld").text
        assert all(f"w{i} round {ROUNDS - 1}" in catalog_page for i in range(WRITERS))

    # Every upload that was acknowledged has its one version, and its bytes are stored.
    with writer.session() as session:
        rows = session.execute(select(ResourceFile.resource_id, ResourceFile.sha256)).all()
    assert sorted(rid for rid, _ in rows) == sorted(acknowledged)
    assert {sha for _, sha in rows} == {blob.sha256 for blob in writer.blobs.iter_blobs()}
