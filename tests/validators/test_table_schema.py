"""kokai.validators.table_schema: every Table Schema check, with a fixture that triggers it
and one that does not."""

from __future__ import annotations

import pytest

from kokai.validators.reading import read_table
from kokai.validators.report import MAX_FINDINGS_PER_CODE, Report
from kokai.validators.schemas import bundled_names, descriptor_problem, load_schema
from kokai.validators.table_schema import check_table_schema
from kokai.validators.table_schema.fields import is_bundled_as_shipped


def run(tmp_path, text: str, fields: list[dict], **schema) -> Report:
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    report = Report()
    check_table_schema(read_table(path), {"fields": fields, **schema}, report)
    return report


def hits(report: Report, code: str | None = None) -> list[tuple]:
    return [(f.row, f.field, f.value) for f in report.findings if code is None or f.code == code]


def csv_of(column: str, values: list[str]) -> str:
    """A two-column CSV (a row number, then the values) so that an empty value
    is an empty cell, not a blank row."""
    def quote(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if ("," in v or '"' in v) else v

    return f"no,{column}\n" + "".join(f"{i},{quote(v)}\n" for i, v in enumerate(values))


# --- types ------------------------------------------------------------------

TYPE_CASES = [
    ("integer", {}, ["1", "-2", " 3 ", "+4", "1_000"], ["1.5", "3階", "1e3", "abc", "1,000"]),
    ("number", {}, ["1", "-2.5", ".5", "1e3", " 4 ", "NaN", "1."], ["3.4.5", "16人", "1,5", "abc", "--1"]),
    ("number", {"decimalChar": ",", "groupChar": " "}, ["1,5", "1 000,25"], ["1.5", "abc"]),
    ("number", {"bareNumber": False}, ["€1.5", "16人", "-3"], ["abc"]),
    ("integer", {"bareNumber": False}, ["3階", "約120"], ["階"]),
    ("boolean", {}, ["true", "False", "1", "0"], ["yes", "○", "TRUE "]),
    ("boolean", {"trueValues": ["○"], "falseValues": ["×"]}, ["○", "×"], ["1", "true"]),
    ("date", {}, ["2024-04-01", "2024-4-1", "2000-02-29"], ["令和6年4月1日", "2024/04/01", "2023-02-29", "R6.4.1"]),
    ("year", {}, ["2024", "1999"], ["24", "令和6", "20245"]),
    ("yearmonth", {}, ["2024-04", "2024-12"], ["2024-13", "2024/04", "2024"]),
    ("string", {}, ["anything", "１２３"], []),
    ("any", {}, ["x", "1"], []),
    ("time", {}, ["09:00:00", "23:59:59"], ["9時", "25:00:00", "09:00"]),
    ("geopoint", {}, ["139.7, 35.6", "135,34"], ["35.6", "north"]),
    ("date", {"format": "%Y/%m/%d"}, ["2024/04/01"], ["2024-04-01"]),
]


@pytest.mark.parametrize("ftype, options, good, bad", TYPE_CASES)
def test_type_errors(tmp_path, ftype, options, good, bad):
    field = {"name": "v", "type": ftype, **options}
    report = run(tmp_path, csv_of("v", good + bad), [{"name": "no"}, field])
    flagged = [value for _, _, value in hits(report, "type-error")]
    assert flagged == bad
    assert all(f.severity == "error" for f in report.findings)


def test_type_error_rows_are_file_lines(tmp_path):
    report = run(tmp_path, "ID,n\nA,1\nB,x\nC,2\nD,y\n", [{"name": "ID"}, {"name": "n", "type": "integer"}])
    assert hits(report, "type-error") == [(3, "n", "x"), (5, "n", "y")]


def test_missing_values(tmp_path):
    fields = [{"name": "no"}, {"name": "n", "type": "integer", "constraints": {"required": True}}]
    report = run(tmp_path, csv_of("n", ["1", "-", "", "NA"]), fields, missingValues=["", "-"])
    assert hits(report, "type-error") == [(5, "n", "NA")]
    assert [r for r, _, _ in hits(report, "constraint-error")] == [3, 4]


# --- constraints ------------------------------------------------------------

CONSTRAINT_CASES = [
    ("string", {"required": True}, ["a"], [""]),
    ("integer", {"minimum": 0}, ["0", "5"], ["-1"]),
    ("integer", {"maximum": 10}, ["10"], ["11"]),
    ("number", {"minimum": 20, "maximum": 46.5}, ["34.7", "46.5"], ["137.9", "19.99"]),
    ("number", {"exclusiveMinimum": 0}, ["0.1"], ["0"]),
    ("string", {"minLength": 2}, ["ab"], ["a"]),
    ("string", {"maxLength": 3}, ["abc"], ["abcd"]),
    ("string", {"pattern": "[0-9]{6}"}, ["011002"], ["11002", "０１１００２", "0110021"]),
    ("string", {"pattern": "a|b"}, ["a", "b", "ab"], ["c"]),  # frictionless: re.match("^a|b$")
    ("string", {"enum": ["1"]}, ["1"], ["○", "1.0", "0"]),
    ("integer", {"enum": [1, 2]}, ["1", "02"], ["3"]),
    ("date", {"minimum": "2020-01-01"}, ["2020-01-01"], ["2019-12-31"]),
    ("string", {"pattern": "(?!x)[a-z]+"}, ["abc"], ["xyz", "123"]),  # lookahead: Python re fallback
]


@pytest.mark.parametrize("ftype, constraints, good, bad", CONSTRAINT_CASES)
def test_constraint_errors(tmp_path, ftype, constraints, good, bad):
    field = {"name": "v", "type": ftype, "constraints": constraints}
    report = run(tmp_path, csv_of("v", good + bad), [{"name": "no"}, field])
    flagged = [value for _, _, value in hits(report, "constraint-error")]
    assert flagged == bad
    assert hits(report, "type-error") == []


def test_constraints_are_not_checked_on_type_errors(tmp_path):
    field = {"name": "v", "type": "integer", "constraints": {"minimum": 0}}
    report = run(tmp_path, csv_of("v", ["x", "-1"]), [{"name": "no"}, field])
    assert hits(report, "type-error") == [(2, "v", "x")]
    assert hits(report, "constraint-error") == [(3, "v", "-1")]


def test_unique(tmp_path):
    field = {"name": "ID", "type": "string", "constraints": {"unique": True}}
    report = run(tmp_path, csv_of("ID", ["A", "B", "A", "", "", "A"]), [{"name": "no"}, field])
    assert hits(report, "unique-error") == [(4, "ID", "A"), (7, "ID", "A")]
    assert "2" in report.findings[0].message_ja  # points at the first occurrence


def test_unique_compares_typed_values(tmp_path):
    field = {"name": "n", "type": "number", "constraints": {"unique": True}}
    report = run(tmp_path, csv_of("n", ["1", "1.0", "2"]), [{"name": "no"}, field])
    assert hits(report, "unique-error") == [(3, "n", "1.0")]


@pytest.mark.parametrize(
    "ftype, values, expected",
    [
        ("string", ["A", "B", "C", "D"], []),  # ascending: unique without hashing
        ("string", ["A", "", "A"], [(4, "ID", "A")]),  # an empty cell between hides nothing
        ("string", ["A", "B", "B"], [(4, "ID", "B")]),
        ("integer", ["1", "2", "x", "2"], [(5, "ID", "2")]),
    ],
)
def test_unique_in_ascending_and_nearly_ascending_columns(tmp_path, ftype, values, expected):
    field = {"name": "ID", "type": ftype, "constraints": {"unique": True}}
    report = run(tmp_path, csv_of("ID", values), [{"name": "no"}, field])
    assert hits(report, "unique-error") == expected


def test_no_unique_error_without_duplicates(tmp_path):
    field = {"name": "ID", "type": "string", "constraints": {"unique": True}}
    assert run(tmp_path, csv_of("ID", ["A", "B", "", ""]), [{"name": "no"}, field]).findings == []


def test_composite_primary_key(tmp_path):
    fields = [{"name": "地域コード"}, {"name": "調査年月日", "type": "date"}, {"name": "人口", "type": "integer"}]
    text = (
        "地域コード,調査年月日,人口\n"
        "001,2024-04-01,10\n"
        "001,2025-04-01,11\n"
        "001,2024-04-01,12\n"
        ",,13\n"
    )
    report = run(tmp_path, text, fields, primaryKey=["地域コード", "調査年月日"])
    assert [f.row for f in report.findings if f.code == "primary-key"] == [4, 5]


# --- header -----------------------------------------------------------------


def test_missing_label_with_did_you_mean_and_levels(tmp_path):
    fields = [
        {"name": "名称", "kokai:level": "required"},
        {"name": "所在地_連結表記", "kokai:level": "required"},
        {"name": "緯度", "kokai:level": "recommended"},
        {"name": "備考", "kokai:level": "optional"},
    ]
    report = run(tmp_path, "名称,所在地連結表記\nA,B\n", fields, name="s")
    missing = {f.field: f for f in report.findings if f.code == "missing-label"}
    assert missing["所在地_連結表記"].severity == "error"
    assert "所在地連結表記" in missing["所在地_連結表記"].message_ja  # did you mean
    assert missing["緯度"].severity == "warning"
    assert missing["備考"].severity == "info"
    [extra] = [f for f in report.findings if f.code == "extra-label"]
    assert extra.field == "所在地連結表記" and extra.severity == "warning"


def test_missing_label_without_level_is_an_error(tmp_path):
    report = run(tmp_path, "a\n1\n", [{"name": "a"}, {"name": "b"}])
    assert [(f.code, f.severity, f.field) for f in report.findings] == [("missing-label", "error", "b")]


def test_columns_are_matched_by_name_and_order_is_a_warning(tmp_path):
    fields = [{"name": "緯度", "type": "number"}, {"name": "経度", "type": "number"}]
    report = run(tmp_path, "経度,緯度\n137.7,34.7\n", fields)
    assert [(f.code, f.severity) for f in report.findings] == [("label_order", "warning")]


def test_label_written_in_full_width(tmp_path):
    report = run(tmp_path, "ＩＤ,名称\n1,a\n", [{"name": "ID"}, {"name": "名称"}])
    assert [(f.code, f.field, f.value) for f in report.findings] == [("label_not_exact", "ID", "ＩＤ")]


def test_recommended_pattern_is_a_warning(tmp_path):
    field = {"name": "POIコード", "kokai:recommendedPattern": "^[0-9]{4}$"}
    report = run(tmp_path, csv_of("POIコード", ["0101", "1402a", ""]), [{"name": "no"}, field])
    assert [(f.code, f.severity, f.value) for f in report.findings] == [
        ("pattern_expectation", "warning", "1402a")
    ]


def test_junk_lines_are_not_checked(tmp_path):
    field = {"name": "n", "type": "integer"}
    text = "地域,n\n本町,1\n,\n栄町,2\n合計,3\n"
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    table = read_table(path)
    report = Report()
    check_table_schema(table, {"fields": [{"name": "地域", "constraints": {"required": True}}, field]}, report)
    assert report.findings == []


def test_findings_are_capped_but_counted(tmp_path):
    n = MAX_FINDINGS_PER_CODE + 500
    report = run(tmp_path, csv_of("n", ["x"] * n), [{"name": "no"}, {"name": "n", "type": "integer"}])
    assert len(report.findings) == MAX_FINDINGS_PER_CODE
    assert report.codes()["type-error"] == n
    assert report.truncated


def test_invalid_schema_is_reported(tmp_path):
    report = run(tmp_path, "a\n1\n", [{"name": "a", "type": "money"}])
    assert [f.code for f in report.findings] == ["schema_invalid"]
    assert report.exit_code == 2


@pytest.mark.parametrize("name", bundled_names())
def test_bundled_schemas_pass_the_profile_check_that_is_skipped_for_them(name):
    """schema_fields skips the profile check (frictionless) for a bundled schema
    as shipped; that is right only while every bundled schema passes it."""
    schema = load_schema(name)
    assert is_bundled_as_shipped(schema)
    assert descriptor_problem(schema) is None
    changed = {**schema, "fields": schema["fields"][1:]}
    assert not is_bundled_as_shipped(changed)
