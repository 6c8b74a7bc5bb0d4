"""Renderers of a Report: text (terminal), JSON, JUnit XML, GitHub annotations.

They read only the Report, so a table, a GTFS feed or a data package renders
the same way, and a city's CI can gate pull requests on any of them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from xml.etree import ElementTree as ET

from kokai.validators.report import SEVERITIES, Finding, Report, Rule, Settings

FORMATS = ("text", "json", "junit", "github", "html")
EXAMPLES_PER_GROUP = 3

_SEVERITY_LABEL = {
    "ja": {"error": "エラー", "warning": "警告", "info": "情報"},
    "en": {"error": "error", "warning": "warning", "info": "info"},
}
_SEVERITY_MARK = {"error": "✗", "warning": "!", "info": "i"}


def render(report: Report, fmt: str = "text", lang: str = "ja") -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "junit":
        return render_junit(report, lang)
    if fmt == "github":
        return render_github(report, lang)
    if fmt == "text":
        return render_text(report, lang)
    if fmt == "html":  # a standalone page in Japanese (the staff page's download)
        from kokai.validators.render_html import render_html

        return render_html(report)
    raise ValueError(f"unknown format: {fmt}")


def render_json(report: Report) -> str:
    """Indented, with one finding per line: readable and diffable, and each finding
    goes through json's C encoder (indent= makes json encode in Python, which took
    a third of a second for a report of 5,000 findings)."""
    document = report.to_dict()
    findings = document.pop("findings")
    head = json.dumps(document, ensure_ascii=False, indent=2)
    lines = ",\n".join("    " + json.dumps(f, ensure_ascii=False) for f in findings)
    listed = f"[\n{lines}\n  ]" if findings else "[]"
    return f'{head[:-2]},\n  "findings": {listed}\n}}'


def _where(f: Finding, lang: str) -> str:
    parts = []
    if lang == "ja":
        if f.row is not None:
            parts.append(f"{f.row} 行目")
        if f.field:  # a sheet's column also by its letter: C列（電話番号）
            letter = f.params.get("column_letter")
            parts.append(f"{letter}列（{f.field}）" if letter else f"「{f.field}」")
        if f.value is not None and f.value != "":
            parts.append(f"値 {_short(f.value)!r}")
    else:
        if f.row is not None:
            parts.append(f"row {f.row}")
        if f.field:
            letter = f.params.get("column_letter")
            parts.append(f"column {letter} ({f.field!r})" if letter else f"field {f.field!r}")
        if f.value is not None and f.value != "":
            parts.append(f"value {_short(f.value)!r}")
    return " ".join(parts)


def _short(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _group(report: Report) -> dict[str | None, dict[tuple[str, str], list[Finding]]]:
    groups: dict[str | None, dict[tuple[str, str], list[Finding]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for f in report.findings:
        groups[f.path][(f.severity, f.code)].append(f)
    return groups


def _source_line(details: dict, lang: str) -> str:
    shown = {k: v for k, v in details.items() if v not in (None, "", [], {})}
    return ", ".join(f"{k}: {v}" for k, v in shown.items())


def settings_line(settings: Settings, lang: str = "ja") -> str:
    """One line that names the kokai.toml used (path, city, code), or says that
    none was, so that nobody mistakes another city's settings for their own."""
    if lang == "en":
        if settings.path is None:
            why = "ignored (--no-config)" if settings.ignored else "none found"
            return f"Settings: no kokai.toml used ({why}); no city-specific checks"
        city = ", ".join(x for x in (settings.city_name, settings.city_code and f"code {settings.city_code}") if x)
        return f"Settings: {settings.path} ({city or 'no city set'})"
    if settings.path is None:
        why = "--no-config で無視しました" if settings.ignored else "見つかりませんでした"
        return f"設定: kokai.toml は使っていません（{why}）。市の範囲・団体コードの検査はしていません"
    city = "、".join(x for x in (settings.city_name, settings.city_code and f"団体コード {settings.city_code}") if x)
    return f"設定: {settings.path}（{city or '市の設定なし'}）"


def render_text(report: Report, lang: str = "ja") -> str:
    labels = _SEVERITY_LABEL["en" if lang == "en" else "ja"]
    lines: list[str] = []
    if report.settings is not None:
        lines += [settings_line(report.settings, lang), ""]
    groups = _group(report)
    paths = [s.path for s in report.sources]
    paths += [p for p in groups if p not in paths]
    details = {s.path: s.details for s in report.sources}
    for path in paths:
        lines.append(f"== {path or '-'} ==")
        if details.get(path):
            lines.append("   " + _source_line(details[path], lang))
        by_code = groups.get(path, {})
        if not by_code:
            lines.append("   問題は見つかりませんでした。" if lang == "ja" else "   No problems found.")
        order = sorted(by_code, key=lambda k: (SEVERITIES.index(k[0]), k[1]))
        for severity, code in order:
            findings = by_code[(severity, code)]
            total = report.counts[(path, code, severity)]
            rule = findings[0].machine_readability
            rule_txt = f" [{rule}]" if rule else ""
            count_txt = f"{total} 件" if lang == "ja" else f"{total}×"
            lines.append(
                f" {_SEVERITY_MARK[severity]} {labels[severity]} {code}{rule_txt}: {count_txt}"
            )
            for f in findings[:EXAMPLES_PER_GROUP]:
                where = _where(f, lang)
                lines.append(f"     - {where + ': ' if where else ''}{f.message(lang)}")
            rest = total - min(len(findings), EXAMPLES_PER_GROUP)
            if rest > 0:
                lines.append(f"     … ほか {rest} 件" if lang == "ja" else f"     … and {rest} more")
        lines.append("")
    e, w, i = (report.total(s) for s in SEVERITIES)
    if lang == "ja":
        verdict = "公開できます" if report.valid else "公開できません（エラーを直してください）"
        lines.append(f"結果: エラー {e} 件、警告 {w} 件、情報 {i} 件 — {verdict}")
    else:
        verdict = "valid" if report.valid else "invalid: fix the errors"
        lines.append(f"Result: {e} errors, {w} warnings, {i} infos — {verdict}")
    return "\n".join(lines)


def render_junit(report: Report, lang: str = "ja") -> str:
    """One <testsuite> per input, one <testcase> per problem code (a clean input
    gets one passing testcase, so CI dashboards count it)."""
    root = ET.Element("testsuites", name="kokai")
    groups = _group(report)
    paths = [s.path for s in report.sources] + [p for p in groups if p not in {s.path for s in report.sources}]
    total_tests = total_failures = 0
    for path in paths:
        by_code = groups.get(path, {})
        suite = ET.SubElement(root, "testsuite", name=path or "-")
        if report.settings is not None:
            _junit_settings(suite, report.settings, lang)
        failures = 0
        if not by_code:
            ET.SubElement(suite, "testcase", classname=path or "-", name="valid")
        for (severity, code), findings in sorted(by_code.items()):
            case = ET.SubElement(suite, "testcase", classname=path or "-", name=code)
            body = "\n".join(f"{_where(f, lang)}: {f.message(lang)}" for f in findings)
            total = report.counts[(path, code, severity)]
            if severity == "error":
                failures += 1
                fail = ET.SubElement(
                    case, "failure", type=code, message=f"{total} × {findings[0].message(lang)}"
                )
                fail.text = body
            else:
                out = ET.SubElement(case, "system-out")
                out.text = f"[{severity}] {total} ×\n{body}"
        tests = max(1, len(by_code))
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        total_tests += tests
        total_failures += failures
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def _junit_settings(suite: ET.Element, settings: Settings, lang: str) -> None:
    """The settings as <properties> of a testsuite (JUnit has no place for them
    on <testsuites>): kokai.toml = its path or "none", the city, and the line."""
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="kokai.toml", value=settings.path or "none")
    if settings.path is not None:
        ET.SubElement(props, "property", name="city_name", value=settings.city_name)
        ET.SubElement(props, "property", name="city_code", value=settings.city_code)
    ET.SubElement(props, "property", name="settings", value=settings_line(settings, lang))


def _gh_escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_escape_property(text: str) -> str:
    return _gh_escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report, lang: str = "ja") -> str:
    """GitHub Actions workflow commands (::error file=…,line=…::message)."""
    level = {"error": "error", "warning": "warning", "info": "notice"}
    lines = []
    if report.settings is not None:
        lines.append(f"::notice title=kokai.toml::{_gh_escape_data(settings_line(report.settings, lang))}")
    feeds = [s.path for s in report.sources if s.kind == "gtfs"]
    for f in report.findings:
        path, row, member = f.path, f.row, ""
        if len(feeds) == 1 and path and "/" not in path and path.endswith(".txt"):
            # A feed's findings name its member files: point at the feed in the repository
            # (the member file of a folder; the zip itself, with the member in the title).
            feed = feeds[0]
            if feed.lower().endswith(".zip"):
                path, row, member = feed, None, f" ({f.path}" + (f" line {f.row})" if f.row else ")")
            else:
                path = f"{feed.rstrip('/')}/{f.path}"
        props = []
        if path:
            props.append(f"file={_gh_escape_property(path)}")
        if row is not None:
            props.append(f"line={row}")
        props.append(f"title={_gh_escape_property(f.code + (' ' + f.field if f.field else '') + member)}")
        lines.append(f"::{level[f.severity]} {','.join(props)}::{_gh_escape_data(f.message(lang))}")
    return "\n".join(lines)


def render_rules(rules: Iterable[Rule], fmt: str = "text") -> str:
    """The rules (`kokai.rules.all_rules()`): code, severity, source,
    machine-readability ID, message."""
    rules = sorted(rules, key=lambda r: (r.source, r.code))
    if fmt == "json":
        return json.dumps(
            [
                {
                    "code": r.code,
                    "severity": r.severity,
                    "source": r.source,
                    "machine_readability_rule": r.machine_readability,
                    "message": {"ja": r.ja, "en": r.en},
                }
                for r in rules
            ],
            ensure_ascii=False,
            indent=2,
        )
    if fmt == "markdown":
        rows = ["| code | severity | source | 機械可読性ルール | message (ja) |", "|---|---|---|---|---|"]
        for r in rules:
            msg = r.ja.replace("|", "\\|").replace("\n", " ")
            rows.append(f"| `{r.code}` | {r.severity} | {r.source} | {r.machine_readability or ''} | {msg} |")
        by_id: dict[str, list[str]] = defaultdict(list)
        for r in rules:
            if r.machine_readability:
                by_id[r.machine_readability].append(f"`{r.code}`")
        rows += ["", "機械可読性ルール ID → codes:", "", "| ID | codes |", "|---|---|"]
        rows += [f"| {rule_id} | {', '.join(codes)} |" for rule_id, codes in sorted(by_id.items())]
        return "\n".join(rows)
    return "\n".join(
        f"{r.code:<45} {r.severity:<8} {r.source:<14} {r.machine_readability or '':<6} {r.ja}" for r in rules
    )
