"""Per-dataset pieces of the catalog-wide files (data.json, catalog.jsonld and
the Atom feed), kept between builds so that one changed dataset means neither
mapping nor parsing every other one again, and the big files are rewritten by
splicing: the unchanged datasets' bytes are copied from those written last time.

Each part is one body: the datasets' encoded fragments in name order, joined by
commas. For data.json and catalog.jsonld the body is the inside of the file's
JSON array, so the site's own files are the store; the Atom entries are kept
in a body file of their own. An index (marshal) gives each dataset's modified
time and the length of its fragments. It is removed before the site's files
are rewritten and written again after them, naming their size and modification
time: after a build stopped half-way, or files changed since by another tool,
the store is not trusted and every fragment is made anew."""

from __future__ import annotations

import bisect
import itertools
import marshal
import os
from collections.abc import Iterable
from pathlib import Path

PARTS = ("pod", "dcat", "atom")
IN_SITE = {"pod": "data.json", "dcat": "catalog.jsonld"}  # parts whose body is inside a site file
TAIL = b"]}"  # what follows the body in those files
INDEX = "index.marshal"
FORMAT = 2


class FragmentStore:
    def __init__(self, folder: Path, out_dir: Path):
        self.folder = folder
        self.out_dir = out_dir
        self.generation = 0  # of the Atom body file
        # name → [modified, length of each part]
        self.entries: dict[str, list] = {}
        # the stored bodies: each dataset's offset and lengths in each, names in order
        self._stored: dict[str, tuple[int, ...]] = {}
        self._stored_lengths: dict[str, tuple[int, ...]] = {}
        self._stored_order: list[str] = []
        self._heads: dict[str, int] = {}  # part in a site file → where its body starts
        self._bodies: dict[str, memoryview] = {}
        self._new: dict[str, list[bytes]] = {}  # fragments put by this build
        self._removed = False
        self._body_pieces: dict[str, list[bytes | memoryview]] = {}
        self._load()

    def _atom_path(self, generation: int) -> Path:
        return self.folder / f"atom.{generation}"

    def _load(self) -> None:
        try:
            index = marshal.loads((self.folder / INDEX).read_bytes())
            if index.get("format") != FORMAT:
                return
            generation, entries, files = index["generation"], index["entries"], index["files"]
            atom_size = self._atom_path(generation).stat().st_size
            for part, name in IN_SITE.items():
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
        in_files = [files[part][1] - files[part][0] - len(TAIL) for part in IN_SITE]
        if bodies != [*in_files, atom_size]:
            return  # bodies that are not those of the index
        self.generation, self.entries, self._stored_order = generation, entries, order
        self._heads = {part: files[part][0] for part in IN_SITE}
        # offsets has one more entry per part (the end), which zip leaves out
        self._stored = dict(zip(order, zip(*offsets, strict=True), strict=False))
        self._stored_lengths = dict(zip(order, zip(*lengths, strict=True), strict=True))

    def _body(self, part: str) -> memoryview:
        if part not in self._bodies:
            if part in IN_SITE:
                content = memoryview((self.out_dir / IN_SITE[part]).read_bytes())
                self._bodies[part] = content[self._heads[part] : len(content) - len(TAIL)]
            else:
                self._bodies[part] = memoryview(self._atom_path(self.generation).read_bytes())
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
        return bytes(self._body(part)[start : start + self._stored_lengths[name][index]])

    def joined(self, part: str) -> bytes:
        """Every dataset's fragment of `part`, in name order, joined by commas."""
        return b"".join(self.body(part))

    def body(self, part: str) -> list[bytes | memoryview]:
        """`joined(part)` as pieces to write one after another, so that the big
        files are copied once: slices of the stored body and new fragments, with
        the commas between them."""
        if part not in self._body_pieces:
            pieces = self._pieces(part)
            self._body_pieces[part] = [b","] * (2 * len(pieces) - 1) if pieces else []
            self._body_pieces[part][::2] = pieces
        return self._body_pieces[part]

    def _pieces(self, part: str) -> list[bytes | memoryview]:
        """The stored body cut around the datasets that changed, with their new
        fragments between the cuts: one slice per run of unchanged datasets."""
        index = PARTS.index(part)
        body = self._body(part) if self._stored else memoryview(b"")
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

    def invalidate(self) -> None:
        """Before the site's files are rewritten: until `save`, they may be half
        written, and a build stopped in between must not trust them."""
        (self.folder / INDEX).unlink(missing_ok=True)

    def save(self) -> None:
        """After the site's files that hold `joined("pod")` and `joined("dcat")` are
        written: the Atom body of a new generation, then the index naming them."""
        self.folder.mkdir(parents=True, exist_ok=True)
        new = self.generation + 1
        self._atom_path(new).write_bytes(self.joined("atom"))
        files = {}
        for part, name in IN_SITE.items():
            stat = (self.out_dir / name).stat()
            head = stat.st_size - sum(len(piece) for piece in self.body(part)) - len(TAIL)
            files[part] = [head, stat.st_size, stat.st_mtime_ns]
        index = {"format": FORMAT, "generation": new, "entries": self.entries, "files": files}
        temporary = self.folder / f".{INDEX}.{os.getpid()}.tmp"
        temporary.write_bytes(marshal.dumps(index))
        os.replace(temporary, self.folder / INDEX)
        for path in self.folder.glob("atom.*"):
            if path.name != self._atom_path(new).name:
                path.unlink(missing_ok=True)
