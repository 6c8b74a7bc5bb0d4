"""`kokai fix IN OUT`: write a normalised copy of a table and list every change.

What it changes is exactly what the value rules (japanese.py) can explain with
one certain replacement: flag symbols to `1`/blank, wareki and other dates to
ISO 8601, full-width digits and letters to half-width, thousands separators,
spaces around numbers and codes, a dropped leading zero of a 全国地方公共団体コード,
postal codes to 7 digits, and units after numbers when the column uses only one
unit. It also writes UTF-8 (no BOM) with LF line ends, merges a second header
row, and leaves out blank rows, trailing totals rows and unnamed empty columns.

It never guesses: △, a wrong check digit, swapped coordinates or free text in
a number column stay as they are, and the re-validation of OUT that ends the
report shows them. IN is only read.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path
from typing import Any

import polars as pl

from kokai.config import Config
from kokai.errors import KokaiError
from kokai.validators import japanese as jp
from kokai.validators import jp_rules as rules
from kokai.validators.jp_columns import plan_columns
from kokai.validators.reading import Table, read_table
from kokai.validators.report import Finding, Report, Rule

FIXED_ENCODING = Rule(
    "fixed_encoding", "info",
    "文字コードを {encoding} から UTF-8 に変換しました。",
    "converted the encoding from {encoding} to UTF-8.",
)  # fmt: skip
MERGED_HEADER = Rule(
    "merged_header", "info",
    "2 行に分かれた見出しを 1 行にまとめました: {names}",
    "merged the two header rows into one: {names}",
    machine_readability="L1-12",
)  # fmt: skip
DROPPED_ROW = Rule(
    "dropped_row", "info",
    "{row} 行目（{kind}）を削除しました。",
    "dropped row {row} ({kind_en}).",
    machine_readability="L1-04",
)  # fmt: skip
DROPPED_COLUMN = Rule(
    "dropped_column", "info",
    "{column} 列目は見出しも値も空なので削除しました。",
    "dropped column {column}: it has neither a name nor values.",
)  # fmt: skip
PADDED_ROW = Rule(
    "padded_row", "info",
    "{row} 行目はセルが足りなかったので、空欄を補いました（{count} 個）。",
    "row {row} had too few cells; added {count} empty cells.",
)  # fmt: skip
_CHANGE = (
    "{row} 行目「{field}」の「{value}」を「{new}」に直しました（{reason}）。",
    "row {row}, {field}: changed '{value}' to '{new}' ({reason_en}).",
)
FIXED_FLAG = Rule("fixed_flag", "info", *_CHANGE, machine_readability="L2-04")
FIXED_DATE = Rule("fixed_date", "info", *_CHANGE, machine_readability="L3-05")
FIXED_FULLWIDTH = Rule("fixed_fullwidth", "info", *_CHANGE, machine_readability="L2-01")
FIXED_NUMBER = Rule("fixed_number", "info", *_CHANGE, machine_readability="L2-01")
FIXED_UNIT = Rule("fixed_unit", "info", *_CHANGE, machine_readability="L2-01")
FIXED_CODE = Rule("fixed_code", "info", *_CHANGE)
FIXED_SPACE = Rule("fixed_space", "info", *_CHANGE, machine_readability="L1-06")

# value rule -> (change rule, reason ja, reason en)
_FIXES: dict[str, tuple[Rule, str, str]] = {
    rules.FLAG_VALUE.code: (FIXED_FLAG, "フラグは 1 か空欄", "flags are 1 or empty"),
    rules.WAREKI_DATE.code: (FIXED_DATE, "和暦を西暦の ISO 8601 に", "Japanese era to ISO 8601"),
    rules.NON_ISO_DATE.code: (FIXED_DATE, "日付を ISO 8601 に", "date to ISO 8601"),
    rules.FULLWIDTH_CHARACTERS.code: (FIXED_FULLWIDTH, "全角を半角に", "full-width to half-width"),
    rules.FULLWIDTH_DIGITS_IN_TEXT.code: (FIXED_FULLWIDTH, "全角数字を半角に", "full-width digits"),
    rules.KANA_FORMAT.code: (FIXED_FULLWIDTH, "読み仮名を全角カタカナに", "reading in katakana"),
    rules.THOUSANDS_SEPARATOR.code: (
        FIXED_NUMBER,
        "桁区切りを削除",
        "thousands separators removed",
    ),
    rules.NUMBER_WITH_UNIT.code: (FIXED_UNIT, "単位を削除", "unit removed"),
    rules.SURROUNDING_SPACE.code: (FIXED_SPACE, "前後の空白を削除", "surrounding spaces removed"),
    rules.LGCODE_LEADING_ZERO.code: (FIXED_CODE, "落ちた先頭の 0 を補う", "leading zero restored"),
    rules.POSTAL_CODE_FORMAT.code: (FIXED_CODE, "郵便番号を7桁の数字に", "postal code as 7 digits"),
}
_PLACEHOLDER_NAME = re.compile(r"__col[0-9]+")
LINE = "__kokai_line"


def fix_file(
    in_path: str | Path,
    out_path: str | Path,
    schema: str | dict[str, Any] | None = None,
    config: Config | None = None,
) -> Report:
    """Write the normalised copy of IN to OUT; the report lists every change
    (info findings on IN) and then what is still wrong in OUT."""
    from kokai.validators.schemas import load_schema
    from kokai.validators.table import choose_schema, validate_paths

    src, dst = Path(in_path), Path(out_path)
    _refuse_same_file(src, dst)
    loaded = load_schema(schema) if isinstance(schema, str) else schema
    report = Report()
    table = read_table(src)
    report.add_source(str(in_path), "table", encoding=table.encoding, rows=table.data.height)
    if not table.readable:
        report.extend(table.findings)
        return report
    chosen, _ = choose_schema(table, loaded)
    frame, header, changes = normalise_table(table, chosen)
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(_csv_bytes(header, frame))
    except OSError as exc:
        raise KokaiError(
            f"{dst}: 書き出せません（{exc.strerror or exc}）。 / cannot write"
        ) from exc
    report.extend(changes)
    # what is still wrong, on OUT (its row numbers: junk rows are gone)
    named = schema if isinstance(schema, str) else None
    report.merge(validate_paths([str(dst)], schema=named, config=config))
    return report


def _refuse_same_file(src: Path, dst: Path) -> None:
    if not src.exists():
        raise KokaiError(f"「{src}」が見つかりません。 / {src} does not exist")
    if dst.is_dir():
        raise KokaiError(
            f"出力先「{dst}」はフォルダです。ファイル名を指定してください。 / OUT is a folder"
        )
    same = dst.resolve() == src.resolve()
    if not same and dst.exists():
        try:
            same = os.path.samefile(src, dst)
        except OSError:
            same = False
    if same:
        raise KokaiError(
            f"出力先が入力と同じファイルです（{dst}）。kokai fix は入力を変更しないので、"
            f"別のファイル名を指定してください。 / OUT must differ from IN"
        )


def normalise_table(
    table: Table, schema: dict[str, Any] | None
) -> tuple[pl.DataFrame, list[str], list[Finding]]:
    """The fixed data (junk rows and unnamed empty columns removed), its header
    names and one info finding per change."""
    path = table.path
    changes: list[Finding] = []
    if table.encoding not in ("utf-8", ""):
        shown = {"utf-8-sig": "UTF-8 (BOM 付き)", "cp932": "CP932 (Shift_JIS)"}
        encoding = shown.get(table.encoding, table.encoding.upper())
        changes.append(FIXED_ENCODING.finding(path=path, encoding=encoding))
    if table.header_rows > 1:
        names = "、".join(h for h in table.header if not _PLACEHOLDER_NAME.fullmatch(h))
        changes.append(
            MERGED_HEADER.finding(path=path, row=table.header_line + 1, names=names[:200])
        )
    changes += _dropped_rows(table)
    data, lines = table.checked()
    data = data.with_columns(pl.all().fill_null(""))
    short = _short_rows(table)
    for line, missing in short:
        changes.append(PADDED_ROW.finding(path=path, row=line, count=missing))

    columns = plan_columns(data, schema)
    diagnoses = jp.diagnose_cells(data, columns)
    replacements: dict[str, dict[str, str]] = {}
    reasons: dict[str, dict[str, tuple[Rule, str, str]]] = {}
    for name, by_value in diagnoses.items():
        single_unit = _single_unit(by_value)
        for value, diagnosis in by_value.items():
            fix = _replacement(value, diagnosis, single_unit)
            if fix is not None:
                new, why = fix
                replacements.setdefault(name, {})[value] = new
                reasons.setdefault(name, {})[value] = why
    if replacements:
        data = data.with_columns(
            [
                pl.col(name).replace(list(mapping), list(mapping.values()))
                for name, mapping in replacements.items()
            ]
        )
        changes += _change_findings(path, table, lines, replacements, reasons)

    keep, header = _columns_to_keep(table, data)
    for index in range(len(table.header)):
        if table.header[index] not in keep:
            changes.append(DROPPED_COLUMN.finding(path=path, column=index + 1))
    return data.select(keep), header, changes


def _dropped_rows(table: Table) -> list[Finding]:
    out = []
    for line in range(1, table.header_line):
        out.append(DROPPED_ROW.finding(
            path=table.path, row=line, kind="見出しより前の行", kind_en="a line before the header",
        ))  # fmt: skip
    if not table.junk_lines:
        return out
    data = table.data.with_columns(table.line.alias(LINE))
    junk = data.filter(pl.col(LINE).is_in(sorted(table.junk_lines)))
    for row in junk.iter_rows():
        line = row[-1]
        values = [v for v in row[:-1] if v]
        if not values:
            kind, kind_en = "空行", "blank row"
        elif any(v.strip() in ("合計", "総計", "計", "小計", "総合計") for v in values):
            kind, kind_en = f"集計行: {'、'.join(values)[:60]}", "totals row"
        else:
            kind, kind_en = f"表の外の注記: {'、'.join(values)[:60]}", "note outside the table"
        out.append(DROPPED_ROW.finding(path=table.path, row=line, kind=kind, kind_en=kind_en))
    return out


def _short_rows(table: Table) -> list[tuple[int, int]]:
    data, lines = table.checked()
    if data.width == 0:
        return []
    nulls = data.select(pl.sum_horizontal(pl.all().is_null().cast(pl.Int32)).alias("n"))["n"]
    if not (nulls > 0).any():
        return []
    pairs = pl.DataFrame({"line": lines, "n": nulls}).filter(pl.col("n") > 0)
    return [(int(a), int(b)) for a, b in pairs.iter_rows()]


def _single_unit(by_value: dict[str, jp.Diagnosis]) -> bool:
    """True when every number-with-unit value of the column has the same unit."""
    units = {
        params.get("unit")
        for diagnosis in by_value.values()
        for rule, params in diagnosis
        if rule is rules.NUMBER_WITH_UNIT
    }
    return len(units) == 1


def _replacement(
    value: str, diagnosis: jp.Diagnosis, single_unit: bool
) -> tuple[str, tuple[Rule, str, str]] | None:
    """The value to write and why, or None when nothing is certain. The last
    fixable diagnosis wins: role rules are computed on the half-width value, so
    they already include the earlier full-width fix. Problems without a certain
    fix (a wrong check digit after the full-width fix) stay and are reported."""
    chosen = None
    for rule, params in diagnosis:
        fix = _FIXES.get(rule.code)
        if fix is None or "expected" not in params:
            continue  # a person must decide (△, a wrong check digit): stays, reported again
        expected = str(params["expected"])
        if rule is rules.NUMBER_WITH_UNIT and not single_unit:
            return None  # 3階 and 9m in one column: which unit the column means is unclear
        chosen = (expected, fix)
    if chosen is None or chosen[0] == value:
        return None
    return chosen


def _change_findings(
    path: str,
    table: Table,
    lines: pl.Series,
    replacements: dict[str, dict[str, str]],
    reasons: dict[str, dict[str, tuple[Rule, str, str]]],
) -> list[Finding]:
    data, _ = table.checked()
    out: list[Finding] = []
    for name, mapping in replacements.items():
        values = data.select(pl.col(name).fill_null("")).with_columns(lines.alias(LINE))
        rows = values.filter(pl.col(name).is_in(list(mapping)))
        for value, line in rows.iter_rows():
            rule, reason, reason_en = reasons[name][value]
            out.append(
                rule.finding(
                    path=path,
                    row=line,
                    field=name,
                    value=value,
                    new=mapping[value],
                    reason=reason,
                    reason_en=reason_en,
                )  # fmt: skip
            )
    out.sort(key=lambda f: (f.row or 0, f.field or ""))
    return out


def _columns_to_keep(table: Table, data: pl.DataFrame) -> tuple[list[str], list[str]]:
    """Column names to write: unnamed columns without a single value are left out;
    names as written in the file (duplicates stay duplicates for a person to rename)."""
    filled = data.select([(pl.col(c) != "").any().alias(c) for c in data.columns]).row(0)
    written = table.raw_header if table.header_rows == 1 else table.header
    keep, header = [], []
    for i, (name, has_values) in enumerate(zip(data.columns, filled, strict=True)):
        shown = written[i] if i < len(written) else name
        if _PLACEHOLDER_NAME.fullmatch(name) or _PLACEHOLDER_NAME.fullmatch(shown or ""):
            shown = ""
        if not shown and not has_values:
            continue
        keep.append(name)
        header.append(shown)
    return keep, header


def _csv_bytes(header: list[str], data: pl.DataFrame) -> bytes:
    head = io.StringIO()
    csv.writer(head, lineterminator="\n").writerow(header)
    # empty cells as nothing at all (polars would quote an empty string as "")
    body = data.with_columns(pl.all().replace("", None)).write_csv(
        include_header=False, line_terminator="\n", quote_style="necessary"
    )
    return (head.getvalue() + body).encode("utf-8")
