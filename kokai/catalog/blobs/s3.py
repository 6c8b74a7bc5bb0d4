"""Blobs as objects in an S3 bucket (AWS S3 or an S3-compatible server), through boto3.

Objects are ``<prefix>/sha256/ab/<hex>``. An upload is first copied to a
local temporary file while it is hashed (its name is its hash, unknown until
the end), then sent with boto3's managed transfer (multipart for large
files); S3 makes an object visible whole or not at all. The temporary file
is unlinked from the start, so a killed process leaves nothing on this
machine, and at most an unfinished multipart upload in the bucket, aborted
by `discard_partial`.

Credentials and region come only from the environment, as boto3 reads them
(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION /
AWS_DEFAULT_REGION, AWS_PROFILE, ...); the endpoint of an S3-compatible server
from kokai.toml's ``[storage] endpoint_url`` or KOKAI_S3_ENDPOINT_URL.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from kokai.catalog.blobs import (
    CHUNK,
    Blob,
    BlobNotFound,
    BlobStat,
    BlobStore,
    BlobStoreError,
    blob_key,
    is_sha256,
)

# Multipart above 64 MiB, 16 MiB parts, 4 at a time: at most ~64 MiB of buffers per upload.
TRANSFER = TransferConfig(
    multipart_threshold=64 * 1024 * 1024,
    multipart_chunksize=16 * 1024 * 1024,
    max_concurrency=4,
)
_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3BlobStore(BlobStore):
    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        *,
        client: Any = None,
    ):
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint_url = endpoint_url
        self._client = client
        self._client_lock = threading.Lock()

    # ------------------------------------------------------------ plumbing

    def describe(self) -> str:
        where = f"s3://{self.bucket}/{self.prefix}"
        return f"{where} ({self.endpoint_url})" if self.endpoint_url else where

    @property
    def client(self) -> Any:
        """The boto3 client, built on first use (clients are thread-safe; building one is not)."""
        if self._client is None:
            with self._client_lock, self._errors():
                if self._client is None:
                    options: dict[str, Any] = {
                        "retries": {"max_attempts": 3, "mode": "standard"},
                        "connect_timeout": 10,
                        "read_timeout": 60,
                    }
                    if self.endpoint_url:
                        # S3-compatible servers (MinIO, Ceph, ...) expect bucket names in the path.
                        options["s3"] = {"addressing_style": "path"}
                    self._client = boto3.session.Session().client(
                        "s3", endpoint_url=self.endpoint_url, config=BotoConfig(**options)
                    )
        return self._client

    def key(self, sha256: str) -> str:
        return self.prefix + blob_key(sha256)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """botocore's failures as a message staff can act on (Japanese first)."""
        where = self.describe()
        check = (
            "kokai.toml の [storage] url と endpoint_url（環境変数 KOKAI_STORAGE_URL、"
            "KOKAI_S3_ENDPOINT_URL）、認証情報の環境変数 AWS_ACCESS_KEY_ID / "
            "AWS_SECRET_ACCESS_KEY / AWS_REGION を確認してください"
        )
        try:
            yield
        except (NoCredentialsError, NoRegionError) as exc:
            raise BlobStoreError(
                f"ファイルの保存先 {where} の認証情報またはリージョンがありません。{check} / "
                f"no S3 credentials or region for {where}: {exc}"
            ) from exc
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code == "NoSuchBucket":
                reason = "バケットがありません"
            elif code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
                reason = "アクセスが拒否されました"
            else:
                reason = f"エラーが返されました（{code}）"
            raise BlobStoreError(
                f"ファイルの保存先 {where} で{reason}。{check} / "
                f"the S3 storage {where} refused the request: {exc}"
            ) from exc
        except S3UploadFailedError as exc:
            raise BlobStoreError(
                f"ファイルの保存先 {where} へのアップロードに失敗しました。{check} / "
                f"upload to the S3 storage {where} failed: {exc}"
            ) from exc
        except BotoCoreError as exc:
            raise BlobStoreError(
                f"ファイルの保存先 {where} に接続できません。{check} / "
                f"cannot reach the S3 storage {where}: {exc}"
            ) from exc

    def _head(self, sha256: str) -> dict | None:
        try:
            with self._errors():
                return self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except BlobStoreError as exc:
            cause = exc.__cause__
            if (
                isinstance(cause, ClientError)
                and str(cause.response.get("Error", {}).get("Code", "")) in _MISSING
            ):
                return None
            raise

    # ------------------------------------------------------------ the interface

    def put(self, fileobj: BinaryIO) -> Blob:
        with tempfile.TemporaryFile(prefix="kokai-upload-") as spool:
            digest = hashlib.sha256()
            size = 0
            while chunk := fileobj.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                spool.write(chunk)
            blob = Blob(digest.hexdigest(), size)
            key = self.key(blob.sha256)
            with self._errors():
                if self._head(blob.sha256) is not None:
                    # Already stored: copy it onto itself, which renews LastModified,
                    # so that the garbage collector's grace period starts again.
                    self.client.copy(
                        {"Bucket": self.bucket, "Key": key},
                        self.bucket,
                        key,
                        ExtraArgs={
                            "MetadataDirective": "REPLACE",
                            "Metadata": {"sha256": blob.sha256},
                        },
                        Config=TRANSFER,
                    )
                    return blob
                spool.seek(0)
                self.client.upload_fileobj(
                    spool,
                    self.bucket,
                    key,
                    ExtraArgs={"Metadata": {"sha256": blob.sha256}},
                    Config=TRANSFER,
                )
        return blob

    def stat(self, sha256: str) -> BlobStat | None:
        if not is_sha256(sha256):
            return None
        head = self._head(sha256)
        if head is None:
            return None
        return BlobStat(sha256, int(head["ContentLength"]), head["LastModified"].timestamp())

    def open_range(self, sha256: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        if not is_sha256(sha256):
            raise BlobNotFound(sha256)
        if length == 0:
            return iter(())
        request = {"Bucket": self.bucket, "Key": self.key(sha256)}
        if start or length is not None:  # a Range on an empty object is unsatisfiable
            end = "" if length is None else str(start + length - 1)
            request["Range"] = f"bytes={start}-{end}"
        try:
            with self._errors():
                response = self.client.get_object(**request)
        except BlobStoreError as exc:
            cause = exc.__cause__
            code = (
                str(cause.response.get("Error", {}).get("Code", ""))
                if isinstance(cause, ClientError)
                else ""
            )
            if code in _MISSING:
                raise BlobNotFound(sha256) from None
            if code == "InvalidRange":  # starts past the end: nothing to read, as from a file
                return iter(())
            raise
        return self._chunks(response["Body"])

    def _chunks(self, body: Any) -> Iterator[bytes]:
        try:
            with self._errors():
                yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def delete(self, sha256: str) -> None:
        with self._errors():
            self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))

    def iter_blobs(self) -> Iterator[BlobStat]:
        top = self.prefix + "sha256/"
        with self._errors():
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=top
            )
            for page in pages:
                for item in page.get("Contents", ()):
                    name = item["Key"][len(top) :]
                    fan, _, sha256 = name.partition("/")
                    if is_sha256(sha256) and fan == sha256[:2]:
                        yield BlobStat(sha256, int(item["Size"]), item["LastModified"].timestamp())

    def discard_partial(self, older_than: float) -> int:
        removed = 0
        with self._errors():
            pages = self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=self.prefix + "sha256/"
            )
            for page in pages:
                for upload in page.get("Uploads", ()):
                    if upload["Initiated"].timestamp() < older_than:
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                        removed += 1
        return removed

    def check(self) -> None:
        try:
            with self._errors():
                self.client.head_bucket(Bucket=self.bucket)
        except BlobStoreError as exc:
            cause = exc.__cause__
            if isinstance(cause, ClientError) and str(
                cause.response.get("Error", {}).get("Code", "")
            ) in _MISSING | {"NoSuchBucket"}:
                raise BlobStoreError(
                    f"ファイルの保存先のバケット {self.bucket} がありません（{self.describe()}）。"
                    "バケットを作るか、kokai.toml の [storage] url（環境変数 KOKAI_STORAGE_URL）"
                    f"を確認してください / the S3 bucket {self.bucket} does not exist"
                ) from cause
            raise


__all__ = ["S3BlobStore", "TRANSFER"]
