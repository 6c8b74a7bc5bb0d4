"""The S3 backend against a real S3 API server (moto's server mode on 127.0.0.1),
through boto3 at its endpoint URL: uploads through LocalCatalog's actions,
downloads and GTFS feed versions through the web app, and the messages staff
get when the bucket is missing or the server cannot be reached."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
import os
import socket
import time
from datetime import datetime

import pytest
from boto3.s3.transfer import TransferConfig
from fastapi.testclient import TestClient

from kokai.catalog.blobs import BlobStoreError, blob_store
from kokai.catalog.blobs import s3 as s3_backend
from kokai.catalog.client import LocalCatalog
from kokai.catalog.db import dispose_engine
from kokai.config import Config
from kokai.web.app import create_app
from kokai.web.http_dates import format_http_date
from tests.catalog.blob_backends import moto_s3
from tests.conftest import add_user, fresh_sqlite_url, make_config

V1 = b"PK\x03\x04 feed version one " + os.urandom(2000)
V2 = b"PK\x03\x04 feed version two " + os.urandom(3000)


@pytest.fixture(scope="module")
def s3():
    with pytest.MonkeyPatch.context() as monkeypatch, moto_s3(monkeypatch) as server:
        yield server


@pytest.fixture
def config(s3, tmp_path, sqlite_template, monkeypatch) -> Config:
    monkeypatch.delenv("KOKAI_DATABASE_URL", raising=False)
    monkeypatch.delenv("KOKAI_STORAGE_URL", raising=False)
    monkeypatch.delenv("KOKAI_S3_ENDPOINT_URL", raising=False)
    config = make_config(tmp_path, fresh_sqlite_url(sqlite_template, tmp_path))
    config = dataclasses.replace(
        config, storage_url=f"s3://{s3.new_bucket()}/shiomi", s3_endpoint_url=s3.endpoint_url
    )
    yield config
    dispose_engine(config)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def publish_feed(config: Config) -> tuple[LocalCatalog, dict, dict]:
    site = LocalCatalog(config).as_site()
    site.action.organization_create(name="city", title="潮見市")
    site.action.package_create(name="bus", title="コミュニティバス", owner_org="city")
    first = site.action.resource_create(
        package_id="bus", name="GTFS-JP", format="GTFS", upload=("feed.zip", io.BytesIO(V1))
    )
    second = site.action.resource_patch(id=first["id"], upload=("feed.zip", io.BytesIO(V2)))
    return site, first, second


def test_upload_through_actions_download_through_the_web_app(s3, config):
    site, first, second = publish_feed(config)
    bucket = config.storage_location.removeprefix("s3://").split("/")[0]
    listed = s3.client().list_objects_v2(Bucket=bucket)["Contents"]
    assert sorted(o["Key"] for o in listed) == sorted(
        f"shiomi/blobs/sha256/{h[:2]}/{h}" for h in (sha(V1), sha(V2))
    )
    versions = site.action.resource_file_list(id=first["id"])
    assert [(v["version"], v["sha256"], v["size"]) for v in versions] == [
        (1, sha(V1), len(V1)), (2, sha(V2), len(V2)),
    ]  # fmt: skip

    with TestClient(create_app(config)) as client:
        path = second["url"].replace("http://testserver", "")
        response = client.get(path)
        assert response.status_code == 200 and response.content == V2
        assert response.headers["etag"] == f'"{sha(V2)}"'
        assert response.headers["content-length"] == str(len(V2))
        assert response.headers["content-disposition"].startswith("attachment")
        created = site.action.resource_file_list(id=first["id"])[-1]["created"]
        assert response.headers["last-modified"] == format_http_date(
            datetime.fromisoformat(created)
        )
        ranged = client.get(path, headers={"Range": "bytes=5-24"})
        assert ranged.status_code == 206 and ranged.content == V2[5:25]
        assert ranged.headers["content-range"] == f"bytes 5-24/{len(V2)}"
        assert client.get(path, headers={"Range": f"bytes={len(V2)}-"}).status_code == 416

        feed = client.get("/gtfs/bus/feed.zip")
        assert feed.status_code == 200 and feed.content == V2
        assert client.get("/gtfs/bus/1.zip").content == V1
        assert client.get("/gtfs/bus/2.zip").content == V2
        assert client.get("/gtfs/bus/3.zip").status_code == 404
        old = client.get("/gtfs/bus/1.zip", headers={"Range": "bytes=-7"})
        assert old.status_code == 206 and old.content == V1[-7:]
        head = client.head("/gtfs/bus/feed.zip")
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == str(len(V2))
        again = client.get("/gtfs/bus/feed.zip", headers={"If-None-Match": f'"{sha(V2)}"'})
        assert again.status_code == 304

        listed = client.get("/api/3/action/resource_file_list", params={"id": first["id"]})
        assert [v["version"] for v in listed.json()["result"]] == [1, 2]


def test_large_uploads_go_in_parts(s3, config, monkeypatch):
    monkeypatch.setattr(
        s3_backend,
        "TRANSFER",
        TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024),
    )
    data = os.urandom(11 * 1024 * 1024)
    store = blob_store(config)
    blob = store.put(io.BytesIO(data))
    assert blob.sha256 == sha(data) and store.stat(blob.sha256).size == len(data)
    assert hashlib.sha256(b"".join(store.open_range(blob.sha256))).hexdigest() == blob.sha256


def test_unfinished_multipart_uploads_are_aborted(s3, config):
    store = blob_store(config)
    key = store.key(sha(b"never finished"))
    s3.client().create_multipart_upload(Bucket=store.bucket, Key=key)
    # (moto reports every upload as initiated in 2010, so "too young" cannot be shown here)
    assert store.discard_partial(time.time()) == 1
    assert s3.client().list_multipart_uploads(Bucket=store.bucket).get("Uploads", []) == []


def test_a_missing_bucket_is_a_plain_japanese_error(s3, config):
    site = LocalCatalog(config).as_site()
    site.action.organization_create(name="city", title="潮見市")
    site.action.package_create(name="bus", title="バス", owner_org="city")
    wrong = dataclasses.replace(config, storage_url="s3://no-such-bucket-kokai/x")
    with pytest.raises(BlobStoreError) as caught:
        LocalCatalog(wrong).as_site().action.resource_create(
            package_id="bus", upload=("a.csv", io.BytesIO(b"a\n"))
        )
    message = str(caught.value)
    assert "バケットがありません" in message and "no-such-bucket-kokai" in message
    assert site.action.package_show(id="bus")["resources"] == []  # nothing was recorded
    with pytest.raises(BlobStoreError, match="バケット no-such-bucket-kokai がありません"):
        blob_store(wrong).check()
    blob_store(config).check()  # the right bucket is fine


def test_an_unreachable_server_is_a_plain_error_and_downloads_answer_503(config, caplog):
    publish_feed(config)
    down = dataclasses.replace(config, s3_endpoint_url=f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(BlobStoreError, match="接続できません"):
        blob_store(down).put(io.BytesIO(b"x"))
    with caplog.at_level(logging.WARNING, logger="kokai.catalog"):
        app = create_app(down)  # the catalog is still served
    assert "storage garbage collection skipped" in caplog.text
    with TestClient(app) as client:
        assert client.get("/api/3/action/package_show", params={"id": "bus"}).status_code == 200
        response = client.get("/gtfs/bus/feed.zip")
        assert response.status_code == 503 and "127.0.0.1" not in response.text
        assert client.head("/gtfs/bus/feed.zip").status_code == 200  # headers need no bytes
        token = add_user(client.app.state.catalog, "admin", sysadmin=True)
        upload = client.post(
            "/api/3/action/resource_create",
            data={"package_id": "bus"},
            files={"upload": ("a.csv", b"a\n", "text/csv")},
            headers={"Authorization": token},
        )
        assert upload.status_code == 503 and "127.0.0.1" not in upload.text
        assert upload.json()["error"]["message"].startswith("ファイルの保存先が使えません")
