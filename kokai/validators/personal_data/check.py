"""check_personal_data: every personal-data finding of one table.

Called by `validate_table` for every table (a bare CSV, a resource of a data
package), after the Japanese value rules; the data package passes its review."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from kokai.validators.frame import key, positional
from kokai.validators.japanese.collect import Collected
from kokai.validators.personal_data import cells
from kokai.validators.personal_data.people import KINDS, classify, judge, relevant_columns
from kokai.validators.personal_data.review import Review, paste_yaml
from kokai.validators.personal_data.rules import (
    PERSONAL_DATA_COLUMN,
    PERSONAL_EMAIL,
    PERSONAL_NUMBER,
)
from kokai.validators.reading import Table
from kokai.validators.report import MAX_FINDINGS_PER_CODE, Finding, Findings, Rule, Severity, Text
from kokai.validators.schemas import bundled_names
from kokai.vocab.mail_domains import KIND_LABELS

SAMPLE_ROWS = 20_000  # rows that decide whether a 名前 column holds people's names
SHAPE_ROWS = 2_000  # rows that pick the columns of mostly 12-digit numbers to read whole
# schema types whose cells cannot hold an address or words: a value that does is
# a type error already (and its finding is masked), so they are not screened
_NOT_TEXT = {"integer", "number", "boolean", "date", "datetime", "time", "year", "yearmonth", "geopoint"}

_TODO = {
    "personal_data_column": (
        "個人情報は公開できません。この列を削除するか、個人が分からない形（地区ごとの人数など）に"
        "集計してください。法令で公表する情報など公開してよいもの（例: 議員の氏名）なら、"
        "確認した人・日・理由をデータセットの datapackage.yaml に書いてください: {yaml}",
        "Personal data must not be published: remove the column or aggregate it (e.g. counts "
        "per area). If it may be published (e.g. councillors' names published by law), record "
        "who reviewed it, when and why in the dataset's datapackage.yaml: {yaml}",
    ),
    "personal_number": (
        "個人番号は番号法により公開できません。この値（列）を削除してください。個人番号ではない"
        "（偶然チェックデジットが合う管理番号など）と確かめたなら、確認した人・日・理由を"
        "データセットの datapackage.yaml に書いてください: {yaml}",
        "A 個人番号 must never be published (番号法): remove the value or the column. If you "
        "checked that it is not one (a management number that happens to pass the check digit), "
        "record who checked it, when and why in the dataset's datapackage.yaml: {yaml}",
    ),
    "personal_email": (
        "個人のアドレスは本人の同意なく公開できません。組織の代表アドレス（例: bousai@city.〇〇.lg.jp）"
        "に替えるか、削除してください。団体の公式の連絡先など公開してよいものなら、確認した人・日・理由を"
        "データセットの datapackage.yaml に書いてください: {yaml}",
        "A person's address must not be published without consent: use the organisation's "
        "address (e.g. bousai@city.xxx.lg.jp) or remove it. If it is an official contact that "
        "may be published, record who reviewed it, when and why in the dataset's "
        "datapackage.yaml: {yaml}",
    ),
}
_NUMBER_WHY = {
    "name": ("列名が個人番号を示し、チェックデジット（検査用数字）が合う",
             "the column's name says 個人番号 and the check digit is right"),
    "people": ("個人の一覧の表で、列の値の大半が12桁の数字で、そのほぼすべてのチェックデジットが合う",
               "a table of people whose column holds mostly 12-digit numbers that nearly all pass the check digit"),
    "column": ("列の値の大半が12桁の数字で、そのほぼすべてのチェックデジットが合う（偶然なら約10件に1件）",
               "the column holds mostly 12-digit numbers and nearly all pass the check digit "
               "(by chance about 1 in 10 would)"),
    "keyword": ("セルに「個人番号」「マイナンバー」の語があり、続く12桁のチェックデジットが合う",
                "the cell says 個人番号 / マイナンバー and the 12 digits after it pass the check digit"),
}  # fmt: skip


def _action(code: str, review: Review | None, field: str, today: dt.date | None) -> tuple[Severity, dict[str, Any]]:
    """The severity and the `action` parameter (plus the review's facts when it applies)."""
    if review is not None and review.covers(field):
        action = Text(
            f"{review.by} が {review.date} に確認済み（理由: {review.reason}）のため、公開を止めません"
            "（datapackage.yaml の kokai:personal_data_review）。",
            f"reviewed by {review.by} on {review.date} ({review.reason}); publishing is not "
            "blocked (kokai:personal_data_review in datapackage.yaml).",
        )
        return "info", {"action": action, "reviewed_by": review.by, "reviewed_on": review.date}
    ja, en = _TODO[code]
    yaml = paste_yaml(today)
    return "error", {"action": Text(ja.format(yaml=yaml), en.format(yaml=yaml))}


def is_standard_schema(schema: dict[str, Any] | None) -> bool:
    """A national standard schema (bundled, or detected from the header): its
    tables are of facilities, places or areas, never of people."""
    if not schema:
        return False
    return "kokai:confidence" in schema or schema.get("name") in bundled_names()


def check_personal_data(
    table: Table,
    schema: dict[str, Any] | None = None,
    review: Review | None = None,
    today: dt.date | None = None,
) -> Findings:
    """The personal-data findings of one table (junk lines skipped), capped per code."""
    data, lines = table.checked()
    out = Collected(data.height)
    if data.height == 0 or not data.columns:
        return out.findings()
    header = list(data.columns)
    df = positional(data)
    keys = [key(i) for i in range(len(header))]
    relevant = relevant_columns(header)
    typed = _typed_columns(schema)
    longest = df.select([pl.col(k).str.len_bytes().max() for k in keys]).row(0)
    # the shortest hit is an address like a@b.jp; flag and empty columns are skipped
    screen = [i for i in range(len(header)) if header[i] not in typed and (longest[i] or 0) >= 5]
    exprs = [(pl.col(keys[i]).fill_null("") != "").sum().alias(f"f{i}") for i in relevant]
    exprs += [pl.col(keys[i]).str.contains_any(cells.NEEDLES).sum().alias(f"s{i}") for i in screen]
    counts = df.select(exprs).row(0, named=True) if exprs else {}
    filled = {i: counts[f"f{i}"] for i in relevant}
    screened = {i for i in screen if counts[f"s{i}"]}
    verdict = judge(header, df.head(SAMPLE_ROWS), filled, is_standard_schema(schema))

    for col in verdict.flagged:
        raw = df.get_column(col.key).fill_null("")
        first = int((raw != "").arg_true()[0])
        severity, params = _action("personal_data_column", review, col.name, today)
        finding = PERSONAL_DATA_COLUMN.finding(
            path=table.path, row=table.header_line, field=col.name, value=cells.mask_text(raw[first]),
            severity=severity, kind=KINDS[col.kind], why=verdict.why, filled=filled[col.index],
            first_row=int(lines[first]), **params,
        )  # fmt: skip
        out.add([finding], 1)

    named = {c.index for c in verdict.flagged if c.kind == "number"}
    named |= {i for i, name in enumerate(header) if _says_number(name)}
    shape = df.head(SHAPE_ROWS).select(
        [pl.col(k).fill_null("").str.contains(cells.RE_CANDIDATE).sum().alias(f"c{i}") for i, k in enumerate(keys)]
        + [(pl.col(k).fill_null("").str.strip_chars() != "").sum().alias(f"f{i}") for i, k in enumerate(keys)]
    ).row(0, named=True)
    limit = MAX_FINDINGS_PER_CODE
    for i, name in enumerate(header):
        numbers = i in named or (shape[f"c{i}"] and shape[f"c{i}"] >= cells.MOSTLY * shape[f"f{i}"])
        if not numbers and i not in screened:
            continue  # get_column would spread a one-value column (reading.pieces) over every row
        raw = df.get_column(keys[i])
        found: list[tuple[Rule, cells.Hits | None]] = []
        if numbers:
            found.append((PERSONAL_NUMBER, cells.number_hits(raw, lines, i in named, verdict.people, limit, SHAPE_ROWS)))
        if i in screened:
            found.append((PERSONAL_NUMBER, cells.keyword_number_hits(raw, lines, limit)))
            found.append((PERSONAL_EMAIL, cells.email_hits(raw, lines, limit)))
        for rule, hits in found:
            if hits is not None:
                out.add(_cell_findings(rule, hits, table.path, name, review, today), hits.total)
    return out.findings()


def _cell_findings(
    rule: Rule, hits: cells.Hits, path: str, field: str, review: Review | None, today: dt.date | None
) -> list[Finding]:
    severity, params = _action(rule.code, review, field, today)
    findings = []
    for n, (line, value) in enumerate(zip(hits.lines, hits.values, strict=True)):
        if rule is PERSONAL_EMAIL:
            service, kind = hits.services[n]
            extra = {"service": service, "kind": Text(*KIND_LABELS[kind])}
        else:
            extra = {"why": Text(*_NUMBER_WHY[hits.basis]), "basis": hits.basis}
        findings.append(rule.finding(
            path=path, row=int(line), field=field, value=value, severity=severity, **extra, **params,
        ))  # fmt: skip
    return findings


def _typed_columns(schema: dict[str, Any] | None) -> set[str]:
    fields = (schema or {}).get("fields") or []
    return {
        f["name"] for f in fields
        if isinstance(f, dict) and isinstance(f.get("name"), str) and f.get("type") in _NOT_TEXT
    }  # fmt: skip


def _says_number(name: str) -> bool:
    found = classify(name)
    return found is not None and found[0] == "number"
