"""Dataset folders for the staff UI: read and write a folder's descriptor,
and publish a staged copy of a folder.

A publish from the web never touches the dataset folder until it has gone
out: the folder is copied into a staging folder (hard links: files are only
ever replaced, never changed in place), the uploaded file is put in place of
its resource's file there, `Publisher.publish_folder` runs on the copy, and
only a published copy replaces the dataset folder (two renames; the old
folder is kept until the new one is in place). A refused or failed publish
leaves the dataset folder as it was and removes the copy.

Staging lives in `<datasets_dir>/.staging/`: on the same file system as the
dataset folders (so renames are atomic), and hidden from `kokai publish`,
which skips folders starting with a dot.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from kokai.catalog.client import LocalCatalog
from kokai.config import Config
from kokai.publish.pipeline import Outcome, Publisher
from kokai.publish.source import resource_name
from kokai.validators.datapackage import find_descriptor, load_descriptor
from kokai.validators.report import Report

STAGING = ".staging"
DESCRIPTOR_NAME = "datapackage.yaml"

# What an uploaded file's kind is published as: (format, mediatype, suffix).
KIND_FORMATS = {
    "csv": ("csv", "text/csv", ".csv"),
    "excel": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "gtfs": ("gtfs", "application/zip", ".zip"),
}

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


class DraftError(Exception):
    """The request cannot be staged (no such resource, unreadable descriptor);
    the message is for staff, in Japanese first."""


# ---------------------------------------------------------------- descriptors


def dataset_dir(config: Config, name: str) -> Path:
    return Path(config.datasets_dir) / name


def read_descriptor(folder: Path) -> tuple[Path, dict[str, Any]]:
    """The folder's descriptor file (datapackage.yaml for a folder without one)
    and its content ({} when there is none); DraftError when it cannot be read."""
    path = find_descriptor(folder)
    if path is None:
        return folder / DESCRIPTOR_NAME, {}
    loaded = load_descriptor(path)
    if isinstance(loaded, str):
        raise DraftError(f"{path.name} を読めません（{loaded}）。/ cannot read {path.name}")
    return path, loaded


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line text (as the demo files are written), keys
    in their given order."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value.strip("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def dump_descriptor(descriptor: dict[str, Any], path: Path) -> str:
    """The descriptor as `path`'s format writes it (JSON for .json, else YAML)."""
    if path.suffix == ".json":
        return json.dumps(descriptor, ensure_ascii=False, indent=2, default=str) + "\n"
    return yaml.dump(descriptor, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)


def write_atomic(path: Path, text: str) -> None:
    """Write `text` next to `path` and rename it over `path`: readers see the
    old file or the new one, never half of it."""
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def save_descriptor(folder: Path, descriptor: dict[str, Any]) -> Path:
    """Write the folder's descriptor (in its existing file and format)."""
    path, _ = read_descriptor(folder)
    write_atomic(path, dump_descriptor(descriptor, path))
    return path


# ---------------------------------------------------------------- staging


@contextmanager
def dataset_lock(name: str) -> Iterator[None]:
    """One staff write (save, publish, rollback) of a dataset folder at a time
    in this process; the catalog serialises publishes across processes."""
    with _locks_guard:
        lock = _locks.setdefault(name, threading.Lock())
    with lock:
        yield


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


@contextmanager
def staged_copy(config: Config, name: str) -> Iterator[Path]:
    """A copy of dataset `name`'s folder (empty for a new dataset), named as
    the dataset (a descriptor without `name` takes it from its folder), and
    removed when the block ends unless it was moved into place."""
    root = Path(config.datasets_dir) / STAGING
    root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
    staged = scratch / name
    try:
        current = dataset_dir(config, name)
        if current.is_dir():
            shutil.copytree(current, staged, symlinks=True, copy_function=_link_or_copy)
        else:
            staged.mkdir()
        yield staged
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def move_into_place(staged: Path, target: Path) -> None:
    """Replace `target` by `staged`: the old folder is renamed aside, the new
    one renamed in, then the old one removed (put back if the second rename fails)."""
    if not target.exists():
        os.rename(staged, target)
        return
    aside = staged.parent / f"{target.name}.previous"
    os.rename(target, aside)
    try:
        os.rename(staged, target)
    except OSError:
        os.rename(aside, target)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def put_upload(staged: Path, resource: str | None, upload_path: Path, filename: str, kind: str) -> str:
    """Put an uploaded file in the staged folder as resource `resource` (a new
    resource when the descriptor has none of that name); the resource's path,
    format and mediatype follow the file's kind. Returns the resource's name."""
    if kind not in KIND_FORMATS:
        raise DraftError(f"ファイルの種類「{kind}」は公開できません。/ unknown upload kind {kind!r}")
    fmt, mediatype, suffix = KIND_FORMATS[kind]
    path, descriptor = read_descriptor(staged)
    resources = descriptor.get("resources")
    resources = resources if isinstance(resources, list) else []
    found = next((r for r in resources if isinstance(r, dict) and resource_name(r) == resource), None)
    if found is None:
        if resource is None and len(resources) == 1 and isinstance(resources[0], dict):
            found = resources[0]  # a dataset of one file: that file
        else:
            base = Path(filename).stem or "data"
            found = {"name": resource or _resource_slug(base, resources), "path": ""}
            resources.append(found)
    old = found.get("path") if isinstance(found.get("path"), str) else ""
    stem = Path(old).stem if old else (resource_name(found) or "data")
    new = old if old and Path(old).suffix.lower() == suffix and (staged / old).is_file() else f"{stem}{suffix}"
    if old and (staged / old).exists() and _inside(staged, staged / old):
        _remove(staged / old)  # a GTFS folder may be replaced by an uploaded zip
    target = staged / new
    if not _inside(staged, target.parent):
        raise DraftError(f"リソースの path「{new}」はデータセットのフォルダの外を指しています。/ path outside the folder")
    _clear(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(upload_path, target)
    found.update(path=new, format=fmt, mediatype=mediatype)
    if kind != "csv":
        found.pop("encoding", None)  # a workbook or zip has no text encoding
    descriptor["resources"] = resources
    write_atomic(path, dump_descriptor(descriptor, path))
    return resource_name(found)


def _clear(path: Path) -> None:
    """Remove whatever is at `path` before a file is written there: a staged
    file is a hard link to the dataset folder's (written into, it would change
    the live folder), and a symbolic link must never be written through."""
    if path.exists() or path.is_symlink():
        _remove(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _inside(folder: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def _resource_slug(base: str, resources: list) -> str:
    names = {resource_name(r) for r in resources if isinstance(r, dict)}
    slug = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in base.lower()).strip("-")
    slug = slug if len(slug) >= 2 else "data"
    candidate, n = slug, 2
    while candidate in names:
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


# ---------------------------------------------------------------- publishing


@dataclass
class Upload:
    """The uploaded file a publish puts in place (from the upload store's record)."""

    path: Path
    filename: str
    kind: str
    resource: str | None


def publish_dataset(publisher: Publisher, config: Config, name: str, upload: Upload | None = None) -> Outcome:
    """Publish dataset `name` (with `upload` in place of its resource's file)
    from a staged copy; the dataset folder becomes the copy only when published."""
    with dataset_lock(name), staged_copy(config, name) as staged:
        if upload is not None:
            put_upload(staged, upload.resource, upload.path, upload.filename, upload.kind)
        outcome = publisher.publish_folder(staged)
        outcome.folder = str(dataset_dir(config, name))
        if outcome.report is not None:
            outcome.report = shown_from(outcome.report, shown_path(config, name, staged))
        if outcome.status == "published":
            move_into_place(staged, dataset_dir(config, name))
        return outcome


def restore_version(catalog: LocalCatalog, config: Config, name: str, version: int) -> None:
    """Make the dataset folder hold published version `version` (after a
    rollback), as `Publisher.rollback` rebuilt it: its descriptor and its
    stored files, so that the next publish of the folder finds nothing changed
    instead of undoing the rollback. Files that are no resource are kept."""
    record = catalog.action.publish_record_show(id=name, version=version)
    with staged_copy(config, name) as staged:
        path, current = read_descriptor(staged)
        for resource in current.get("resources") or []:
            old = staged / str(resource.get("path") or "") if isinstance(resource, dict) else staged
            if old != staged and old.exists() and _inside(staged, old):
                _remove(old)
        descriptor = dict(record["descriptor"])
        resources = []
        for resource in descriptor.get("resources") or []:
            stored = record["manifest"][resource_name(resource)]
            _clear(staged / stored["filename"])
            with (staged / stored["filename"]).open("wb") as out:
                for chunk in catalog.blobs.open_range(stored["sha256"], 0, None):
                    out.write(chunk)
            resources.append({**resource, "name": resource_name(resource), "path": stored["filename"]})
        descriptor["resources"] = resources
        descriptor["name"] = name
        write_atomic(path, dump_descriptor(descriptor, path))
        move_into_place(staged, dataset_dir(config, name))


def shown_from(report: Report, shown: Callable[[str], str]) -> Report:
    """The report with each finding's path as `shown` gives it (a staged or
    scratch folder's path as the dataset folder's), counts kept."""
    out = Report(sources=report.sources, settings=report.settings)

    def move(key: tuple) -> tuple:
        return (shown(key[0]) if key[0] else key[0], *key[1:])

    out.findings.counts.update({move(k): n for k, n in report.findings.counts.items()})
    out.findings.kept.update({move(k): n for k, n in report.findings.kept.items()})
    for finding in report.findings:
        list.append(out.findings, replace(finding, path=shown(finding.path) if finding.path else finding.path))
    return out


def shown_path(config: Config, name: str, staged: Path | str) -> Callable[[str], str]:
    """Paths under `staged` as under the dataset folder, relative to the city's
    folder when inside it (datasets/shelters/shelters.csv): no server paths on pages."""
    folder = dataset_dir(config, name)
    try:
        folder = folder.relative_to(config.root)
    except ValueError:
        pass
    prefix = str(staged)
    return lambda path: str(folder) + path[len(prefix):] if path.startswith(prefix) else path
