"""Bad input never crashes `kokai validate`: a clear message and the exit code
that says what happened (1: the data has errors, 2: the input cannot be read)."""

from __future__ import annotations

import json

import pytest

from kokai.cli import main


def validate(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def json_findings(out: str) -> list[dict]:
    return json.loads(out)["findings"]


def test_empty_file(tmp_path, capsys):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    code, out, _ = validate(capsys, str(path))
    assert code == 2
    assert "空です" in out


def test_binary_file(tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_bytes(bytes(range(256)) * 64)
    code, out, _ = validate(capsys, str(path), "--format", "json")
    assert code == 2
    assert [f["code"] for f in json_findings(out)] == ["binary_file"]


def test_excel_file_named_csv(tmp_path, capsys):
    path = tmp_path / "book.csv"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 200)
    code, out, _ = validate(capsys, str(path))
    assert code == 2
    assert "Excel" in out


def test_zero_byte_datapackage(tmp_path, capsys):
    (tmp_path / "datapackage.yaml").write_bytes(b"")
    code, out, _ = validate(capsys, str(tmp_path), "--format", "json")
    assert code == 2
    assert [f["code"] for f in json_findings(out)] == ["package_unreadable"]


@pytest.mark.parametrize("content", ["title: [unclosed\n", "- just\n- a list\n", "\t:\n  bad: [\n"])
def test_malformed_datapackage(tmp_path, capsys, content):
    (tmp_path / "datapackage.yaml").write_text(content, encoding="utf-8")
    code, out, _ = validate(capsys, str(tmp_path))
    assert code == 2
    assert "datapackage" in out or "データパッケージ" in out


def test_ten_thousand_columns(tmp_path, capsys):
    path = tmp_path / "wide.csv"
    header = ",".join(f"c{i}" for i in range(10_000))
    row = ",".join("1" for _ in range(10_000))
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    code, out, _ = validate(capsys, str(path), "--format", "json")
    assert code == 2  # not read at all
    [finding] = json_findings(out)
    assert finding["code"] == "too_many_columns"
    assert "10000" in finding["message"]["ja"]


def test_a_100_mb_single_line(tmp_path, capsys):
    path = tmp_path / "line.csv"
    with path.open("wb") as out_file:
        chunk = b"x" * (1 << 20)
        for _ in range(100):
            out_file.write(chunk)
    code, out, _ = validate(capsys, str(path), "--format", "json")
    assert code == 2  # not read at all
    assert [f["code"] for f in json_findings(out)] == ["line_too_long"]


@pytest.mark.parametrize("quoted", [False, True])
def test_a_huge_cell_below_a_normal_header(tmp_path, capsys, quoted):
    # unquoted: polars reads it; quoted with a line break after it: the csv module does
    cell = b'"' + b"y" * (12 << 20) + b'"' if quoted else b"y" * (12 << 20)
    tail = b'2,"a\nb"\n' if quoted else b"2,ok\n"
    path = tmp_path / "cell.csv"
    path.write_bytes(b"ID,memo\n1," + cell + b"\n" + tail)
    code, out, _ = validate(capsys, str(path), "--format", "json")
    assert code == 2  # a 12 MB cell is not a table cell: the file is not read
    [finding] = json_findings(out)
    assert finding["code"] == "cell_too_large"
    assert finding["row"] == 2
    assert "文字を超えるセル" in finding["message"]["ja"]


def test_missing_path(tmp_path, capsys):
    code, out, _ = validate(capsys, str(tmp_path / "nope.csv"))
    assert code == 2
    assert "見つかりません" in out


def test_folder_without_data(tmp_path, capsys):
    code, out, _ = validate(capsys, str(tmp_path))
    assert code == 2
    assert "datapackage.yaml" in out


def test_unknown_schema_name(tmp_path, capsys):
    path = tmp_path / "t.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    code, _, err = validate(capsys, str(path), "--schema", "no-such-schema")
    assert code == 2
    assert "no-such-schema" in err


def test_schema_file_that_is_not_json(tmp_path, capsys):
    path = tmp_path / "t.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    schema = tmp_path / "schema.json"
    schema.write_bytes(b"\x00\x01garbage")
    code, _, err = validate(capsys, str(path), "--schema", str(schema))
    assert code == 2
    assert "schema.json" in err


def test_unclosed_quote_and_garbage_bytes(tmp_path, capsys):
    path = tmp_path / "q.csv"
    path.write_bytes(b'ID,name\n1,"abc\n2,\x81\x7f\n')  # invalid in UTF-8 and CP932
    code, out, _ = validate(capsys, str(path), "--format", "json")
    assert code == 1
    codes = {f["code"] for f in json_findings(out)}
    assert {"invalid_quoting", "encoding_error"} <= codes


def test_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["validate"])
    assert info.value.code == 2
