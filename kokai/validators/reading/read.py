"""read_table: a file's bytes, decoded, parsed and shaped into a Table.

Only regular files are read: a device (/dev/zero) or a named pipe would never
end, so they are refused after one stat of the opened file."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import polars as pl

from kokai.validators.frame import key
from kokai.validators.reading import pieces
from kokai.validators.reading.decode import Decoded, decode, decode_lossy, valid_utf8
from kokai.validators.reading.header import (
    HEADER_NOT_FIRST,
    MULTI_ROW_HEADER,
    find_header,
    second_header,
    unique_names,
)
from kokai.validators.reading.model import Table, empty_table
from kokai.validators.reading.parse import (
    Parsed,
    badly_quoted,
    fast_parse,
    slow_parse,
    sniff_separator,
)
from kokai.validators.reading.pieces import stitch
from kokai.validators.reading.rows import blank_mask, newlines_in_cells, ragged, structure
from kokai.validators.reading.stream import parse_stream
from kokai.validators.report import Finding, Findings, Rule, Text

# A standard dataset has tens of columns; a wide statistics table a few hundred.
MAX_COLUMNS = 2000
# A header line longer than this is not a header (e.g. a 100 MB file with no newline).
MAX_HEADER_BYTES = 1 << 20

UNREADABLE_FILE = Rule(
    "unreadable_file", "error",
    "ファイルを読めません（{reason}）。パスと読み取り権限を確認してください。",
    "cannot read the file ({reason}). Check the path and read permission.",
    fatal=True,
)  # fmt: skip
EMPTY_FILE = Rule(
    "empty_file", "error",
    "ファイルが空です（0 バイト）。見出し行とデータを含む CSV を保存し直してください。",
    "the file is empty (0 bytes). Save it again as a CSV with a header row and data.",
    machine_readability="L1-01", fatal=True,
)
LINE_TOO_LONG = Rule(
    "line_too_long", "error",
    "1 行目（見出し行）が {size} バイトを超えています。改行のない巨大なファイルは表として読めません。"
    "1 行 1 レコードの CSV で保存し直してください。",
    "the first (header) line exceeds {size} bytes; a file without line breaks "
    "cannot be read as a table. Save it as a CSV with one record per line.",
    machine_readability="L1-01", fatal=True,
)
TOO_MANY_COLUMNS = Rule(
    "too_many_columns", "error",
    "列が {count} 列あり、上限 {limit} 列を超えています。"
    "横持ちの表は縦持ち（1 行 1 レコード）に直してください（L3-09）。",
    "{count} columns, more than the limit of {limit}. "
    "Turn the wide table into a long one (one record per row).",
    machine_readability="L3-09", fatal=True,
)

FOLDER = Text("フォルダです", "it is a folder")


def special_file_kind(mode: int) -> Text | None:
    """What a file that is neither a regular file nor a folder is (None for those)."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return Text("名前付きパイプ（FIFO）", "a named pipe (FIFO)")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return Text("デバイスファイル", "a device file")
    if stat.S_ISSOCK(mode):
        return Text("ソケット", "a socket")
    return Text("通常のファイルではありません", "not a regular file")


@contextmanager
def open_regular_file(path: str | Path) -> Iterator[BinaryIO | Text | str]:
    """A regular file open for reading, or why it cannot be read. The file is
    opened without blocking (a FIFO does not wait for a writer) and checked with
    fstat, so a file swapped after a check is still caught."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except IsADirectoryError:
        yield FOLDER
        return
    except OSError as exc:
        yield exc.strerror or type(exc).__name__
        return
    try:
        mode = os.fstat(fd).st_mode
        kind = special_file_kind(mode)
        if stat.S_ISDIR(mode):
            yield FOLDER
        elif kind is not None:
            yield Text(f"{kind.ja}は読めません", f"{kind.en} cannot be read")
        else:
            with os.fdopen(fd, "rb", closefd=False) as handle:
                yield handle
    finally:
        os.close(fd)


def read_regular_file(path: str | Path) -> bytes | Text | str:
    """The bytes of a regular file, or why it cannot be read (open_regular_file)."""
    try:
        with open_regular_file(path) as opened:
            return opened if isinstance(opened, (Text, str)) else opened.read()
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def read_table(path: str | Path, sheet: str | int | None = None) -> Table:
    """Read a CSV/TSV file, or one sheet of a workbook (.xlsx, .xls, .ods: `sheet`
    by name or position from 1, default the first); problems become findings,
    never exceptions."""
    from kokai.validators.reading.excel import is_workbook, read_workbook

    if is_workbook(path):
        return read_workbook(path, sheet)
    shown = str(path)
    try:
        with open_regular_file(path) as opened:
            if isinstance(opened, (Text, str)):
                return empty_table(shown, "", [UNREADABLE_FILE.finding(path=shown, reason=opened)])
            table = _read_streamed(opened, shown)
            if table is not None:
                return table
            opened.seek(0)
            raw = opened.read()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return empty_table(shown, "", [UNREADABLE_FILE.finding(path=shown, reason=reason)])
    return read_table_bytes(raw, shown)


def _read_streamed(handle: BinaryIO, path: str) -> Table | None:
    """A large plain UTF-8 file parsed as it is read (reading.stream); None when
    the file is small or not that plain: then it is read whole."""
    if os.fstat(handle.fileno()).st_size <= 2 * pieces.PIECE_BYTES:
        return None
    streamed = parse_stream(handle, path, MAX_HEADER_BYTES, MAX_COLUMNS)
    if streamed is None:
        return None
    encoding, sep, parsed = streamed
    return _assemble(path, encoding, sep, parsed, [])


def read_table_bytes(raw: bytes, path: str) -> Table:
    if not raw or (len(raw) < 4096 and not raw.strip(b"\r\n\t \xef\xbb\xbf\x00")):
        return empty_table(path, "", [EMPTY_FILE.finding(path=path)])
    decoded = decode(raw, path)
    if isinstance(decoded, Finding):
        return empty_table(path, "", [decoded])
    table = _parse_decoded(decoded, path)
    if table is None:  # not UTF-8 after all
        table = _parse_decoded(decode_lossy(raw, path, None), path)
    assert table is not None
    return table


def _parse_decoded(decoded: Decoded, path: str) -> Table | None:
    """The table, or None when unverified bytes turn out not to be UTF-8."""
    data, findings = decoded.data, list(decoded.findings)
    if b"\r" in data[:65536] and b"\n" not in data:  # classic Mac line ends
        data = data.replace(b"\r", b"\n")
    first_end = data.find(b"\n")
    first_line = data if first_end < 0 else data[:first_end]
    if len(first_line) > MAX_HEADER_BYTES:
        return empty_table(
            path, decoded.encoding, [*findings, LINE_TOO_LONG.finding(path=path, size=MAX_HEADER_BYTES)]
        )
    sep = sniff_separator(path, first_line)
    header_cells = first_line.count(sep.encode()) + 1
    if header_cells > MAX_COLUMNS:
        return empty_table(
            path,
            decoded.encoding,
            [*findings, TOO_MANY_COLUMNS.finding(path=path, count=header_cells, limit=MAX_COLUMNS)],
        )
    parsed = fast_parse(data, sep, header_cells, path)
    if isinstance(parsed, Finding):
        return empty_table(path, decoded.encoding, [*findings, parsed])
    if not isinstance(parsed, Parsed):
        if not decoded.verified and not valid_utf8(data):
            return None
        if isinstance(parsed, str):
            findings.append(badly_quoted(parsed, path))
        slow = slow_parse(data.decode("utf-8"), sep, path, MAX_COLUMNS)
        if isinstance(slow, Finding):
            return empty_table(path, decoded.encoding, [*findings, slow])
        parsed = slow
    findings.extend(parsed.findings)
    return _assemble(path, decoded.encoding, sep, parsed, findings)


def _assemble(
    path: str, encoding: str, sep: str, parsed: Parsed, found: list[Finding]
) -> Table:
    rows, line = parsed.rows, parsed.line
    findings = Findings(found)
    head = [list(r) for r in rows.slice(0, 12).rows()]
    start = find_header(head)
    if start:
        findings.append(
            HEADER_NOT_FIRST.finding(path=path, row=int(line[start]), before=int(line[start]) - 1)
        )
    raw_header = [(c or "").strip() for c in head[start]]
    ncells = parsed.ncells
    header_width = int(ncells[start]) if ncells is not None else rows.width
    raw_header = raw_header[:header_width]
    names = list(raw_header)
    header_rows = 1
    if start + 1 < len(head):
        merged = second_header(raw_header, head[start + 1][:header_width])
        if merged is not None:
            header_rows = 2
            example = "、".join(m for m, h in zip(merged, raw_header, strict=True) if m != h)[:80]
            findings.append(
                MULTI_ROW_HEADER.finding(path=path, row=int(line[start + 1]), example=example)
            )
            names = merged
    if len(names) > MAX_COLUMNS:
        return empty_table(
            path, encoding,
            [*findings, TOO_MANY_COLUMNS.finding(path=path, count=len(names), limit=MAX_COLUMNS)],
        )  # fmt: skip
    structure_findings = Findings()
    unique = unique_names(names, path, structure_findings, row=int(line[start]))
    body_start = start + header_rows
    body = rows.slice(body_start)
    if parsed.rest is not None:
        body = stitch(body, parsed.rest, parsed.constants)
    width = len(unique)
    if body.width < width:  # header wider than any data row
        body = body.with_columns(
            [pl.lit(None, dtype=pl.String).alias(key(i)) for i in range(body.width, width)]
        )
    positional = body.select([key(i) for i in range(width)])
    data = positional.clone()
    data.columns = unique
    table = Table(
        path=path, encoding=encoding, header=unique, data=data,
        line=line.slice(body_start).alias("line"), header_rows=header_rows,
        findings=findings, raw_header=raw_header, header_line=int(line[start]), separator=sep,
    )  # fmt: skip
    table.junk_lines.update(line.slice(0, start).to_list())
    table.findings.extend(structure_findings)
    blank = blank_mask(positional)
    if parsed.ncells is not None:
        ragged(table, parsed.ncells.slice(body_start), blank, width)
        newlines_in_cells(table, positional)
    structure(table, blank)
    return table
