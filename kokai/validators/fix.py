"""`kokai fix IN OUT`: write a normalised copy of a table and list every change.

What it changes is exactly what the value rules (validators.japanese) can explain with
one certain replacement: flag symbols to `1`/blank, wareki and other dates to
ISO 8601, full-width digits and letters to half-width, thousands separators,
spaces around numbers and codes, a dropped leading zero of a 全国地方公共団体コード,
postal codes to 7 digits, and units after numbers when the column uses only one
unit; spaces around text and ideographic spaces in names; a phone number
written another way (`078.331.8181`) in the standard form; 機種依存文字 in the
header (`№` → `No.`). It writes UTF-8 with LF line ends (with a BOM under
`--excel`, Excel's 「CSV UTF-8」, and says which), merges a second header row,
and leaves out blank rows, trailing totals rows and unnamed empty columns.

It never guesses: △, a wrong check digit, swapped coordinates or free text in
a number column stay as they are, and the re-validation of OUT that ends the
report shows them. IN is only read.

OUT is written atomically (a temporary file in OUT's folder, then os.replace),
so a failure leaves the previous OUT or nothing, never half a file; an OUT that
is a symbolic link, or IN/OUT that is a device or a named pipe, is refused.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any

import polars as pl

from kokai.config import Config
from kokai.errors import KokaiError
from kokai.validators import japanese as jp
from kokai.validators.frame import positional
from kokai.validators.japanese import rules
from kokai.validators.japanese import values as jv
from kokai.validators.japanese.columns import plan_columns
from kokai.validators.reading import Table, read_table
from kokai.validators.reading.read import special_file_kind
from kokai.validators.reading.rows import TOTALS_WORDS
from kokai.validators.report import MAX_FINDINGS_PER_CODE, Findings, Report, Rule, Text

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
    "dropped row {row} ({kind}).",
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
    "row {row}, {field}: changed '{value}' to '{new}' ({reason}).",
)
FIXED_FLAG = Rule("fixed_flag", "info", *_CHANGE, machine_readability="L2-04")
FIXED_DATE = Rule("fixed_date", "info", *_CHANGE, machine_readability="L3-05")
FIXED_FULLWIDTH = Rule("fixed_fullwidth", "info", *_CHANGE, machine_readability="L2-01")
FIXED_NUMBER = Rule("fixed_number", "info", *_CHANGE, machine_readability="L2-01")
FIXED_UNIT = Rule("fixed_unit", "info", *_CHANGE, machine_readability="L2-01")
FIXED_CODE = Rule("fixed_code", "info", *_CHANGE)
FIXED_SPACE = Rule("fixed_space", "info", *_CHANGE, machine_readability="L1-06")
FIXED_HEADER = Rule(
    "fixed_header", "info",
    "見出し「{value}」を「{new}」に直しました（機種依存文字を置き換え）。",
    "header '{value}': changed to '{new}' (platform-dependent characters replaced).",
    machine_readability="L1-08",
)  # fmt: skip
# the forms OUT can be written in: plain UTF-8, or with a BOM for Excel
UTF8 = "utf-8"
UTF8_EXCEL = "utf-8-sig"
_FORMS = {
    UTF8: (
        Text("UTF-8（BOM なし）", "UTF-8 without BOM"),
        Text("Excel で開くなら --excel を付けると、Excel の「CSV UTF-8」と同じ BOM 付き UTF-8 で書き出します。",
             "To open it in Excel, add --excel: it writes UTF-8 with BOM, Excel's 'CSV UTF-8'."),
    ),
    UTF8_EXCEL: (
        Text("UTF-8（BOM 付き、Excel の「CSV UTF-8」）", "UTF-8 with BOM (Excel's 'CSV UTF-8')"),
        Text("Excel でそのまま開けます。", "Excel opens it as it is."),
    ),
}  # fmt: skip
WROTE_CSV = Rule(
    "wrote_csv", "info",
    "修正後のファイル「{out}」を {form}、改行 LF の CSV で書き出しました。{advice}",
    "wrote {out} as {form} CSV with LF line ends. {advice}",
)  # fmt: skip

Fix = tuple[Rule, Text]  # the change rule and why
# value rule -> the change that fixes it
_FIXES: dict[str, Fix] = {
    rules.FLAG_VALUE.code: (FIXED_FLAG, Text("フラグは 1 か空欄", "flags are 1 or empty")),
    rules.WAREKI_DATE.code: (FIXED_DATE, Text("和暦を西暦の ISO 8601 に", "Japanese era to ISO 8601")),
    rules.NON_ISO_DATE.code: (FIXED_DATE, Text("日付を ISO 8601 に", "date to ISO 8601")),
    rules.FULLWIDTH_CHARACTERS.code: (FIXED_FULLWIDTH, Text("全角を半角に", "full-width to half-width")),
    rules.FULLWIDTH_DIGITS_IN_TEXT.code: (FIXED_FULLWIDTH, Text("全角数字を半角に", "full-width digits")),
    rules.KANA_FORMAT.code: (FIXED_FULLWIDTH, Text("読み仮名を全角カタカナに", "reading in katakana")),
    rules.THOUSANDS_SEPARATOR.code: (FIXED_NUMBER, Text("桁区切りを削除", "thousands separators removed")),
    rules.NUMBER_WITH_UNIT.code: (FIXED_UNIT, Text("単位を削除", "unit removed")),
    rules.SURROUNDING_SPACE.code: (FIXED_SPACE, Text("前後の空白を削除", "surrounding spaces removed")),
    rules.LGCODE_LEADING_ZERO.code: (FIXED_CODE, Text("落ちた先頭の 0 を補う", "leading zero restored")),
    rules.POSTAL_CODE_FORMAT.code: (FIXED_CODE, Text("郵便番号を7桁の数字に", "postal code as 7 digits")),
    rules.PHONE_FORMAT.code: (FIXED_CODE, Text("電話番号を標準の書き方に", "phone number in the standard form")),
    rules.IDEOGRAPHIC_SPACE.code: (FIXED_SPACE, Text("全角スペースを半角に", "ideographic space to half-width")),
}  # fmt: skip
_PLACEHOLDER_NAME = re.compile(r"__col[0-9]+(?:__[0-9]+)?")
_BEFORE_HEADER = Text("見出しより前の行", "a line before the header")
_BLANK = Text("空行", "blank row")


def fix_file(
    in_path: str | Path,
    out_path: str | Path,
    schema: str | dict[str, Any] | None = None,
    config: Config | None = None,
    sheet: str | int | None = None,
    excel: bool = False,
) -> Report:
    """Write the normalised copy of IN (a CSV, or one `sheet` of a workbook) to OUT; the report lists every change
    (info findings on IN, capped per kind like any finding) and then what is
    still wrong in OUT. `excel`: write UTF-8 with a BOM (Excel's 「CSV UTF-8」),
    which Japanese Excel opens without mojibake; else plain UTF-8."""
    from kokai.validators.schemas import load_schema
    from kokai.validators.table import choose_schema, validate_paths

    src, dst = Path(in_path), Path(out_path)
    _refuse(src, dst)
    loaded = load_schema(schema) if isinstance(schema, str) else schema
    report = Report()
    table = read_table(src, sheet)
    sheet_details = table.source_details() if hasattr(table, "source_details") else {}
    report.add_source(
        str(in_path), "table", encoding=table.encoding, rows=table.data.height, **sheet_details
    )
    if not table.readable:
        report.extend(table.findings)
        return report
    chosen, _ = choose_schema(table, loaded)
    frame, header, changes = normalise_table(table, chosen)
    form = UTF8_EXCEL if excel else UTF8
    write_atomically(dst, _csv_bytes(header, frame, form))
    report.sources[0].details["written"] = form
    report.extend(changes)
    shown, advice = _FORMS[form]
    report.add(WROTE_CSV.finding(path=str(in_path), out=str(out_path), form=shown, advice=advice))
    # what is still wrong, on OUT (its row numbers: junk rows are gone)
    named = schema if isinstance(schema, str) else None
    report.merge(validate_paths([str(dst)], schema=named, config=config))
    return report


def _refuse(src: Path, dst: Path) -> None:
    """IN must exist; OUT must be a new or regular file that is neither IN nor a
    symbolic link (writing through a link could overwrite any file the link
    points at) nor a device or a FIFO."""
    try:
        os.stat(src)
    except (OSError, ValueError):
        raise KokaiError(f"「{src}」が見つかりません。 / {src} does not exist") from None
    # IN that is a folder, a device or a FIFO: read_table refuses it (unreadable_file)
    if dst.is_symlink():
        raise KokaiError(
            f"出力先「{dst}」はシンボリックリンクです。リンク先を上書きしないよう、"
            f"通常のファイル名を指定してください。 / OUT is a symbolic link"
        )
    try:
        dst_mode = os.stat(dst).st_mode
    except FileNotFoundError:
        return
    except (OSError, ValueError) as exc:
        raise KokaiError(f"出力先「{dst}」を確認できません（{exc}）。 / cannot check OUT") from None
    if stat.S_ISDIR(dst_mode):
        raise KokaiError(
            f"出力先「{dst}」はフォルダです。ファイル名を指定してください。 / OUT is a folder"
        )
    if kind := special_file_kind(dst_mode):
        raise KokaiError(
            f"出力先「{dst}」は{kind.ja}です。通常のファイル名を指定してください。 / OUT is {kind.en}"
        )
    if os.path.samefile(src, dst):
        raise KokaiError(
            f"出力先が入力と同じファイルです（{dst}）。kokai fix は入力を変更しないので、"
            f"別のファイル名を指定してください。 / OUT must differ from IN"
        )


def write_atomically(dst: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `dst`, then rename it over `dst`:
    readers see the old file or the new one, never a partial one, and a
    symbolic link put at `dst` meanwhile is replaced, not followed."""
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".tmp")
    except OSError as exc:
        raise KokaiError(f"{dst}: 書き出せません（{exc.strerror or exc}）。 / cannot write") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, dst)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise KokaiError(f"{dst}: 書き出せません（{exc.strerror or exc}）。 / cannot write") from exc
        raise


def normalise_table(
    table: Table, schema: dict[str, Any] | None
) -> tuple[pl.DataFrame, list[str], Findings]:
    """The fixed data (positional columns; junk rows and unnamed empty columns
    removed), its header names and one info finding per change (capped per kind)."""
    path = table.path
    changes = Findings()
    if table.encoding not in ("utf-8", ""):
        shown = {"utf-8-sig": "UTF-8 (BOM 付き)", "cp932": "CP932 (Shift_JIS)"}
        encoding = shown.get(table.encoding, table.encoding.upper())
        changes.append(FIXED_ENCODING.finding(path=path, encoding=encoding))
    if table.header_rows > 1:
        names = "、".join(h for h in table.header if not _PLACEHOLDER_NAME.fullmatch(h))
        changes.append(
            MERGED_HEADER.finding(path=path, row=table.header_line + 1, names=names[:200])
        )
    _dropped_rows(table, changes)
    data, lines = table.checked()
    _short_rows(table, changes)
    columns = plan_columns(data, schema)
    df = positional(data).with_columns(pl.all().fill_null(""))
    diagnoses = jp.diagnose_cells(df, columns)
    replacements: dict[str, dict[str, str]] = {}
    reasons: dict[str, dict[str, Fix]] = {}
    for key, by_value in diagnoses.items():
        single_unit = _single_unit(by_value)
        for value, diagnosis in by_value.items():
            fix = _replacement(value, diagnosis, single_unit)
            if fix is not None:
                new, why = fix
                replacements.setdefault(key, {})[value] = new
                reasons.setdefault(key, {})[value] = why
    if replacements:
        names = {c.key: c.name for c in columns}
        _change_findings(path, df, lines, names, replacements, reasons, changes)
        df = df.with_columns(
            [
                pl.col(key).replace(list(mapping), list(mapping.values()))
                for key, mapping in replacements.items()
            ]
        )
    keep, header = _columns_to_keep(table, df)
    header = _fixed_header(path, table.header_line, header, changes)
    kept = set(keep)
    for index, key in enumerate(df.columns):
        if key not in kept:
            changes.append(DROPPED_COLUMN.finding(path=path, column=index + 1))
    return df.select(keep), header, changes


def _fixed_header(path: str, line: int, header: list[str], out: Findings) -> list[str]:
    """Header names without 機種依存文字 (`№` → `No.`, `㎡` → `m2`), as the
    model_dependent_character finding on the header suggests."""
    fixed = []
    for name in header:
        new = name
        for ch in jv.model_dependent_characters(name):
            new = new.replace(ch, jv.replacement_for(ch))
        if new != name:
            out.append(FIXED_HEADER.finding(path=path, row=line, field=name, value=name, new=new))
        fixed.append(new)
    return fixed


def _dropped_rows(table: Table, out: Findings) -> None:
    for line in range(1, table.header_line):
        out.append(DROPPED_ROW.finding(path=table.path, row=line, kind=_BEFORE_HEADER))
    if not table.junk_lines:
        return
    is_junk = table.line.is_in(sorted(table.junk_lines))
    lines = table.line.filter(is_junk)
    junk = positional(table.data).filter(is_junk).head(MAX_FINDINGS_PER_CODE)
    sample = []
    for line, row in zip(lines, junk.iter_rows(), strict=False):
        values = [v for v in row if v]
        if not values:
            kind = _BLANK
        elif any(v.strip() in TOTALS_WORDS for v in values):
            kind = Text(f"集計行: {'、'.join(values)[:60]}", "totals row")
        else:
            kind = Text(f"表の外の注記: {'、'.join(values)[:60]}", "note outside the table")
        sample.append(DROPPED_ROW.finding(path=table.path, row=line, kind=kind))
    out.add_sample(sample, lines.len())


def _short_rows(table: Table, out: Findings) -> None:
    data, lines = table.checked()
    if data.width == 0:
        return
    nulls = data.select(pl.sum_horizontal(pl.all().is_null().cast(pl.Int32))).to_series()
    short = nulls > 0
    if not short.any():
        return
    where = lines.filter(short)
    missing = nulls.filter(short)
    out.add_sample(
        [
            PADDED_ROW.finding(path=table.path, row=int(line), count=int(n))
            for line, n in zip(where.head(MAX_FINDINGS_PER_CODE), missing.head(MAX_FINDINGS_PER_CODE), strict=True)
        ],
        where.len(),
    )


def _single_unit(by_value: dict[str, jp.Diagnosis]) -> bool:
    """True when every number-with-unit value of the column has the same unit."""
    units = {
        params.get("unit")
        for diagnosis in by_value.values()
        for rule, params in diagnosis
        if rule is rules.NUMBER_WITH_UNIT
    }
    return len(units) == 1


def _replacement(value: str, diagnosis: jp.Diagnosis, single_unit: bool) -> tuple[str, Fix] | None:
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
    df: pl.DataFrame,
    lines: pl.Series,
    names: dict[str, str],
    replacements: dict[str, dict[str, str]],
    reasons: dict[str, dict[str, Fix]],
    out: Findings,
) -> None:
    """One info finding per changed cell, the first rows of each kind kept."""
    by_rule: dict[Rule, list[tuple[int, str, str]]] = {}  # rule -> (line, key, value) samples
    totals: dict[Rule, int] = {}
    for key in replacements:
        for rule in {why[0] for why in reasons[key].values()}:
            values = [v for v, why in reasons[key].items() if why[0] is rule]
            hit = df.get_column(key).is_in(values)
            totals[rule] = totals.get(rule, 0) + int(hit.sum())
            where = hit.arg_true().head(MAX_FINDINGS_PER_CODE)
            sample = zip(lines.gather(where), df.get_column(key).gather(where), strict=True)
            by_rule.setdefault(rule, []).extend((line, key, value) for line, value in sample)
    samples = []
    for rule, hits in by_rule.items():
        hits.sort(key=lambda h: (h[0], names[h[1]]))
        samples += [
            rule.finding(
                path=path, row=line, field=names[key], value=value,
                new=replacements[key][value], reason=reasons[key][value][1],
            )
            for line, key, value in hits[:MAX_FINDINGS_PER_CODE]
        ]  # fmt: skip
        if totals[rule] > MAX_FINDINGS_PER_CODE:
            out.counts[(path, rule.code, rule.severity)] += totals[rule] - MAX_FINDINGS_PER_CODE
    samples.sort(key=lambda f: (f.row or 0, f.field or ""))
    for finding in samples:
        out.append(finding)


def _columns_to_keep(table: Table, df: pl.DataFrame) -> tuple[list[str], list[str]]:
    """Columns (keys) to write: unnamed columns without a single value are left
    out; names as written in the file (duplicates stay duplicates for a person
    to rename)."""
    filled = df.select([(pl.col(c) != "").any().alias(c) for c in df.columns]).row(0)
    written = table.raw_header if table.header_rows == 1 else table.header
    keep, header = [], []
    for i, (key, has_values) in enumerate(zip(df.columns, filled, strict=True)):
        name = table.header[i]
        shown = written[i] if i < len(written) else name
        if _PLACEHOLDER_NAME.fullmatch(name) or _PLACEHOLDER_NAME.fullmatch(shown or ""):
            shown = ""
        if not shown and not has_values:
            continue
        keep.append(key)
        header.append(shown)
    return keep, header


def _csv_bytes(header: list[str], data: pl.DataFrame, form: str = UTF8) -> bytes:
    head = io.StringIO()
    csv.writer(head, lineterminator="\n").writerow(header)
    # empty cells as nothing at all (polars would quote an empty string as "")
    body = data.with_columns(pl.all().replace("", None)).write_csv(
        include_header=False, line_terminator="\n", quote_style="necessary"
    )
    return (head.getvalue() + body).encode(form)  # utf-8-sig: the BOM first
