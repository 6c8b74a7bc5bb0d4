"""The loaded GTFS feed: every file as a polars DataFrame of raw strings.

Validation reads raw text (so that a bad value is reported, not a crash in a
typed reader); `Feed.gtfs_kit()` gives the typed standard tables through
gtfs-kit for summaries and maps. CSV structure (row lengths, new lines inside
values, blank rows, header problems) is checked here with a vectorised scan of
the bytes, so that the common clean file is parsed by polars in one call.
"""

from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from kokai.gtfs.archive import open_feed
from kokai.validators.report import MAX_FINDINGS_PER_CODE, Findings, Rule

if TYPE_CHECKING:  # gtfs-kit pulls in geopandas; import it only when asked for
    import gtfs_kit

_BOM = b"\xef\xbb\xbf"
_QUOTE, _COMMA, _LF, _CR = 34, 44, 10, 13

# gtfs-kit reads only these (its constants.DTYPES); the rest it ignores.
GTFS_KIT_TABLES = (
    "agency", "attributions", "calendar", "calendar_dates", "fare_attributes", "fare_rules",
    "feed_info", "frequencies", "routes", "shapes", "stop_times", "stops", "transfers", "trips",
)  # fmt: skip

EMPTY_FILE = Rule(
    "empty_file",
    "error",
    "{path} が空です（1 行目の列名、または必須ファイルのデータ行がありません）。"
    "1 行目に列名を書き、データを入れてください。",
    "{path} is empty (no header, or a required file without data rows). "
    "Write the column names on line 1 and add the data.",
    source="mobilitydata",
)
EMPTY_COLUMN_NAME = Rule(
    "empty_column_name",
    "error",
    "{path} の 1 行目、{index} 列目の列名が空です。列名を書くか、不要な列を削除してください。",
    "{path} line 1: column {index} has no name. Name it or delete the column.",
    source="mobilitydata",
)
DUPLICATED_COLUMN = Rule(
    "duplicated_column",
    "error",
    "{path} の列「{field}」が 2 回あります（{index} 列目）。重複した列を削除してください。",
    "{path}: column {field!r} appears twice (column {index}). Delete the duplicate.",
    source="mobilitydata",
)
INVALID_ROW_LENGTH = Rule(
    "invalid_row_length",
    "error",
    "{path} の {row} 行目は値が {row_length} 個ですが、列名は {header_length} 個です。"
    'カンマの数を見直してください（値にカンマを含むときは "…" で囲みます）。この行は検査しません。',
    "{path} row {row} has {row_length} values but the header has {header_length}. "
    "Fix the commas (quote values that contain a comma). The row was skipped.",
    source="mobilitydata",
)
NEW_LINE_IN_VALUE = Rule(
    "new_line_in_value",
    "error",
    "{path} の {row} 行目の値に改行が含まれています。値の中の改行を削除してください。",
    "{path} row {row}: a value contains a line break. Remove it.",
    source="mobilitydata",
)
EMPTY_ROW = Rule(
    "empty_row",
    "warning",
    "{path} の {row} 行目が空行です。空行を削除してください。",
    "{path} row {row} is empty. Delete the blank line.",
    source="mobilitydata",
)
CSV_PARSING_FAILED = Rule(
    "csv_parsing_failed",
    "error",
    "{path} を CSV として読めません（{reason}）。UTF-8 のカンマ区切りで保存し直してください。",
    "{path} cannot be parsed as CSV ({reason}). Save it again as comma-separated UTF-8.",
    source="mobilitydata",
)
INVALID_CHARACTER = Rule(
    "invalid_character",
    "error",
    "{path} は UTF-8 ではない文字を含んでいます（Shift_JIS などで保存された可能性があります）。"
    "{row} 行目「{field}」などが文字化けします。UTF-8 で保存し直してください。",
    "{path} contains bytes that are not UTF-8 (saved as Shift_JIS?), e.g. row {row} {field!r}. "
    "Save it again as UTF-8.",
    source="mobilitydata",
)


@dataclass
class Feed:
    """A GTFS feed as raw text tables.

    - `files`: every root `*.txt` file of the feed (standard tables,
      translations.txt, `*_jp.txt`, unknown ones), keyed by file name
      ("stops.txt"). All columns are `pl.String`; header names are stripped of
      spaces and the BOM; duplicated or unnamed columns are dropped (and
      reported). Values are stripped of surrounding spaces/tabs, and an empty
      cell is **null** (never ""). Rows with a wrong number of values or blank
      rows are left out (and reported). A file that cannot be parsed at all
      (`csv_parsing_failed`, `empty_file`) is absent from `files`, present in `names`.
    - `feed.line(file, index)` gives the line number a person sees for the
      DataFrame row `index` (header = line 1), as MobilityData's csvRowNumber;
      `feed.lines(file)` gives them all as a `pl.Int64` Series aligned with the
      rows, for vectorised rules.
    - `names`: every file name at the root of the feed, .txt or not.
    - `headers`: the columns as written in the file (before dropping), by file.
    """

    source: str
    files: dict[str, pl.DataFrame] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    headers: dict[str, list[str]] = field(default_factory=dict)
    # file -> line numbers of the kept rows; absent when rows are lines 2, 3, 4...
    _lines: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def table(self, name: str) -> pl.DataFrame | None:
        """The file's DataFrame, or None when the feed has no such file."""
        return self.files.get(name)

    def line(self, file: str, index: int) -> int:
        mapping = self._lines.get(file)
        return int(mapping[index]) if mapping is not None else index + 2

    def lines(self, file: str) -> pl.Series:
        mapping = self._lines.get(file)
        if mapping is not None:
            return pl.Series("__line__", mapping, dtype=pl.Int64)
        n = self.files[file].height
        return pl.int_range(2, n + 2, dtype=pl.Int64, eager=True).alias("__line__")

    def with_lines(self, file: str) -> pl.DataFrame:
        """The file's DataFrame with an extra `__line__` column."""
        return self.files[file].with_columns(self.lines(file))

    def gtfs_kit(self) -> gtfs_kit.Feed:
        """The standard tables as a typed gtfs-kit Feed, for summaries and maps (read
        again from `source` through the same archive checks, once, then cached).
        Raises ValueError when gtfs-kit cannot read them (validate first)."""
        return self._gtfs_kit

    @cached_property
    def _gtfs_kit(self) -> gtfs_kit.Feed:
        import gtfs_kit

        # gtfs-kit reads from a path; give it only the safe root files (read again
        # through the archive checks, so the raw bytes need not stay in memory).
        with tempfile.TemporaryDirectory(prefix="kokai-gtfs-") as tmp, open_feed(self.source) as raw:
            for name in raw.names:
                if name.endswith(".txt") and name.removesuffix(".txt") in GTFS_KIT_TABLES:
                    data = raw.read(name)
                    if data is not None:
                        (Path(tmp) / name).write_bytes(data)
            if not any(Path(tmp).iterdir()):
                raise ValueError("the feed has no GTFS tables")
            try:
                return gtfs_kit.read_feed(Path(tmp), dist_units="m")
            except Exception as exc:  # gtfs-kit raises many kinds on bad data
                raise ValueError(f"gtfs-kit cannot read the feed: {exc}") from exc


@dataclass
class _Parsed:
    frame: pl.DataFrame | None
    header: list[str]
    lines: np.ndarray | None
    findings: Findings


def _drop_records(data: bytes, starts: np.ndarray, ends: np.ndarray, drop: np.ndarray) -> bytes:
    """Copies `data` without the records whose index is in `drop` (few, so a loop is fine)."""
    pieces, pos = [], 0
    for i in drop:
        pieces.append(data[pos : starts[i]])
        pos = ends[i] + 1
    pieces.append(data[pos:])
    return b"".join(pieces)


def _read_polars(body: bytes, *, strict: bool) -> pl.DataFrame:
    """All columns as strings; the header is read as a row (then dropped) so that
    repeated or empty names cannot clash. With strict=True a row with too many
    values raises instead of being cut."""
    return pl.read_csv(
        io.BytesIO(body),
        has_header=False,
        infer_schema=False,
        quote_char='"',
        empty_string_is_null=True,
        truncate_ragged_lines=not strict,
        raise_if_empty=False,
    ).slice(1)


def _header(text: str) -> list[str] | None:
    try:
        return [h.strip() for h in next(csv.reader([text.rstrip("\r")]))]
    except (csv.Error, StopIteration):
        return None


def _fast_read(data: bytes) -> tuple[pl.DataFrame, list[str]] | None:
    """The common clean file in one polars call, checked with byte counts only:
    no quotes, no blank lines, and exactly (columns - 1) commas per record in
    total. As polars (strict) refuses a row with too many values, the total can
    only match when every row has the right number. None → use the full scan."""
    if b'"' in data or b"\n\n" in data or b"\n\r\n" in data or data[:1] in (b"\n", b"\r"):
        return None
    header = _header(data[: data.index(b"\n")].decode("utf-8"))
    if not header:
        return None
    records = data.count(b"\n")
    if data.count(b",") != (len(header) - 1) * records:
        return None
    try:
        frame = _read_polars(data, strict=True)
    except Exception:  # noqa: BLE001 - any polars complaint: let the full scan explain it
        return None
    if frame.height != records - 1 or frame.width != len(header):
        return None
    return frame, header


def _scan(name: str, data: bytes) -> tuple[pl.DataFrame | None, list[str], np.ndarray | None,
                                            Findings]:  # fmt: skip
    """The full scan: finds records (quotes aware), blank rows, rows of the wrong
    length and new lines in values with numpy, then parses the good rows."""
    findings = Findings()
    fail = (None, [], None)
    arr = np.frombuffer(data, dtype=np.uint8)
    # Positions of line feeds and commas, then which of them sit inside quotes
    # (an odd number of quote characters before them).
    all_lf_pos = np.flatnonzero(arr == _LF)
    sep_pos = np.flatnonzero(arr == _COMMA)
    inner_lf_pos = None
    if b'"' in data:
        quote_pos = np.flatnonzero(arr == _QUOTE)
        if len(quote_pos) % 2:
            reason = "a quote (\") is never closed / 閉じていない \" があります"
            return *fail, Findings([CSV_PARSING_FAILED.finding(path=name, reason=reason)])
        lf_quoted = (np.searchsorted(quote_pos, all_lf_pos) & 1).astype(bool)
        sep_pos = sep_pos[~(np.searchsorted(quote_pos, sep_pos) & 1).astype(bool)]
        ends = all_lf_pos[~lf_quoted]
        inner_lf_pos = all_lf_pos[lf_quoted]
    else:
        ends = all_lf_pos
    starts = np.concatenate(([0], ends[:-1] + 1))
    fields = np.diff(np.concatenate(([0], np.searchsorted(sep_pos, ends)))) + 1
    length = ends - starts - (arr[np.maximum(ends - 1, 0)] == _CR)
    blank = length <= 0
    line_of = (
        np.searchsorted(all_lf_pos, starts) + 1
        if inner_lf_pos is not None and len(inner_lf_pos)
        else np.arange(1, len(ends) + 1)
    )  # header = line 1

    if blank.all():
        return *fail, Findings([EMPTY_FILE.finding(path=name)])
    first = int(np.argmax(~blank))  # the header: the first non-blank record
    header = _header(data[starts[first] : ends[first]].decode("utf-8"))
    if header is None:
        return *fail, Findings([CSV_PARSING_FAILED.finding(path=name, reason="header")])
    n_columns = len(header)

    rec = np.arange(len(ends))
    is_data = rec > first
    bad_length = is_data & ~blank & (fields != n_columns)
    bad_rows = np.flatnonzero(bad_length)
    sample = [
        INVALID_ROW_LENGTH.finding(
            path=name, row=int(line_of[i]), row_length=int(fields[i]), header_length=n_columns
        )
        for i in bad_rows[:MAX_FINDINGS_PER_CODE]
    ]
    findings.add_sample(sample, len(bad_rows))  # the rest are only counted
    # Blank lines at the end of a file are common and harmless; others are reported.
    last_content = int(np.flatnonzero(~blank)[-1])
    for i in np.flatnonzero(is_data & blank & (rec < last_content)):
        findings.append(EMPTY_ROW.finding(path=name, row=int(line_of[i])))
    if inner_lf_pos is not None and len(inner_lf_pos):
        for i in np.unique(np.searchsorted(ends, inner_lf_pos)):
            findings.append(NEW_LINE_IN_VALUE.finding(path=name, row=int(line_of[i])))

    kept = np.flatnonzero(is_data & ~blank & ~bad_length)
    drop = np.flatnonzero((is_data & (blank | bad_length)) | (rec < first))
    body = _drop_records(data, starts, ends, drop) if len(drop) else data
    lines = line_of[kept]
    trivial = len(kept) == 0 or (lines[0] == 2 and lines[-1] == len(kept) + 1)
    try:
        frame = _read_polars(body, strict=False)
    except Exception as exc:  # noqa: BLE001 - polars raises ComputeError and friends
        reason = str(exc)[:200]
        return None, header, None, Findings([CSV_PARSING_FAILED.finding(path=name, reason=reason)])
    if frame.height != len(kept) or frame.width != n_columns:
        # A stray quote inside an unquoted value, for example: polars and the scan disagree.
        reason = "rows or columns could not be delimited (stray quote?)"
        return None, header, None, Findings([CSV_PARSING_FAILED.finding(path=name, reason=reason)])
    return frame, header, None if trivial else lines.astype(np.int64), findings


# A space next to a comma, quote or line end: a value may start or end with one.
_EDGE_SPACES = (b" ,", b", ", b" \n", b"\n ", b" \r", b"\r ", b' "', b'" ')


def _may_need_cleaning(data: bytes) -> bool:
    """True when a value may have surrounding spaces/tabs or be a quoted "":
    a space next to a comma, quote or line end, a tab, or two quotes in a row.
    (Plain byte searches: no numpy, whose isin pulls in numpy.ma at run time.)"""
    return b"\t" in data or b'""' in data or any(pair in data for pair in _EDGE_SPACES)


def parse_csv(name: str, data: bytes) -> _Parsed:
    """Parses one GTFS CSV file into a DataFrame of strings, reporting structure problems."""
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        data.decode("utf-8")
        replaced = False
    except UnicodeDecodeError:
        data = data.decode("utf-8", errors="replace").encode("utf-8")
        replaced = True
    if not data.strip():
        return _Parsed(None, [], None, Findings([EMPTY_FILE.finding(path=name)]))
    if not data.endswith(b"\n"):  # treat the last record like the others
        data += b"\n"

    fast = _fast_read(data)
    if fast is not None:
        (frame, header), lines, findings = fast, None, Findings()
    else:
        frame, header, lines, findings = _scan(name, data)
        if frame is None:
            return _Parsed(None, header, None, findings)

    # Name the columns as written (stripped); drop unnamed and repeated ones.
    keep_idx, seen = [], set()
    for i, column in enumerate(header):
        if column == "":
            findings.append(EMPTY_COLUMN_NAME.finding(path=name, index=i + 1))
        elif column in seen:
            findings.append(DUPLICATED_COLUMN.finding(path=name, field=column, index=i + 1))
        else:
            seen.add(column)
            keep_idx.append(i)
    if not keep_idx:  # no named column: nothing to check in this file
        return _Parsed(None, header, None, findings)
    frame = frame.select([pl.nth(i).alias(header[i]) for i in keep_idx])

    # MobilityData trims values; an empty value (also a quoted "") is null.
    if frame.height and frame.width and _may_need_cleaning(data):
        cleaned = pl.all().str.strip_chars(" \t")
        frame = frame.with_columns(pl.when(cleaned == "").then(None).otherwise(cleaned).name.keep())

    if replaced and frame.height:
        bad = frame.with_row_index("__i__").filter(
            pl.any_horizontal(pl.all().exclude("__i__").str.contains("\ufffd", literal=True))
        )
        if bad.height:
            i = int(bad["__i__"][0])
            column = next(
                (c for c in frame.columns if "\ufffd" in (frame[c][i] or "")), frame.columns[0]
            )
            row = int(lines[i]) if lines is not None else i + 2
            findings.append(INVALID_CHARACTER.finding(path=name, row=row, field=column))

    return _Parsed(frame, header, lines, findings)


def load_feed(path: str | Path) -> tuple[Feed | None, Findings]:
    """Reads a GTFS feed (zip or folder), one file at a time. Never raises on a
    bad feed: returns (None, findings) when it could not be read, else the Feed
    and the findings of reading it (archive safety first, then CSV structure)."""
    csv_findings = Findings()
    with open_feed(path) as reader:
        feed = Feed(source=str(path), names=list(reader.names))
        for name in feed.names:
            if not name.endswith(".txt"):
                continue
            data = reader.read(name)
            if reader.failed:
                break
            if data is None:
                continue
            parsed = parse_csv(name, data)
            del data  # free the bytes before the next file is read
            csv_findings.extend(parsed.findings)
            feed.headers[name] = parsed.header
            if parsed.frame is not None:
                feed.files[name] = parsed.frame
                if parsed.lines is not None:
                    feed._lines[name] = parsed.lines
        findings = reader.findings
        if reader.failed:
            return None, findings
    findings.extend(csv_findings)
    return feed, findings
