"""A broken Table Schema is the author's mistake, `schema_invalid`, never a
kokai bug (`internal_error`, exit 3); and header problems name the line the
header is on."""

from __future__ import annotations

import json

import pytest

from kokai.validators.table import validate_paths

BAD_CONSTRAINTS = [
    ("string", {"enum": 5}),
    ("string", {"pattern": "("}),
    ("string", {"maxLength": "2"}),
    ("integer", {"minimum": "abc"}),
    ("integer", {"required": "yes"}),
]


def _schema(field_type: str, constraints: dict) -> str:
    return json.dumps({"fields": [{"name": "名称", "type": field_type, "constraints": constraints}]})


@pytest.mark.parametrize(("field_type", "constraints"), BAD_CONSTRAINTS)
def test_a_bad_schema_given_for_a_file_is_schema_invalid(tmp_path, field_type, constraints):
    (tmp_path / "schema.json").write_text(_schema(field_type, constraints), encoding="utf-8")
    (tmp_path / "t.csv").write_text("名称\n潮見市役所\n", encoding="utf-8")
    report = validate_paths([str(tmp_path / "t.csv")], schema=str(tmp_path / "schema.json"))
    assert not set(report.codes()) & {"internal_error", "read_failed"}
    [finding] = [f for f in report.findings if f.code == "schema_invalid"]
    assert finding.path.endswith("t.csv") and finding.row is None
    assert report.exit_code == 2  # schema_invalid: the file could not be checked


@pytest.mark.parametrize(("field_type", "constraints"), BAD_CONSTRAINTS)
def test_a_bad_schema_in_a_data_package_is_schema_invalid(tmp_path, field_type, constraints):
    (tmp_path / "schema.json").write_text(_schema(field_type, constraints), encoding="utf-8")
    (tmp_path / "t.csv").write_text("名称\n潮見市役所\n", encoding="utf-8")
    (tmp_path / "datapackage.yaml").write_text(
        "name: t\ntitle: 施設\nresources:\n  - name: t\n    path: t.csv\n    schema: schema.json\n",
        encoding="utf-8",
    )
    report = validate_paths([str(tmp_path)])
    assert not set(report.codes()) & {"internal_error", "read_failed"}
    assert "schema_invalid" in report.codes()
    assert report.exit_code == 2  # schema_invalid: the file could not be checked


@pytest.mark.parametrize("bad", ["名称,,名称", ",名称,名称"])
def test_header_problems_name_the_line_the_header_is_on(tmp_path, bad):
    path = tmp_path / "h.csv"
    path.write_text(f"潮見市 公共施設一覧\n{bad}\nA,B,C\n", encoding="utf-8")
    report = validate_paths([str(path)])
    rows = {f.code: f.row for f in report.findings if f.code in ("blank-label", "duplicate-label")}
    assert rows == {"blank-label": 2, "duplicate-label": 2}
