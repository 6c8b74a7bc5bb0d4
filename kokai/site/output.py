"""Writing the built site: units of output, each rebuilt only when its inputs
changed, and a state that remembers what each unit wrote.

A unit is a key (a hash of everything its output depends on) and a function
that produces its files. When the key equals the one in the state and the
files are still there, the function is not called at all; otherwise the files
it produces are written when their bytes differ, and files it no longer
produces are removed. That is what makes a one-dataset change cheap."""

from __future__ import annotations

import errno
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class FileSlice:
    """A run of bytes of a file already on disk (a catalog-wide file written by
    the last build), copied by the kernel rather than read into memory."""

    path: Path
    start: int
    length: int


class Pieces(list):
    """A file's content as pieces written one after another: bytes, and slices of
    files on disk. A big file that changed in one place is written this way, so
    it is neither held whole in memory nor copied through it."""

    def size(self) -> int:
        return sum(p.length if isinstance(p, FileSlice) else len(p) for p in self)

    def to_bytes(self) -> bytes:
        return b"".join(_read_slice(p) if isinstance(p, FileSlice) else p for p in self)


Files = dict[str, bytes | Pieces]


@dataclass
class Unit:
    id: str
    key: str
    produce: Callable[[], Files]
    written: Callable[[], None] | None = None  # called once its files are written


def key_of(*parts: Any) -> str:
    """A stable hash of JSON-able inputs."""
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def default_state_dir(out_dir: Path) -> Path:
    """Beside the output (`_site` → `_site.state`), so that nothing private-looking
    is uploaded with the site."""
    return out_dir.with_name(out_dir.name + ".state")


def list_folder(path: str) -> str:
    """The list a page belongs to: 'datasets/tag/防災/page/3/' → 'datasets/tag/防災/'."""
    head, marker, _ = path.rpartition("page/")
    return head if marker and path.endswith("/") and head.endswith("/") else path


@dataclass
class WriteLog:
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    units_built: int = 0
    units_skipped: int = 0


class SiteOutput:
    """The output folder and the units' record of what they wrote."""

    def __init__(self, out_dir: Path, units_state: dict[str, dict]):
        self.out_dir = out_dir
        self._root = str(out_dir) + os.sep
        self.state = units_state  # unit id → {"key": ..., "paths": [...]}
        self.log = WriteLog()
        self._seen: set[str] = set()

    def needs(self, unit: Unit) -> bool:
        """Whether the unit must be produced: its key changed or a file of it is gone."""
        previous = self.state.get(unit.id)
        return (
            previous is None
            or previous["key"] != unit.key
            or not (previous["paths"] and os.path.exists(self._root + previous["paths"][0]))
        )  # one file per unit is checked: a site folder emptied or replaced is noticed

    def run(self, unit: Unit) -> None:
        if self.needs(unit):
            self.produce(unit)
        else:
            self.skip(unit)

    def produce(self, unit: Unit) -> None:
        """Write the unit's files (whether it needs it was decided by the caller)."""
        files = unit.produce()
        for path, content in files.items():
            self.write(path, content)
        if unit.written is not None:
            unit.written()
        self.record(unit, list(files))

    def keep(self, unit_id: str) -> None:
        """A unit whose inputs did not change stays as it is (when it was built before)."""
        if unit_id in self.state:
            self._seen.add(unit_id)
            self.log.units_skipped += 1

    def keep_lists(self, folders: set[str]) -> None:
        """The list pages under `folders` stay as they are (nothing they show changed)."""
        for unit_id in self.state:
            if unit_id.startswith("list:") and list_folder(unit_id[5:]) in folders:
                self._seen.add(unit_id)
                self.log.units_skipped += 1

    def skip(self, unit: Unit) -> None:
        self._seen.add(unit.id)
        self.log.units_skipped += 1

    def record(self, unit: Unit, paths: list[str]) -> None:
        """A unit produced `paths` (already written): forget, and remove, what it no longer produces."""
        self._seen.add(unit.id)
        previous = self.state.get(unit.id) or {}
        for path in previous.get("paths", []):
            if path not in paths:
                self.remove(path)
        self.state[unit.id] = {"key": unit.key, "paths": sorted(paths)}
        self.log.units_built += 1

    def finish(self) -> None:
        """Remove what units that no longer exist (deleted datasets) had written."""
        for unit_id in [u for u in self.state if u not in self._seen]:
            for path in self.state.pop(unit_id)["paths"]:
                self.remove(path)

    def current_paths(self) -> list[str]:
        """The files of the units this build has run (not those of deleted datasets)."""
        return sorted(p for u in self._seen if u in self.state for p in self.state[u]["paths"])

    def write(self, path: str, content: bytes | Pieces) -> None:
        target = self._target(path)
        if not isinstance(content, Pieces):  # pieces are written only when they changed
            try:
                if target.stat().st_size == len(content) and target.read_bytes() == content:
                    return
            except FileNotFoundError:
                pass
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        if isinstance(content, Pieces):
            write_pieces(temporary, content)
        else:
            temporary.write_bytes(content)
        os.replace(temporary, target)  # a reader never sees half a page
        self.log.written.append(path)

    def remove(self, path: str) -> None:
        target = self._target(path)
        if target.exists():
            target.unlink()
            self.log.removed.append(path)
            parent = target.parent
            while parent != self.out_dir and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent

    def _target(self, path: str) -> Path:
        parts = path.split("/")
        if path.startswith("/") or "\\" in path or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"not a path inside the site: {path!r}")
        return self.out_dir / path


COPY_CHUNK = 1 << 20  # when the kernel cannot copy between the files itself
KERNEL_CANNOT_COPY = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EPERM}


def write_pieces(target: Path, pieces: Pieces) -> None:
    with open(target, "wb", buffering=0) as out:
        pending: list[bytes] = []  # bytes pieces in a row go out in one write
        for piece in pieces:
            if not isinstance(piece, FileSlice):
                pending.append(piece)
                continue
            _write_all(out.fileno(), b"".join(pending))
            pending.clear()
            with open(piece.path, "rb", buffering=0) as source:
                _copy_range(source.fileno(), out.fileno(), piece.start, piece.length)
        _write_all(out.fileno(), b"".join(pending))


def _write_all(target: int, content: bytes) -> None:
    view = memoryview(content)
    while view:
        view = view[os.write(target, view) :]


def _copy_range(source: int, target: int, start: int, length: int) -> None:
    """Append `length` bytes of `source` from `start` to `target` (at its position):
    by the kernel where it can copy between the two files, else through memory."""
    end = start + length
    kernel = hasattr(os, "copy_file_range")
    while start < end:
        if kernel:
            try:
                copied = os.copy_file_range(source, target, end - start, start)
            except OSError as exc:
                if exc.errno not in KERNEL_CANNOT_COPY:
                    raise
                kernel = False
                continue
        else:
            copied = os.write(target, os.pread(source, min(COPY_CHUNK, end - start), start))
        if copied == 0:
            raise OSError(f"a slice runs past the end of its file ({end - start} bytes missing)")
        start += copied


def _read_slice(piece: FileSlice) -> bytes:
    with open(piece.path, "rb") as source:
        source.seek(piece.start)
        content = source.read(piece.length)
    if len(content) != piece.length:
        raise OSError(f"{piece.path} is shorter than its slice")
    return content
