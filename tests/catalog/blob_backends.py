"""The two blob store backends for tests: a local folder, and S3 through a real
S3 API server (moto's server mode) started on 127.0.0.1 by the test.

boto3 reaches the server over HTTP at its endpoint URL, exactly as it would
reach MinIO or AWS; the credentials are dummies set in the environment, as a
deployment sets the real ones.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import boto3

from kokai.config import Config

BACKENDS = ["local", "s3"]
DUMMY_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "kokai-test",
    "AWS_SECRET_ACCESS_KEY": "kokai-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    # Nothing from the developer's own AWS set-up may leak into the tests.
    "AWS_CONFIG_FILE": "/nonexistent/kokai-test-aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/kokai-test-aws-credentials",
}
UNSET_AWS_ENV = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3")


class MotoS3:
    """moto's S3 API server in a thread, on a free loopback port."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)

    def __enter__(self) -> MotoS3:
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    def client(self):
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id=DUMMY_AWS_ENV["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_AWS_ENV["AWS_SECRET_ACCESS_KEY"],
        )

    def new_bucket(self) -> str:
        """A fresh bucket for one test (the server lives for the whole module)."""
        name = f"kokai-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name


@contextmanager
def moto_s3(monkeypatch_context) -> Iterator[MotoS3]:
    """The server with the dummy AWS environment set for as long as it runs."""
    for key, value in DUMMY_AWS_ENV.items():
        monkeypatch_context.setenv(key, value)
    for key in UNSET_AWS_ENV:
        monkeypatch_context.delenv(key, raising=False)
    with MotoS3() as server:
        yield server


def with_storage(config: Config, backend: str, s3: MotoS3 | None) -> Config:
    """`config` storing its files on `backend` (a new bucket for S3, with a prefix)."""
    if backend == "local":
        return config
    assert s3 is not None
    bucket = s3.new_bucket()
    return dataclasses.replace(
        config, storage_url=f"s3://{bucket}/city/files", s3_endpoint_url=s3.endpoint_url
    )


def storage_env(config: Config) -> dict[str, str]:
    """Environment variables that give a subprocess the same storage as `config`."""
    env = {"KOKAI_STORAGE_URL": config.storage_location}
    if config.s3_endpoint:
        env["KOKAI_S3_ENDPOINT_URL"] = config.s3_endpoint
    return env
