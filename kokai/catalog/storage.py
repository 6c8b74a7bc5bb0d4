"""Uploaded resource files: versioned and checksummed, under `config.storage_dir`.

Layout: `<storage_dir>/resources/<resource_id>/<version:06d>/<filename>` with a
`meta.json` beside each file (version, sha256, size, created, filename).
A new upload never overwrites an older version; the highest version is current.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from kokai.catalog.models import utcnow
from kokai.config import Config

CHUNK = 1024 * 1024
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


def _read_meta(version_dir: Path) -> StoredFile | None:
    try:
        meta = json.loads((version_dir / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return StoredFile(
        version=int(meta["version"]),
        sha256=meta["sha256"],
        size=int(meta["size"]),
        path=version_dir / meta["filename"],
        created=datetime.fromisoformat(meta["created"]),
    )


def store_upload(config: Config, resource_id: str, filename: str, fileobj: BinaryIO) -> StoredFile:
    """Copy `fileobj` into the next version of the resource's file; returns its record."""
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
    }
    (version_dir / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return StoredFile(version, meta["sha256"], size, path, created)


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
