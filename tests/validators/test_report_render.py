import json
from xml.etree import ElementTree as ET

from kokai.validators.render import render, render_rules
from kokai.validators.report import MAX_FINDINGS_PER_CODE, Report, Rule

BAD_DATE = Rule(
    "test_bad_date", "error", "{field} の日付 {value} は ISO 形式 {iso} にしてください",
    "Write {field} as the ISO date {iso}", machine_readability="L3-05", source="test",
)
ODD_SPACE = Rule("test_odd_space", "warning", "全角スペースがあります", "Ideographic space", source="test")
UNREADABLE = Rule("test_unreadable", "error", "読めません", "Cannot read", source="test", fatal=True)
RULES_UNDER_TEST = (BAD_DATE, ODD_SPACE, UNREADABLE)


def sample_report() -> Report:
    report = Report()
    report.add_source("a.csv", "table", encoding="cp932", schema="evacuation-sites")
    report.add(BAD_DATE.finding(path="a.csv", row=3, field="調査年月日", value="令和5年4月1日", iso="2023-04-01"))
    report.add(ODD_SPACE.finding(path="a.csv", row=4, field="名称", value="A\u3000B"))
    return report


def test_rule_formats_both_languages():
    f = BAD_DATE.finding(path="a.csv", row=3, field="調査年月日", value="R5.4.1", iso="2023-04-01")
    assert f.message_ja == "調査年月日 の日付 R5.4.1 は ISO 形式 2023-04-01 にしてください"
    assert f.message_en == "Write 調査年月日 as the ISO date 2023-04-01"
    assert f.to_dict()["machine_readability_rule"] == "L3-05"


def test_unknown_placeholder_stays_visible():
    f = BAD_DATE.finding(path="a.csv")
    assert "{iso}" in f.message_ja


def test_exit_codes():
    assert Report().exit_code == 0
    warn_only = Report()
    warn_only.add(ODD_SPACE.finding(path="x"))
    assert warn_only.exit_code == 0 and warn_only.valid
    assert sample_report().exit_code == 1
    fatal = sample_report()
    fatal.add(UNREADABLE.finding(path="b.csv"))
    assert fatal.exit_code == 2


def test_findings_capped_but_counted():
    report = Report()
    for row in range(2, MAX_FINDINGS_PER_CODE + 12):
        report.add(ODD_SPACE.finding(path="big.csv", row=row))
    assert len(report.findings) == MAX_FINDINGS_PER_CODE
    assert report.total("warning") == MAX_FINDINGS_PER_CODE + 10
    doc = report.to_dict()
    assert doc["summary"]["truncated"] is True
    assert doc["summary"]["by_code"]["test_odd_space"]["count"] == MAX_FINDINGS_PER_CODE + 10


def test_json_shape():
    doc = json.loads(render(sample_report(), "json"))
    assert doc["valid"] is False
    first = doc["findings"][0]
    assert set(first) >= {"code", "severity", "path", "row", "field", "value", "message"}
    assert set(first["message"]) == {"ja", "en"}
    assert doc["sources"][0] == {"path": "a.csv", "kind": "table", "encoding": "cp932",
                                 "schema": "evacuation-sites"}


def test_text_groups_with_counts_in_japanese_and_english():
    report = sample_report()
    for row in range(5, 10):
        report.add(BAD_DATE.finding(path="a.csv", row=row, field="調査年月日", value="R5.4.1", iso="2023-04-01"))
    ja = render(report, "text", "ja")
    assert "test_bad_date [L3-05]: 6 件" in ja
    assert "… ほか 3 件" in ja
    assert "公開できません" in ja
    en = render(report, "text", "en")
    assert "6×" in en and "and 3 more" in en and "invalid" in en


def test_junit_counts_failures_per_code():
    root = ET.fromstring(render(sample_report(), "junit").split("\n", 1)[1])
    suite = root.find("testsuite")
    assert suite.get("name") == "a.csv"
    assert suite.get("failures") == "1" and suite.get("tests") == "2"
    failure = suite.find("testcase[@name='test_bad_date']/failure")
    assert failure is not None and "2023-04-01" in failure.text


def test_junit_clean_input_has_one_passing_case():
    report = Report()
    report.add_source("ok.csv", "table")
    root = ET.fromstring(render(report, "junit").split("\n", 1)[1])
    assert root.get("tests") == "1" and root.get("failures") == "0"


def test_github_annotations_escape_properties_and_data():
    report = Report()
    report.add(BAD_DATE.finding(path="dir,x:y.csv", row=7, field="f", value="v", iso="100%\nnext"))
    line = render(report, "github")
    assert line.startswith("::error file=dir%2Cx%3Ay.csv,line=7,title=test_bad_date f::")
    assert "100%25%0Anext" in line and "\n" not in line


def test_rules_listing_contains_declared_rules():
    assert "test_bad_date" in render_rules(RULES_UNDER_TEST, "text")
    md = render_rules(RULES_UNDER_TEST, "markdown")
    assert "| `test_bad_date` | error | test | L3-05 |" in md
    assert any(r["code"] == "test_unreadable" for r in json.loads(render_rules(RULES_UNDER_TEST, "json")))
