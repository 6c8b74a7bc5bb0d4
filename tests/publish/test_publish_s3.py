"""Publishing with the files in S3-compatible object storage (a deployment with
more than one machine): the same pipeline against a real S3 API server
(moto's server mode on 127.0.0.1) through boto3. The files land in the bucket
content-addressed, nothing stays on local disk, a rollback reads the old
version back from the bucket, and an unchanged re-publish writes nothing."""

from __future__ import annotations

import hashlib
import os

import pytest

from kokai.catalog.blobs import blob_store
from kokai.publish.pipeline import Publisher
from tests.catalog.blob_backends import moto_s3
from tests.publish.conftest import DEMO_TODAY


@pytest.fixture
def s3_city(city, monkeypatch):
    with moto_s3(monkeypatch) as server:
        bucket = server.new_bucket()
        monkeypatch.setenv("KOKAI_STORAGE_URL", f"s3://{bucket}/city")
        monkeypatch.setenv("KOKAI_S3_ENDPOINT_URL", server.endpoint_url)
        yield city, server, bucket


def bucket_keys(server, bucket: str) -> set[str]:
    listed = server.client().list_objects_v2(Bucket=bucket)
    return {o["Key"] for o in listed.get("Contents", [])}


def test_publish_history_and_rollback_on_s3(s3_city):
    city, server, bucket = s3_city
    outcomes = city.publish("shelters", "community-bus")
    assert [o.status for o in outcomes] == ["published", "published"]
    catalog = city.catalog()
    resources = [catalog.action.package_show(id=n)["resources"][0] for n in ("shelters", "community-bus")]
    keys = bucket_keys(server, bucket)
    for resource in resources:
        assert any(k.endswith(resource["hash"]) for k in keys)
    assert not os.path.exists(city.config.storage_dir)  # nothing on local disk

    assert {o.status for o in city.publish("shelters", "community-bus")} == {"unchanged"}
    assert bucket_keys(server, bucket) == keys

    csv = city.datasets / "shelters" / "shelters.csv"
    original = hashlib.sha256(csv.read_bytes()).hexdigest()
    csv.write_text("".join(csv.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]), encoding="utf-8")
    assert city.publish("shelters")[0].version == 2
    csv.unlink()  # the rollback must read version 1 back from the bucket
    outcome = Publisher(city.catalog(), by="tester", today=DEMO_TODAY).rollback("shelters", 1)
    assert (outcome.status, outcome.version) == ("published", 3)
    resource = city.catalog().action.package_show(id="shelters")["resources"][0]
    assert resource["hash"] == original
    data = b"".join(blob_store(city.config).open_range(original, 0, None))
    assert hashlib.sha256(data).hexdigest() == original
