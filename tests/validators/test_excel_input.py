"""Excel input: a sheet of an .xlsx is validated like a CSV, with rows and columns
as Excel shows them. The workbooks are written with xlsxwriter when the tests
run (no binary fixtures)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
import xlsxwriter
import yaml

from kokai.cli import main
from kokai.validators.reading import read_table
from kokai.validators.reading.excel import column_letter
from kokai.validators.table import validate_paths

SHELTERS = (
    "NO,共通ID,施設・場所名,住所,指定緊急避難場所との住所同一,その他市町村長が必要と認める事項,"
    "受入対象者,緯度,経度,備考\n"
    "1,E2299900001111,潮見第一小学校,静岡県潮見市本町2-8-1,1,,,34.714075,137.958703,\n"
    "2,E2299900002111,潮見公民館,静岡県潮見市西町450,,,要配慮者,34.705441,137.936194,\n"
    "3,E2299900003111,,静岡県潮見市東町1,○,,,北緯34度,137.9,\n"
    "4,E2299900004111,潮見港会館,静岡県潮見市港町３－２,1,,,34.7,137.95,電話 053-431-2111\n"
)


@pytest.fixture(autouse=True)
def no_city_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no kokai.toml above


def _number(text: str):
    """A cell as staff type it: numbers become number cells."""
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() and "." not in text else value


def write_book(path: Path, sheets: dict[str, list[list]], formats: bool = False) -> str:
    book = xlsxwriter.Workbook(str(path))
    date = book.add_format({"num_format": "yyyy/m/d"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None or value == "":
                    continue
                if isinstance(value, dt.datetime):
                    sheet.write_datetime(r, c, value, date)
                else:
                    sheet.write(r, c, value)
    book.close()
    return str(path)


def csv_rows(text: str) -> list[list]:
    return [list(r) for r in csv.reader(io.StringIO(text))]


def shelters_book(tmp_path: Path, name: str = "shelters.xlsx", **extra) -> str:
    rows = csv_rows(SHELTERS)
    typed = [rows[0]] + [[_number(v) for v in row] for row in rows[1:]]
    return write_book(tmp_path / name, {"避難所": typed, **extra})


def run(capsys, *args: str) -> tuple[int, str]:
    code = main(["--no-config", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out


def test_cells_read_as_excel_shows_them(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"s": [
        ["名称", "数", "小数", "日付", "和暦", "真偽"],
        ["a", 12, 1.5, dt.datetime(2024, 4, 1), "令和6年4月1日", True],
        ["b", 0.1 + 0.2, 34.714075, None, None, False],
    ]})  # fmt: skip
    table = read_table(path)
    assert table.header == ["名称", "数", "小数", "日付", "和暦", "真偽"]
    assert table.data.rows() == [
        ("a", "12", "1.5", "2024-04-01", "令和6年4月1日", "TRUE"),
        ("b", "0.3", "34.714075", "", "", "FALSE"),
    ]
    assert table.line.to_list() == [2, 3]


def test_rows_and_column_letters_as_excel_shows_them(tmp_path, capsys):
    # the table starts at B3: a title in A1, the header on row 3
    book = xlsxwriter.Workbook(str(tmp_path / "b.xlsx"))
    sheet = book.add_worksheet("一覧")
    sheet.write("A1", "避難所一覧（令和6年4月1日現在）")
    sheet.write_row("A3", ["名称", "所在地_連結表記", "電話番号"])
    sheet.write_row("A4", ["潮見市役所", "静岡県潮見市本町一丁目1-1", "053-431-2111"])
    sheet.write_row("A5", ["潮見市立図書館", "静岡県潮見市西町450", "０５３－４３１－２２００"])
    book.close()
    code, out = run(capsys, "validate", str(tmp_path / "b.xlsx"), "--format", "json")
    report = json.loads(out)
    where = {(f["code"], f["row"], f["field"]) for f in report["findings"]}
    assert ("header_not_first_line", 3, None) in where
    phone = [f for f in report["findings"] if f["field"] == "電話番号" and f["row"] == 5]
    assert phone and all(f["params"]["column_letter"] == "C" for f in phone)
    code, out = run(capsys, "validate", str(tmp_path / "b.xlsx"))
    assert "5 行目 C列（電話番号）" in out


def test_column_letters():
    assert [column_letter(i) for i in (0, 2, 25, 26, 27, 51, 52, 701, 702)] == [
        "A", "C", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA",
    ]  # fmt: skip


def test_default_first_sheet_is_named_in_the_report(tmp_path, capsys):
    path = shelters_book(tmp_path, メモ=[["作成", "防災課"]])
    code, out = run(capsys, "validate", path, "--format", "json")
    source = json.loads(out)["sources"][0]
    assert source["sheet"] == "避難所"
    assert source["sheets"] == ["避難所", "メモ"]
    assert source["format"] == "xlsx"
    codes = {f["code"] for f in json.loads(out)["findings"]}
    assert "other_sheets_not_checked" in codes
    code, out = run(capsys, "validate", path)
    assert "sheet: 避難所" in out


@pytest.mark.parametrize("sheet", ["メモ", "2"])
def test_sheet_by_name_and_by_position(tmp_path, capsys, sheet):
    path = shelters_book(tmp_path, メモ=[["名称", "備考"], ["潮見市役所", ""]])
    code, out = run(capsys, "validate", path, "--sheet", sheet, "--format", "json")
    report = json.loads(out)
    assert report["sources"][0]["sheet"] == "メモ"
    assert report["sources"][0]["rows"] == 1


def test_unknown_sheet_exits_2(tmp_path, capsys):
    path = shelters_book(tmp_path)
    code, out = run(capsys, "validate", path, "--sheet", "令和7年度")
    assert code == 2
    assert "シート「令和7年度」がありません" in out and "「避難所」" in out


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04" + bytes(100), b"\xd0\xcf\x11\xe0" + bytes(600), "名称,住所\n".encode()],
    ids=["broken-zip", "broken-ole", "csv-named-xlsx"],
)
def test_a_workbook_that_cannot_be_opened_exits_2_in_japanese(tmp_path, capsys, content):
    path = tmp_path / "壊れた.xlsx"
    path.write_bytes(content)
    code, out = run(capsys, "validate", str(path))
    assert code == 2
    assert "ブック" in out and "開けません" in out


def test_zip_bomb_is_refused_before_inflating(tmp_path, capsys):
    import zipfile

    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (40 << 20))
    code, out = run(capsys, "validate", str(path))
    assert code == 2 and "workbook_too_large" in out


def test_data_package_with_an_xlsx_resource(tmp_path, capsys):
    folder = tmp_path / "shelters"
    folder.mkdir()
    shelters_book(folder, "shelters.xlsx")
    descriptor = {
        "name": "shiomi-shelters", "title": "指定避難所一覧",
        "description": "潮見市の指定避難所の一覧です。架空の市のデモデータです。",
        "licenses": [{"name": "CC-BY-4.0"}],
        "resources": [{"name": "shelters", "path": "shelters.xlsx", "format": "xlsx"}],
    }  # fmt: skip
    (folder / "datapackage.yaml").write_text(yaml.safe_dump(descriptor, allow_unicode=True))
    code, out = run(capsys, "validate", str(folder), "--format", "json")
    report = json.loads(out)
    sources = [s for s in report["sources"] if s["path"].endswith("shelters.xlsx")]
    assert sources and sources[0]["sheet"] == "避難所"
    assert not [f for f in report["findings"] if f["code"] == "resource_not_table"]
    assert any(f["path"].endswith("shelters.xlsx") and f["row"] == 4 for f in report["findings"])


def test_fix_writes_csv_from_a_workbook(tmp_path, capsys):
    path = write_book(tmp_path / "b.xlsx", {"s": [
        ["名称", "開設日", "収容人数"],
        ["潮見市役所", dt.datetime(2024, 4, 1), 120],
        ["潮見市立図書館", "令和6年4月1日", 45.5],
    ]})  # fmt: skip
    out_csv = tmp_path / "out.csv"
    code, out = run(capsys, "fix", path, str(out_csv))
    assert code in (0, 1)
    text = out_csv.read_bytes().decode("utf-8")
    assert text.splitlines()[:3] == [
        "名称,開設日,収容人数",
        "潮見市役所,2024-04-01,120",
        "潮見市立図書館,2024-04-01,45.5",
    ]
    assert "sheet: s" in out


def _where(report) -> set[tuple]:
    excel_only = {"other_sheets_not_checked"}
    return {(f.code, f.row, f.field) for f in report.findings if f.code not in excel_only}


def test_shelters_as_xlsx_get_the_same_findings_as_the_csv(tmp_path):
    csv_path = tmp_path / "shelters.csv"
    csv_path.write_text(SHELTERS, encoding="utf-8")
    xlsx_path = shelters_book(tmp_path)
    from_csv = validate_paths([str(csv_path)])
    from_xlsx = validate_paths([xlsx_path])
    assert _where(from_csv) == _where(from_xlsx)
    assert from_csv.exit_code == from_xlsx.exit_code == 1
    assert {s.details.get("schema") for s in from_xlsx.sources} == {
        s.details.get("schema") for s in from_csv.sources
    }


def test_a_text_cell_that_looks_almost_numeric_reads_unchanged(tmp_path):
    path = write_book(tmp_path / "b.xlsx", {"s": [
        ["名称", "値"], ["a", 0.1 + 0.2], ["b", "1.2.3.4.5.6.7.8.9.0"], ["c", "1e400"],
    ]})  # fmt: skip
    assert read_table(path).data.rows() == [("a", "0.3"), ("b", "1.2.3.4.5.6.7.8.9.0"), ("c", "1e400")]
