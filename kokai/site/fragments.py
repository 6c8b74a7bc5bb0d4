"""Per-dataset pieces of the catalog-wide files (data.json and catalog.jsonld),
kept between builds so that one changed dataset means neither mapping nor
parsing every other one again, and the big files are rewritten by splicing:
the unchanged datasets' bytes are copied by the kernel from the files written
last time, never read into memory.

Each part is one body: the datasets' encoded fragments in name order, joined by
commas, the inside of the file's JSON array, so the site's own files are the
store. An index (marshal) gives each dataset's modified time and the length of
its fragments, and keeps the Atom entries of the newest datasets (the feed
shows only those). It is removed before the site's files are rewritten and
written again after them, naming their size and modification time: after a
build stopped half-way, or files changed since by another tool, the store is
not trusted and every fragment is made anew."""

from __future__ import annotations

import bisect
import itertools
import marshal
import os
from collections.abc import Iterable
from pathlib import Path

from kokai.site.output import FileSlice, Pieces

PARTS = ("pod", "dcat")
FILES = {"pod": "data.json", "dcat": "catalog.jsonld"}  # the site file each part's body is in
TAIL = b"]}"  # what follows the body in those files
INDEX = "index.marshal"
FORMAT = 3


class FragmentStore:
    def __init__(self, folder: Path, out_dir: Path):
        self.folder = folder
        self.out_dir = out_dir
        self.entries: dict[str, list] = {}  # name → [modified, length of each part]
        self._atom: dict[str, bytes] = {}  # name → Atom entry, for the newest datasets
        # the stored bodies: each dataset's offset and lengths in each, names in order
        self._stored: dict[str, tuple[int, ...]] = {}
        self._stored_lengths: dict[str, tuple[int, ...]] = {}
        self._stored_order: list[str] = []
        self._heads: dict[str, int] = {}  # part → where its body starts in its file
        self._new: dict[str, list[bytes]] = {}  # fragments put by this build
        self._body_pieces: dict[str, Pieces] = {}
        self._load()

    def _load(self) -> None:
        try:
            index = marshal.loads((self.folder / INDEX).read_bytes())
            if index.get("format") != FORMAT:
                return
            entries, files, atom = index["entries"], index["files"], index["atom"]
            for part, name in FILES.items():
                stat = (self.out_dir / name).stat()
                if [stat.st_size, stat.st_mtime_ns] != files[part][1:]:
                    return  # written since by something else, or not by a finished build
        except (OSError, ValueError, EOFError, TypeError, KeyError, AttributeError):
            return  # nothing usable: every fragment is made anew
        order = sorted(entries)
        lengths = [[entries[name][1 + i] for name in order] for i in range(len(PARTS))]
        # each fragment is followed by a comma, but the last
        offsets = [[0, *itertools.accumulate(n + 1 for n in part)] for part in lengths]
        bodies = [max(part[-1] - 1, 0) for part in offsets]
        if bodies != [files[part][1] - files[part][0] - len(TAIL) for part in PARTS]:
            return  # bodies that are not those of the index
        self.entries, self._atom, self._stored_order = entries, atom, order
        self._heads = {part: files[part][0] for part in PARTS}
        # offsets has one more entry per part (the end), which zip leaves out
        self._stored = dict(zip(order, zip(*offsets, strict=True), strict=False))
        self._stored_lengths = dict(zip(order, zip(*lengths, strict=True), strict=True))

    def modified(self, name: str) -> str | None:
        entry = self.entries.get(name)
        return entry[0] if entry else None

    def put(self, name: str, modified: str, *, pod: bytes, dcat: bytes, atom: bytes) -> None:
        self._new[name] = [pod, dcat]
        self._atom[name] = atom
        self.entries[name] = [modified, len(pod), len(dcat)]

    def keep(self, names: Iterable[str]) -> None:
        wanted = set(names)
        for name in [n for n in self.entries if n not in wanted]:
            del self.entries[name]
            self._new.pop(name, None)

    def atom_entry(self, name: str) -> bytes | None:
        """The dataset's Atom entry, when it is one of the newest or changed in this build."""
        return self._atom.get(name)

    def joined(self, part: str) -> bytes:
        """Every dataset's fragment of `part`, in name order, joined by commas
        (read before the site's files are rewritten: the slices point into them)."""
        return self.body(part).to_bytes()

    def body(self, part: str) -> Pieces:
        """`joined(part)` as pieces to write one after another: slices of the stored
        body and new fragments, with the commas between them."""
        if part not in self._body_pieces:
            pieces = self._pieces(part)
            self._body_pieces[part] = Pieces([b","] * (2 * len(pieces) - 1) if pieces else [])
            self._body_pieces[part][::2] = pieces
        return self._body_pieces[part]

    def _pieces(self, part: str) -> list[bytes | FileSlice]:
        """The stored body cut around the datasets that changed, with their new
        fragments between the cuts: one slice per run of unchanged datasets."""
        index = PARTS.index(part)
        old = self._stored_order
        changed = sorted(set(self._new) | (self._stored.keys() - self.entries.keys()))
        pieces: list[bytes | FileSlice] = []
        done = 0  # old[:done] are placed

        def unchanged_until(end: int) -> None:
            if end > done:
                first, last = old[done], old[end - 1]
                start = self._stored[first][index]
                stop = self._stored[last][index] + self._stored_lengths[last][index]
                path = self.out_dir / FILES[part]
                pieces.append(FileSlice(path, self._heads[part] + start, stop - start))

        for name in changed:
            position = bisect.bisect_left(old, name, done)
            unchanged_until(position)
            if name in self._new:
                pieces.append(self._new[name][index])
            done = position + 1 if position < len(old) and old[position] == name else position
        unchanged_until(len(old))
        return pieces

    def invalidate(self) -> None:
        """Before the site's files are rewritten: until `save`, they may be half
        written, and a build stopped in between must not trust them."""
        (self.folder / INDEX).unlink(missing_ok=True)

    def save(self, atom_names: Iterable[str]) -> None:
        """After the site's files that hold `body("pod")` and `body("dcat")` are
        written: the index naming them, with the Atom entries of `atom_names`."""
        self.folder.mkdir(parents=True, exist_ok=True)
        files = {}
        for part, name in FILES.items():
            stat = (self.out_dir / name).stat()
            head = stat.st_size - self.body(part).size() - len(TAIL)
            files[part] = [head, stat.st_size, stat.st_mtime_ns]
        atom = {name: self._atom[name] for name in atom_names if name in self._atom}
        index = {"format": FORMAT, "entries": self.entries, "files": files, "atom": atom}
        temporary = self.folder / f".{INDEX}.{os.getpid()}.tmp"
        temporary.write_bytes(marshal.dumps(index))
        os.replace(temporary, self.folder / INDEX)
