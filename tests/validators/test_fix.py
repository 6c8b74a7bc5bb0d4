"""`kokai fix`: a normalised copy, every change listed, IN never touched, and
nothing guessed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from kokai.cli import main
from kokai.errors import KokaiError
from kokai.validators.fix import fix_file
from kokai.validators.table import validate_paths

# A Kobe-2017-like sheet: CP932, two header rows, ○/×/△ flags, a wareki date,
# full-width digits, postal codes with hyphens, units, a blank row and a 合計 row.
BROKEN = (
    "№,名称,住所,郵便番号,電話番号,階数,更新日,災害ごとの注意事項,,\r\n"
    ",,,,,,,洪水,津波,備考\r\n"
    "0001,東灘小学校,神戸市東灘区深江北町２－４－１,658-0013,078-411-0556,3階,令和5年4月1日,○,×,\r\n"
    "0002,本庄小学校,神戸市東灘区青木4-4-1,６５８００２７,078-413－3264,2階,R5.4.1,△,○,高台へ\r\n"
    "0003,本山中学校,神戸市東灘区本山北町3-1-1,658-0003,078-111-1111、078-222-2222,4階,2023/4/1,○,－,\r\n"
    ",,,,,,,,,\r\n"
    ",,,,,合計,,3,3,\r\n"
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def broken_csv(tmp_path: Path) -> Path:
    path = tmp_path / "hinanjo.csv"
    path.write_bytes(BROKEN.encode("cp932"))
    return path


def codes(report) -> dict[str, int]:
    return dict(report.codes())


def test_fix_writes_a_clean_utf8_copy_and_never_touches_in(broken_csv: Path, tmp_path: Path):
    before = sha256(broken_csv)
    out = tmp_path / "out" / "fixed.csv"
    report = fix_file(broken_csv, out)
    assert sha256(broken_csv) == before
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
    lines = raw.decode("utf-8").split("\n")
    assert lines[0] == (  # № is a 機種依存文字: No. as its message suggests
        "No.,名称,住所,郵便番号,電話番号,階数,更新日,"
        "災害ごとの注意事項_洪水,災害ごとの注意事項_津波,災害ごとの注意事項_備考"
    )
    assert (
        lines[1]
        == "0001,東灘小学校,神戸市東灘区深江北町2-4-1,6580013,078-411-0556,3,2023-04-01,1,,"
    )
    # △ needs a person: it stays; the full-width hyphen in the phone number is fixed
    assert (
        lines[2]
        == "0002,本庄小学校,神戸市東灘区青木4-4-1,6580027,078-413-3264,2,2023-04-01,△,1,高台へ"
    )
    # two numbers in one cell cannot be fixed by a machine: they stay
    assert lines[3].startswith(
        "0003,本山中学校,神戸市東灘区本山北町3-1-1,6580003,078-111-1111、078-222-2222,4,"
    )
    assert lines[4:] == [""], "the blank row and the 合計 row are gone"
    found = codes(report)
    for code in ("fixed_encoding", "merged_header", "fixed_flag", "fixed_date", "fixed_fullwidth",
                 "fixed_code", "fixed_unit", "fixed_header", "wrote_csv"):  # fmt: skip
        assert found.get(code), code
    assert found["dropped_row"] == 2


def test_every_change_names_row_field_old_and_new_value(broken_csv: Path, tmp_path: Path):
    report = fix_file(broken_csv, tmp_path / "fixed.csv")
    changes = [f for f in report.findings if f.path == str(broken_csv) and f.code == "fixed_flag"]
    by_cell = {(f.row, f.field): f for f in changes}
    first = by_cell[(3, "災害ごとの注意事項_洪水")]
    assert first.value == "○" and "「○」を「1」に直しました" in first.message_ja
    assert by_cell[(3, "災害ごとの注意事項_津波")].value == "×"
    assert (4, "災害ごとの注意事項_洪水") not in by_cell  # △ is not changed
    dates = {f.value: f.message_ja for f in report.findings if f.code == "fixed_date"}
    assert "「2023-04-01」" in dates["令和5年4月1日"] and "「2023-04-01」" in dates["R5.4.1"]
    assert all(f.severity == "info" for f in report.findings if f.code.startswith("fixed_"))


def test_what_fix_cannot_fix_is_still_reported_on_out(broken_csv: Path, tmp_path: Path):
    out = tmp_path / "fixed.csv"
    report = fix_file(broken_csv, out)
    left = [f for f in report.findings if f.path == str(out)]
    assert {(f.code, f.row, f.value) for f in left if f.code == "flag_ambiguous"} == {
        ("flag_ambiguous", 3, "△")
    }
    assert any(f.code == "phone_several" for f in left)
    assert report.exit_code == 1


def test_out_validates_cleaner_than_in(broken_csv: Path, tmp_path: Path):
    out = tmp_path / "fixed.csv"
    fix_file(broken_csv, out)
    before, after = validate_paths([str(broken_csv)]), validate_paths([str(out)])
    assert after.total("error") < before.total("error")
    assert after.total("warning") < before.total("warning")
    assert "encoding_not_utf8" not in after.codes() and "flag_value" not in after.codes()


def test_fix_never_guesses(tmp_path: Path):
    src = tmp_path / "codes.csv"
    src.write_text(
        "全国地方公共団体コード,名称,階数,災害種別_洪水\n"
        "092012,A,3階,1\n"  # wrong check digit: which digit is wrong is unknown
        "０９２０１２,B,9m,\n"  # full-width is fixed, the check digit is not
        "92011,C,4,1\n",  # a dropped leading zero is certain
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    report = fix_file(src, out)
    rows = out.read_text(encoding="utf-8").splitlines()
    # 3階 and 9m in one column: the unit of the column is unclear, both stay
    assert rows[1:] == ["092012,A,3階,1", "092012,B,9m,", "092011,C,4,1"]
    left = {(f.code, f.row) for f in report.findings if f.path == str(out)}
    assert {("lgcode_check_digit", 2), ("lgcode_check_digit", 3)} <= left
    assert ("number_with_unit", 2) in left


def test_a_clean_file_is_copied_unchanged(tmp_path: Path):
    src = tmp_path / "clean.csv"
    text = "全国地方公共団体コード,名称,緯度,経度\n281000,A,34.7,135.2\n281000,B,34.8,135.1\n"
    src.write_text(text, encoding="utf-8")
    report = fix_file(src, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == text
    assert [f.code for f in report.findings if f.path == str(src)] == ["wrote_csv"]


def test_the_report_says_which_form_it_wrote(broken_csv: Path, tmp_path: Path):
    plain = fix_file(broken_csv, tmp_path / "plain.csv")
    [wrote] = [f for f in plain.findings if f.code == "wrote_csv"]
    assert "UTF-8（BOM なし）" in wrote.message_ja and "--excel" in wrote.message_ja
    assert "UTF-8 without BOM" in wrote.message_en
    assert plain.sources[0].details["written"] == "utf-8"
    excel = fix_file(broken_csv, tmp_path / "excel.csv", excel=True)
    raw = (tmp_path / "excel.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfNo.,") and b"\r" not in raw
    assert raw[3:] == (tmp_path / "plain.csv").read_bytes()
    [wrote] = [f for f in excel.findings if f.code == "wrote_csv"]
    assert "BOM 付き" in wrote.message_ja and "CSV UTF-8" in wrote.message_ja
    assert excel.sources[0].details["written"] == "utf-8-sig"
    # OUT written for Excel reads back as UTF-8 with BOM, with no encoding warning
    left = {f.code for f in excel.findings if f.path == str(tmp_path / "excel.csv")}
    assert "encoding_not_utf8" not in left


def test_cli_fix_excel(broken_csv: Path, tmp_path: Path, capsys):
    out = tmp_path / "excel.csv"
    main(["fix", str(broken_csv), str(out), "--excel", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert "wrote_csv" in doc["summary"]["by_code"]


def test_header_model_dependent_characters_are_replaced(tmp_path: Path):
    src = tmp_path / "a.csv"
    src.write_text("№,面積㎡,名称\n1,20,A\n2,30,B\n", encoding="utf-8")
    report = fix_file(src, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()[0] == "No.,面積m2,名称"
    changed = {(f.row, f.field, f.params["new"]) for f in report.findings if f.code == "fixed_header"}
    assert changed == {(1, "№", "No."), (1, "面積㎡", "面積m2")}
    assert "model_dependent_character" not in {f.code for f in report.findings if f.path.endswith("out.csv")}


def test_spaces_around_text_and_phone_notation_are_fixed(tmp_path: Path):
    src = tmp_path / "a.csv"
    src.write_text(
        "名称,電話番号,備考\n"
        "蒲生田小学校(休校中)\u3000,0883.64.3111,\u3000高台\n"
        "潮見第一小学校\u3000体育館,０８８３－６４－３１１１,\n"
        "潮見市役所,053-431-2111（代）,\n",
        encoding="utf-8",
    )
    report = fix_file(src, tmp_path / "out.csv")
    rows = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()
    assert rows[1:] == [
        "蒲生田小学校(休校中),0883-64-3111,高台",
        "潮見第一小学校 体育館,0883-64-3111,",
        "潮見市役所,053-431-2111（代）,",  # the note needs a person: it stays
    ]
    left = {f.code for f in report.findings if f.path == str(tmp_path / "out.csv")}
    assert left == {"phone_with_note", "schema_not_detected"}


def test_out_must_not_be_in(broken_csv: Path):
    with pytest.raises(KokaiError) as excinfo:
        fix_file(broken_csv, broken_csv)
    assert excinfo.value.exit_code == 2
    with pytest.raises(KokaiError):
        fix_file(broken_csv, broken_csv.parent / "." / broken_csv.name)


def test_cli_fix_refuses_in_as_out_without_a_traceback(broken_csv: Path, capsys):
    before = sha256(broken_csv)
    assert main(["fix", str(broken_csv), str(broken_csv)]) == 2
    err = capsys.readouterr().err
    assert "入力と同じ" in err and "Traceback" not in err
    assert sha256(broken_csv) == before


def test_cli_fix_json(broken_csv: Path, tmp_path: Path, capsys):
    out = tmp_path / "fixed.csv"
    status = main(["fix", str(broken_csv), str(out), "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert status == 1  # △ and the double phone number remain
    assert document["summary"]["by_code"]["fixed_flag"]["count"] == 5
    assert out.is_file()


def test_unreadable_in_gives_exit_2_and_no_out(tmp_path: Path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    out = tmp_path / "out.csv"
    report = fix_file(empty, out)
    assert report.exit_code == 2 and not out.exists()
    binary = tmp_path / "data.csv"
    binary.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    assert fix_file(binary, out).exit_code == 2 and not out.exists()


def test_missing_in_is_a_usage_error(tmp_path: Path):
    with pytest.raises(KokaiError):
        fix_file(tmp_path / "nothing.csv", tmp_path / "out.csv")


def test_header_only_file_is_copied(tmp_path: Path):
    src = tmp_path / "header.csv"
    src.write_text("名称,緯度,経度\n", encoding="utf-8")
    report = fix_file(src, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == "名称,緯度,経度\n"
    assert report.exit_code == 0


def test_fix_with_a_named_schema(broken_csv: Path, tmp_path: Path, capsys):
    out = tmp_path / "fixed.csv"
    status = main(["fix", str(broken_csv), str(out), "--schema", "evacuation-sites"])
    text = capsys.readouterr().out
    assert status == 1 and out.is_file()
    assert "fixed_flag" in text
