"""Content-addressed, versioned file storage, on both backends (a local folder and
S3 through a real S3 API server): the blob store itself, versions recorded in
the catalog, garbage collection, and a process killed between storing a blob
and committing. Catalog tests run on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kokai.catalog import storage
from kokai.catalog.blobs import CHUNK, Blob, BlobNotFound, blob_key, blob_store, open_blob_store
from kokai.catalog.blobs.local import LocalBlobStore
from kokai.catalog.client import LocalCatalog
from kokai.catalog.db import dispose_engine, get_engine
from kokai.catalog.errors import NotAuthorized
from kokai.config import Config, load_config
from tests.catalog.blob_backends import BACKENDS, moto_s3, storage_env, with_storage
from tests.conftest import add_user, make_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def s3_server():
    with pytest.MonkeyPatch.context() as monkeypatch, moto_s3(monkeypatch) as server:
        yield server


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    if request.param == "s3":
        request.getfixturevalue("s3_server")
    return request.param


@pytest.fixture
def config(tmp_path, database_url, backend, request, monkeypatch) -> Config:
    monkeypatch.delenv("KOKAI_STORAGE_URL", raising=False)
    monkeypatch.delenv("KOKAI_S3_ENDPOINT_URL", raising=False)
    s3 = request.getfixturevalue("s3_server") if backend == "s3" else None
    config = with_storage(make_config(tmp_path, database_url), backend, s3)
    yield config
    dispose_engine(config)


@pytest.fixture
def site(config) -> LocalCatalog:
    catalog = LocalCatalog(config).as_site()
    catalog.action.organization_create(name="city", title="市")
    catalog.action.package_create(name="pkg", title="データ", owner_org="city")
    return catalog


def blobs_of(catalog: LocalCatalog) -> set[str]:
    return {blob.sha256 for blob in catalog.blobs.iter_blobs()}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def upload(name: str, data: bytes) -> tuple[str, io.BytesIO]:
    return (name, io.BytesIO(data))


# ---------------------------------------------------------------- the blob store


@pytest.fixture
def store(backend, tmp_path, request):
    if backend == "local":
        return open_blob_store(str(tmp_path / "storage"))
    s3 = request.getfixturevalue("s3_server")
    return open_blob_store(f"s3://{s3.new_bucket()}/pre/fix", s3.endpoint_url)


def test_put_is_content_addressed_and_streamed(store):
    data = os.urandom(2 * CHUNK + 123)  # several chunks
    blob = store.put(io.BytesIO(data))
    assert blob == Blob(sha(data), len(data))
    assert store.put(io.BytesIO(data)) == blob  # the same bytes: the same blob
    assert [b.sha256 for b in store.iter_blobs()] == [blob.sha256]
    assert store.exists(blob.sha256) and store.stat(blob.sha256).size == len(data)
    assert b"".join(store.open_range(blob.sha256)) == data
    assert b"".join(store.open_range(blob.sha256, CHUNK - 5, 10)) == data[CHUNK - 5 : CHUNK + 5]
    assert b"".join(store.open_range(blob.sha256, len(data) - 3)) == data[-3:]
    assert max(len(c) for c in store.open_range(blob.sha256)) <= CHUNK


def test_empty_blob_and_missing_blobs(store):
    empty = store.put(io.BytesIO(b""))
    assert empty == Blob(sha(b""), 0)
    assert b"".join(store.open_range(empty.sha256, 0, 0)) == b""
    assert b"".join(store.open_range(empty.sha256)) == b""
    missing = sha(b"never stored")
    assert not store.exists(missing) and store.stat(missing) is None
    with pytest.raises(BlobNotFound):
        store.open_range(missing, 0, 10)  # raised at once, not while iterating
    store.delete(missing)  # nothing to delete: no error
    store.delete(empty.sha256)
    assert not store.exists(empty.sha256) and list(store.iter_blobs()) == []


def test_blob_layout_is_the_same_on_both_backends(backend, store):
    blob = store.put(io.BytesIO(b"a,b\n1,2\n"))
    assert blob_key(blob.sha256) == f"sha256/{blob.sha256[:2]}/{blob.sha256}"
    if backend == "local":
        assert store.local_path(blob.sha256) == store.root / blob_key(blob.sha256)
        assert store.root.name == "blobs"
        assert list((store.root / "tmp").iterdir()) == []  # nothing left half-written
    else:
        assert store.local_path(blob.sha256) is None
        keys = [o["Key"] for o in store.client.list_objects_v2(Bucket=store.bucket)["Contents"]]
        assert keys == [f"pre/fix/blobs/{blob_key(blob.sha256)}"]


def test_put_renews_a_blob_it_finds_already_stored(backend, store):
    blob = store.put(io.BytesIO(b"renewed"))
    if backend == "local":
        old = time.time() - 3600
        os.utime(store.local_path(blob.sha256), (old, old))
        store.put(io.BytesIO(b"renewed"))
        assert store.stat(blob.sha256).modified > old + 3000
    else:
        before = store.stat(blob.sha256).modified
        time.sleep(1.1)  # S3 times have whole seconds
        store.put(io.BytesIO(b"renewed"))
        assert store.stat(blob.sha256).modified > before


def test_one_store_instance_per_location(tmp_path):
    one = Config(root=tmp_path, storage_dir=Path("a"))
    assert blob_store(one) is blob_store(Config(root=tmp_path, storage_dir=Path("a")))
    assert blob_store(one) is not blob_store(Config(root=tmp_path, storage_dir=Path("b")))
    assert isinstance(blob_store(one), LocalBlobStore)


# ---------------------------------------------------------------- versions in the catalog


def test_same_bytes_are_one_blob_shared_by_two_resources(site):
    data = b"name,lat,lon\n\xe5\xb8\x82\xe5\xbd\xb9\xe6\x89\x80,35.0,139.0\n"
    one = site.action.resource_create(package_id="pkg", name="one", upload=upload("a.csv", data))
    two = site.action.resource_create(package_id="pkg", name="two", upload=upload("b.csv", data))
    assert one["hash"] == two["hash"] == sha(data)
    assert blobs_of(site) == {sha(data)}
    for resource, filename in ((one, "a.csv"), (two, "b.csv")):
        (version,) = site.action.resource_file_list(id=resource["id"])
        assert version["version"] == 1 and version["sha256"] == sha(data)
        assert version["filename"] == filename and version["size"] == len(data)
        assert version["media_type"] == "text/csv"


def test_a_new_version_only_when_the_content_changes(site):
    v1, v2 = b"a\n1\n", b"a\n2\n"
    first = site.action.resource_create(package_id="pkg", name="r", upload=upload("r.csv", v1))

    # The same bytes again, even under another name: no version, nothing changes.
    same = site.action.resource_patch(id=first["id"], upload=upload("renamed.csv", v1))
    assert (same["url"], same["last_modified"], same["hash"]) == (
        first["url"], first["last_modified"], first["hash"],
    )  # fmt: skip
    assert [v["version"] for v in site.action.resource_file_list(id=first["id"])] == [1]

    second = site.action.resource_patch(id=first["id"], upload=upload("r.csv", v2))
    assert second["hash"] == sha(v2) and second["last_modified"] > first["last_modified"]
    # Back to the first content: a new version (the current one changed), the same blob.
    third = site.action.resource_update(id=first["id"], name="r", upload=upload("r.csv", v1))
    versions = site.action.resource_file_list(id=first["id"])
    assert [(v["version"], v["sha256"]) for v in versions] == [
        (1, sha(v1)), (2, sha(v2)), (3, sha(v1)),
    ]  # fmt: skip
    assert third["hash"] == sha(v1) and third["size"] == len(v1)
    assert third["last_modified"] == versions[-1]["created"]
    assert blobs_of(site) == {sha(v1), sha(v2)}
    with site.session() as session:
        assert storage.current_file(session, first["id"]).version == 3
        assert storage.file_for_version(session, first["id"], 2).sha256 == sha(v2)
        assert storage.file_for_version(session, first["id"], 9) is None


def test_resource_file_list_is_readable_as_resource_show_is(site):
    site.action.package_create(name="secret", title="内部", owner_org="city", private=True)
    public = site.action.resource_create(package_id="pkg", upload=upload("p.csv", b"p\n"))
    private = site.action.resource_create(package_id="secret", upload=upload("s.csv", b"s\n"))
    anonymous = site.as_user(None)
    assert len(anonymous.action.resource_file_list(id=public["id"])) == 1
    with pytest.raises(NotAuthorized):
        anonymous.action.resource_file_list(id=private["id"])
    add_user(site, "tanaka", org="city")
    assert len(site.as_user("tanaka").action.resource_file_list(id=private["id"])) == 1
    assert anonymous.check_access("resource_file_list", {"id": public["id"]})
    assert not anonymous.check_access("resource_file_list", {"id": private["id"]})


# ---------------------------------------------------------------- garbage collection


def test_garbage_collection_deletes_only_unreferenced_old_blobs(site):
    kept = site.action.resource_create(package_id="pkg", name="k", upload=upload("k.csv", b"k1\n"))
    site.action.resource_patch(id=kept["id"], upload=upload("k.csv", b"k2\n"))
    purged = site.action.package_create(name="purged", title="消す", owner_org="city")
    site.action.resource_create(package_id=purged["id"], upload=upload("x.csv", b"purged\n"))
    orphan = site.blobs.put(io.BytesIO(b"orphan\n"))  # as a killed upload leaves it
    site.action.dataset_purge(id="purged")  # its versions go with it (ON DELETE CASCADE)

    assert site.sweep_storage() == 0  # all young: any of them could be a live upload
    assert len(blobs_of(site)) == 4
    assert site.sweep_storage(older_than=timedelta(0)) == 2
    assert blobs_of(site) == {sha(b"k1\n"), sha(b"k2\n")}  # every version is kept
    assert orphan.sha256 not in blobs_of(site)


def test_garbage_collection_respects_the_grace_period_exactly(tmp_path, database_url, monkeypatch):
    monkeypatch.delenv("KOKAI_STORAGE_URL", raising=False)
    config = make_config(tmp_path, database_url)
    site = LocalCatalog(config).as_site()
    try:
        young = site.blobs.put(io.BytesIO(b"young"))
        old = site.blobs.put(io.BytesIO(b"old"))
        past = time.time() - storage.GC_GRACE.total_seconds() - 5
        os.utime(site.blobs.local_path(old.sha256), (past, past))
        partial = site.blobs.root / "tmp" / "upload-killed"
        partial.write_bytes(b"half")
        os.utime(partial, (past, past))
        assert site.sweep_storage() == 1
        assert blobs_of(site) == {young.sha256}
        assert not partial.exists()
    finally:
        dispose_engine(config)


KILLED = """
import io, os, signal, sys
from pathlib import Path
from kokai.catalog.client import LocalCatalog
from kokai.config import Config

root, database_url, resource_id, stage = sys.argv[1:5]
config = Config(root=Path(root), database_url=database_url, storage_dir=Path(root) / "storage",
                site_url="http://testserver")


class DiesMidway(io.RawIOBase):
    # A file whose reading kills the process after two chunks were stored.
    def __init__(self):
        self.reads = 0

    def readable(self):
        return True

    def read(self, size=-1):
        self.reads += 1
        if self.reads > 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return b"x" * (size if size and size > 0 else 1024 * 1024)


with LocalCatalog(config).as_site().transaction() as ckan:
    ckan.action.resource_patch(id=resource_id, upload=("v2.csv", io.BytesIO(b"a\\n2\\n")))
    if stage == "mid-put":
        ckan.action.resource_create(package_id="pkg", name="big", upload=("big.csv", DiesMidway()))
    ckan.action.resource_create(package_id="pkg", name="orphan", upload=("o.csv", io.BytesIO(b"o\\n")))
    os.kill(os.getpid(), signal.SIGKILL)  # kill -9 after the blobs are put, before the commit
"""


@pytest.mark.parametrize("stage", ["before-commit", "mid-put"])
def test_a_process_killed_between_put_and_commit_changes_nothing(site, config, stage):
    kept = site.action.resource_create(
        package_id="pkg", name="kept", upload=upload("v1.csv", b"a\n1\n")
    )
    before = site.action.package_show(id="pkg")
    proc = subprocess.run(
        [sys.executable, "-c", KILLED, str(config.root), config.catalog_url, kept["id"], stage],
        capture_output=True, timeout=120, cwd=ROOT, env={**os.environ, **storage_env(config)},
    )  # fmt: skip
    assert proc.returncode == -9, proc.stderr.decode()

    # The catalog is exactly as before; the blobs put are only garbage.
    assert site.action.package_show(id="pkg") == before
    assert [v["sha256"] for v in site.action.resource_file_list(id=kept["id"])] == [kept["hash"]]
    left = blobs_of(site)
    assert kept["hash"] in left
    if stage == "before-commit":
        assert left == {kept["hash"], sha(b"a\n2\n"), sha(b"o\n")}
    else:
        assert left == {kept["hash"], sha(b"a\n2\n")}  # the half-read file never became a blob
    assert site.sweep_storage() == 0  # young: left alone
    assert site.sweep_storage(older_than=timedelta(0)) == len(left) - 1
    assert blobs_of(site) == {kept["hash"]}
    if isinstance(site.blobs, LocalBlobStore):
        assert list((site.blobs.root / "tmp").iterdir()) == []

    # The next write completes, and its file is served.
    again = site.action.resource_patch(id=kept["id"], upload=upload("v2.csv", b"a\n2\n"))
    assert [v["version"] for v in site.action.resource_file_list(id=kept["id"])] == [1, 2]
    with TestClient(_app(config)) as client:
        response = client.get(again["url"].replace("http://testserver", ""))
    assert response.status_code == 200 and response.content == b"a\n2\n"


def _app(config: Config):
    from kokai.web.app import create_app

    return create_app(config)


# ---------------------------------------------------------------- downloads, both backends


def test_downloads_and_ranges_on_both_backends(site, config, backend, monkeypatch):
    data = os.urandom(CHUNK + 1000)
    resource = site.action.resource_create(
        package_id="pkg", name="bin", upload=upload("d.bin", data)
    )
    if backend == "local":
        # Local blobs are read straight from their file, never through open_range.
        def unused(*args, **kwargs):
            raise AssertionError("the local fast path was not taken")

        monkeypatch.setattr(LocalBlobStore, "open_range", unused)
    path = resource["url"].replace("http://testserver", "")
    with TestClient(_app(config)) as client:
        full = client.get(path)
        assert full.status_code == 200 and full.content == data
        assert full.headers["etag"] == f'"{sha(data)}"'
        part = client.get(path, headers={"Range": f"bytes={CHUNK - 2}-{CHUNK + 2}"})
        assert part.status_code == 206 and part.content == data[CHUNK - 2 : CHUNK + 3]
        assert part.headers["content-range"] == f"bytes {CHUNK - 2}-{CHUNK + 2}/{len(data)}"
        tail = client.get(path, headers={"Range": "bytes=-10"})
        assert tail.status_code == 206 and tail.content == data[-10:]
        assert client.get(path, headers={"If-None-Match": f'"{sha(data)}"'}).status_code == 304

        # A version whose blob vanished behind the catalog's back: 404, not a cut download.
        monkeypatch.undo()
        site.blobs.delete(sha(data))
        assert client.get(path).status_code == 404
        assert client.head(path).status_code == 200  # HEAD reads only the catalog


# ---------------------------------------------------------------- configuration and schema


def test_storage_location_from_config_and_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("KOKAI_STORAGE_URL", raising=False)
    monkeypatch.delenv("KOKAI_S3_ENDPOINT_URL", raising=False)
    path = tmp_path / "kokai.toml"
    path.write_text('[catalog]\nstorage_dir = "files"\n', encoding="utf-8")
    assert load_config(path).storage_location == str(tmp_path.resolve() / "files")
    path.write_text(
        '[catalog]\nstorage_dir = "files"\n'
        '[storage]\nurl = "s3://city-bucket/open-data"\nendpoint_url = "http://127.0.0.1:9000"\n',
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.storage_location == "s3://city-bucket/open-data"
    assert config.s3_endpoint == "http://127.0.0.1:9000"
    monkeypatch.setenv("KOKAI_STORAGE_URL", "elsewhere")
    monkeypatch.setenv("KOKAI_S3_ENDPOINT_URL", "http://127.0.0.1:9999")
    assert config.storage_location == str(tmp_path.resolve() / "elsewhere")
    assert config.s3_endpoint == "http://127.0.0.1:9999"
    store = open_blob_store("s3://city-bucket/open-data/", "http://127.0.0.1:9999")
    assert store.describe().startswith("s3://city-bucket/open-data/blobs/")


def test_migration_0004_matches_the_resource_file_model(database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from kokai.catalog.models import Base

    engine = get_engine(database_url)
    try:
        with engine.connect() as connection:
            diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        dispose_engine(database_url)
    assert [d for d in diffs if "resource_file" in repr(d)] == []


def test_config_dataclass_keeps_storage_dir_working(tmp_path, monkeypatch):
    monkeypatch.delenv("KOKAI_STORAGE_URL", raising=False)
    config = dataclasses.replace(make_config(tmp_path, "sqlite://"), storage_dir=tmp_path / "s")
    store = blob_store(config)
    assert isinstance(store, LocalBlobStore) and store.root == tmp_path / "s" / "blobs"
