"""The staff renderers of a Report: grouped problems, standalone HTML, CSV."""

from __future__ import annotations

import csv
import io

from kokai.validators.render_html import (
    CSV_HEADER,
    problem_groups,
    render_csv,
    render_html,
    split_message,
)
from kokai.validators.report import MAX_FINDINGS_PER_CODE, Report, Rule, Settings

FLAG = Rule(
    "flag_value", "error",
    "{field} の「{value}」はフラグの書き方ではありません。「1」と書いてください。",
    "{field}: '{value}' is not a flag. Write 1.",
    machine_readability="L2-04",
)  # fmt: skip
PHONE = Rule("phone_format", "warning", "電話番号「{value}」の書き方を確かめてください。", "check the phone number")
DETECTED = Rule("schema_detected", "info", "スキーマ {schema} で検査しました。", "checked with {schema}")


def report_with(flags: int, phones: int = 0) -> Report:
    report = Report(settings=Settings(path="/city/kokai.toml", city_name="潮見市", city_code="229997"))
    report.add_source("shelters.csv", "table", encoding="cp932")
    for i in range(flags):
        report.add(FLAG.finding(path="shelters.csv", row=i + 2, field="災害種別_洪水", value="○"))
    for i in range(phones):
        report.add(
            PHONE.finding(path="shelters.csv", row=i + 2, field="電話番号", value="053<b>", column_letter="Q")
        )
    report.add(DETECTED.finding(path="shelters.csv", schema="evacuation-sites"))
    return report


def test_groups_are_capped_with_the_full_count():
    report = report_with(MAX_FINDINGS_PER_CODE + 500, phones=3)
    groups = problem_groups(report, limit=50)
    assert [(g.severity, g.code) for g in groups] == [
        ("error", "flag_value"), ("warning", "phone_format"), ("info", "schema_detected"),
    ]  # fmt: skip
    flags = groups[0]
    assert flags.total == MAX_FINDINGS_PER_CODE + 500  # counted, not only the kept ones
    assert len(flags.problems) == 50 and flags.rest == MAX_FINDINGS_PER_CODE + 450
    assert [p.row for p in flags.problems[:3]] == [2, 3, 4]
    assert flags.problems[0].column == "「災害種別_洪水」" and flags.problems[0].value == "○"
    assert groups[1].problems[0].column == "Q列（電話番号）"
    assert groups[1].rest == 0


def test_split_message_into_problem_and_fix():
    assert split_message("AはBです。Cにしてください。") == ("AはBです。", "Cにしてください。")
    only = "Cにしてください。"
    assert split_message(only) == (only, only)
    assert split_message("スキーマで検査しました。") == ("スキーマで検査しました。", "")


def test_standalone_html():
    html = render_html(report_with(120, phones=1), title="検証結果: shelters.csv", limit=50)
    assert html.startswith("<!DOCTYPE html>") and '<html lang="ja">' in html
    assert "<script" not in html and "<link" not in html  # self-contained
    assert "公開できません" in html and "公開できます" not in html
    assert "エラー 120 件、警告 1 件、情報 1 件" in html
    assert "ほか 70 件" in html
    assert "053&lt;b&gt;" in html and "053<b>" not in html  # values are escaped
    assert "設定: /city/kokai.toml（潮見市、団体コード 229997）" in html
    assert html.count("<tr><td>") == 50 + 1 + 1  # capped flags, the phone, the info


def test_publishable_with_warnings():
    html = render_html(report_with(0, phones=2))
    assert "公開できます" in html and "公開できません" not in html
    assert "<h2>警告（2 件）</h2>" in html and "<h2>エラー" not in html


def test_csv_export():
    text = render_csv(report_with(MAX_FINDINGS_PER_CODE + 5, phones=1))
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_HEADER
    flags = [r for r in rows if r[1] == "flag_value"]
    assert len(flags) == MAX_FINDINGS_PER_CODE + 1  # every kept finding, then the rest counted
    assert flags[0] == ["エラー", "flag_value", "災害種別_洪水 の「○」はフラグの書き方ではありません。",
                        "2", "「災害種別_洪水」", "○", "「1」と書いてください。"]  # fmt: skip
    assert flags[-1][2].startswith("ほか 5 件")
    phone = next(r for r in rows if r[1] == "phone_format")
    assert phone[0] == "警告" and phone[4] == "Q列（電話番号）" and phone[5] == "053<b>"


def test_kokai_validate_writes_the_html_report(tmp_path, capsys):
    from kokai.cli import main

    table = tmp_path / "避難所.csv"
    table.write_text("NO,施設・場所名,住所,緯度,経度\n1,第一小学校,本町1-1,34.7,137.9\n合計,1,,,\n", "utf-8")
    assert main(["--no-config", "validate", str(table), "--format", "html"]) == 1
    page = capsys.readouterr().out
    assert page.startswith("<!DOCTYPE html>") and 'lang="ja"' in page
    assert "totals_row" in page and "3 行目" in page
