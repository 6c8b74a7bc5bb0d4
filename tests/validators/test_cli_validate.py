"""`kokai validate` end to end: output formats, --schema, --lang, exit codes,
data package folders."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest

from kokai.cli import main

SHELTERS = (
    "NO,共通ID,施設・場所名,住所,指定緊急避難場所との住所同一,その他市町村長が必要と認める事項,"
    "受入対象者,緯度,経度,備考\n"
    "1,E2299900001111,潮見第一小学校,静岡県潮見市本町2-8-1,1,,,34.714075,137.958703,\n"
    "2,E2299900002111,潮見公民館,静岡県潮見市西町450,,,要配慮者,34.705441,137.936194,\n"
)
BROKEN = SHELTERS + "3,E2299900003111,,静岡県潮見市東町1,○,,,北緯34度,137.9,\n"


@pytest.fixture(autouse=True)
def no_city_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no kokai.toml above: no city bbox


def write(tmp_path, text: str, name: str = "shelters.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(capsys, *args: str) -> tuple[int, str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out


def test_valid_file_exits_0_with_the_detected_schema(tmp_path, capsys):
    code, out = run(capsys, write(tmp_path, SHELTERS), "--format", "json")
    report = json.loads(out)
    assert code == 0
    assert report["valid"] is True
    [source] = report["sources"]
    assert source["schema"] == "gsi-shelters"
    assert source["confidence"] == 1.0
    assert [f["code"] for f in report["findings"]] == ["schema_detected"]


def test_json_shape(tmp_path, capsys):
    code, out = run(capsys, write(tmp_path, BROKEN), "--format", "json")
    report = json.loads(out)
    assert code == 1
    assert report["valid"] is False
    assert report["findings"]
    for finding in report["findings"]:
        assert {"code", "severity", "path", "row", "field", "value", "message"} <= finding.keys()
        assert finding["severity"] in ("error", "warning", "info")
        assert finding["message"]["ja"] and finding["message"]["en"]
    by_code = {(f["code"], f["field"]): f for f in report["findings"]}
    required = by_code[("constraint-error", "施設・場所名")]
    assert required["row"] == 4 and required["path"].endswith("shelters.csv")
    assert ("type-error", "緯度") in by_code


def test_text_report_is_japanese_by_default_and_english_on_request(tmp_path, capsys):
    path = write(tmp_path, BROKEN)
    code, out = run(capsys, path)
    assert code == 1
    assert "エラー" in out and "4 行目" in out
    code, out = run(capsys, path, "--lang", "en")
    assert code == 1
    assert "error" in out and "row 4" in out and "エラー" not in out


def test_junit_output(tmp_path, capsys):
    code, out = run(capsys, write(tmp_path, BROKEN), "--format", "junit")
    assert code == 1
    root = ET.fromstring(out.split("\n", 1)[1])
    assert int(root.get("failures")) >= 1
    names = {case.get("name") for case in root.iter("testcase")}
    assert "constraint-error" in names


def test_github_output(tmp_path, capsys):
    code, out = run(capsys, write(tmp_path, BROKEN), "--format", "github")
    assert code == 1
    lines = out.strip().splitlines()
    assert any(line.startswith("::error file=") and "line=4" in line for line in lines)


def test_schema_by_name(tmp_path, capsys):
    code, out = run(capsys, write(tmp_path, SHELTERS), "--schema", "evacuation-sites", "--format", "json")
    report = json.loads(out)
    assert code == 1  # the required 03 columns are missing
    assert report["sources"][0]["schema"] == "evacuation-sites"
    missing = {f["field"] for f in report["findings"] if f["code"] == "missing-label" and f["severity"] == "error"}
    assert "名称" in missing and "所在地_連結表記" in missing


def test_schema_by_path(tmp_path, capsys):
    schema = tmp_path / "my.json"
    schema.write_text(
        json.dumps({"fields": [{"name": "a", "type": "integer"}, {"name": "b", "type": "date"}]}),
        encoding="utf-8",
    )
    good = write(tmp_path, "a,b\n1,2024-04-01\n", "good.csv")
    bad = write(tmp_path, "a,b\n1,2024/04/01\n", "bad.csv")
    assert run(capsys, good, "--schema", str(schema))[0] == 0
    code, out = run(capsys, bad, "--schema", str(schema), "--format", "json")
    assert code == 1
    errors = [(f["row"], f["field"]) for f in json.loads(out)["findings"] if f["severity"] == "error"]
    # a type-error, or a more specific Japanese date finding in its place (one cell, one error)
    assert errors == [(2, "b")]


def test_several_paths_and_a_missing_one_exit_2(tmp_path, capsys):
    code, out = run(capsys, write(tmp_path, SHELTERS), str(tmp_path / "missing.csv"), "--format", "json")
    assert code == 2
    assert {s["path"].rsplit("/", 1)[-1] for s in json.loads(out)["sources"]} == {"shelters.csv"}


def write_package(folder, schema="gsi-shelters", extra: str = "", data: str = SHELTERS, feed=False):
    folder.mkdir()
    if feed:
        (folder / "feed").mkdir()
    (folder / "shelters.csv").write_text(data, encoding="utf-8")
    (folder / "datapackage.yaml").write_text(
        "name: shelters\n"
        "title: 指定避難所一覧\n"
        "description: 潮見市の指定避難所の一覧です。\n"
        "licenses:\n  - name: CC-BY-4.0\n"
        "keywords: [避難所, 防災]\n"
        "kokai:organization: shiomi-city-bousai\n"
        "kokai:update_frequency: 随時\n"
        "kokai:spatial: [137.88, 34.665, 138.04, 34.755]\n"
        f"{extra}"
        "resources:\n"
        "  - name: shelters\n    path: shelters.csv\n    format: csv\n"
        f"    schema: {schema}\n"
        + ("  - name: bus\n    path: feed\n    format: gtfs\n" if feed else ""),
        encoding="utf-8",
    )
    return str(folder)


def test_valid_data_package(tmp_path, capsys):
    code, out = run(capsys, write_package(tmp_path / "ds"), "--format", "json")
    report = json.loads(out)
    assert code == 0, out
    kinds = [s["kind"] for s in report["sources"]]
    assert kinds == ["datapackage", "table"]
    assert report["sources"][1]["schema"] == "gsi-shelters"
    assert report["findings"] == []


def test_gtfs_resource_skipped_without_a_feed_validator(tmp_path):
    from kokai.validators.table import validate_paths

    report = validate_paths([write_package(tmp_path / "ds", feed=True)])
    assert [f.code for f in report.findings] == ["resource_gtfs_skipped"]
    assert report.exit_code == 0


def test_data_package_with_a_schema_file_and_bad_metadata(tmp_path, capsys):
    folder = tmp_path / "ds"
    write_package(folder, schema="schema.json", data=BROKEN)
    (folder / "schema.json").write_text(
        json.dumps({"fields": [{"name": "NO", "type": "integer"}, {"name": "緯度", "type": "number"}]}),
        encoding="utf-8",
    )
    text = (folder / "datapackage.yaml").read_text(encoding="utf-8")
    text = text.replace("title: 指定避難所一覧\n", "title: Shelters\n").replace("kokai:spatial: [137.88, 34.665, 138.04, 34.755]\n", "kokai:spatial: [138, 34]\n")
    (folder / "datapackage.yaml").write_text(text, encoding="utf-8")
    code, out = run(capsys, str(folder), "--format", "json")
    report = json.loads(out)
    assert code == 1
    codes = {(f["code"], f["field"]) for f in report["findings"]}
    assert ("package_not_japanese", "title") in codes
    assert ("package_field_invalid", "kokai:spatial") in codes
    assert ("type-error", "緯度") in codes
    assert ("extra-label", "施設・場所名") in codes


def test_data_package_missing_metadata_and_resource(tmp_path, capsys):
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "datapackage.yaml").write_text(
        "resources:\n  - name: x\n    path: nothing.csv\n", encoding="utf-8"
    )
    code, out = run(capsys, str(folder), "--format", "json")
    report = json.loads(out)
    assert code == 2  # a resource file that does not exist cannot be read
    missing = {f["field"] for f in report["findings"] if f["code"] == "package_field_missing"}
    assert {"title", "description", "licenses"} <= missing
    assert "resource_missing" in {f["code"] for f in report["findings"]}


def test_schemas_command(capsys):
    assert main(["schemas", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {s["name"] for s in listed} >= {"evacuation-sites", "population-by-area-age"}


def test_other_files_are_skipped_but_spreadsheets_are_refused(tmp_path, capsys):
    notes = tmp_path / "README.md"
    notes.write_text("# データについて\n\n説明です。\n", encoding="utf-8")
    code, out = run(capsys, str(notes), "--format", "json")
    assert code == 0
    assert [f["code"] for f in json.loads(out)["findings"]] == ["not_a_table"]
    book = tmp_path / "shelters.xlsx"
    book.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    code, out = run(capsys, str(book))
    assert code == 2
    assert "CSV" in out


def test_data_package_with_an_inline_schema(tmp_path, capsys):
    folder = tmp_path / "ds"
    write_package(folder, data="a,b\n1,x\n2,y\n")
    text = (folder / "datapackage.yaml").read_text(encoding="utf-8")
    inline = (
        "\n      fields:\n        - {name: a, type: integer}\n"
        "        - {name: b, type: string, constraints: {enum: [x]}}\n"
    )
    (folder / "datapackage.yaml").write_text(text.replace(" gsi-shelters\n", inline), encoding="utf-8")
    code, out = run(capsys, str(folder), "--format", "json")
    assert code == 1
    errors = [(f["code"], f["row"], f["field"]) for f in json.loads(out)["findings"] if f["severity"] == "error"]
    assert errors == [("constraint-error", 3, "b")]


def test_package_metadata_gives_the_city_bbox():
    from kokai.validators.datapackage import check_metadata
    from kokai.validators.table import context_from

    descriptor = {
        "title": "避難所", "description": "説明", "licenses": [{"name": "CC-BY-4.0"}],
        "resources": [{"path": "a.csv"}], "keywords": ["防災"], "kokai:organization": "x",
        "kokai:update_frequency": "随時", "kokai:spatial": [137.88, 34.665, 138.04, 34.755],
    }  # fmt: skip
    findings, bbox = check_metadata(descriptor, "datapackage.yaml")
    assert findings == []
    assert context_from(None, bbox).city_bbox == (137.88, 34.665, 138.04, 34.755)
    # latitude written first: 137.8 is no latitude
    findings, bbox = check_metadata({**descriptor, "kokai:spatial": [34.6, 137.8, 34.7, 137.9]}, "p")
    assert bbox is None
    assert [(f.code, f.field) for f in findings] == [("package_field_invalid", "kokai:spatial")]
