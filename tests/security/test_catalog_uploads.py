"""Files uploaded by a transaction that never committed are cleaned up (issue 13, item 4).

The commit of the write is the only commit point of an upload: before it, the
bytes are at most an unreferenced blob, never a version anyone is served, and
garbage collection removes them once they are old. A process killed between
storing the blob and the commit is tested, on both backends, in
tests/catalog/test_blob_storage.py.
"""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta

import pytest

from kokai.catalog import storage
from kokai.catalog.client import LocalCatalog
from kokai.catalog.db import dispose_engine
from kokai.catalog.errors import ValidationError
from tests.conftest import make_config


@pytest.fixture
def site(tmp_path, database_url, monkeypatch):
    monkeypatch.delenv("KOKAI_STORAGE_URL", raising=False)
    config = make_config(tmp_path, database_url)
    catalog = LocalCatalog(config).as_site()
    catalog.action.organization_create(name="city", title="市")
    catalog.action.package_create(name="pkg", title="データ", owner_org="city")
    yield catalog
    dispose_engine(config)


def _blobs(catalog: LocalCatalog) -> set[str]:
    return {blob.sha256 for blob in catalog.blobs.iter_blobs()}


def _age(catalog: LocalCatalog, sha256: str) -> None:
    old = time.time() - storage.GC_GRACE.total_seconds() - 60
    os.utime(catalog.blobs.local_path(sha256), (old, old))


def test_a_rolled_back_upload_leaves_only_garbage(site):
    with pytest.raises(ValidationError):
        with site.transaction() as ckan:
            ckan.action.resource_create(
                package_id="pkg", name="a", upload=("a.csv", io.BytesIO(b"x\n1\n"))
            )
            assert len(_blobs(site)) == 1  # stored, not yet referenced by a committed version
            ckan.action.resource_create(package_id="pkg", url="javascript:alert(1)")
    assert site.action.package_show(id="pkg")["resources"] == []
    (orphan,) = _blobs(site)
    assert site.sweep_storage() == 0  # young: it could be a live upload
    _age(site, orphan)
    assert site.sweep_storage() == 1
    assert _blobs(site) == set()


def test_an_uncommitted_version_is_never_served(site):
    kept = site.action.resource_create(
        package_id="pkg", name="a", upload=("a.csv", io.BytesIO(b"v1\n"))
    )
    with site.transaction() as ckan:
        ckan.action.resource_patch(id=kept["id"], upload=("a.csv", io.BytesIO(b"v2\n")))
        with site.session() as other:  # another connection: what a download would see
            current = storage.current_file(other, kept["id"])
        assert current.version == 1 and current.sha256 == kept["hash"]
    with site.session() as session:
        current = storage.current_file(session, kept["id"])
    assert current.version == 2
    assert site.blobs.local_path(current.sha256).read_bytes() == b"v2\n"


def test_garbage_collection_keeps_every_referenced_version(site):
    resource = site.action.resource_create(
        package_id="pkg", name="a", upload=("a.csv", io.BytesIO(b"1\n"))
    )
    site.action.resource_patch(id=resource["id"], upload=("a.csv", io.BytesIO(b"2\n")))
    for sha256 in _blobs(site):
        _age(site, sha256)
    assert site.sweep_storage(older_than=timedelta(0)) == 0
    assert len(_blobs(site)) == 2  # the old version stays downloadable
