"""Per-dataset pieces of the catalog-wide files (data.json, catalog.jsonld and
the Atom feed), kept between builds so that one changed dataset means neither
mapping nor parsing every other one again.

Each part is kept as one body: the datasets' encoded fragments in name order,
joined by commas, which is exactly the inside of the JSON array the big files
hold. An index (marshal) gives each dataset's modified time and the length of
its fragments, so a fragment is a slice of its body. The bodies of a
generation are written before the index that names it, so a build that stops
half-way leaves the previous generation whole."""

from __future__ import annotations

import bisect
import itertools
import marshal
import os
from collections.abc import Iterable
from pathlib import Path

PARTS = ("pod", "dcat", "atom")
INDEX = "index.marshal"
FORMAT = 1


class FragmentStore:
    def __init__(self, folder: Path):
        self.folder = folder
        self.generation = 0
        # name → [modified, length of each part]
        self.entries: dict[str, list] = {}
        # the stored generation: each dataset's offset and lengths in each body, names in order
        self._stored: dict[str, tuple[int, ...]] = {}
        self._stored_lengths: dict[str, tuple[int, ...]] = {}
        self._stored_order: list[str] = []
        self._bodies: dict[str, bytes] = {}
        self._new: dict[str, list[bytes]] = {}  # fragments put by this build
        self._removed = False
        self._joined: dict[str, bytes] = {}
        self._load()

    def _body_path(self, part: str, generation: int) -> Path:
        return self.folder / f"{part}.{generation}"

    def _load(self) -> None:
        try:
            index = marshal.loads((self.folder / INDEX).read_bytes())
            if index.get("format") != FORMAT:
                return
            generation, entries = index["generation"], index["entries"]
            sizes = [self._body_path(part, generation).stat().st_size for part in PARTS]
        except (OSError, ValueError, EOFError, TypeError, KeyError, AttributeError):
            return  # nothing usable: every fragment is made anew
        order = sorted(entries)
        lengths = [[entries[name][1 + i] for name in order] for i in range(len(PARTS))]
        # each fragment is followed by a comma, but the last
        offsets = [[0, *itertools.accumulate(n + 1 for n in part)] for part in lengths]
        if sizes != [max(part[-1] - 1, 0) for part in offsets]:
            return  # bodies that are not those of the index
        self.generation, self.entries, self._stored_order = generation, entries, order
        # offsets has one more entry per part (the end), which zip leaves out
        self._stored = dict(zip(order, zip(*offsets, strict=True), strict=False))
        self._stored_lengths = dict(zip(order, zip(*lengths, strict=True), strict=True))

    def _body(self, part: str) -> bytes:
        if part not in self._bodies:
            self._bodies[part] = self._body_path(part, self.generation).read_bytes()
        return self._bodies[part]

    def modified(self, name: str) -> str | None:
        entry = self.entries.get(name)
        return entry[0] if entry else None

    def put(self, name: str, modified: str, **parts: bytes) -> None:
        fragments = [parts[p] for p in PARTS]
        self._new[name] = fragments
        self.entries[name] = [modified, *(len(f) for f in fragments)]

    def keep(self, names: Iterable[str]) -> None:
        wanted = set(names)
        for name in [n for n in self.entries if n not in wanted]:
            del self.entries[name]
            self._new.pop(name, None)
            self._removed = True

    def get(self, name: str, part: str) -> bytes:
        index = PARTS.index(part)
        if name in self._new:
            return self._new[name][index]
        start = self._stored[name][index]
        return self._body(part)[start : start + self._stored_lengths[name][index]]

    def joined(self, part: str) -> bytes:
        """Every dataset's fragment of `part`, in name order, joined by commas."""
        if part not in self._joined:
            self._joined[part] = b",".join(self._pieces(part))
        return self._joined[part]

    def _pieces(self, part: str) -> list[bytes | memoryview]:
        """The stored body cut around the datasets that changed, with their new
        fragments between the cuts: one slice per run of unchanged datasets."""
        index = PARTS.index(part)
        body = memoryview(self._body(part)) if self._stored else memoryview(b"")
        old = self._stored_order
        changed = sorted(set(self._new) | (self._stored.keys() - self.entries.keys()))
        pieces: list[bytes | memoryview] = []
        done = 0  # old[:done] are placed

        def unchanged_until(end: int) -> None:
            if end > done:
                first, last = old[done], old[end - 1]
                stop = self._stored[last][index] + self._stored_lengths[last][index]
                pieces.append(body[self._stored[first][index] : stop])

        for name in changed:
            position = bisect.bisect_left(old, name, done)
            unchanged_until(position)
            if name in self._new:
                pieces.append(self._new[name][index])
            done = position + 1 if position < len(old) and old[position] == name else position
        unchanged_until(len(old))
        return pieces

    def save(self) -> None:
        """Write a new generation when something changed, then drop the old one."""
        if not self._new and not self._removed and (self.folder / INDEX).exists():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        old, new = self.generation, self.generation + 1
        for part in PARTS:
            self._body_path(part, new).write_bytes(self.joined(part))
        index = {"format": FORMAT, "generation": new, "entries": self.entries}
        temporary = self.folder / f".{INDEX}.{os.getpid()}.tmp"
        temporary.write_bytes(marshal.dumps(index))
        os.replace(temporary, self.folder / INDEX)
        for part in PARTS:
            self._body_path(part, old).unlink(missing_ok=True)
