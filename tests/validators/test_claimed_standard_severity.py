"""A standard's format rules are errors where the file claims the standard
(a schema detected, given or declared) and warnings elsewhere, with words that
say the value is written another way, not that it is something else."""

from __future__ import annotations

from pathlib import Path

import pytest

from kokai.validators.table import validate_paths
from tests.validators.test_japanese_rules import findings_for

# (column, value written another way, code, words of the message)
FORMAT_CASES = [
    ("郵便番号", "650-0025", "postal_code_format", "郵便番号ですが、標準の書き方"),
    ("郵便番号", "〒650-0025", "postal_code_format", "「6500025」"),
    ("電話番号", "078.331.8181", "phone_format", "電話番号ですが、標準の書き方"),
    ("電話番号", "-", "phone_format", "空欄"),
    ("災害種別_洪水", "○", "flag_value", "フラグの標準の書き方"),
    ("災害種別_津波", "△", "flag_ambiguous", "担当者が判断"),
    ("更新日", "2024/4/1", "non_iso_date", "日付の標準の書き方"),
]


def _schema(column: str) -> dict:
    return {"fields": [{"name": column, "type": "string"}, {"name": "名称", "type": "string"}]}


@pytest.mark.parametrize(("column", "value", "code", "words"), FORMAT_CASES)
def test_an_error_where_the_standard_is_claimed_and_a_warning_elsewhere(column, value, code, words):
    columns = {column: [value], "名称": ["潮見市役所"]}
    claimed = [f for f in findings_for(columns, schema=_schema(column)) if f.code == code]
    unclaimed = [f for f in findings_for(columns) if f.code == code]
    assert [f.severity for f in claimed] == ["error"]
    assert [f.severity for f in unclaimed] == ["warning"]
    assert words in unclaimed[0].message_ja and words in claimed[0].message_ja


def test_a_column_outside_the_claimed_layout_is_not_claimed():
    # the schema covers 名称 only: 郵便番号 is the file's own column
    schema = {"fields": [{"name": "名称", "type": "string"}]}
    found = findings_for({"名称": ["a"], "郵便番号": ["650-0025"]}, schema=schema)
    assert [(f.code, f.severity) for f in found] == [("postal_code_format", "warning")]


def test_what_is_no_postal_code_at_all_says_so():
    found = findings_for({"郵便番号": ["12345"]})
    assert "郵便番号の形ではありません" in found[0].message_ja
    assert "標準の書き方" not in found[0].message_ja


def test_a_phone_number_with_a_note_is_a_warning_that_says_where_the_note_goes():
    for severity_schema in (None, _schema("電話番号")):
        found = findings_for({"電話番号": ["078-331-8181（代）"], "名称": ["a"]}, schema=severity_schema)
        assert [(f.code, f.severity) for f in found] == [("phone_with_note", "warning")]
        assert "「代」は「備考」の列に移して" in found[0].message_ja
        assert found[0].params["expected"] == "078-331-8181"
        assert found[0].machine_readability == "L1-07"
    found = findings_for({"電話番号": ["0883-64-3111(内線12)"]})
    assert "「内線番号」の列" in found[0].message_ja
    # two numbers in one cell remain phone_several, an error
    found = findings_for({"電話番号": ["078-803-5921(昼)、078-803-5777(夜)"]})
    assert [(f.code, f.severity) for f in found] == [("phone_several", "error")]


def test_full_width_digits_in_code_columns_stay_errors():
    for columns in ({"電話番号": ["０８８３－６４－３１１１"]}, {"TEL": ["０８８３－６４－３１１１"]}):
        found = findings_for(columns)
        assert [(f.code, f.severity) for f in found] == [("fullwidth_characters", "error")]


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_detected_layout_is_a_claim(tmp_path: Path):
    header = (
        "全国地方公共団体コード,ID,名称,名称_カナ,所在地_連結表記,緯度,経度,電話番号,郵便番号,"
        "災害種別_洪水,災害種別_津波,指定避難所との重複,想定収容人数\n"
    )
    row = "229997,A1,潮見第一小学校,シオミダイイチショウガッコウ,静岡県潮見市本町1-1,34.71,137.95,053-431-2111,{},{},,1,100\n"
    detected = _write(tmp_path, "detected.csv", header + row.format("437-0101", "○"))
    report = validate_paths([detected])
    assert any(f.code == "schema_detected" for f in report.findings)
    by_code = {f.code: f.severity for f in report.findings if f.field}
    assert by_code["postal_code_format"] == "error" and by_code["flag_value"] == "error"
    own = _write(tmp_path, "own.csv", "施設,郵便番号,洪水\n潮見第一小学校,437-0101,○\n潮見第二小学校,4370102,1\n")
    report = validate_paths([own])
    assert not any(f.code == "schema_detected" for f in report.findings)
    by_code = {f.code: f.severity for f in report.findings if f.field}
    assert by_code == {"postal_code_format": "warning", "flag_value": "warning"}
    assert report.exit_code == 0
