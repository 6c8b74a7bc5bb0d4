"""`kokai validate`: CSV/TSV files and data package folders into one Report.

For a table: read it (kokai.validators.reading), choose its schema (given, else
detected from the header row), run the Japanese value rules
(kokai.validators.japanese), then the Table Schema checks
(kokai.validators.table_schema) on the cells those rules did not already explain.

Only regular files and folders are read: a device or a named pipe given as a
path is refused at once (a fatal finding, exit 2), never read.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from kokai.config import Config
from kokai.validators import datapackage
from kokai.validators.context import CheckContext
from kokai.validators.japanese import check_table
from kokai.validators.personal_data import Review, check_personal_data, redact
from kokai.validators.reading import Table, read_table
from kokai.validators.reading.excel import SheetTable, letters_by_field
from kokai.validators.reading.read import special_file_kind
from kokai.validators.report import Finding, Findings, Report, Rule, Text
from kokai.validators.schemas import (
    adapt_schema,
    apply_aliases,
    detect_schema,
    layout_confidence,
    load_schema,
)
from kokai.validators.table_schema import check_table_schema

TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".tab")
# read anyway so that staff get "save it as CSV" (L1-01) rather than silence
SPREADSHEET_SUFFIXES = (".xlsx", ".xls", ".xlsm", ".xlsb", ".ods")  # read by reading.excel

PATH_NOT_FOUND = Rule(
    "path_not_found", "error",
    "「{path}」が見つかりません。ファイルまたはフォルダのパスを確認してください。",
    "{path} does not exist. Check the file or folder path.",
    fatal=True,
)  # fmt: skip
NOTHING_TO_VALIDATE = Rule(
    "nothing_to_validate", "error",
    "フォルダ「{path}」に datapackage.yaml も CSV ファイルもありません。"
    "データセットのフォルダには datapackage.yaml を置いてください。",
    "the folder {path} has neither a datapackage.yaml nor CSV files. "
    "A dataset folder needs a datapackage.yaml.",
    fatal=True,
)
SCHEMA_DETECTED = Rule(
    "schema_detected", "info",
    "列名から「{schema}」（{title}）のスキーマで検査しました（確度 {confidence}、"
    "標準の列 {matched}/{total} 列が一致、列構成の確からしさ {layout}）。{near}"
    "違う場合は --schema で指定してください。",
    "checked against the schema {schema!r} ({title}) detected from the header "
    "(confidence {confidence}, {matched}/{total} standard columns, layout {layout}). {near}"
    "Use --schema to choose another.",
)
SCHEMA_NOT_DETECTED = Rule(
    "schema_not_detected", "info",
    "列名がどの標準データセットにも十分に当てはまらないため（最も近いのは{nearest}）、"
    "スキーマの検査はせず、構造と値の検査だけを行いました。標準データセットなら列名を標準に合わせるか、"
    "--schema で指定してください。",
    "the header fits no standard dataset well enough (nearest: {nearest}), so only the "
    "structure and values were checked. Rename the columns or pass --schema.",
)
OUTDATED_LAYOUT = Rule(
    "outdated_layout", "warning",
    "旧「推奨データセット」の列構成です。現行の自治体標準オープンデータセット（{title}）の列名に"
    "直してください: {mapping}。対応の分かる列だけを検査しました。",
    "this is the old 推奨データセット layout. Rename the columns to the current "
    "自治体標準オープンデータセット ({title}): {mapping}. Only the mapped columns were checked.",
    machine_readability="L3-07",
)
NOT_A_REGULAR_FILE = Rule(
    "not_a_regular_file", "error",
    "「{path}」は{kind}で、通常のファイルでもフォルダでもないので読みません。"
    "検査する CSV ファイルかデータセットのフォルダを指定してください。",
    "{path} is {kind}, neither a regular file nor a folder, so it was not read. "
    "Give a CSV file or a dataset folder.",
    fatal=True,
)
NOT_A_TABLE = Rule(
    "not_a_table", "info",
    "「{path}」は CSV/TSV ファイルでもデータセットのフォルダでもないので検査しませんでした。",
    "{path} is neither a CSV/TSV file nor a dataset folder; it was not checked.",
)
READ_FAILED = Rule(
    "read_failed", "error",
    "ファイルを読む途中で内部エラーが起きました（{reason}）。kokai の不具合です。このメッセージを添えて報告してください。",
    "an internal error occurred while reading the file ({reason}). This is a kokai bug; please report it.",
    fatal=True,
    bug=True,
)
CHECK_FAILED = Rule(
    "internal_error", "error",
    "検査中に内部エラーが起きました（{reason}）。kokai の不具合です。このメッセージを添えて報告してください。",
    "an internal error occurred while checking ({reason}). This is a kokai bug; please report it.",
    bug=True,
)


def context_from(config: Config | None, bbox: Any = None) -> CheckContext:
    city_code = config.city_code if config else ""
    city_bbox = bbox if bbox is not None else (config.city_bbox if config else None)
    return CheckContext(city_code=city_code, city_bbox=tuple(city_bbox) if city_bbox else None)


def validate_paths(
    paths: list[str],
    schema: str | None = None,
    config: Config | None = None,
    feed_validator: Callable[[str], Report] | None = None,
    sheet: str | int | None = None,
) -> Report:
    """Validate CSV/TSV files, workbooks (one sheet: `sheet`, default the first),
    dataset folders and datapackage files (a data package's GTFS resources with
    `feed_validator`, when given)."""
    validate_package = datapackage.validate_package
    report = Report()
    given_schema = load_schema(schema) if schema else None  # KokaiError: exit 2
    for shown in paths:
        path = Path(shown)
        try:
            mode = os.stat(path).st_mode
        except (OSError, ValueError):
            report.add(PATH_NOT_FOUND.finding(path=shown))
            continue
        kind = special_file_kind(mode)
        if kind is not None:  # /dev/zero, a FIFO: reading would never end
            report.add(NOT_A_REGULAR_FILE.finding(path=shown, kind=kind))
            continue
        if path.is_dir():
            descriptor = datapackage.find_descriptor(path)
            if descriptor is not None:
                validate_package(
                    descriptor, report, config=config, schema=given_schema,
                    feed_validator=feed_validator,
                )
                continue
            tables = sorted(p for p in path.iterdir() if p.suffix.lower() in TABLE_SUFFIXES)
            if not tables:
                report.add(NOTHING_TO_VALIDATE.finding(path=shown))
            for table_path in tables:
                validate_table(str(table_path), report, schema=given_schema, context=context_from(config))
            continue
        suffix = path.suffix.lower()
        if path.name.lower() in datapackage.PACKAGE_NAMES or suffix in (".yaml", ".yml"):
            validate_package(
                path, report, config=config, schema=given_schema, feed_validator=feed_validator
            )
            continue
        if suffix and suffix not in TABLE_SUFFIXES + SPREADSHEET_SUFFIXES:
            report.add(NOT_A_TABLE.finding(path=shown))
            continue
        validate_table(
            shown, report, schema=given_schema, context=context_from(config), sheet=sheet
        )
    return report


def validate_table(
    path: str,
    report: Report,
    schema: dict[str, Any] | None = None,
    context: CheckContext | None = None,
    table: Table | None = None,
    review: Review | None = None,
    sheet: str | int | None = None,
) -> Table:
    """Read one table, choose its schema and add every finding to `report`
    (personal data as errors, or as info under the data package's `review`)."""
    if table is None:
        try:
            table = read_table(path, sheet)
        except Exception as exc:  # reading reports bad files itself; this is a kokai bug
            report.add_source(path, "table")
            report.add(READ_FAILED.finding(path=path, reason=f"{exc!r}"[:300]))
            return Table(path=path, encoding="", header=[], data=pl.DataFrame(),
                         line=pl.Series("line", [], dtype=pl.Int64))
    details: dict[str, Any] = {
        "encoding": table.encoding,
        "rows": table.data.height - sum(1 for line in table.junk_lines if line > table.header_line),
        "columns": len(table.header),
    }
    if table.header_rows > 1:
        details["header_rows"] = table.header_rows
    if isinstance(table, SheetTable):
        details.update(table.source_details())
    source = report.add_source(path, "table", **details)
    start = len(report.findings)  # this table's findings: personal text is masked in them
    report.extend(table.findings)
    if not table.readable:
        return table
    chosen, findings = choose_schema(table, schema)
    report.extend(findings)
    # one cell, one error: where a Japanese rule already explains a bad cell
    # (e.g. ○ in a flag column), the generic type/constraint error is left out
    covered: dict[str, pl.Series] = {}
    japanese = japanese_findings(table, chosen, context or CheckContext(), covered)
    if chosen is not None:
        source.details["schema"] = chosen.get("name") or chosen.get("title") or "(inline)"
        if "kokai:confidence" in chosen:
            source.details["confidence"] = chosen["kokai:confidence"]
        if "kokai:candidates" in chosen:  # a near-tie: what else was close
            source.details["schema_candidates"] = ", ".join(
                f"{c['schema']} {c['confidence']}" for c in chosen["kokai:candidates"]
            )
        try:
            check_table_schema(table, chosen, report, covered=covered)
        except Exception as exc:  # a bug must not hide the other findings
            report.add(CHECK_FAILED.finding(path=path, reason=f"table schema: {exc!r}"[:300]))
    report.extend(japanese)
    try:
        personal = check_personal_data(table, chosen, review)
        redact(report.findings, start, personal, table.header_line)
        report.extend(personal)
    except Exception as exc:  # a bug must not hide the other findings
        report.add(CHECK_FAILED.finding(path=path, reason=f"personal data: {exc!r}"[:300]))
    if isinstance(table, SheetTable):
        add_column_letters(report.findings, start, table)
    return table


def add_column_letters(findings: list[Finding], start: int, table: Table) -> None:
    """A sheet's findings name the column as Excel does: the parameter
    `column_letter` (e.g. "C"), which the renderers show as 「C列（電話番号）」."""
    letters = letters_by_field(table)
    for i in range(start, len(findings)):
        f = findings[i]
        letter = letters.get(f.field) if f.field else None
        if letter and f.path == table.path and "column_letter" not in f.params:
            findings[i] = dataclasses.replace(f, params={**f.params, "column_letter": letter})


def choose_schema(
    table: Table, schema: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The given schema, else the one detected from the header (None when unsure).
    Columns published under an alias or an entity prefix are matched to their
    fields (`apply_aliases`). Runners-up within NEAR_TIE of the detected schema
    are named in the finding and kept as `kokai:candidates` (the source details)."""
    if schema is not None:
        return apply_aliases(schema, table.header), []
    detection = detect_schema(table.header, table.path)
    path = table.path
    if detection.name is None:
        return None, [SCHEMA_NOT_DETECTED.finding(path=path, nearest=Text("なし", "none"))]
    bundled = load_schema(detection.name)
    title = bundled.get("title", detection.name)
    if detection.outdated:
        mapping = "、".join(f"{old}→{new}" for old, new in detection.mapping.items() if old != new)
        adapted = adapt_schema(bundled, detection.mapping)
        adapted["kokai:confidence"] = detection.confidence
        return adapted, [
            OUTDATED_LAYOUT.finding(
                path=path, row=table.header_line, title=title, mapping=mapping or "-",
                schema=detection.name,
            )
        ]
    if not detection.usable:
        nearest = Text(
            f"「{detection.name}」（確度 {detection.confidence}）",
            f"{detection.name} (confidence {detection.confidence})",
        )
        return None, [
            SCHEMA_NOT_DETECTED.finding(
                path=path, nearest=nearest, schema=detection.name, confidence=detection.confidence
            )
        ]
    layout = layout_confidence(bundled)
    chosen = apply_aliases(bundled, table.header)
    chosen["kokai:confidence"] = detection.confidence
    near = Text("", "")
    if detection.near:
        chosen["kokai:candidates"] = [
            {"schema": n, "confidence": c} for n, c in [(detection.name, detection.confidence), *detection.near]
        ]
        listed = "、".join(f"{n}（{c}）" for n, c in detection.near)
        near = Text(
            f"僅差の候補: {listed}。列の一致の割合が高い方、同点なら列構成の確からしさが高い方を選びました。",
            f"Close candidates: {', '.join(f'{n} ({c})' for n, c in detection.near)}; "
            "the better fit wins, then the better-confirmed layout. ",
        )
    return chosen, [
        SCHEMA_DETECTED.finding(
            path=path, schema=detection.name, title=title, confidence=detection.confidence,
            matched=len(detection.matched), total=len(bundled["fields"]), layout=layout, near=near,
        )
    ]


def japanese_findings(
    table: Table, schema: dict[str, Any] | None, context: CheckContext,
    covered: dict[str, pl.Series] | None = None,
) -> Findings:
    try:
        return check_table(table, schema, context, covered)
    except Exception as exc:  # a bug must not hide the other findings
        if covered:
            covered.clear()
        return Findings([CHECK_FAILED.finding(path=table.path, reason=f"japanese: {exc!r}"[:300])])
