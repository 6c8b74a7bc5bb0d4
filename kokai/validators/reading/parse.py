"""UTF-8 bytes to records: polars when every record is one line with the
header's number of cells (the happy path), else the csv module, which knows
where each record starts and how many cells it has (the slow path)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

import polars as pl

from kokai.validators.frame import key
from kokai.validators.reading import pieces
from kokai.validators.report import Finding, Rule, Text

# A cell longer than this is not a table cell (a document or an image pasted in).
MAX_CELL_CHARS = 10 << 20
# Short rows are filled up with missing cells to the widest row. A few bytes of
# one-cell rows under a 2,000-column header would otherwise make billions of
# cells: more missing cells than this, and more than the file's own, is refused.
MAX_MISSING_CELLS = 10_000_000

CSV_PARSE_ERROR = Rule(
    "csv_parse_error", "error",
    "CSV として読めません（{reason}）。引用符の対応と区切り文字を確認してください。",
    "cannot parse as CSV ({reason}). Check quoting and the delimiter.",
    machine_readability="L1-15", fatal=True,
)  # fmt: skip
CELL_TOO_LARGE = Rule(
    "cell_too_large", "error",
    "{row} 行目付近に {limit} 文字を超えるセルがあります。表のセルには文書や画像のデータを入れず、"
    "別のファイルとして公開してその URL を書いてください。",
    "a cell near line {row} is longer than {limit} characters. Do not paste documents or "
    "images into a cell; publish them as files and write their URL.",
    fatal=True,
)
TOO_MANY_MISSING_CELLS = Rule(
    "too_many_missing_cells", "error",
    "いちばん長い行（{width} 列）より短い行が多すぎて、表として読めません（{rows} 行を空のセルで埋めると"
    " {missing} 個になり、上限 {limit} 個を超えます）。見出し行の区切り文字と、各行のセルの数を確認してください。",
    "too many rows are shorter than the widest row ({width} cells) to read this as a table: filling "
    "{rows} rows would take {missing} empty cells, more than the limit of {limit}. Check the "
    "header's delimiters and the number of cells in each row.",
    machine_readability="L1-05", fatal=True,
)
INVALID_QUOTING = Rule(
    "invalid_quoting", "error",
    "引用符（\"）の使い方が CSV の規則（RFC 4180）に合っていません{where}。"
    "値の中の \" は \"\" と二重にし、値全体を \" で囲んでください。",
    "quotes (\") do not follow the CSV rules (RFC 4180){where}. "
    "Double any \" inside a value and enclose the whole value in quotes.",
    machine_readability="L1-15",
)


@dataclass
class Parsed:
    rows: pl.DataFrame  # every record (with `rest`: the first ones), all text, columns c0..cN
    line: pl.Series  # line where each record starts (1-based)
    ncells: pl.Series | None  # cells per record (None: all records have the header width)
    findings: list[Finding]
    # a large file parsed in pieces: the records after `rows`, and its columns
    # that hold one value (polars literals; reading.pieces)
    rest: pl.DataFrame | None = None
    constants: dict[str, str | None] = field(default_factory=dict)


def sniff_separator(path: str, first_line: bytes) -> str:
    if path.lower().endswith((".tsv", ".tab")):
        return "\t"
    if first_line.count(b"\t") > first_line.count(b","):
        return "\t"
    return ","


def _physical_lines(data: bytes) -> int:
    if not data:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def badly_quoted(value: str, path: str) -> Finding:
    shown = " ".join(value.split())[:40]
    return INVALID_QUOTING.finding(
        path=path, value=shown, where=Text(f"（値 {shown}）", f" (value {shown})")
    )


def fast_parse(data: bytes, sep: str, width: int, path: str) -> Parsed | str | Finding | None:
    """polars, when the whole file has one record per line and no ragged rows;
    None for the slow path, the text of a badly quoted field, or a fatal finding."""
    has_quotes = b'"' in data
    if has_quotes and data.count(b'"') % 2:
        return None  # an unclosed quote: let the csv module say where
    # polars fills short rows up to the header's width: when that would take more
    # missing cells than the limit (counted from the delimiters), the slow path
    # refuses the file before anything is filled
    physical = _physical_lines(data)
    separators = data.count(sep.encode())
    missing = (width - 1) * physical - separators
    if missing > MAX_MISSING_CELLS and missing > width * physical - missing:
        return None
    empty_line_bytes = data.startswith((b"\n", b"\r\n")) or b"\n\n" in data or b"\n\r\n" in data
    parts = None
    # in pieces only without quotes: a stray quote could hide a cut inside a
    # quoted cell (reading.stream checks every line for that)
    if len(data) > 2 * pieces.PIECE_BYTES and not empty_line_bytes and not has_quotes:
        parts = _parse_in_pieces(data, sep, width)
    if parts is not None:
        rows, rest, constants = parts
    else:
        rest, constants = None, {}
        try:
            rows = pieces.parse_records(data, sep)
        except pl.exceptions.PolarsError as exc:
            quoted = re.search(r"Field `(.{0,80})", str(exc), re.S)
            if "not properly escaped" in str(exc) and quoted:
                return quoted.group(1).split("`")[0]  # text of the badly quoted field
            return None
        if rows.width != width:
            return None
        rows.columns = [key(i) for i in range(rows.width)]
    n = rows.height + (rest.height if rest is not None else 0)
    if has_quotes and n != physical:
        return None  # quoted newlines (only possible with quotes): slow path
    if len(data) > MAX_CELL_CHARS:
        huge = _huge_cell(rows)
        if huge is None and rest is not None and (huge := _huge_cell(rest)) is not None:
            huge += rows.height
        if huge is not None:
            return CELL_TOO_LARGE.finding(path=path, row=huge + 1, limit=MAX_CELL_CHARS)
    # an empty line is a row of "" cells: look for the bytes only when such rows exist
    maybe_empty = parts is None and rows.select(
        pl.all_horizontal([pl.col(c) == "" for c in rows.columns[:1] + rows.columns[-1:]]).any()
    ).item()
    has_empty_lines = bool(maybe_empty) and empty_line_bytes
    # Short rows: polars pads them silently, so count delimiters (polars itself
    # refuses rows with extra cells). Without quotes or empty lines, whole-file
    # counts decide; otherwise count per line, vectorised.
    if not has_quotes and not has_empty_lines:
        if separators != (width - 1) * n:
            return None
    else:
        text = pl.Series([data], dtype=pl.Binary).cast(pl.String)  # no Python str copy
        lines = text.str.split("\n").explode()
        if data.endswith(b"\n"):
            lines = lines.slice(0, lines.len() - 1)
        filled = lines.str.strip_chars_end("\r") != ""  # an empty line is a blank row
        counts = lines.str.count_matches(sep, literal=True)
        # a line with another delimiter count may hold delimiters inside quotes:
        # count again without the quoted parts, on those lines only
        odd = lines.filter(filled & (counts != width - 1))
        if odd.len():
            if not has_quotes:
                return None
            seps = odd.str.replace_all(r'"[^"]*"', "").str.count_matches(sep, literal=True)
            if not (seps == width - 1).all():
                return None
    line = pl.int_range(1, n + 1, eager=True, dtype=pl.Int64).alias("line")
    return Parsed(rows, line, None, [], rest, constants)


def _parse_in_pieces(
    data: bytes, sep: str, width: int
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, str | None]] | None:
    """The head, the rest and its one-value columns (reading.pieces) of data
    without quotes; None when a piece does not parse cleanly with the header's width."""
    cut = pieces.head_end(data)
    if cut is None:
        return None
    bounds = [(0, cut)]
    while cut < len(data):
        end = data.find(b"\n", min(cut + pieces.PIECE_BYTES, len(data)))
        end = len(data) if end < 0 else end + 1
        bounds.append((cut, end))
        cut = end
    frames = pieces.PieceFrames(width)
    for start, end in bounds:
        try:
            if not frames.add(pieces.parse_records(data[start:end], sep)):
                return None
        except pl.exceptions.PolarsError:
            return None
    assert frames.head is not None
    rest, constants = frames.rest()
    return frames.head, rest, constants


def _huge_cell(rows: pl.DataFrame) -> int | None:
    """The index of the first record with a cell over MAX_CELL_CHARS, or None
    (bytes first: a cell has at least as many bytes as characters)."""
    longest = rows.select(pl.all().str.len_bytes().max()).row(0)
    suspects = [c for c, n in zip(rows.columns, longest, strict=True) if (n or 0) > MAX_CELL_CHARS]
    if not suspects:
        return None
    huge = rows.select(
        pl.any_horizontal([pl.col(c).str.len_chars() > MAX_CELL_CHARS for c in suspects])
    ).to_series()
    return huge.arg_true()[0] if huge.any() else None


def slow_parse(text: str, sep: str, path: str, max_columns: int) -> Parsed | Finding:
    """The csv module: knows where each record starts and how many cells it has."""
    csv.field_size_limit(MAX_CELL_CHARS)
    reader = csv.reader(io.StringIO(text, newline="\n"), delimiter=sep, strict=False)
    records: list[list[str]] = []
    starts: list[int] = []
    previous_end = 0
    try:
        for record in reader:
            starts.append(previous_end + 1)
            previous_end = reader.line_num
            records.append(record)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            return CELL_TOO_LARGE.finding(path=path, row=previous_end + 1, limit=MAX_CELL_CHARS)
        return CSV_PARSE_ERROR.finding(path=path, reason=f"{previous_end + 1} 行目付近: {exc}")
    findings: list[Finding] = []
    if text.count('"') % 2:
        near = starts[-1] if starts else 1
        findings.append(
            INVALID_QUOTING.finding(
                path=path, row=near, line=near,
                where=Text(f"（閉じていない引用符、{near} 行目付近）", f" (unclosed quote near line {near})"),
            )
        )
    # the csv module yields [] for an empty line: keep it as a one-cell blank record
    ncells = [len(r) or 1 for r in records]
    width = min(max(ncells, default=1), max_columns)
    filled = sum(min(n, width) for n in ncells)
    missing = width * len(ncells) - filled
    if missing > MAX_MISSING_CELLS and missing > filled:
        return TOO_MANY_MISSING_CELLS.finding(
            path=path, width=width, rows=len(ncells), missing=missing, limit=MAX_MISSING_CELLS
        )
    padded = [
        r[:width] if len(r) >= width else r + [None] * (width - len(r))
        for r in (record or [""] for record in records)
    ]
    columns = list(zip(*padded, strict=True)) if padded else [() for _ in range(width)]
    rows = pl.DataFrame({key(i): pl.Series(col, dtype=pl.String) for i, col in enumerate(columns)})
    return Parsed(
        rows,
        pl.Series("line", starts, dtype=pl.Int64),
        pl.Series("ncells", ncells, dtype=pl.Int64),
        findings,
    )
