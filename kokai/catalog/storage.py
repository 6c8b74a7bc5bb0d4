"""Uploaded resource files: versions recorded in the catalog, bytes in the blob store.

An upload is stored in two steps:
1. its bytes go into the blob store (`kokai.catalog.blobs`), named by their
   sha256, outside the database; storing the same bytes again writes nothing;
2. a `ResourceFile` row (resource, version, sha256, size, filename, media
   type, created) is added in the same transaction as the resource change.

The commit of that transaction is the only commit point. A rollback, or a
process killed between the two steps, leaves at most a blob that no version
references: `collect_garbage` (run by `LocalCatalog.sweep_storage` when the
web app starts) deletes such blobs once they are older than GC_GRACE, so a
blob being uploaded right now is never touched.

A new version is made only when the content changes: an upload whose sha256
is the current version's adds nothing, and the current version (its
filename, its `created`, hence the resource's url and `last_modified`) stays
as it was. A file's name is part of the first upload of those bytes, not of
the content: renaming a file does not make new data, and the download URL
that consumers hold keeps working.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from kokai.catalog.blobs import BlobStore
from kokai.catalog.models import ResourceFile, utcnow

GC_GRACE = timedelta(minutes=15)  # an unreferenced blob younger than this may be a live upload
_IN_CHUNK = 500  # sha256 values per IN (...) query


@dataclass(frozen=True)
class StoredFile:
    """One version of a resource's file, as the catalog records it."""

    version: int
    sha256: str
    size: int
    filename: str
    media_type: str
    created: datetime  # naive UTC, as the catalog stores datetimes

    def as_dict(self) -> dict:
        """As resource_file_list returns it."""
        return {
            "version": self.version,
            "sha256": self.sha256,
            "size": self.size,
            "filename": self.filename,
            "media_type": self.media_type,
            "created": self.created.isoformat(),
        }


def _stored(row: ResourceFile) -> StoredFile:
    return StoredFile(row.version, row.sha256, row.size, row.filename, row.media_type, row.created)


def safe_filename(name: str | None) -> str:
    """The last path component, without control characters or separators."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    return name[:200] or "file"


def list_versions(session: Session, resource_id: str) -> list[StoredFile]:
    """Every version of the resource's file, oldest first."""
    rows = session.scalars(
        select(ResourceFile)
        .where(ResourceFile.resource_id == resource_id)
        .order_by(ResourceFile.version)
    )
    return [_stored(row) for row in rows]


def current_file(session: Session, resource_id: str) -> StoredFile | None:
    """The newest version of the resource's file; None when it has none."""
    row = session.scalar(
        select(ResourceFile)
        .where(ResourceFile.resource_id == resource_id)
        .order_by(ResourceFile.version.desc())
        .limit(1)
    )
    return _stored(row) if row is not None else None


def file_for_version(session: Session, resource_id: str, version: int) -> StoredFile | None:
    row = session.scalar(
        select(ResourceFile).where(
            ResourceFile.resource_id == resource_id, ResourceFile.version == int(version)
        )
    )
    return _stored(row) if row is not None else None


def store_upload(
    session: Session,
    blobs: BlobStore,
    resource_id: str,
    filename: str,
    media_type: str,
    fileobj: BinaryIO,
) -> tuple[StoredFile, bool]:
    """Put `fileobj` in the blob store and record it as the resource's next
    version, unless its content is the current version's. Returns the current
    version afterwards and whether it is new. The row joins the session's
    transaction: it exists only if that commits. The resource must be in the
    session (it is flushed first, so that the row's foreign key finds it)."""
    blob = blobs.put(fileobj)
    session.flush()
    current = session.scalar(
        select(ResourceFile)
        .where(ResourceFile.resource_id == resource_id)
        .order_by(ResourceFile.version.desc())
        .limit(1)
    )
    if current is not None and current.sha256 == blob.sha256:
        return _stored(current), False
    row = ResourceFile(
        resource_id=resource_id,
        # Writes hold the catalog's write lock (kokai.catalog.db), so max + 1 is free.
        version=(current.version if current is not None else 0) + 1,
        sha256=blob.sha256,
        size=blob.size,
        filename=safe_filename(filename),
        media_type=media_type or "",
        created=utcnow(),
    )
    session.add(row)
    session.flush()
    return _stored(row), True


def referenced(session: Session, sha256s: Iterable[str]) -> set[str]:
    """Which of these blobs some version of some resource uses."""
    wanted = list(sha256s)
    found: set[str] = set()
    for i in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[i : i + _IN_CHUNK]
        found.update(
            session.scalars(select(ResourceFile.sha256).where(ResourceFile.sha256.in_(chunk)))
        )
    return found


def collect_garbage(
    write_session: Callable[[], AbstractContextManager[Session]],
    blobs: BlobStore,
    older_than: timedelta = GC_GRACE,
) -> int:
    """Delete the blobs no version references that were last written before
    `older_than` ago, and the remains of unfinished uploads; returns how many
    blobs were deleted. The deciding look-up and the deletions run inside a
    write transaction, which holds the catalog's write lock: an upload through
    the actions (which puts its blob while holding it) is never half-way
    meanwhile. A put outside the lock renews its blob's time (BlobStore.put),
    and each blob's time is read again just before it is deleted."""
    cutoff = time.time() - older_than.total_seconds()
    blobs.discard_partial(cutoff)
    candidates = [blob.sha256 for blob in blobs.iter_blobs() if blob.modified < cutoff]
    if not candidates:
        return 0
    deleted = 0
    with write_session() as session:
        in_use = referenced(session, candidates)
        for sha256 in candidates:
            if sha256 in in_use:
                continue
            now = blobs.stat(sha256)
            if now is None or now.modified >= cutoff:
                continue  # gone already, or put again since it was listed
            blobs.delete(sha256)
            deleted += 1
    return deleted
