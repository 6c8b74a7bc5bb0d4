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
    _lines: dict[str, pl.Series] = field(default_factory=dict, repr=False)

    def table(self, name: str) -> pl.DataFrame | None:
        """The file's DataFrame, or None when the feed has no such file."""
        return self.files.get(name)

    def line(self, file: str, index: int) -> int:
        mapping = self._lines.get(file)
        return int(mapping[index]) if mapping is not None else index + 2

    def lines(self, file: str) -> pl.Series:
        mapping = self._lines.get(file)
        if mapping is not None:
            return mapping.alias("__line__")
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
    lines: pl.Series | None
    findings: Findings


def _drop_records(data: bytes, starts: list[int], ends: list[int]) -> bytes:
    """Copies `data` without the records from starts[i] to ends[i] (their line feed
    included); few, so a loop is fine."""
    pieces, pos = [], 0
    for start, end in zip(starts, ends, strict=True):
        pieces.append(data[pos:start])
        pos = end + 1
    pieces.append(data[pos:])
    return b"".join(pieces)


def _read_polars(body: bytes, *, strict: bool, quoted: bool = True) -> pl.DataFrame:
    """All columns as strings; the header is read as a row (then dropped) so that
    repeated or empty names cannot clash. With strict=True a row with too many
    values raises instead of being cut. quoted=False: the caller knows there is
    no quote character (the parser is then faster)."""
    return pl.read_csv(
        io.BytesIO(body),
        has_header=False,
        infer_schema=False,
        quote_char='"' if quoted else None,
        empty_string_is_null=True,
        truncate_ragged_lines=not strict,
        raise_if_empty=False,
    ).slice(1)


def _header(text: str) -> list[str] | None:
    try:
        return [h.strip() for h in next(csv.reader([text.rstrip("\r")]))]
    except (csv.Error, StopIteration):
        return None


def _quotes_are_plain(data: bytes) -> bool:
    """True when quoting changes no record or field boundary: every quoted value is
    free of commas and line feeds, and no quote is escaped (""). Then counting all
    commas and line feeds counts the unquoted ones."""
    if b'""' in data:
        return False
    pieces = data.split(b'"')
    if len(pieces) % 2 == 0:  # a quote is never closed
        return False
    inside = b"".join(pieces[1::2])
    return b"," not in inside and b"\n" not in inside


def _fast_read(data: bytes) -> tuple[pl.DataFrame, list[str]] | None:
    """The common clean file in one polars call, checked with byte counts only:
    plain quoting (see above) and exactly (columns - 1) commas per record in total.
    As polars (strict) refuses a row with too many values, the total can only match
    when every row has the right number, so with two or more columns no record is
    blank either. None → use the full scan."""
    quoted = b'"' in data
    if quoted and not _quotes_are_plain(data):
        return None
    first_end = data.find(b"\n")
    header = _header(data[: first_end if first_end >= 0 else len(data)].decode("utf-8"))
    if not header:
        return None
    # One column has no commas to count: look for blank lines themselves.
    if len(header) < 2 and (
        b"\n\n" in data or b"\n\r\n" in data or data[:1] in (b"\n", b"\r")
    ):
        return None
    # A last record without its line feed is read as one (the caller adds no copy).
    records = data.count(b"\n") + (not data.endswith(b"\n"))
    try:
        frame = _read_polars(data, strict=True, quoted=quoted)
    except Exception:  # noqa: BLE001 - any polars complaint: let the full scan explain it
        return None
    if frame.height != records - 1 or frame.width != len(header):
        return None
    # A short (or blank) record leaves its last column null: when that column has
    # no null, every row is complete and the comma count (a pass over all bytes)
    # is not needed.
    if len(header) < 2 or frame[:, -1].null_count():
        if data.count(b",") != (len(header) - 1) * records:
            return None
    return frame, header


def _positions(arr: pl.Series, byte: int) -> pl.Series:
    return (arr == byte).arg_true().cast(pl.Int64)


def _scan(name: str, data: bytes) -> tuple[pl.DataFrame | None, list[str], pl.Series | None,
                                            Findings]:  # fmt: skip
    """The full scan: finds records (quotes aware), blank rows, rows of the wrong
    length and new lines in values with polars on the bytes, then parses the good
    rows. (Polars, not numpy: numpy's import alone costs a quarter of a second.)"""
    findings = Findings()
    fail = (None, [], None)
    arr = pl.Series([data], dtype=pl.Binary).cast(pl.List(pl.UInt8)).explode()
    # Positions of line feeds and commas, then which of them sit inside quotes
    # (an odd number of quote characters before them).
    all_lf_pos = _positions(arr, _LF)
    sep_pos = _positions(arr, _COMMA)
    inner_lf_pos = None
    if b'"' in data:
        quote_pos = _positions(arr, _QUOTE)
        if quote_pos.len() % 2:
            reason = "a quote (\") is never closed / 閉じていない \" があります"
            return *fail, Findings([CSV_PARSING_FAILED.finding(path=name, reason=reason)])
        lf_quoted = (quote_pos.search_sorted(all_lf_pos) % 2) == 1
        sep_pos = sep_pos.filter((quote_pos.search_sorted(sep_pos) % 2) == 0)
        ends = all_lf_pos.filter(~lf_quoted)
        inner_lf_pos = all_lf_pos.filter(lf_quoted)
        if inner_lf_pos.len() == 0:
            inner_lf_pos = None
    else:
        ends = all_lf_pos
    n = ends.len()
    records = pl.DataFrame({"end": ends}).with_columns(
        (pl.col("end").shift(1, fill_value=-1) + 1).alias("start"),
        sep_pos.search_sorted(ends).cast(pl.Int64).alias("__commas__"),
    )
    cr_before_lf = arr.gather((ends - 1).clip(lower_bound=0)) == _CR
    records = records.with_columns(
        (pl.col("__commas__") - pl.col("__commas__").shift(1, fill_value=0) + 1).alias("fields"),
        (pl.col("end") - pl.col("start") - cr_before_lf.cast(pl.Int64) <= 0)
        .alias("blank"),
        (
            all_lf_pos.search_sorted(records["start"]).cast(pl.Int64) + 1
            if inner_lf_pos is not None
            else pl.int_range(1, n + 1, dtype=pl.Int64)
        ).alias("line"),  # header = line 1
    ).with_row_index("rec")  # fmt: skip
    del arr

    if records["blank"].all():
        return *fail, Findings([EMPTY_FILE.finding(path=name)])
    content = records.filter(~pl.col("blank"))["rec"]
    first, last_content = int(content[0]), int(content[-1])  # the header: the first one
    header_start, header_end = int(records["start"][first]), int(records["end"][first])
    header = _header(data[header_start:header_end].decode("utf-8"))
    if header is None:
        return *fail, Findings([CSV_PARSING_FAILED.finding(path=name, reason="header")])
    n_columns = len(header)

    is_data = pl.col("rec") > first
    blank = pl.col("blank")
    bad_length = is_data & ~blank & (pl.col("fields") != n_columns)
    flags = records.with_columns(bad_length.alias("bad_length"), is_data.alias("is_data"))
    bad_rows = flags.filter(pl.col("bad_length"))
    sample = [
        INVALID_ROW_LENGTH.finding(path=name, row=line, row_length=fields, header_length=n_columns)
        for line, fields in bad_rows.head(MAX_FINDINGS_PER_CODE).select("line", "fields").rows()
    ]
    findings.add_sample(sample, bad_rows.height)  # the rest are only counted
    # Blank lines at the end of a file are common and harmless; others are reported.
    inner_blank = flags.filter(pl.col("is_data") & blank & (pl.col("rec") < last_content))
    for line in inner_blank["line"]:
        findings.append(EMPTY_ROW.finding(path=name, row=line))
    if inner_lf_pos is not None:
        for i in ends.search_sorted(inner_lf_pos).unique().sort():
            findings.append(NEW_LINE_IN_VALUE.finding(path=name, row=int(records["line"][i])))

    kept_lines = flags.filter(pl.col("is_data") & ~blank & ~pl.col("bad_length"))["line"]
    drop = flags.filter(
        (pl.col("is_data") & (blank | pl.col("bad_length"))) | (pl.col("rec") < first)
    )
    body = (
        _drop_records(data, drop["start"].to_list(), drop["end"].to_list())
        if drop.height
        else data
    )
    n_kept = kept_lines.len()
    trivial = n_kept == 0 or (kept_lines[0] == 2 and kept_lines[-1] == n_kept + 1)
    try:
        frame = _read_polars(body, strict=False)
    except Exception as exc:  # noqa: BLE001 - polars raises ComputeError and friends
        reason = str(exc)[:200]
        return None, header, None, Findings([CSV_PARSING_FAILED.finding(path=name, reason=reason)])
    if frame.height != n_kept or frame.width != n_columns:
        # A stray quote inside an unquoted value, for example: polars and the scan disagree.
        reason = "rows or columns could not be delimited (stray quote?)"
        return None, header, None, Findings([CSV_PARSING_FAILED.finding(path=name, reason=reason)])
    return frame, header, None if trivial else kept_lines.alias("__line__"), findings


# Each byte as its class: a space, a delimiter (comma, quote, line end) or other.
_SPACE_OR_DELIMITER = bytes(
    ord("S") if b == 32 else ord("D") if b in b',"\n\r' else ord("o") for b in range(256)
)


def _may_need_cleaning(data: bytes) -> bool:
    """True when a value may have surrounding spaces/tabs or be a quoted "":
    a space next to a comma, quote or line end, a tab, or two quotes in a row.
    One-byte searches first: they are many times faster than two-byte ones, and
    large files (stop_times, shapes) seldom hold a space or a quote at all. With
    spaces, one pass maps the bytes to their class: two searches instead of eight."""
    if b"\t" in data:
        return True
    if b'"' in data and b'""' in data:
        return True
    if b" " not in data:
        return False
    classes = data.translate(_SPACE_OR_DELIMITER)
    # The data may end without a line feed: a space there ends a value too.
    return b"SD" in classes or b"DS" in classes or classes.endswith(b"S")


def parse_csv(name: str, data: bytes) -> _Parsed:
    """Parses one GTFS CSV file into a DataFrame of strings, reporting structure problems."""
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        if not data.isascii():  # isascii is much faster than a decode
            data.decode("utf-8")
        replaced = False
    except UnicodeDecodeError:
        data = data.decode("utf-8", errors="replace").encode("utf-8")
        replaced = True
    if not data or data.isspace():  # as `not data.strip()`, without copying the bytes
        return _Parsed(None, [], None, Findings([EMPTY_FILE.finding(path=name)]))
    if data.endswith(b"\r"):  # a last "\r" alone: a record end for the scan, not a value
        data += b"\n"

    fast = _fast_read(data)
    if fast is not None:
        (frame, header), lines, findings = fast, None, Findings()
    else:
        if not data.endswith(b"\n"):  # treat the last record like the others
            data += b"\n"
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
    # One chunk per column: the CSV reader returns one per batch, and every later
    # with_columns on a many-chunked frame pays for aligning them again.
    frame = frame.select([pl.nth(i).alias(header[i]) for i in keep_idx]).rechunk()

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
