"""Uploaded resource files: versioned and checksummed, under `config.storage_dir`.

Layout: `<storage_dir>/resources/<resource_id>/<version:06d>/<filename>` with a
`meta.json` beside each file (version, sha256, size, created, filename).
A new upload never overwrites an older version; the highest version is current.

A version is stored before the transaction that records it commits, so its
meta.json says `"pending": true` until then: a pending version is never
served. The write transaction confirms its versions after the commit and
deletes them after a rollback (`confirm`, `discard`; the session carries the
list under PENDING_KEY). A process killed in between leaves pending versions
behind; `sweep` (run when the web app starts) confirms those the catalog did
record and deletes the rest.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from kokai.catalog.models import utcnow
from kokai.config import Config

CHUNK = 1024 * 1024
PENDING_KEY = "kokai_pending_uploads"  # Session.info key: version folders to confirm or discard
SWEEP_AFTER = timedelta(minutes=15)  # an upload still pending after this was abandoned
_UUIDISH = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


@dataclass(frozen=True)
class StoredFile:
    version: int
    sha256: str
    size: int
    path: Path
    created: datetime

    @property
    def filename(self) -> str:
        return self.path.name


def safe_filename(name: str | None) -> str:
    """The last path component, without control characters or separators."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    return name[:200] or "file"


def _resource_dir(config: Config, resource_id: str) -> Path:
    if not _UUIDISH.match(resource_id):
        raise ValueError(f"invalid resource id: {resource_id!r}")
    return Path(config.storage_dir) / "resources" / resource_id


def _load_meta(version_dir: Path) -> dict | None:
    try:
        return json.loads((version_dir / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_meta(version_dir: Path, meta: dict) -> None:
    """Atomically: a reader sees the old meta.json or the new one, never half."""
    tmp = version_dir / ".meta.json.tmp"
    tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, version_dir / "meta.json")


def _read_meta(version_dir: Path) -> StoredFile | None:
    """The stored file of a committed version; None when pending or unreadable."""
    meta = _load_meta(version_dir)
    if meta is None or meta.get("pending"):
        return None
    return StoredFile(
        version=int(meta["version"]),
        sha256=meta["sha256"],
        size=int(meta["size"]),
        path=version_dir / meta["filename"],
        created=datetime.fromisoformat(meta["created"]),
    )


def store_upload(config: Config, resource_id: str, filename: str, fileobj: BinaryIO) -> StoredFile:
    """Copy `fileobj` into the next version of the resource's file, pending
    until `confirm`; returns its record."""
    folder = _resource_dir(config, resource_id)
    folder.mkdir(parents=True, exist_ok=True)
    filename = safe_filename(filename)
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".upload-", delete=False) as tmp:
        try:
            while chunk := fileobj.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                tmp.write(chunk)
        except BaseException:
            tmp.close()
            os.unlink(tmp.name)
            raise
    # mkdir is atomic: two uploads at once get two different versions.
    version = max((v.version for v in list_versions(config, resource_id)), default=0) + 1
    while True:
        version_dir = folder / f"{version:06d}"
        try:
            version_dir.mkdir()
            break
        except FileExistsError:
            version += 1
    path = version_dir / filename
    shutil.move(tmp.name, path)
    created = utcnow()
    meta = {
        "version": version,
        "sha256": digest.hexdigest(),
        "size": size,
        "filename": filename,
        "created": created.isoformat(),
        "pending": True,
    }
    _write_meta(version_dir, meta)
    return StoredFile(version, meta["sha256"], size, path, created)


def confirm(version_dirs: Iterable[Path]) -> None:
    """Make stored versions current (their transaction committed)."""
    for version_dir in version_dirs:
        meta = _load_meta(version_dir)
        if meta is not None and meta.pop("pending", None):
            _write_meta(version_dir, meta)


def discard(version_dirs: Iterable[Path]) -> None:
    """Delete stored versions (their transaction rolled back)."""
    for version_dir in version_dirs:
        shutil.rmtree(version_dir, ignore_errors=True)
        try:
            version_dir.parent.rmdir()  # the resource's folder, when it is now empty
        except OSError:
            pass


def sweep(
    config: Config, recorded: Callable[[str, str], bool], older_than: timedelta = SWEEP_AFTER
) -> tuple[int, int]:
    """Settle versions left pending by a process that died between storing a file
    and committing: confirm those the catalog recorded (`recorded(resource_id,
    sha256)`), delete the others, and delete abandoned partial uploads. Only
    what is older than `older_than` is touched, so a live upload is left alone.
    Returns (confirmed, deleted)."""
    root = Path(config.storage_dir) / "resources"
    if not root.is_dir():
        return 0, 0
    cutoff = time.time() - older_than.total_seconds()
    confirmed = deleted = 0
    for resource_dir in root.iterdir():
        if not resource_dir.is_dir():
            continue
        for child in list(resource_dir.iterdir()):
            if child.stat().st_mtime > cutoff:
                continue
            if child.name.startswith(".upload-"):
                child.unlink(missing_ok=True)
                deleted += 1
                continue
            meta = _load_meta(child) if child.is_dir() else None
            if meta is None or not meta.get("pending"):
                continue
            if recorded(resource_dir.name, meta.get("sha256", "")):
                confirm([child])
                confirmed += 1
            else:
                discard([child])
                deleted += 1
    return confirmed, deleted


def list_versions(config: Config, resource_id: str) -> list[StoredFile]:
    """Every stored version of the resource's file, oldest first."""
    folder = _resource_dir(config, resource_id)
    if not folder.is_dir():
        return []
    found = []
    for child in folder.iterdir():
        if child.is_dir() and child.name.isdigit():
            stored = _read_meta(child)
            if stored is not None:
                found.append(stored)
    return sorted(found, key=lambda s: s.version)


def current_file(config: Config, resource_id: str) -> StoredFile | None:
    versions = list_versions(config, resource_id)
    return versions[-1] if versions else None


def file_for_version(config: Config, resource_id: str, version: int) -> StoredFile | None:
    try:
        return _read_meta(_resource_dir(config, resource_id) / f"{int(version):06d}")
    except ValueError:
        return None
