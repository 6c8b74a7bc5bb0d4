"""The Report for staff: grouped by problem, as a standalone HTML page and as CSV.

Like the other renderers (kokai.validators.render) these read only the Report.
`problem_groups` is the shared view: one group per (file, severity, code) with
its full count and at most `limit` examples, each with its row, its column (a
sheet's as Excel's letter: 「C列（電話番号）」), its value (already masked by
the personal-data check where personal) and its message split into the
problem and what to do. The staff report page renders the same groups, so a
million findings never become a million table rows.

- `render_html(report, title)`: one self-contained HTML document (styles
  inside, no scripts), to download and keep or pass on;
- `render_csv(report)`: 重大度, コード, 問題, 行, 列, 値, 直し方 — one line per
  kept finding, then one line per problem whose other occurrences were only
  counted. The caller encodes it as UTF-8 with a BOM so that Excel opens it.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

import jinja2

from kokai.validators.render import settings_line
from kokai.validators.report import SEVERITIES, Finding, Report

EXAMPLES_PER_PROBLEM = 50
SEVERITY_LABELS = {"error": "エラー", "warning": "警告", "info": "情報"}
CSV_HEADER = ("重大度", "コード", "問題", "行", "列", "値", "直し方")
VALUE_LIMIT = 80
_SENTENCE = re.compile(r"[^。]+。?")


@dataclass(frozen=True)
class Problem:
    """One finding as a line of the report."""

    row: int | None
    column: str  # "C列（電話番号）", "「電話番号」" or ""
    field: str | None
    value: str
    problem: str
    fix: str
    message: str


@dataclass
class ProblemGroup:
    """Every finding of one code and severity in one file."""

    path: str | None
    severity: str
    code: str
    total: int
    machine_readability: str | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS.get(self.severity, self.severity)

    @property
    def rest(self) -> int:
        """Occurrences counted but not shown."""
        return max(0, self.total - len(self.problems))

    @property
    def anchor(self) -> str:
        return f"problem-{self.severity}-{self.code}"


def split_message(message: str) -> tuple[str, str]:
    """(the problem, what to do): the sentences before the first one that asks
    for something (…ください), and that one with the rest. A message that asks
    at once is both."""
    sentences = [s.strip() for s in _SENTENCE.findall(message) if s.strip()]
    for i, sentence in enumerate(sentences):
        if "ください" in sentence:
            if i == 0:
                return message, "".join(sentences)
            return "".join(sentences[:i]), "".join(sentences[i:])
    return message, ""


def column_of(f: Finding) -> str:
    if not f.field:
        return ""
    letter = f.params.get("column_letter")
    return f"{letter}列（{f.field}）" if letter else f"「{f.field}」"


def short(value: str | None, limit: int = VALUE_LIMIT) -> str:
    if value is None:
        return ""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def problem_of(f: Finding) -> Problem:
    message = f.message("ja")
    problem, fix = split_message(message)
    return Problem(f.row, column_of(f), f.field, short(f.value), problem, fix, message)


def problem_groups(
    report: Report, limit: int = EXAMPLES_PER_PROBLEM, severities: tuple[str, ...] = SEVERITIES
) -> list[ProblemGroup]:
    """The report's problems, errors first, then by code; each with at most
    `limit` examples in the order they were found."""
    groups: dict[tuple[str | None, str, str], ProblemGroup] = {}
    for f in report.findings:
        if f.severity not in severities:
            continue
        key = (f.path, f.severity, f.code)
        group = groups.get(key)
        if group is None:
            total = report.counts.get((f.path, f.code, f.severity), 0)
            group = groups[key] = ProblemGroup(f.path, f.severity, f.code, total, f.machine_readability)
        if len(group.problems) < limit:
            group.problems.append(problem_of(f))
    for group in groups.values():
        group.total = max(group.total, len(group.problems))
    return sorted(groups.values(), key=lambda g: (SEVERITIES.index(g.severity), g.code, g.path or ""))  # type: ignore[arg-type]


def verdict(report: Report) -> str:
    return "公開できます" if report.valid else "公開できません（エラーを直してください）"


_DOCUMENT = """<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: sans-serif; line-height: 1.6; margin: 1.5rem; color: #1a1a1a; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #767676; padding: .25rem .5rem; text-align: left; vertical-align: top; }
caption { text-align: left; font-weight: bold; }
.verdict { border: 3px solid; padding: .75rem 1rem; font-size: 1.25rem; font-weight: bold; }
.verdict.ok { border-color: #1d6b2f; }
.verdict.ng { border-color: #b00020; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
{% if settings %}<p>{{ settings }}</p>{% endif %}
<p class="verdict {{ 'ok' if report.valid else 'ng' }}">{{ '✓' if report.valid else '✗' }} {{ verdict }}</p>
<p>エラー {{ errors }} 件、警告 {{ warnings }} 件、情報 {{ infos }} 件</p>
{% for source in report.sources %}
<p>ファイル: {{ source.path }}{% for k, v in source.details.items() if v not in (None, '', [], {}) %}、{{ k }}: {{ v }}{% endfor %}</p>
{% endfor %}
{% for severity, label in sections %}
{% set shown = groups | selectattr('severity', 'equalto', severity) | list %}
{% if shown %}
<h2>{{ label }}（{{ shown | sum(attribute='total') }} 件）</h2>
{% for g in shown %}
<h3 id="{{ g.anchor }}">{{ g.severity_label }}: {{ g.code }}{% if g.machine_readability %} [{{ g.machine_readability }}]{% endif %} — {{ g.total }} 件{% if g.path %}（{{ g.path }}）{% endif %}</h3>
<table>
<caption>{{ g.code }} の箇所{% if g.rest %}（最初の {{ g.problems | length }} 件、ほか {{ g.rest }} 件）{% endif %}</caption>
<thead><tr><th scope="col">行</th><th scope="col">列</th><th scope="col">値</th><th scope="col">問題</th><th scope="col">直し方</th></tr></thead>
<tbody>
{% for p in g.problems %}
<tr><td>{{ p.row if p.row is not none else '' }}</td><td>{{ p.column }}</td><td>{{ p.value }}</td><td>{{ p.problem }}</td><td>{{ p.fix }}</td></tr>
{% endfor %}
</tbody>
</table>
{% if g.rest %}<p>… ほか {{ g.rest }} 件</p>{% endif %}
{% endfor %}
{% endif %}
{% endfor %}
</body>
</html>
"""
_template = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string(_DOCUMENT)


def render_html(report: Report, title: str = "検証結果", limit: int = EXAMPLES_PER_PROBLEM) -> str:
    """A standalone HTML document of the report (Japanese)."""
    return _template.render(
        title=title,
        report=report,
        verdict=verdict(report),
        settings=settings_line(report.settings) if report.settings is not None else "",
        errors=report.total("error"),
        warnings=report.total("warning"),
        infos=report.total("info"),
        groups=problem_groups(report, limit),
        sections=[(s, SEVERITY_LABELS[s]) for s in SEVERITIES],
    )


def render_csv(report: Report) -> str:
    """The report as CSV (text; encode it as UTF-8 with a BOM for Excel)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for group in problem_groups(report, limit=len(report.findings) or 1):
        for p in group.problems:
            writer.writerow(
                [group.severity_label, group.code, p.problem, "" if p.row is None else p.row,
                 p.column, p.value, p.fix]
            )  # fmt: skip
        if group.rest:
            writer.writerow(
                [group.severity_label, group.code, f"ほか {group.rest} 件（一覧には最初の {len(group.problems)} 件だけを載せています）",
                 "", "", "", ""]
            )  # fmt: skip
    return out.getvalue()
