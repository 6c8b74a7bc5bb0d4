"""The dataset list's search index: static JSON files that `static/search.js`
loads lazily, in pieces, and that one publish updates incrementally.

Public files under `<out>/search/`:

- `meta.json`: format version, shard count, slot count, chunk size, doc count.
  Loaded first; small.
- `s/<i>.json`: shard i. Tokens go to shards by CRC-32 of their UTF-8 bytes.
  One token per line, `"token":[d0,w0,d1,w1,...]` where d are delta-encoded
  slots (ascending) and w the token's weight in that doc; lists longer than
  LONG_LIST are split into pieces by slot range, `[[...],[...]]`. One line per
  token lets an update rewrite a shard without decoding its other tokens.
  Ranking (search.js): sum of weights, a bonus when every query word is in
  the title (weight >= W_TITLE; stands in for a phrase match), then newest.
- `docs/<c>.json`: what a result shows, for the docs in slots
  [c*CHUNK, (c+1)*CHUNK): `{"slot": [title, path, org title, formats,
  licence title, modified, snippet]}`.
- `modified.json`: every slot's modification day (3 base-64 characters,
  days since 2000-01-01; "." for an empty slot), so ties rank newest first
  without loading every doc.

Docs live in *slots* (their ids) given by ordered linear probing over
CRC-32 of their name: the layout depends only on the set of names, never on
the order they arrived in, so an incremental update writes byte-for-byte
the files a full build of the same docs writes, and adding or removing one
doc moves at most a few others. Shard and slot counts are powers of two
chosen from the collection's size; when one changes, everything is rebuilt.

Tokens (identical in search.js, see `tokenize`): NFKC + lowercase; runs of
kanji/kana give every character bigram (a one-character run gives itself),
runs of other letters and digits give whole words. Facet values are tokens
too (`\\x01org:<slug>`, `\\x01tag:<tag>`, `\\x01fmt:<format, lowercase>`,
`\\x01lic:<licence id>`), so a facet filter is an AND with their postings.

Private state under `state_dir`: `index.marshal` (every doc's name hash, token
count, modified day and slot) and `docs/<bucket>.json` (the indexed
SearchDocs, bucketed by name hash), so an update reads only what it touches.
"""

from __future__ import annotations

import json
import marshal
import os
import re
import shutil
import unicodedata
import zlib
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from itertools import accumulate
from operator import sub
from pathlib import Path

FORMAT_VERSION = 1
CHUNK = 32  # slots per doc-metadata chunk: ~8-16 docs at the table's load factor
NOTES_LIMIT = 2000  # characters of the description that are indexed
SNIPPET_LENGTH = 90
POSTINGS_PER_SHARD = 2500  # aim: shards of ~10-20 kB
MAX_SHARDS = 4096
STATE_BUCKETS = 256
E_HASH, E_TOKENS, E_DAY = 0, 1, 2  # a doc's entry in the state's index
LONG_LIST = 512  # postings; longer lists are stored in pieces
PIECE_SLOTS = 2048

# Field weights: title ≫ tags ≫ organisation ≫ formats ≫ notes. A title token
# always outweighs all other fields together (32 > 8 + 4 + 2 + 3), which
# search.js relies on to tell title matches apart.
W_TITLE, W_TAG, W_ORG, W_FORMAT, W_NOTES_MAX = 32, 8, 4, 2, 3

FACET_PREFIX = "\x01"
EPOCH = date(2000, 1, 1)
B64 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"

# Kanji, hiragana, katakana (with ー and 々〆〇, without the middle dot ・).
# Kept character for character the same as CJK in search.js.
CJK = (
    "\u3005-\u3007\u3041-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
)
# A run of CJK, or a run of other letters/digits ([^\W_] = \p{L}\p{N} in JS).
RUN_RE = re.compile(f"([{CJK}]+)|([^\\W_{CJK}]+)")


@dataclass(frozen=True)
class SearchDoc:
    name: str  # dataset slug, unique
    title: str
    notes: str  # description, plain text
    organization: str  # org slug ('' when none)
    organization_title: str
    tags: tuple[str, ...]
    formats: tuple[str, ...]  # e.g. ("CSV", "GTFS")
    license_id: str
    license_title: str
    modified: str  # ISO date 'YYYY-MM-DD'
    path: str  # site-relative page path, e.g. "dataset/shelters/"


def tokenize(text: str) -> list[str]:
    """Search tokens of a text, in order, with repeats (same as search.js)."""
    text = unicodedata.normalize("NFKC", text).lower()
    tokens: list[str] = []
    for cjk, word in RUN_RE.findall(text):
        if word:
            tokens.append(word)
        elif len(cjk) == 1:
            tokens.append(cjk)
        else:
            tokens.extend(cjk[i : i + 2] for i in range(len(cjk) - 1))
    return tokens


def facet_tokens(doc: SearchDoc) -> list[str]:
    tokens = [f"{FACET_PREFIX}tag:{tag}" for tag in doc.tags]
    tokens += [f"{FACET_PREFIX}fmt:{fmt.lower()}" for fmt in doc.formats]
    if doc.organization:
        tokens.append(f"{FACET_PREFIX}org:{doc.organization}")
    if doc.license_id:
        tokens.append(f"{FACET_PREFIX}lic:{doc.license_id}")
    return tokens


def doc_tokens(doc: SearchDoc) -> dict[str, int]:
    """Token → weight of one doc."""
    weights: dict[str, int] = Counter()
    for token, count in Counter(tokenize(doc.notes[:NOTES_LIMIT])).items():
        weights[token] = min(count, W_NOTES_MAX)
    for field, weight in (
        (" ".join(doc.formats), W_FORMAT),
        (doc.organization_title, W_ORG),
        ("\n".join(doc.tags), W_TAG),
        (doc.title, W_TITLE),
    ):
        for token in set(tokenize(field)):
            weights[token] += weight
    for token in facet_tokens(doc):
        weights.setdefault(token, 0)
    return dict(weights)


def token_hash(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def shard_count(postings: int) -> int:
    count = 1
    while count * POSTINGS_PER_SHARD < postings and count < MAX_SHARDS:
        count *= 2
    return count


def slot_table_size(docs: int) -> int:
    """Home range of the slot table: load factor between 1/4 and 1/2."""
    size = 32
    while size < 2 * docs:
        size *= 2
    return size


def layout(name_hashes: dict[str, int], table: int) -> dict[str, int]:
    """Slots by ordered linear probing without wrap-around: docs sorted by
    (home, name) each take the first free slot at or after their home. The
    result depends on the set of names only (history independent)."""
    slots: dict[str, int] = {}
    previous = -1
    for home, name in sorted(((h * table) >> 32, name) for name, h in name_hashes.items()):
        previous = max(home, previous + 1)
        slots[name] = previous
    return slots


def day_code(modified: str) -> str:
    try:
        days = max((date.fromisoformat(modified[:10]) - EPOCH).days, 0)
    except ValueError:
        days = 0
    days = min(days, 64**3 - 1)
    return B64[days >> 12] + B64[(days >> 6) & 63] + B64[days & 63]


def snippet(notes: str) -> str:
    text = " ".join(notes.split())
    return text if len(text) <= SNIPPET_LENGTH else text[: SNIPPET_LENGTH - 1] + "…"


def chunk_entry(doc: SearchDoc) -> list:
    return [
        doc.title,
        doc.path,
        doc.organization_title,
        list(doc.formats),
        doc.license_title,
        doc.modified,
        snippet(doc.notes),
    ]


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _encode_flat(postings: dict[int, int], slots: list[int]) -> str:
    flat: list[int] = [0] * (2 * len(slots))
    flat[0::2] = [slots[0], *map(sub, slots[1:], slots[:-1])] if slots else []
    flat[1::2] = [postings[slot] for slot in slots]
    return "[" + ",".join(map(str, flat)) + "]"


def encode_postings(postings: dict[int, int]) -> str:
    """Slots ascending, delta-encoded, interleaved with weights: "[d0,w0,d1,w1,…]".
    Lists longer than LONG_LIST are cut into pieces of PIECE_SLOTS slots each,
    "[[…],[…],…]", deltas restarting from 0 in every piece, so an update
    decodes one piece instead of thousands of postings."""
    slots = sorted(postings)
    if len(slots) <= LONG_LIST:
        return _encode_flat(postings, slots)
    pieces: list[list[int]] = [[] for _ in range(slots[-1] // PIECE_SLOTS + 1)]
    for slot in slots:
        pieces[slot // PIECE_SLOTS].append(slot)
    return "[" + ",".join(_encode_flat(postings, piece) for piece in pieces) + "]"


def decode_postings(text: str) -> dict[int, int]:
    value = json.loads(text)
    pieces = value if value and isinstance(value[0], list) else [value]
    postings: dict[int, int] = {}
    for flat in pieces:
        postings.update(zip(accumulate(flat[0::2]), flat[1::2], strict=True))
    return postings


def _count(flat_text: str) -> int:
    return 0 if flat_text in ("", "[]") else (flat_text.count(",") + 1) // 2


def _edit_flat(text: str, edit: dict[int, int | None]) -> str:
    """Apply slot → weight (None: drop) to a flat encoded list by splicing its
    text, converting only the numbers next to the edits."""
    flat = json.loads(text)
    slots = list(accumulate(flat[0::2]))
    parts = text[1:-1].split(",") if flat else []
    for slot, weight in sorted(edit.items()):
        i = bisect_left(slots, slot)
        present = i < len(slots) and slots[i] == slot
        previous = slots[i - 1] if i else 0
        if weight is None:
            if not present:
                continue
            if i + 1 < len(slots):
                parts[2 * i + 2] = str(slots[i + 1] - previous)
            del parts[2 * i : 2 * i + 2]
            del slots[i]
        elif present:
            parts[2 * i + 1] = str(weight)
        else:
            if i < len(slots):
                parts[2 * i] = str(slots[i] - slot)
            parts[2 * i : 2 * i] = [str(slot - previous), str(weight)]
            slots.insert(i, slot)
    return "[" + ",".join(parts) + "]"


def edit_postings(text: str, edit: dict[int, int | None]) -> str:
    """encode_postings(decode_postings(text) with edit applied), touching only
    the pieces the edit falls in."""
    if not text.startswith("[["):
        edited = _edit_flat(text, edit)
        if _count(edited) > LONG_LIST:
            return encode_postings(decode_postings(edited))
        return edited
    pieces = text[2:-2].split("],[")
    by_piece: dict[int, dict[int, int | None]] = defaultdict(dict)
    for slot, weight in edit.items():
        by_piece[slot // PIECE_SLOTS][slot] = weight
    for b, piece_edit in by_piece.items():
        if b >= len(pieces):
            pieces += [""] * (b + 1 - len(pieces))
        pieces[b] = _edit_flat("[" + pieces[b] + "]", piece_edit)[1:-1]
    while pieces and not pieces[-1]:
        pieces.pop()
    if sum(_count(piece) for piece in pieces) <= LONG_LIST:
        postings: dict[int, int] = {}
        for piece in pieces:
            postings.update(decode_postings("[" + piece + "]"))
        return encode_postings(postings)
    return "[[" + "],[".join(pieces) + "]]"


def shard_text(entries: list[str]) -> str:
    """entries: sorted `"token":[postings]` lines. No JSON-encoded token is a
    prefix of another (the closing quote is the only unescaped one), so the
    lines sort exactly as their tokens do and can be searched with bisect."""
    return "{\n" + ",\n".join(entries) + "\n}\n"


def shard_entries(text: str) -> list[str]:
    """The inverse of shard_text."""
    return [line.removesuffix(",") for line in text.split("\n")[1:-2] if line]


def doc_from_json(data: dict) -> SearchDoc:
    data = dict(data)
    data["tags"] = tuple(data["tags"])
    data["formats"] = tuple(data["formats"])
    return SearchDoc(**data)


def bucket_of(name: str) -> int:
    return token_hash(name) % STATE_BUCKETS


class SearchIndex:
    """Writes the public index under out_dir/search/ and keeps private state
    under state_dir."""

    def __init__(self, out_dir: Path, state_dir: Path):
        self.root = Path(out_dir) / "search"
        self.out_dir = Path(out_dir)
        self.state_dir = Path(state_dir)

    # ---- full build -------------------------------------------------------

    def build(self, docs: Iterable[SearchDoc]) -> None:
        """Rebuild everything from docs (replaces any previous index)."""
        by_name: dict[str, SearchDoc] = {}
        for doc in docs:
            by_name[doc.name] = doc
        self._build_all(by_name)

    def _build_all(self, by_name: dict[str, SearchDoc]) -> set[str]:
        tokens = {name: doc_tokens(doc) for name, doc in by_name.items()}
        entries = {name: self._entry(doc, len(tokens[name])) for name, doc in by_name.items()}
        nshards = shard_count(sum(len(t) for t in tokens.values()))
        table = slot_table_size(len(by_name))
        slots = layout({name: token_hash(name) for name in by_name}, table)

        shards: list[dict[str, dict[int, int]]] = [defaultdict(dict) for _ in range(nshards)]
        for name, weights in tokens.items():
            slot = slots[name]
            for token, weight in weights.items():
                shards[token_hash(token) & (nshards - 1)][token][slot] = weight
        chunks: dict[int, dict[int, list]] = defaultdict(dict)
        for name, doc in by_name.items():
            chunks[slots[name] // CHUNK][slots[name]] = chunk_entry(doc)

        if self.root.exists():
            shutil.rmtree(self.root)
        (self.root / "s").mkdir(parents=True)
        (self.root / "docs").mkdir()
        written: set[str] = set()
        for i, shard in enumerate(shards):
            lines = sorted(dumps(token) + ":" + encode_postings(p) for token, p in shard.items())
            written.add(self._write(f"s/{i}.json", shard_text(lines)))
        for c, chunk in chunks.items():
            written.add(self._write(f"docs/{c}.json", chunk_text(chunk)))
        state = {
            "version": FORMAT_VERSION, "shards": nshards, "table": table,
            "docs": entries, "slots": slots,
        }
        written |= self._write_summaries(state, force=True)

        if self.state_dir.exists():
            shutil.rmtree(self.state_dir)
        (self.state_dir / "docs").mkdir(parents=True)
        buckets: dict[int, dict[str, dict]] = defaultdict(dict)
        for name, doc in by_name.items():
            buckets[bucket_of(name)][name] = asdict(doc)
        for b, bucket in buckets.items():
            self._write_state_bucket(b, bucket)
        self._write_state(state)
        return written

    # ---- incremental update -----------------------------------------------

    def update(self, changed: Iterable[SearchDoc], removed: Iterable[str]) -> set[str]:
        """Apply changed (new or edited) docs and removed names; returns the
        paths (relative to out_dir, e.g. "search/s/12.json") of public files
        written or deleted. The result is byte-for-byte what build() of the
        resulting docs writes. Raises FileNotFoundError when there is no state
        to update (never built, or built by another format version): build()."""
        state = self._read_state()
        if state is None:
            raise FileNotFoundError(f"no search index state in {self.state_dir}; build first")
        changed_docs = {doc.name: doc for doc in changed}
        removed_names = {name for name in removed if name not in changed_docs}
        removed_names &= set(state["docs"])
        if not changed_docs and not removed_names:
            return set()
        entries: dict[str, list] = state["docs"]
        old_slots: dict[str, int] = state["slots"]

        buckets: dict[int, dict[str, dict]] = {}
        for name in [*changed_docs, *removed_names]:
            b = bucket_of(name)
            if b not in buckets:
                buckets[b] = self._read_state_bucket(b)
        old_docs = {
            name: doc_from_json(buckets[bucket_of(name)][name])
            for name in [*changed_docs, *removed_names]
            if name in buckets[bucket_of(name)]
        }
        new_tokens = {name: doc_tokens(doc) for name, doc in changed_docs.items()}

        new_entries = dict(entries)
        for name in removed_names:
            del new_entries[name]
        for name, doc in changed_docs.items():
            new_entries[name] = self._entry(doc, len(new_tokens[name]))
        nshards = shard_count(sum(e[E_TOKENS] for e in new_entries.values()))
        table = slot_table_size(len(new_entries))

        for name in removed_names:
            del buckets[bucket_of(name)][name]
        for name, doc in changed_docs.items():
            buckets[bucket_of(name)][name] = asdict(doc)

        if nshards != state["shards"] or table != state["table"]:
            # The shape changed: every slot or shard moves, so rebuild.
            all_docs: dict[str, SearchDoc] = {}
            for b in range(STATE_BUCKETS):
                bucket = buckets[b] if b in buckets else self._read_state_bucket(b)
                all_docs.update((n, doc_from_json(d)) for n, d in bucket.items())
            previous = self._public_files()
            written = self._build_all(all_docs)
            return written | (previous - self._public_files())

        slots = layout({name: e[E_HASH] for name, e in new_entries.items()}, table)
        moved = {
            name
            for name, slot in slots.items()
            if name in old_slots and old_slots[name] != slot and name not in changed_docs
        }
        for b in {bucket_of(name) for name in moved} - set(buckets):
            buckets[b] = self._read_state_bucket(b)
        for name in moved:
            doc = doc_from_json(buckets[bucket_of(name)][name])
            old_docs[name] = doc
            changed_docs[name] = doc
            new_tokens[name] = doc_tokens(doc)

        # Net postings edits per shard and token: a token whose slot and weight
        # did not change is left alone (None = drop the slot).
        mask = nshards - 1
        before: dict[str, dict[int, int]] = defaultdict(dict)
        after: dict[str, dict[int, int]] = defaultdict(dict)
        for name, doc in old_docs.items():
            old_slot = old_slots[name]
            for token, weight in doc_tokens(doc).items():
                before[token][old_slot] = weight
        for name, weights in new_tokens.items():
            slot = slots[name]
            for token, weight in weights.items():
                after[token][slot] = weight
        edits: dict[int, dict[str, dict[int, int | None]]] = defaultdict(dict)
        for token in before.keys() | after.keys():
            old, new = before.get(token, {}), after.get(token, {})
            if old == new:
                continue
            edit: dict[int, int | None] = {slot: None for slot in old.keys() - new.keys()}
            edit.update((slot, w) for slot, w in new.items() if old.get(slot) != w)
            edits[token_hash(token) & mask][token] = edit
        written: set[str] = set()
        for shard, token_edits in edits.items():
            path = f"s/{shard}.json"
            lines = shard_entries((self.root / path).read_text("utf-8"))
            dirty = False
            for token, edit in token_edits.items():
                probe = dumps(token) + ":"
                i = bisect_left(lines, probe)
                present = i < len(lines) and lines[i].startswith(probe)
                old_text = lines[i][len(probe) :] if present else "[]"
                text = edit_postings(old_text, edit)
                if text == old_text:
                    continue
                dirty = True
                if text == "[]":
                    del lines[i]
                elif present:
                    lines[i] = probe + text
                else:
                    lines.insert(i, probe + text)
            if dirty:
                written.add(self._write(path, shard_text(lines)))

        # Doc-metadata chunks.
        chunk_edits: dict[int, dict[int, list | None]] = defaultdict(dict)
        for name in old_docs:
            old_slot = old_slots[name]
            chunk_edits[old_slot // CHUNK][old_slot] = None
        for name, doc in changed_docs.items():
            chunk_edits[slots[name] // CHUNK][slots[name]] = chunk_entry(doc)
        for c, edit in chunk_edits.items():
            path = f"docs/{c}.json"
            file = self.root / path
            chunk = {int(k): v for k, v in json.loads(file.read_text("utf-8")).items()} if (
                file.exists()
            ) else {}
            original = dict(chunk)
            for slot, entry in edit.items():
                if entry is None:
                    chunk.pop(slot, None)
                else:
                    chunk[slot] = entry
            if chunk == original:
                continue
            if chunk:
                written.add(self._write(path, chunk_text(chunk)))
            else:
                file.unlink(missing_ok=True)
                written.add("search/" + path)

        state = {
            "version": FORMAT_VERSION, "shards": nshards, "table": table,
            "docs": new_entries, "slots": slots,
        }
        written |= self._write_summaries(state)
        for b, bucket in buckets.items():
            self._write_state_bucket(b, bucket)
        self._write_state(state)
        return written

    # ---- sizes ------------------------------------------------------------

    def sizes(self) -> dict:
        """Bytes and file counts of the public index (for reports and the bench)."""
        shards = sorted((self.root / "s").glob("*.json"))
        chunks = sorted((self.root / "docs").glob("*.json"))
        shard_sizes = [p.stat().st_size for p in shards]
        chunk_sizes = [p.stat().st_size for p in chunks]
        other = [p.stat().st_size for p in self.root.glob("*.json")]
        return {
            "total_bytes": sum(shard_sizes) + sum(chunk_sizes) + sum(other),
            "files": len(shards) + len(chunks) + len(other),
            "shards": len(shards),
            "shard_bytes": sum(shard_sizes),
            "largest_shard": max(shard_sizes, default=0),
            "chunks": len(chunks),
            "chunk_bytes": sum(chunk_sizes),
            "largest_chunk": max(chunk_sizes, default=0),
            "meta_bytes": (self.root / "meta.json").stat().st_size,
            "modified_bytes": (self.root / "modified.json").stat().st_size,
        }

    # ---- helpers ----------------------------------------------------------

    @staticmethod
    def _entry(doc: SearchDoc, ntokens: int) -> list:
        return [token_hash(doc.name), ntokens, day_code(doc.modified)]

    def _write_summaries(self, state: dict, force: bool = False) -> set[str]:
        entries = state["docs"]
        slot_of: dict[str, int] = state["slots"]
        size = max(slot_of.values(), default=-1) + 1
        day_list = ["."] * size
        for name, slot in slot_of.items():
            day_list[slot] = entries[name][E_DAY]
        days = "".join(day_list)
        meta = {
            "version": FORMAT_VERSION,
            "shards": state["shards"],
            "slots": size,
            "chunk": CHUNK,
            "docs": len(entries),
        }
        written = set()
        for path, text in (
            ("meta.json", dumps(meta) + "\n"),
            ("modified.json", dumps({"epoch": EPOCH.isoformat(), "days": days}) + "\n"),
        ):
            file = self.root / path
            if force or not file.exists() or file.read_text("utf-8") != text:
                written.add(self._write(path, text))
        return written

    def _write(self, path: str, text: str) -> str:
        file = self.root / path
        if "/" in path:
            # Shards and chunks are overwritten in place: a new doc rewrites ~200
            # of them, and replacing a file costs several times more (ext4 flushes
            # on rename-over). A reader catching one mid-write gets an error and
            # search.js fetches it again on the next search.
            file.write_text(text, "utf-8")
        else:
            temp = file.with_name(file.name + ".tmp")
            temp.write_text(text, "utf-8")
            os.replace(temp, file)
        return "search/" + path

    def _public_files(self) -> set[str]:
        if not self.root.exists():
            return set()
        return {
            "search/" + p.relative_to(self.root).as_posix()
            for p in self.root.rglob("*.json")
        }

    def _read_state(self) -> dict | None:
        # marshal, not JSON: read on every build, and six times faster at 10,000 datasets
        file = self.state_dir / "index.marshal"
        try:
            state = marshal.loads(file.read_bytes())
        except (FileNotFoundError, ValueError, EOFError, TypeError):
            return None
        return state if isinstance(state, dict) and state.get("version") == FORMAT_VERSION else None

    def _write_state(self, state: dict) -> None:
        file = self.state_dir / "index.marshal"
        temp = file.with_name("index.marshal.tmp")
        temp.write_bytes(marshal.dumps(state))
        os.replace(temp, file)

    def _read_state_bucket(self, bucket: int) -> dict[str, dict]:
        file = self.state_dir / "docs" / f"{bucket}.json"
        return json.loads(file.read_text("utf-8")) if file.exists() else {}

    def _write_state_bucket(self, bucket: int, docs: dict[str, dict]) -> None:
        file = self.state_dir / "docs" / f"{bucket}.json"
        if not docs:
            file.unlink(missing_ok=True)
            return
        temp = file.with_name(file.name + ".tmp")
        temp.write_text(dumps(docs), "utf-8")
        os.replace(temp, file)


def chunk_text(chunk: dict[int, list]) -> str:
    return "{\n" + ",\n".join(f'"{slot}":{dumps(chunk[slot])}' for slot in sorted(chunk)) + "\n}\n"
