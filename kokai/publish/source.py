"""A dataset folder as the publish pipeline sees it: its descriptor and the
files to store, each with its sha256, and the content key that says whether
anything changed since the last publish.

A GTFS resource kept as a folder of .txt files is published as a
deterministic zip (kokai/publish/gtfs_zip.py), written into a scratch folder
that lives as long as the `DatasetSource`.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kokai.publish.gtfs_zip import zip_feed
from kokai.validators.datapackage import find_descriptor, load_descriptor
from kokai.vocab.gtfs import is_gtfs_format

# Bump when the mapping from a descriptor to the catalog changes, so that the
# next publish rewrites every dataset instead of calling it unchanged.
MAPPING_VERSION = 1
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    resource: str  # the resource's name in the descriptor
    path: Path  # the bytes to store (for a GTFS folder: its zip)
    filename: str  # the name it is published under
    format: str
    sha256: str
    size: int
    is_gtfs: bool


@dataclass
class DatasetSource:
    folder: Path
    descriptor_path: Path | None
    descriptor: dict[str, Any] | None  # None: unreadable (the gate says why)
    files: list[SourceFile] = field(default_factory=list)
    content_key: str = ""  # "" when a file is missing: there is nothing to compare
    # feed resource name -> (first, last) service date, filled by the gate
    service_periods: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    _scratch: tempfile.TemporaryDirectory | None = None

    @property
    def name(self) -> str:
        given = (self.descriptor or {}).get("name")
        return given if isinstance(given, str) and given else self.folder.name

    def close(self) -> None:
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None

    def __enter__(self) -> DatasetSource:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def dataset_folders(root: Path) -> list[Path]:
    """The dataset folders under `root` (datasets/), by name; hidden and `_` ones left out."""
    return sorted(p for p in Path(root).iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def resource_name(resource: dict[str, Any]) -> str:
    """A resource's name; its file's stem when the descriptor gives none."""
    return str(resource.get("name") or Path(str(resource.get("path"))).stem)


def file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def load_source(folder: Path, settings: dict[str, Any]) -> DatasetSource:
    """Read the dataset in `folder`. `settings` are the site settings the
    catalog entry depends on (city code, site URL); they are part of the
    content key, so changing them republishes."""
    folder = Path(folder)
    descriptor_path = find_descriptor(folder)
    loaded = load_descriptor(descriptor_path) if descriptor_path else None
    descriptor = loaded if isinstance(loaded, dict) else None
    source = DatasetSource(folder=folder, descriptor_path=descriptor_path, descriptor=descriptor)
    if descriptor is None:
        return source
    resources = descriptor.get("resources")
    complete = isinstance(resources, list)
    for resource in resources if complete else []:
        if not isinstance(resource, dict) or not isinstance(resource.get("path"), str):
            complete = False
            continue
        path = folder / resource["path"]
        name = resource_name(resource)
        fmt = str(resource.get("format") or path.suffix.lstrip(".")).lower()
        gtfs = is_gtfs_format(fmt)
        if gtfs and path.is_dir():
            if source._scratch is None:
                source._scratch = tempfile.TemporaryDirectory(prefix="kokai-publish-")
            path = zip_feed(path, Path(source._scratch.name) / f"{name}.zip")
        if not path.is_file() or path.is_symlink():
            complete = False
            continue
        sha256, size = file_digest(path)
        source.files.append(SourceFile(name, path, path.name, fmt, sha256, size, gtfs))
    if complete:
        source.content_key = content_key(descriptor, source.files, settings)
    return source


def content_key(descriptor: dict, files: list[SourceFile], settings: dict[str, Any]) -> str:
    """sha256 over the descriptor (resource paths replaced by their files'
    sha256, so a folder and its zip count the same), the site settings and
    the mapping version."""
    by_name = {f.resource: f.sha256 for f in files}
    resources = [{**r, "path": by_name.get(resource_name(r))} for r in descriptor.get("resources") or []]
    canonical = {
        "descriptor": {**descriptor, "resources": resources},
        "settings": settings,
        "mapping": MAPPING_VERSION,
    }
    text = json.dumps(canonical, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

