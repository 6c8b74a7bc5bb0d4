"""A large UTF-8 file parsed as it is read from disk, a piece at a time
(reading.pieces), so that its bytes are never all in memory beside the table.

Only the plainest file is read so: UTF-8 with or without BOM, one record per
line, the header's number of cells on every line, no quotes, no empty lines,
no huge cell. At the first sign of anything else (another encoding, a ragged
row, a quote) `parse_stream` gives up and the whole file is read and decided
as before, so that every finding comes from that one path."""

from __future__ import annotations

import os
from typing import BinaryIO

import polars as pl

from kokai.validators.reading import pieces
from kokai.validators.reading.decode import binary_kind, utf16_without_bom
from kokai.validators.reading.parse import MAX_CELL_CHARS, Parsed, sniff_separator

BOM = b"\xef\xbb\xbf"
_HEAD_BYTES = 1 << 16  # what decode looks at for the encoding and binary content


def parse_stream(
    handle: BinaryIO, path: str, max_header_bytes: int, max_columns: int
) -> tuple[str, str, Parsed] | None:
    """(encoding, separator, records) of a plain UTF-8 file, or None: read it whole."""
    head = handle.read(_HEAD_BYTES)
    encoding, start = "utf-8", 0
    if head.startswith(BOM):
        encoding, start, head = "utf-8-sig", len(BOM), head[len(BOM) :]
    elif (
        head.startswith((b"\xff\xfe", b"\xfe\xff")) or binary_kind(head[:8])
        or utf16_without_bom(head) or b"\x00" in head
    ):  # fmt: skip
        return None
    # the head piece: the first HEAD_RECORDS lines, where the header is
    while head.count(b"\n") < pieces.HEAD_RECORDS:
        more = handle.read(_HEAD_BYTES)
        if not more or len(head) > pieces.PIECE_BYTES:
            return None
        head += more
    first_line = head[: head.find(b"\n")]
    if len(first_line) > max_header_bytes:
        return None
    sep = sniff_separator(path, first_line)
    width = first_line.count(sep.encode()) + 1
    if width > max_columns or head.startswith((b"\n", b"\r\n")):
        return None
    cut = pieces.head_end(head)
    frames = pieces.PieceFrames(width)
    if cut is None or not _add_piece(frames, head, cut, sep, width):
        return None
    # each piece is read whole from the start of a line; the line its end cuts is
    # read again with the next piece (a seek instead of copying the piece's bytes)
    handle.seek(start + cut)
    del head
    while True:
        block = handle.read(pieces.PIECE_BYTES)
        if not block:
            return _parsed(frames, encoding, sep)
        end = block.rfind(b"\n") + 1
        while end == 0:  # a line longer than a piece: read on
            more = handle.read(pieces.PIECE_BYTES)
            if not more:
                break
            block += more
            end = block.rfind(b"\n") + 1
        if len(block) < pieces.PIECE_BYTES or end == 0:
            end = len(block)  # the end of the file; its last line may have no line end
        else:
            handle.seek(end - len(block), os.SEEK_CUR)
        if not _add_piece(frames, block, end, sep, width):
            return None


def _parsed(frames: pieces.PieceFrames, encoding: str, sep: str) -> tuple[str, str, Parsed]:
    assert frames.head is not None
    rest, constants = frames.rest()
    line = pl.int_range(1, frames.height + 1, eager=True, dtype=pl.Int64).alias("line")
    return encoding, sep, Parsed(frames.head, line, None, [], rest, constants)


def _add_piece(frames: pieces.PieceFrames, block: bytes, end: int, sep: str, width: int) -> bool:
    """Parse the whole lines of `block[:end]` into `frames`; False when the whole
    file must decide. Quotes are left to it too: a stray quote (a"b) can make a
    line end fall inside a quoted cell for polars, and a piece would not know."""
    if block.find(b'"', 0, end) >= 0 or block.startswith((b"\n", b"\r\n")):
        return False
    lines = block.count(b"\n", 0, end) + (0 if block[end - 1 : end] == b"\n" else 1)
    try:
        records = pieces.parse_records(block, sep, lines if end < len(block) else None)
    except pl.exceptions.PolarsError:  # not UTF-8, a row with too many cells
        if end == len(block):
            return False
        try:  # the cut line after `end` (half a character, say) may be what polars refused
            records = pieces.parse_records(block[:end], sep)
        except pl.exceptions.PolarsError:
            return False
    if records.width != width or records.height != lines:
        return False
    # an empty line is a row of "": search the bytes only when such a row exists
    ends = [pl.col(records.columns[0]), pl.col(records.columns[-1])]
    if records.select(pl.all_horizontal([c == "" for c in ends]).any()).item() and (
        block.find(b"\n\n", 0, end) >= 0 or block.find(b"\n\r\n", 0, end) >= 0
    ):
        return False
    if not _rows_are_full(block, end, records, lines) and (
        block.count(sep.encode(), 0, end) != (width - 1) * lines
    ):
        return False  # a short row: polars fills it up silently
    if end > MAX_CELL_CHARS:
        longest = records.select(pl.all().str.len_bytes().max()).row(0)
        if any((n or 0) > MAX_CELL_CHARS for n in longest):
            return False
    return frames.add(records)


def _rows_are_full(block: bytes, end: int, records: pl.DataFrame, lines: int) -> bool:
    """Every line of `block[:end]` had all its cells, cheaper than counting the
    separators: without quotes each byte is a cell's, a separator or a line end,
    so the cells' bytes, width - 1 separators a line and the line ends add up to
    `end` exactly when no line was short. False may also mean an unusual line end
    (a lone CR): then the separators are counted."""
    cells = records.select(
        pl.sum_horizontal(pl.all().str.len_bytes().cast(pl.Int64).sum())
    ).item()  # fmt: skip
    newlines = lines - (0 if block[end - 1 : end] == b"\n" else 1)
    returns = block.count(b"\r", 0, end) if block.find(b"\r", 0, end) >= 0 else 0
    return cells + (records.width - 1) * lines + newlines + returns == end
