"""Content-addressed file storage: the bytes of uploaded files, behind a small interface.

    blobs = blob_store(config)              # one instance per storage location
    blob = blobs.put(fileobj)               # Blob(sha256, size); streamed, hashed on the way
    for chunk in blobs.open_range(blob.sha256, start=0, length=blob.size): ...

A blob is named by the SHA-256 of its bytes (key ``sha256/ab/<64 hex>``), so
the same bytes are stored once however many resources or versions use them,
and a stored blob never changes. Which resource holds which blob, in which
version, is recorded in the catalog database (``ResourceFile``,
kokai/catalog/storage.py); the store knows nothing of resources. A blob that
no version references is garbage, collected once it is older than a grace
period (``LocalCatalog.sweep_storage``), so an upload in progress is never
touched: `put` refreshes the modification time of a blob it finds already
stored.

Backends:
- ``LocalBlobStore``: files under ``<folder>/blobs/sha256/ab/<hex>`` (default:
  ``catalog.storage_dir``, ``_data/storage``).
- ``S3BlobStore``: objects ``<prefix>/blobs/sha256/ab/<hex>`` in a bucket of
  AWS S3 or any S3-compatible server (MinIO, Ceph, ...), through boto3.

Both lay blobs out the same way under the storage location, so copying the
folder to the bucket (``aws s3 sync _data/storage s3://bucket/prefix``) moves
a catalog's files from one to the other.
"""

from __future__ import annotations

import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from kokai.errors import KokaiError

if TYPE_CHECKING:
    from kokai.config import Config

CHUNK = 1024 * 1024  # read and hash uploads 1 MiB at a time: memory stays bounded
BLOBS_FOLDER = "blobs"  # under the storage location, for both backends
_SHA256 = re.compile(r"[0-9a-f]{64}")


class BlobStoreError(KokaiError):
    """The storage cannot be used (unreachable, misconfigured, refused): a message for staff."""


class BlobNotFound(LookupError):
    """No blob with this sha256 is stored."""


@dataclass(frozen=True)
class Blob:
    """A stored blob: the SHA-256 of its bytes (hex) and its size in bytes."""

    sha256: str
    size: int


@dataclass(frozen=True)
class BlobStat:
    """A stored blob with its modification time (POSIX seconds), which `put`
    refreshes when it finds the blob already stored."""

    sha256: str
    size: int
    modified: float


def is_sha256(value: str) -> bool:
    return bool(_SHA256.fullmatch(value))


def blob_key(sha256: str) -> str:
    """The blob's name relative to the store's root: ``sha256/ab/<hex>``."""
    if not is_sha256(sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return f"sha256/{sha256[:2]}/{sha256}"


class BlobStore(ABC):
    """Where blobs live. Every method is safe to call from several threads."""

    @abstractmethod
    def put(self, fileobj: BinaryIO) -> Blob:
        """Store the bytes read from `fileobj` (to its end) and return their Blob.
        Streams in CHUNK pieces while hashing; the blob appears whole or not at
        all. When it is already stored nothing is written again (its
        modification time is refreshed, see the module docstring)."""

    @abstractmethod
    def stat(self, sha256: str) -> BlobStat | None:
        """Size and modification time of a stored blob; None when it is not stored."""

    def exists(self, sha256: str) -> bool:
        return self.stat(sha256) is not None

    @abstractmethod
    def open_range(self, sha256: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        """The blob's bytes from `start`, `length` of them (None: to the end), as
        chunks. The blob is opened when this is called (BlobNotFound then, not
        while iterating); closing the iterator releases it."""

    @abstractmethod
    def delete(self, sha256: str) -> None:
        """Remove a blob (nothing happens when it is not stored)."""

    @abstractmethod
    def iter_blobs(self) -> Iterator[BlobStat]:
        """Every stored blob, in no particular order (for garbage collection)."""

    @abstractmethod
    def discard_partial(self, older_than: float) -> int:
        """Remove pieces of uploads that never finished (a killed process), when
        last touched before `older_than` (POSIX seconds); how many were removed."""

    @abstractmethod
    def check(self) -> None:
        """Raise BlobStoreError unless the store can be used (before a long job starts)."""

    def local_path(self, sha256: str) -> Path | None:
        """The blob's file on this machine, when the backend keeps one (a fast
        path for serving); None otherwise or when it is not stored."""
        return None

    @abstractmethod
    def describe(self) -> str:
        """Where the blobs are, for messages (a folder or an s3:// URL)."""


def open_blob_store(location: str, endpoint_url: str = "") -> BlobStore:
    """The backend for a storage location: ``s3://bucket[/prefix]`` or a local folder."""
    if location.startswith("s3://"):
        from kokai.catalog.blobs.s3 import S3BlobStore

        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        if not bucket:
            raise BlobStoreError(
                f"保存先の S3 URL にバケット名がありません（{location}）。"
                "s3://バケット名/接頭辞 の形で指定してください / "
                f"the storage URL names no bucket: {location} (use s3://bucket/prefix)"
            )
        prefix = "/".join(part for part in (prefix.strip("/"), BLOBS_FOLDER) if part)
        return S3BlobStore(bucket, prefix, endpoint_url=endpoint_url or None)
    from kokai.catalog.blobs.local import LocalBlobStore

    return LocalBlobStore(Path(location) / BLOBS_FOLDER)


_stores: dict[tuple[str, str], BlobStore] = {}
_stores_lock = threading.Lock()


def blob_store(config: Config) -> BlobStore:
    """The blob store of `config`'s storage location, one instance per location
    (an S3 client is costly to build and safe to share between threads)."""
    key = (config.storage_location, config.s3_endpoint)
    store = _stores.get(key)
    if store is None:
        with _stores_lock:
            store = _stores.get(key)
            if store is None:
                store = _stores[key] = open_blob_store(*key)
    return store


__all__ = [
    "CHUNK", "Blob", "BlobNotFound", "BlobStat", "BlobStore", "BlobStoreError", "blob_key",
    "blob_store", "is_sha256", "open_blob_store",
]  # fmt: skip
