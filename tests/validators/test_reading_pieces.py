"""A large file is parsed a piece at a time (reading.pieces.PIECE_BYTES) and a
column of one value is kept once: the table and every finding are the same as
when the whole file is parsed at once. The tests make the pieces tiny so that
records, duplicates and bad cells fall in different pieces."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import kokai.validators.reading.parse as parse
import kokai.validators.reading.pieces as pieces
import kokai.validators.reading.read as read
from kokai.validators.reading import read_table
from kokai.validators.table import validate_paths

HEADER = "ID,名称,所在地_都道府県,補足,電話番号,緯度,経度\n"


def rows(count: int, **overrides: str) -> list[list[str]]:
    """`count` facility rows; overrides "<row>:<column>" (1-based data row) replace a cell."""
    out = [
        [f"F{i:05d}", f"潮見市公民館{i}", "静岡県", "", f"053-431-{1000 + i}",
         f"{34.70 + i / 10000:.6f}", "137.950000"]
        for i in range(1, count + 1)
    ]  # fmt: skip
    columns = HEADER.strip().split(",")
    for where, value in overrides.items():
        row, column = where.split(":")
        out[int(row) - 1][columns.index(column)] = value
    return out


def write(tmp_path: Path, body: list[list[str]], before: str = "", after: str = "", encoding: str = "utf-8") -> Path:
    path = tmp_path / "施設一覧.csv"
    text = before + HEADER + "".join(",".join(r) + "\n" for r in body) + after
    path.write_text(text, encoding=encoding)
    return path


def findings(path: Path, schema: str | None = None) -> list[tuple]:
    report = validate_paths([str(path)], schema=schema)
    return sorted(
        (f.code, f.severity, f.path, f.row or 0, f.field or "", f.message("ja")) for f in report.findings
    )


def both_ways(path: Path, monkeypatch: pytest.MonkeyPatch, schema: str | None = None):
    """The findings of the file parsed whole, then in pieces of a few records, and
    how the pieces were read: "stream" (from disk), "memory" (from the decoded
    bytes) or "whole" (a piece was not plain: the whole file decided)."""
    whole_table, whole = read_table(path), findings(path, schema)
    used: list[str] = []

    def counted(module, name: str, label: str) -> None:
        original = getattr(module, name)

        def wrapper(*args):
            result = original(*args)
            used.append(label if result is not None else "whole")
            return result

        monkeypatch.setattr(module, name, wrapper)

    monkeypatch.setattr(pieces, "PIECE_BYTES", 256)
    counted(read, "parse_stream", "stream")
    counted(parse, "_parse_in_pieces", "memory")
    table = read_table(path)
    assert table.data.equals(whole_table.data)
    assert table.line.to_list() == whole_table.line.to_list()
    assert [f.code for f in table.findings] == [f.code for f in whole_table.findings]
    how = "stream" if "stream" in used else "memory" if "memory" in used else "whole"
    return whole, findings(path, schema), how


def test_pieces_give_the_same_findings_as_the_whole_file(tmp_path, monkeypatch):
    body = rows(300, **{"250:ID": "F00003", "280:電話番号": "０５３－４３１－２１１１", "290:緯度": "北緯34度"})
    path = write(tmp_path, body)
    whole, parts, how = both_ways(path, monkeypatch, schema="public-facilities")
    assert how == "stream"
    assert parts == whole
    rows_of = {(code, row) for code, _, _, row, _, _ in parts}
    assert ("unique-error", 251) in rows_of  # the repeat is in a later piece than the first F00003
    assert any(row == 281 for code, row in rows_of if code != "unique-error")


def test_a_column_filled_in_one_later_row_is_not_empty(tmp_path, monkeypatch):
    path = write(tmp_path, rows(300, **{"299:補足": "休館日あり"}))
    whole, parts, how = both_ways(path, monkeypatch)
    assert how == "stream" and parts == whole
    assert not any(code == "empty_column" and field == "補足" for code, _, _, _, field, _ in parts)


def test_an_empty_column_in_every_piece_is_still_empty(tmp_path, monkeypatch):
    path = write(tmp_path, rows(300))
    whole, parts, how = both_ways(path, monkeypatch)
    assert how == "stream" and parts == whole
    assert any(code == "empty_column" and field == "補足" for code, _, _, _, field, _ in parts)


def test_a_duplicate_record_across_pieces(tmp_path, monkeypatch):
    body = rows(300)
    body[269] = list(body[9])
    path = write(tmp_path, body)
    whole, parts, how = both_ways(path, monkeypatch)
    assert parts == whole
    assert ("duplicate_record", 271) in {(code, row) for code, _, _, row, _, _ in parts}


def test_a_multiline_cell_in_a_later_piece_takes_the_slow_path(tmp_path, monkeypatch):
    body = rows(300, **{"200:名称": '"潮見市公民館\n別館"'})
    path = write(tmp_path, body)
    whole, parts, how = both_ways(path, monkeypatch)
    assert parts == whole
    assert ("newline_in_cell", 201) in {(code, row) for code, _, _, row, _, _ in parts}
    assert ("newline_in_cell", 201) in {(code, row) for code, _, _, row, _, _ in whole}


def test_a_ragged_row_in_a_later_piece(tmp_path, monkeypatch):
    body = rows(300)
    body[219].append("余分")
    path = write(tmp_path, body)
    whole, parts, how = both_ways(path, monkeypatch)
    assert how == "whole"  # the piece with the long row: the whole file decides
    assert parts == whole
    assert ("extra-cell", 221) in {(code, row) for code, _, _, row, _, _ in parts}


def test_totals_row_and_notes_at_the_end(tmp_path, monkeypatch):
    path = write(tmp_path, rows(300), after="合計,,,,,,\n注: 架空のデータです,,,,,,\n")
    whole, parts, how = both_ways(path, monkeypatch)
    assert how == "stream" and parts == whole
    assert ("totals_row", 302) in {(code, row) for code, _, _, row, _, _ in parts}


def test_a_cp932_file_is_parsed_in_pieces_after_decoding(tmp_path, monkeypatch):
    path = write(tmp_path, rows(300, **{"250:ID": "F00003"}), encoding="cp932")
    whole, parts, how = both_ways(path, monkeypatch, schema="public-facilities")
    assert how == "memory" and parts == whole
    assert ("encoding_not_utf8", 0) in {(code, row) for code, _, _, row, _, _ in parts}


def test_a_bom_file_is_streamed(tmp_path, monkeypatch):
    path = write(tmp_path, rows(300, **{"250:ID": "F00003"}), encoding="utf-8-sig")
    whole, parts, how = both_ways(path, monkeypatch, schema="public-facilities")
    assert how == "stream" and parts == whole


def test_a_file_with_quotes_is_read_whole(tmp_path, monkeypatch):
    path = write(tmp_path, rows(300, **{"120:名称": '"潮見市公民館,別館"', "200:補足": 'a"b'}))
    whole, parts, how = both_ways(path, monkeypatch)
    assert how == "whole" and parts == whole


def test_an_empty_line_in_a_later_piece_is_read_whole(tmp_path, monkeypatch):
    body = rows(300)
    path = tmp_path / "施設一覧.csv"
    lines = [",".join(r) + "\n" for r in body]
    lines.insert(150, "\n")
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    whole, parts, how = both_ways(path, monkeypatch)
    assert how == "whole" and parts == whole
    assert ("blank-row", 152) in {(code, row) for code, _, _, row, _, _ in parts}


def test_a_short_row_in_a_later_piece_is_not_streamed(tmp_path, monkeypatch):
    body = rows(300)
    body[229] = body[229][:5]  # two cells missing: polars would fill them with ""
    path = write(tmp_path, body)
    whole, parts, how = both_ways(path, monkeypatch)
    assert how != "stream" and parts == whole
    assert any(code == "missing-cell" and row == 231 for code, _, _, row, _, _ in parts)


def test_crlf_line_ends_are_streamed(tmp_path, monkeypatch):
    path = tmp_path / "施設一覧.csv"
    body = rows(300, **{"250:ID": "F00003"})
    path.write_bytes((HEADER + "".join(",".join(r) + "\n" for r in body)).replace("\n", "\r\n").encode())
    whole, parts, how = both_ways(path, monkeypatch, schema="public-facilities")
    assert how == "stream" and parts == whole


def test_a_lone_carriage_return_in_a_cell(tmp_path, monkeypatch):
    path = write(tmp_path, rows(300, **{"210:補足": "休館\r日あり"}))
    whole, parts, how = both_ways(path, monkeypatch)
    assert how == "stream" and parts == whole


def test_a_last_line_without_a_line_end(tmp_path, monkeypatch):
    path = tmp_path / "施設一覧.csv"
    path.write_text(HEADER + "\n".join(",".join(r) for r in rows(300)), encoding="utf-8")
    whole, parts, how = both_ways(path, monkeypatch)
    assert how == "stream" and parts == whole
    assert read_table(path).data.height == 300


# cells for the random files: mostly plain, now and then a lone carriage return
_CELLS = ["a", "", "潮見市", "1", "12.5", "x y", "ｱｲｳ", "０１２", "\u3000名", "長い値" * 5, "é"] * 20 + ["a\rb", "c\r"]


def _random_file(rng: random.Random) -> bytes:
    """A small CSV, most of them plain; some with a short or a long row, a quoted
    cell or an empty line; LF or CRLF, with or without a BOM and a last line end."""
    width, defects = rng.randint(1, 6), rng.choice([0, 0, 0, 0.002, 0.01, 0.03])
    lines = [",".join(f"列{i}" for i in range(width))]
    for _ in range(rng.randint(20, 120)):
        r = rng.random()
        cells = [rng.choice(_CELLS) for _ in range(width - (r < defects) + (defects <= r < 2 * defects))]
        if cells and rng.random() < defects:
            cells[0] = f'"q,{cells[0]}"'
        lines.append("" if rng.random() < defects else ",".join(cells))
    end = "\r\n" if rng.random() < 0.3 else "\n"
    data = (end.join(lines) + (end if rng.random() < 0.8 else "")).encode()
    return b"\xef\xbb\xbf" + data if rng.random() < 0.2 else data


def test_random_files_read_alike_in_pieces_and_whole(tmp_path, monkeypatch):
    """A differential check of the streamed path: 150 random files, cut into pieces
    of 64-256 bytes, give the same table and findings as the whole file."""
    rng = random.Random(12)
    streamed = 0
    path = tmp_path / "random.csv"
    original = read.parse_stream

    def counted(*args):
        nonlocal streamed
        result = original(*args)
        streamed += result is not None
        return result

    monkeypatch.setattr(read, "parse_stream", counted)
    for _ in range(150):
        data = _random_file(rng)
        path.write_bytes(data)
        monkeypatch.setattr(pieces, "PIECE_BYTES", rng.choice([64, 100, 256]))
        monkeypatch.setattr(pieces, "HEAD_RECORDS", rng.choice([1, 2, 5]))
        streamed_table, whole = read_table(path), read.read_table_bytes(data, str(path))
        assert streamed_table.header == whole.header, data
        assert streamed_table.data.rows() == whole.data.rows(), data
        assert streamed_table.line.to_list() == whole.line.to_list(), data
        assert [(f.code, f.row, f.field) for f in streamed_table.findings] == [
            (f.code, f.row, f.field) for f in whole.findings
        ], data
    assert streamed > 50  # most plain files took the streamed path
