"""kokai.validators.reading: encodings, structure findings and line numbers, each with a
fixture that triggers the finding and one that does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from kokai.validators.reading import read_table


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def codes(table) -> list[str]:
    return [f.code for f in table.findings]


def by_code(table, code: str):
    return [f for f in table.findings if f.code == code]


SIMPLE = "ID,名称,緯度\nA1,中央公民館,34.7\nA2,北小学校,34.8\n"


# --- encodings --------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding, expected, warns",
    [
        ("utf-8", "utf-8", False),
        ("utf-8-sig", "utf-8-sig", False),
        ("cp932", "cp932", True),
        ("utf-16", "utf-16", True),
    ],
)
def test_encodings_are_decoded(tmp_path, encoding, expected, warns):
    text = "№,名称,備考\n1,東灘小学校,①番出口\n2,本庄中学校,㈱ビル\n"
    table = read_table(write(tmp_path, text, encoding))
    assert table.encoding == expected
    assert table.header == ["№", "名称", "備考"]
    assert table.data.row(0) == ("1", "東灘小学校", "①番出口")
    assert table.data.row(1)[2] == "㈱ビル"
    assert ("encoding_not_utf8" in codes(table)) is warns
    assert "encoding_error" not in codes(table)


def test_cp932_only_character_is_not_lost(tmp_path):
    # 0x8782 (№) is an NEC special character: strict shift_jis cannot decode it
    raw = "№,名称\n1,テスト\n".encode("cp932")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("shift_jis")
    path = tmp_path / "k.csv"
    path.write_bytes(raw)
    assert read_table(path).header[0] == "№"


def test_undecodable_bytes_report_the_byte_offset(tmp_path):
    good = "名称,備考\n公民館,あ\n".encode()
    raw = good + b"\xff\xfe\xfd,x\n"
    path = tmp_path / "bad.csv"
    path.write_bytes(raw)
    table = read_table(path)
    [finding] = by_code(table, "encoding_error")
    assert finding.severity == "error"
    assert str(len(good)) in finding.message_ja
    assert table.readable


def test_utf16_without_bom_is_recognised(tmp_path):
    table = read_table(write(tmp_path, SIMPLE, "utf-16-le"))
    assert table.encoding == "utf-16"
    assert table.header == ["ID", "名称", "緯度"]


# --- fatal ------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, code",
    [
        (b"", "empty_file"),
        (b"\n\n", "empty_file"),
        (b"PK\x03\x04" + b"\x00" * 100, "binary_file"),
        (b"ID,x\n\x00\x01\x02\x03binary", "binary_file"),
    ],
)
def test_unreadable_files_give_a_fatal_finding(tmp_path, content, code):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    table = read_table(path)
    assert not table.readable
    assert codes(table) == [code]
    assert table.findings[0].fatal


def test_missing_file_and_folder(tmp_path):
    assert codes(read_table(tmp_path / "nope.csv")) == ["unreadable_file"]
    assert codes(read_table(tmp_path)) == ["unreadable_file"]


# --- header -----------------------------------------------------------------


KOBE_LIKE = (
    "№,区,名称,災害ごとの注意事項,,,\n"
    ",,,土砂災害,洪水,津波,\n"
    "0001,東灘,東灘小学校,○,○,×,\n"
    "0002,東灘,本庄小学校,○,,×,\n"
)


def test_second_header_row_is_merged(tmp_path):
    table = read_table(write(tmp_path, KOBE_LIKE))
    assert table.header_rows == 2
    assert table.header[3:6] == [
        "災害ごとの注意事項_土砂災害", "災害ごとの注意事項_洪水", "災害ごとの注意事項_津波",
    ]
    assert table.header[6] == "__col7"
    assert "multi_row_header" in codes(table)
    assert "blank-label" in codes(table)
    assert table.line.to_list() == [3, 4]
    assert table.data.row(0)[0] == "0001"


def test_single_header_row_is_not_merged(tmp_path):
    table = read_table(write(tmp_path, SIMPLE))
    assert table.header_rows == 1
    assert "multi_row_header" not in codes(table)
    assert table.line.to_list() == [2, 3]
    assert table.findings == []


def test_data_row_under_a_blank_header_is_not_a_header(tmp_path):
    text = "ID,名称,\nA1,公民館,メモ\nA2,図書館,\n"
    table = read_table(write(tmp_path, text))
    assert table.header_rows == 1


def test_title_line_before_the_header(tmp_path):
    text = "令和6年度 避難所一覧,,\n,,\nID,名称,緯度\nA1,公民館,34.7\n"
    table = read_table(write(tmp_path, text))
    [finding] = by_code(table, "header_not_first_line")
    assert finding.row == 3
    assert finding.machine_readability == "L3-01"
    assert table.header == ["ID", "名称", "緯度"]
    assert table.line.to_list() == [4]
    assert {1, 2} <= table.junk_lines


def test_duplicate_labels_are_made_unique(tmp_path):
    table = read_table(write(tmp_path, "名称,名称,備考\nA,B,C\n"))
    assert table.header == ["名称", "名称__2", "備考"]
    [finding] = by_code(table, "duplicate-label")
    assert finding.machine_readability == "L2-03"


# --- rows -------------------------------------------------------------------


def test_blank_row_inside_the_data(tmp_path):
    table = read_table(write(tmp_path, "ID,名称\nA1,公民館\n,\nA2,図書館\n"))
    [finding] = by_code(table, "blank-row")
    assert finding.row == 3
    assert finding.machine_readability == "L1-03"
    assert table.junk_lines == {3}
    data, lines = table.checked()
    assert lines.to_list() == [2, 4]
    assert data.get_column("ID").to_list() == ["A1", "A2"]


def test_empty_line_keeps_line_numbers(tmp_path):
    table = read_table(write(tmp_path, "ID,名称\nA1,公民館\n\nA2,図書館\n"))
    assert table.line.to_list() == [2, 3, 4]
    assert [f.row for f in by_code(table, "blank-row")] == [3]


def test_trailing_blank_rows(tmp_path):
    table = read_table(write(tmp_path, "ID,名称\nA1,公民館\n,\n,\n"))
    [finding] = by_code(table, "trailing_blank_rows")
    assert finding.severity == "warning"
    assert finding.row == 3
    assert table.junk_lines == {3, 4}
    assert "blank-row" not in codes(table)


def test_totals_row_and_notes_at_the_end(tmp_path):
    text = (
        "№,区,土砂災害,洪水\n"
        "0001,東灘,○,○\n"
        "0002,灘,×,○\n"
        ",,,\n"
        ",○,1,2\n"
        ",合計,2,2\n"
    )
    table = read_table(write(tmp_path, text))
    [finding] = by_code(table, "totals_row")
    assert finding.row == 6
    assert finding.machine_readability == "L1-04"
    assert table.junk_lines == {4, 5, 6}
    assert table.checked()[1].to_list() == [2, 3]


def test_no_totals_row(tmp_path):
    table = read_table(write(tmp_path, "地域,人口\n本町,100\n栄町,200\n"))
    assert "totals_row" not in codes(table)
    assert table.junk_lines == set()


def test_newline_in_cell_and_line_numbers_after_it(tmp_path):
    text = 'ID,名称,備考\r\nA1,公民館,"1行目\n2行目"\r\nA2,図書館,\r\n'
    table = read_table(write(tmp_path, text))
    [finding] = by_code(table, "newline_in_cell")
    assert (finding.row, finding.field) == (2, "備考")
    assert finding.machine_readability == "L1-14"
    assert table.line.to_list() == [2, 4]


def test_crlf_with_a_lone_lf(tmp_path):
    table = read_table(write(tmp_path, "ID,名称\r\nA1,公民館\nA2,図書館\r\n"))
    assert table.data.get_column("名称").to_list() == ["公民館", "図書館"]
    assert table.line.to_list() == [2, 3]


def test_extra_and_missing_cells(tmp_path):
    table = read_table(write(tmp_path, "ID,名称,緯度\nA1,公民館,34.7,余分\nA2\nA3,図書館,34.8\n"))
    [extra] = by_code(table, "extra-cell")
    assert extra.row == 2
    [missing] = by_code(table, "missing-cell")  # one finding for the row, not one per cell
    assert (missing.row, missing.field, missing.params["missing"]) == (3, "名称", 2)
    assert "「名称」「緯度」のセルがありません" in missing.message_ja
    assert "'名称', '緯度'" in missing.message_en
    assert table.data.row(1) == ("A2", None, None)  # null: the cell is missing
    assert table.data.row(2) == ("A3", "図書館", "34.8")


def test_regular_rows_have_no_ragged_findings(tmp_path):
    table = read_table(write(tmp_path, 'ID,名称,緯度\nA1,"公民館, 本館",34.7\nA2,,\n'))
    assert codes(table) == []
    assert table.data.row(0) == ("A1", "公民館, 本館", "34.7")
    assert table.data.row(1) == ("A2", "", "")  # "": an empty cell


def test_unclosed_quote(tmp_path):
    table = read_table(write(tmp_path, 'ID,名称\nA1,"公民館\nA2,図書館\n'))
    assert "invalid_quoting" in codes(table)


def test_quote_inside_an_unquoted_value(tmp_path):
    table = read_table(write(tmp_path, 'ID,名称\nA1,"公民館"本館\nA2,図書館\n'))
    [finding] = by_code(table, "invalid_quoting")
    assert "公民館" in finding.message_ja
    assert table.data.get_column("ID").to_list() == ["A1", "A2"]


def test_tsv(tmp_path):
    table = read_table(write(tmp_path, "ID\t名称\nA1\t公民館\n", name="t.tsv"))
    assert table.header == ["ID", "名称"]
    assert table.separator == "\t"


def test_header_only(tmp_path):
    table = read_table(write(tmp_path, "ID,名称\n"))
    assert table.data.height == 0
    assert codes(table) == ["no_data_rows"]


# --- real files (../shared/corpus/jp, skipped when absent) --------------------

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "jp"


def corpus_file(name: str) -> Path:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip("corpus not available")
    return path


def test_corpus_kobe_2017():
    table = read_table(corpus_file("kobe_okunai-hinanjo-2017.csv"))
    assert table.encoding == "cp932"
    assert table.header[0] == "№"
    assert table.header_rows == 2
    assert "災害ごとの注意事項_津波" in table.header
    [totals] = by_code(table, "totals_row")
    assert table.data.filter(table.line == totals.row).row(0)[9] == "合計"
    assert "newline_in_cell" in codes(table)  # the lone LF inside a quoted note
    data, lines = table.checked()
    assert data.get_column("№").str.contains(r"^[0-9]{4}$").all()


def test_corpus_kobe_2014_trailing_blank_rows():
    table = read_table(corpus_file("kobe_okunai-hinanjo-2014-utf8bom.csv"))
    assert table.encoding == "utf-8-sig"
    [finding] = by_code(table, "trailing_blank_rows")
    assert "8" in finding.message_ja
    assert len(table.junk_lines) == 8


def test_corpus_hamamatsu_is_read_whole():
    table = read_table(corpus_file("hamamatsu_tsunami-hinan-biru.csv"))
    assert table.header.index("経度") < table.header.index("緯度")
    assert table.data.height == 225
    assert table.findings == []
