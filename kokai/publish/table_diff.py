"""What changed in a table between two published versions: rows added, removed
and changed, as counts plus the first rows of each kind.

Rows are matched by a key when the table has one: the schema's primaryKey,
else a column the schema marks unique or as an ID (kokai:role id), else an
ID-like column name (ID, NO, …); a candidate is used only when its values are
present and unique in both versions. Without a key, whole rows are compared
as a multiset (a row that changed counts as one removed and one added).

Memory stays bounded for large files: both versions are spooled to UTF-8
files on disk and read lazily by polars; only counts, per-row hashes and the
first `limit` example rows are ever collected.
"""

from __future__ import annotations

import codecs
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from kokai.errors import KokaiError
from kokai.validators.schemas import load_schema

DEFAULT_LIMIT = 20
CHUNK = 1024 * 1024
ID_LIKE_NAMES = ("ID", "id", "Id", "NO", "No", "no", "番号", "共通ID", "コード")
_HASH = "__kokai_row_hash"
_ROW = "__kokai_row"


class TableDiffError(KokaiError):
    """The two versions cannot be compared as tables (unreadable CSV)."""


@dataclass
class ChangedRow:
    key: dict[str, str | None]
    before: dict[str, str | None]
    after: dict[str, str | None]
    fields: list[str]  # the columns whose values differ


@dataclass
class TableDiff:
    key: list[str]  # the columns rows were matched by; []: whole rows compared
    rows_before: int
    rows_after: int
    added: int = 0
    removed: int = 0
    changed: int = 0
    added_rows: list[dict[str, str | None]] = field(default_factory=list)
    removed_rows: list[dict[str, str | None]] = field(default_factory=list)
    changed_rows: list[ChangedRow] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # compared: in both versions, new order
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    limit: int = DEFAULT_LIMIT

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.changed or self.columns_added or self.columns_removed)

    @property
    def truncated(self) -> bool:
        """Whether some rows are counted but not shown."""
        return (
            self.added > len(self.added_rows)
            or self.removed > len(self.removed_rows)
            or self.changed > len(self.changed_rows)
        )


# ---------------------------------------------------------------- keys


def key_candidates(schema: dict[str, Any] | None, columns: Sequence[str] = ()) -> list[list[str]]:
    """Keys to try, best first: the schema's primaryKey, its unique or ID fields,
    then ID-like column names among `columns`."""
    out: list[list[str]] = []
    schema = schema if isinstance(schema, dict) else {}
    primary = schema.get("primaryKey")
    if isinstance(primary, str) and primary:
        out.append([primary])
    elif isinstance(primary, list) and primary and all(isinstance(p, str) for p in primary):
        out.append(list(primary))
    for f in schema.get("fields") or []:
        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
            continue
        unique = isinstance(f.get("constraints"), dict) and f["constraints"].get("unique") is True
        if unique or f.get("kokai:role") == "id":
            out.append([f["name"]])
    out += [[name] for name in ID_LIKE_NAMES if name in columns]
    seen: set[tuple[str, ...]] = set()
    return [k for k in out if not (tuple(k) in seen or seen.add(tuple(k)))]


def resource_schema(resource: dict[str, Any], folder: Path | None = None) -> dict[str, Any] | None:
    """A descriptor resource's Table Schema (inline, bundled name, or a file in
    `folder`); None when it has none or it cannot be loaded (then no key from it)."""
    schema = resource.get("schema")
    if isinstance(schema, dict):
        return schema
    if not isinstance(schema, str) or not schema:
        return None
    candidate = folder / schema if folder is not None else None
    try:
        return load_schema(str(candidate) if candidate is not None and candidate.is_file() else schema)
    except KokaiError:
        return None


def _is_key(frame: pl.LazyFrame, key: list[str]) -> bool:
    """Whether `key` is present (no empty value) and unique in `frame`."""
    counts = frame.select(
        pl.len().alias("rows"),
        pl.struct(key).n_unique().alias("distinct"),
        pl.any_horizontal(pl.col(key).is_null()).sum().alias("nulls"),
    ).collect()
    return counts["nulls"][0] == 0 and counts["rows"][0] == counts["distinct"][0]


def choose_key(before: pl.LazyFrame, after: pl.LazyFrame, candidates: Iterable[list[str]]) -> list[str]:
    """The first candidate whose columns both versions have, unique in each; []: none."""
    cols_before = set(before.collect_schema().names())
    cols_after = set(after.collect_schema().names())
    for key in candidates:
        if set(key) <= cols_before and set(key) <= cols_after and _is_key(before, key) and _is_key(after, key):
            return key
    return []


# ---------------------------------------------------------------- reading


def _decoder_for(head: bytes) -> tuple[str, int]:
    """(codec, bytes to skip): a UTF-8 BOM is dropped; UTF-16 is read by its BOM."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", 0
    return "utf-8", 0


def spool_utf8(chunks: Iterable[bytes], target: Path) -> None:
    """Write CSV bytes to `target` as UTF-8 without a BOM, chunk by chunk.
    Not UTF-8: read as CP932 (what Japanese Excel writes), undecodable bytes replaced."""
    raw = target.with_suffix(".raw")
    with raw.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
    with raw.open("rb") as handle:
        codec, skip = _decoder_for(handle.read(4))
    for candidate, errors in ((codec, "strict"), ("cp932", "replace")):
        decoder = codecs.getincrementaldecoder(candidate)(errors=errors)
        try:
            with raw.open("rb") as handle, target.open("w", encoding="utf-8", newline="") as out:
                handle.seek(skip)
                while chunk := handle.read(CHUNK):
                    out.write(decoder.decode(chunk))
                out.write(decoder.decode(b"", final=True))
            break
        except UnicodeDecodeError:
            skip = 0
    raw.unlink()


def _scan(path: Path, separator: str = ",") -> pl.LazyFrame:
    """Every column as text, so 001 and 1 differ as they do in the file."""
    return pl.scan_csv(path, infer_schema=False, separator=separator)


def _rows(frame: pl.DataFrame, columns: list[str]) -> list[dict[str, str | None]]:
    return [{c: row.get(c) for c in columns} for row in frame.iter_rows(named=True)]


# ---------------------------------------------------------------- diffing


def diff_tables(
    before: Path,
    after: Path,
    *,
    key: Sequence[str] | None = None,
    schema: dict[str, Any] | None = None,
    limit: int = DEFAULT_LIMIT,
    separator: str = ",",
) -> TableDiff:
    """Compare two UTF-8 CSV files (see `spool_utf8`). `key`: the columns to match
    rows by (checked like the candidates); None: chosen from `schema` and the columns."""
    try:
        old, new = _scan(Path(before), separator), _scan(Path(after), separator)
        cols_old, cols_new = old.collect_schema().names(), new.collect_schema().names()
        candidates = [list(key)] if key is not None else key_candidates(schema, cols_new)
        chosen = choose_key(old, new, candidates)
        common = [c for c in cols_new if c in cols_old]
        counts = pl.concat([old.select(pl.len()), new.select(pl.len())]).collect()["len"]
        diff = TableDiff(
            key=chosen, rows_before=int(counts[0]), rows_after=int(counts[1]), columns=common,
            columns_added=[c for c in cols_new if c not in cols_old],
            columns_removed=[c for c in cols_old if c not in cols_new], limit=limit,
        )  # fmt: skip
        if chosen:
            _diff_by_key(diff, old, new, cols_old, cols_new)
        else:
            _diff_whole_rows(diff, old.select(common), new.select(common))
        return diff
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise TableDiffError(f"表として比べられません / cannot compare as tables: {exc}") from exc


def _diff_by_key(diff: TableDiff, old: pl.LazyFrame, new: pl.LazyFrame, cols_old: list[str], cols_new: list[str]) -> None:
    key, limit = diff.key, diff.limit
    removed = old.join(new.select(key), on=key, how="anti")
    added = new.join(old.select(key), on=key, how="anti")
    values = [c for c in diff.columns if c not in key]
    joined = old.select(key + values).join(new.select(key + values), on=key, how="inner", suffix="__new")
    differs = [pl.col(c).ne_missing(pl.col(f"{c}__new")) for c in values]
    changed = joined.filter(pl.any_horizontal(differs)) if differs else joined.filter(pl.lit(False))
    diff.removed = int(removed.select(pl.len()).collect().item())
    diff.added = int(added.select(pl.len()).collect().item())
    diff.changed = int(changed.select(pl.len()).collect().item())
    diff.removed_rows = _rows(removed.head(limit).collect(), cols_old)
    diff.added_rows = _rows(added.head(limit).collect(), cols_new)
    for row in changed.head(limit).collect().iter_rows(named=True):
        diff.changed_rows.append(
            ChangedRow(
                key={k: row[k] for k in key},
                before={k: row[k] for k in key} | {c: row[c] for c in values},
                after={k: row[k] for k in key} | {c: row[f"{c}__new"] for c in values},
                fields=[c for c in values if row[c] != row[f"{c}__new"]],
            )
        )


def _diff_whole_rows(diff: TableDiff, old: pl.LazyFrame, new: pl.LazyFrame) -> None:
    """Rows as a multiset, compared by a 64-bit hash of each row (only the
    hashes and their counts are collected, not the rows)."""
    limit, columns = diff.limit, diff.columns
    if not columns:
        diff.removed, diff.added = diff.rows_before, diff.rows_after
        return
    hashed_old = old.with_columns(pl.struct(columns).hash().alias(_HASH))
    hashed_new = new.with_columns(pl.struct(columns).hash().alias(_HASH))
    counts = (
        hashed_old.group_by(_HASH).agg(pl.len().alias("before"))
        .join(hashed_new.group_by(_HASH).agg(pl.len().alias("after")), on=_HASH, how="full", coalesce=True)
        .with_columns(pl.col("before").fill_null(0), pl.col("after").fill_null(0))
        .filter(pl.col("before") != pl.col("after"))
        .collect()
    )  # fmt: skip
    more = counts.filter(pl.col("after") > pl.col("before"))
    fewer = counts.filter(pl.col("before") > pl.col("after"))
    diff.added = int((more["after"] - more["before"]).sum())
    diff.removed = int((fewer["before"] - fewer["after"]).sum())
    diff.added_rows = _examples(hashed_new, more[_HASH], limit, columns)
    diff.removed_rows = _examples(hashed_old, fewer[_HASH], limit, columns)


def _examples(frame: pl.LazyFrame, hashes: pl.Series, limit: int, columns: list[str]) -> list[dict]:
    if hashes.is_empty() or limit <= 0:
        return []
    picked = frame.filter(pl.col(_HASH).is_in(hashes.implode())).unique(subset=[_HASH], maintain_order=True)
    return _rows(picked.head(limit).collect(), columns)


# ---------------------------------------------------------------- stored versions


def diff_stored(
    chunks_before: Iterator[bytes],
    chunks_after: Iterator[bytes],
    *,
    schema: dict[str, Any] | None = None,
    limit: int = DEFAULT_LIMIT,
    separator: str = ",",
) -> TableDiff:
    """Compare two stored CSV files given as byte chunks (the blob store's
    `open_range`), in any encoding `spool_utf8` reads, through a scratch folder."""
    with tempfile.TemporaryDirectory(prefix="kokai-diff-") as scratch:
        before, after = Path(scratch) / "before.csv", Path(scratch) / "after.csv"
        spool_utf8(chunks_before, before)
        spool_utf8(chunks_after, after)
        return diff_tables(before, after, schema=schema, limit=limit, separator=separator)
