"""Header names and cells from a file are data, never code: polars reads a
column name `*` as "every column" and `^…$` as a regular expression, so a
check that selected columns by their header name could crash or check the
wrong column. Whatever the header and the cells, `validate_paths` and
`fix_file` return a Report without an internal error."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kokai.validators.fix import fix_file
from kokai.validators.report import Report
from kokai.validators.table import validate_paths

# names polars would read as patterns, names kokai uses for its own columns,
# names of standard columns (so that the Japanese rules and schemas apply)
SPECIAL_NAMES = [
    "*", "^a.*$", "^.*$", "^$", "(?i)x", "[", "a|b", "$", "^", "\\", "", " ",
    "__col1", "__col2", "line", "__line", "__kokai_line", "c0", "c1", "f0", "__m0", "__pos",
    "ID", "名称", "緯度", "経度", "全国地方公共団体コード", "災害種別_洪水", "郵便番号",
    "電話番号", "想定収容人数", "更新日", "法人番号", "総人口", "男性", "女性", "0-4歳の男性",
]  # fmt: skip
SPECIAL_CELLS = [
    "", "○", "×", "△", "1", "-5", "3階", "1,200", "１２", "令和5年4月1日", "2023/4/1",
    "35.6", "139.7", "10", "229997", "22999", "6000020212016", "123-4567", "078-111-2222",
    "*", "^a.*$", "a\nb", '"', "①", "\u3000x",
]  # fmt: skip

names = st.one_of(st.sampled_from(SPECIAL_NAMES), st.text(max_size=6))
cells = st.one_of(st.sampled_from(SPECIAL_CELLS), st.text(max_size=10))
tables = st.tuples(
    st.lists(names, min_size=1, max_size=7),
    st.lists(st.lists(cells, max_size=9), max_size=8),
)
SCHEMA_TYPES = ["string", "integer", "number", "boolean", "date", "year", "any"]


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def no_bug(report: Report) -> None:
    assert isinstance(report, Report)
    bugs = [f.to_dict() for f in report.findings if f.rule.bug]
    assert not bugs, bugs
    json.dumps(report.to_dict(), ensure_ascii=False)  # every parameter renders


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    table=tables,
    schema=st.sampled_from([None, "evacuation-sites", "population-by-area-age", "own"]),
    types=st.lists(st.sampled_from(SCHEMA_TYPES), min_size=7, max_size=7),
    unique=st.booleans(),
)
def test_any_header_and_cells_give_a_report(table, schema, types, unique):
    header, rows = table
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "t.csv"
        path.write_text(csv_text(header, rows), encoding="utf-8")
        if schema == "own":  # a schema whose field names are the header's, patterns and all
            fields = [
                {"name": name, "type": kind, "constraints": {"unique": unique, "required": unique}}
                for name, kind in zip(dict.fromkeys(header), types, strict=False)
            ]
            schema_file = folder / "schema.json"
            schema_file.write_text(
                json.dumps({"fields": fields, "primaryKey": [f["name"] for f in fields[:2]]}),
                encoding="utf-8",
            )
            schema = str(schema_file)
        no_bug(validate_paths([str(path)], schema=schema))
        no_bug(fix_file(path, folder / "out" / "fixed.csv", schema=schema))


def test_pattern_like_names_are_checked_as_their_own_columns(tmp_path):
    # `*` holds a flag symbol, `^a.*$` a wareki date: each finding names its column
    path = tmp_path / "t.csv"
    path.write_text("*,^a.*$,名称\n○,令和5年4月1日,a\n", encoding="utf-8")
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"fields": [
        {"name": "*", "type": "string", "kokai:role": "flag"},
        {"name": "^a.*$", "type": "date"},
        {"name": "名称", "type": "string"},
    ]}), encoding="utf-8")  # fmt: skip
    report = validate_paths([str(path)], schema=str(schema))
    no_bug(report)
    found = {(f.code, f.field) for f in report.findings}
    assert ("flag_value", "*") in found
    assert ("wareki_date", "^a.*$") in found
    assert ("type-error", "^a.*$") not in found  # the Japanese rule explains the cell
    out = tmp_path / "fixed.csv"
    no_bug(fix_file(path, out, schema=str(schema)))
    assert out.read_text(encoding="utf-8") == "*,^a.*$,名称\n1,2023-04-01,a\n"
