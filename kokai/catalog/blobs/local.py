"""Blobs as files in a local folder: ``<root>/sha256/ab/<hex>``.

An upload is written to ``<root>/tmp/`` (the same file system), flushed to
disk, then renamed into place with `os.replace`, which is atomic: a reader
sees the whole blob or none. A process killed mid-upload leaves only a file
in ``tmp/``, removed by `discard_partial` once it is old.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

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

TMP_FOLDER = "tmp"
TMP_PREFIX = "upload-"


def _fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX; a no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class LocalBlobStore(BlobStore):
    def __init__(self, root: Path | str):
        self.root = Path(root)

    def describe(self) -> str:
        return str(self.root)

    def check(self) -> None:
        try:
            (self.root / TMP_FOLDER).mkdir(parents=True, exist_ok=True)
            probe = tempfile.TemporaryFile(dir=self.root / TMP_FOLDER, prefix=TMP_PREFIX)
        except OSError as exc:
            raise self._unwritable(exc) from exc
        probe.close()

    def _unwritable(self, exc: OSError) -> BlobStoreError:
        return BlobStoreError(
            f"ファイルの保存先フォルダ {self.root} に書き込めません。kokai.toml の [storage] url"
            f"（または [catalog] storage_dir）と権限を確認してください / cannot write to the "
            f"storage folder {self.root}: {exc}"
        )

    def path(self, sha256: str) -> Path:
        return self.root / blob_key(sha256)

    def put(self, fileobj: BinaryIO) -> Blob:
        tmp_dir = self.root / TMP_FOLDER
        try:
            tmp_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix=TMP_PREFIX)
        except OSError as exc:
            raise self._unwritable(exc) from exc
        try:
            digest = hashlib.sha256()
            size = 0
            with os.fdopen(fd, "wb") as out:
                while chunk := fileobj.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                blob = Blob(digest.hexdigest(), size)
                path = self.path(blob.sha256)
                try:
                    os.utime(path)  # already stored: keep it young for the garbage collector
                    return blob
                except FileNotFoundError:
                    out.flush()
                    os.fsync(out.fileno())  # the bytes are on disk before a name points at them
            path.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp_name, 0o644)
            os.replace(tmp_name, path)
            _fsync_dir(path.parent)
            return blob
        finally:
            try:
                os.unlink(tmp_name)
            except FileNotFoundError:
                pass  # renamed into place

    def stat(self, sha256: str) -> BlobStat | None:
        try:
            info = self.path(sha256).stat()
        except (FileNotFoundError, ValueError):
            return None
        return BlobStat(sha256, info.st_size, info.st_mtime)

    def local_path(self, sha256: str) -> Path | None:
        try:
            path = self.path(sha256)
        except ValueError:
            return None
        return path if path.is_file() else None

    def open_range(self, sha256: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        try:
            handle = self.path(sha256).open("rb")
        except (FileNotFoundError, ValueError):
            raise BlobNotFound(sha256) from None
        return read_file(handle, start, length)

    def delete(self, sha256: str) -> None:
        try:
            self.path(sha256).unlink()
        except FileNotFoundError:
            pass

    def iter_blobs(self) -> Iterator[BlobStat]:
        top = self.root / "sha256"
        try:
            fans = list(os.scandir(top))
        except FileNotFoundError:
            return
        for fan in fans:
            if not fan.is_dir(follow_symlinks=False):
                continue
            for entry in os.scandir(fan.path):
                if is_sha256(entry.name) and entry.name[:2] == fan.name:
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        continue  # deleted meanwhile
                    yield BlobStat(entry.name, info.st_size, info.st_mtime)

    def discard_partial(self, older_than: float) -> int:
        removed = 0
        try:
            entries = list(os.scandir(self.root / TMP_FOLDER))
        except FileNotFoundError:
            return 0
        for entry in entries:
            try:
                if entry.name.startswith(TMP_PREFIX) and entry.stat().st_mtime < older_than:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


def read_file(handle: BinaryIO, start: int = 0, length: int | None = None) -> Iterator[bytes]:
    """`length` bytes (None: to the end) of an open file from `start`, in CHUNK
    pieces; closes the file when done or when the iterator is closed."""
    with handle:
        handle.seek(start)
        remaining = length
        while remaining is None or remaining > 0:
            chunk = handle.read(CHUNK if remaining is None else min(CHUNK, remaining))
            if not chunk:
                break
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk


__all__ = ["LocalBlobStore", "read_file"]
