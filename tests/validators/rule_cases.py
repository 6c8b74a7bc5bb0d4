"""One small input per validator rule code, and the finding it must give.

A plain module (not collected as tests): `test_table_rule_cases.py` runs every case,
and fails when a rule declared in kokai/validators has no case here. The
fixtures are made up for the fictional city of 潮見市 (全国地方公共団体コード
229997); none is copied from real data.

A case is a handful of files written into a temporary folder (text is encoded
with the case's encoding, bytes are written as they are), the path given to
the validator (or to `kokai fix`), optionally a schema (a bundled name, or a
file among the case's files) and a kokai.toml, and the (code, path suffix,
row, field) of one finding that must appear. Rows are the line a person sees
(header = 1); `row=None` means a finding about the whole file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

# text (encoded with the case's encoding), raw bytes, or a function that makes
# the bytes when the case runs (large files)
Content = str | bytes | Callable[[], bytes]


@dataclass(frozen=True)
class RuleCase:
    files: dict[str, Content]  # relative path -> text (encoded with `encoding`) or raw bytes
    target: str  # the path given to the validator (or IN for `kokai fix`), relative
    path: str  # the finding's path ends with this (posix separators)
    row: int | None  # the row a person sees; None: the whole file
    field: str | None
    encoding: str = "utf-8"
    run: Literal["validate", "fix"] = "validate"
    schema: str | None = None  # a bundled schema name, or a relative path among `files`
    config: str | None = None  # the text of a kokai.toml
    folders: tuple[str, ...] = ()  # empty folders to create
    fifos: tuple[str, ...] = ()  # named pipes to create
    # "module:attribute" replaced by a function that raises: the safety nets
    # for kokai's own bugs have no input that reaches them
    fault: str | None = None


def write_case(case: RuleCase, root: Path) -> Path:
    """Write the case's files under `root`; the path to give the validator."""
    root.mkdir(parents=True, exist_ok=True)
    for name in case.folders:
        (root / name).mkdir(parents=True, exist_ok=True)
    for name in case.fifos:
        os.mkfifo(root / name)
    for name, content in case.files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content = content()
        if isinstance(content, str):
            content = content.encode(case.encoding)
        path.write_bytes(content)
    if case.config is not None:
        (root / "kokai.toml").write_text(case.config, encoding="utf-8")
    return root / case.target


def table(
    text: Content, row: int | None, field: str | None, name: str = "施設一覧.csv", **kw: Any
) -> RuleCase:
    """One CSV file, validated (or fixed) as it is."""
    return RuleCase(files={name: text}, target=name, path=name, row=row, field=field, **kw)


def fix(text: Content, row: int | None, field: str | None, **kw: Any) -> RuleCase:
    """`kokai fix 入力.csv out/修正後.csv`: the change findings are on IN."""
    return table(text, row, field, name="入力.csv", run="fix", **kw)


# --- a data package -------------------------------------------------------------------

PACKAGE_CSV = (
    "名称,所在地_連結表記,緯度,経度,電話番号\n"
    "潮見市役所,静岡県潮見市本町一丁目1-1,34.710299,137.951162,053-431-2111\n"
    "潮見市立図書館,静岡県潮見市西町450,34.705441,137.936194,053-431-2200\n"
)


def descriptor(**changes: Any) -> dict[str, Any]:
    """A complete datapackage descriptor; a change to None removes the key."""
    out: dict[str, Any] = {
        "name": "shiomi-aed",
        "title": "AED設置場所一覧",
        "description": "潮見市内の公共施設に置いている AED（自動体外式除細動器）の一覧です。架空の市のデモデータです。",
        "licenses": [{"name": "CC-BY-4.0", "title": "クリエイティブ・コモンズ 表示 4.0 国際"}],
        "keywords": ["防災", "AED"],
        "kokai:organization": "shiomi-city-kenkou",
        "kokai:update_frequency": "随時",
        "kokai:spatial": [137.88, 34.665, 138.04, 34.755],
        "resources": [{"name": "aed", "path": "aed.csv", "format": "csv"}],
    }
    out.update(changes)
    return {k: v for k, v in out.items() if v is not None}


def package(
    row: int | None = None,
    field: str | None = None,
    text: str | None = None,
    extra: dict[str, Content] | None = None,
    path: str = "aed/datapackage.yaml",
    **changes: Any,
) -> RuleCase:
    """The folder aed/ with datapackage.yaml (the descriptor with `changes`, or
    `text`) and aed.csv; findings on the descriptor unless `path` says otherwise."""
    if text is None:
        text = yaml.safe_dump(descriptor(**changes), allow_unicode=True, sort_keys=False)
    files: dict[str, Content] = {"aed/datapackage.yaml": text, "aed/aed.csv": PACKAGE_CSV}
    files.update(extra or {})
    return RuleCase(files=files, target="aed", path=path, row=row, field=field)


# --- a Table Schema of our own (貸出備品: equipment lent by the city) ------------------

SCHEMA = json.dumps(
    {
        "name": "shiomi-equipment",
        "title": "潮見市 貸出備品一覧",
        "fields": [
            {"name": "管理番号", "type": "string", "constraints": {"required": True}},
            {
                "name": "品名",
                "type": "string",
                "constraints": {"required": True},
                "kokai:level": "required",
            },
            {"name": "数量", "type": "integer", "constraints": {"minimum": 0}},
            {"name": "区分", "type": "string", "constraints": {"enum": ["机", "椅子", "テント"]}},
            {
                "name": "型番",
                "type": "string",
                "kokai:recommendedPattern": "[A-Z]{2}-[0-9]{3}",
                "description": "英大文字2字、ハイフン、数字3桁（例: TN-120）",
            },
            {"name": "貸出コード", "type": "string", "constraints": {"unique": True}},
        ],
        "primaryKey": ["管理番号"],
    },
    ensure_ascii=False,
)
HEADER = "管理番号,品名,数量,区分,型番,貸出コード\n"
ROW_1 = "B-001,会議用テント,4,テント,TN-120,L1\n"
ROW_2 = "B-002,折りたたみ机,30,机,DK-045,L2\n"


def with_schema(text: str, row: int | None, field: str | None, schema: str = SCHEMA) -> RuleCase:
    """備品.csv checked against the schema file schema.json."""
    return RuleCase(
        files={"備品.csv": text, "schema.json": schema},
        target="備品.csv",
        path="備品.csv",
        row=row,
        field=field,
        schema="schema.json",
    )


def _unclosed_quote_10mib() -> bytes:
    head = '名称,備考\n潮見市役所,"'.encode()
    return head + b"x" * ((10 << 20) + 16) + b"\n"


def _wide_header_one_cell_rows() -> bytes:
    """2,000 columns and 6,000 one-cell rows: about 12 M cells to pad."""
    header = ",".join(f"列{i}" for i in range(2000))
    return (header + "\n" + "x\n" * 6000).encode()


CITY_CONFIG = """\
[city]
name = "潮見市"
code = "229997"
bbox = [137.88, 34.665, 138.04, 34.755]
"""

SHELTERS_HEADER = (
    "NO,共通ID,施設・場所名,住所,指定緊急避難場所との住所同一,"
    "その他市町村長が必要と認める事項,受入対象者,緯度,経度,備考\n"
)
SHELTERS_ROW = (
    "1,E2299900002111,潮見第一小学校,静岡県潮見市本町二丁目8-1,1,,,34.714075,137.958703,\n"
)
FACILITY = "名称,所在地_連結表記,電話番号\n潮見市役所,静岡県潮見市本町一丁目1-1,053-431-2111\n"
CAPACITY = "名称,想定収容人数\n潮見第一小学校,{}\n潮見第二小学校,450\n"
POPULATION = "地域名,総人口,男性,女性,0-4歳の男性,5歳以上の男性\n本町一丁目,{},{},{},{},{}\n"


# --- Excel workbooks (written with xlsxwriter when the case runs; no binary fixtures) ---


def workbook(
    sheets: dict[str, list[list[Any]]] | None = None,
    merge: str | None = None,
    hidden_row: int | None = None,
    hidden_sheet: str | None = None,
) -> Callable[[], bytes]:
    """The bytes of an .xlsx with `sheets` (name -> rows from A1), made when the
    case runs; `merge` an A1 range merged on the first sheet, `hidden_row` a row
    (1-based) hidden on it."""

    def make() -> bytes:
        import io

        import xlsxwriter

        out = io.BytesIO()
        book = xlsxwriter.Workbook(out, {"in_memory": True})
        for index, (name, rows) in enumerate((sheets or {"施設": []}).items()):
            sheet = book.add_worksheet(name)
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    if value is not None:
                        sheet.write(r, c, value)
            if index == 0 and merge:
                sheet.merge_range(merge, rows[0][0] if rows and rows[0] else "")
            if index == 0 and hidden_row:
                sheet.set_row(hidden_row - 1, None, None, {"hidden": True})
            if name == hidden_sheet:
                sheet.hide()
        book.close()
        return out.getvalue()

    return make


def _zip_bomb() -> bytes:
    """An .xlsx-shaped zip whose sheet inflates 30 MiB from a few KB."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 << 20))
    return out.getvalue()


FACILITY_ROWS = [["名称", "所在地_連結表記", "電話番号"], ["潮見市役所", "静岡県潮見市本町一丁目1-1", "053-431-2111"]]


TABLE_RULE_CASES: dict[str, RuleCase] = {
    # --- reading: the file, its encoding and its shape --------------------------------
    "path_not_found": RuleCase(files={}, target="ない.csv", path="ない.csv", row=None, field=None),
    "nothing_to_validate": RuleCase(
        files={"資料/説明.md": "# 潮見市の資料\n"}, target="資料", path="資料", row=None, field=None
    ),
    "not_a_table": table(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", None, None, name="避難所マップ.pdf"),
    # the input of `kokai fix` is a folder (validate treats a folder as a dataset folder)
    "unreadable_file": RuleCase(
        files={},
        folders=("入力フォルダ",),
        target="入力フォルダ",
        path="入力フォルダ",
        row=None,
        field=None,
        run="fix",
    ),
    "empty_file": table(b"", None, None),
    # a zip saved under a CSV name (an .xlsx name is read as a workbook)
    "binary_file": table(
        b"PK\x03\x04\x14\x00\x06\x00" + bytes(64), None, None, name="施設一覧.csv"
    ),
    "workbook_unreadable": table(b"PK\x03\x04\x14\x00\x06\x00" + bytes(64), None, None, name="施設一覧.xlsx"),
    "workbook_too_large": table(_zip_bomb, None, None, name="施設一覧.xlsx"),
    "empty_sheet": table(workbook({"空": []}), None, None, name="施設一覧.xlsx"),
    "other_sheets_not_checked": table(
        workbook({"施設": FACILITY_ROWS, "メモ": [["作成者", "防災課"]]}), None, None, name="施設一覧.xlsx"
    ),
    "merged_cells": table(
        workbook({"施設": [*FACILITY_ROWS, ["潮見市立図書館", None, None]]}, merge="B3:C3"),
        3, "所在地_連結表記", name="施設一覧.xlsx",
    ),
    "hidden_rows_columns": table(
        workbook({"施設": [*FACILITY_ROWS, ["潮見市立図書館", "静岡県潮見市西町450", "053-431-2200"]]}, hidden_row=3),
        3, None, name="施設一覧.xlsx",
    ),
    # a data package whose resource names a sheet (frictionless' dialect.sheet) that is not there
    "sheet_not_found": RuleCase(
        files={
            "aed/datapackage.yaml": yaml.safe_dump(descriptor(resources=[{
                "name": "aed", "path": "aed.xlsx", "format": "xlsx", "dialect": {"sheet": "令和7年度"},
            }]), allow_unicode=True, sort_keys=False),
            "aed/aed.xlsx": workbook({"令和6年度": FACILITY_ROWS}),
        },
        target="aed", path="aed/aed.xlsx", row=None, field=None,
    ),
    "line_too_long": table("潮見市" * 120_000 + "\n1\n", None, None),
    "too_many_columns": table(
        ",".join(f"列{i}" for i in range(1, 2102)) + "\n" + "1," * 2100 + "1\n", None, None
    ),
    # an unclosed quote that runs on past the csv module's 10 MiB limit for one cell
    # a lone CR (old Mac line end) inside an unquoted cell, in a file the csv module
    # must read (a short row sends it off polars' path)
    "csv_parse_error": table(
        "名称,住所,備考\n潮見\r市役所,本町,\n潮見市立図書館,西町\n", None, None
    ),
    # an unclosed quote that runs on past 10 MiB: one cell swallows the rest of the file
    "cell_too_large": table(_unclosed_quote_10mib, 2, None),
    "too_many_missing_cells": table(_wide_header_one_cell_rows, None, None),
    "not_a_regular_file": RuleCase(
        files={},
        fifos=("施設一覧.csv",),
        target="施設一覧.csv",
        path="施設一覧.csv",
        row=None,
        field=None,
    ),
    "no_data_rows": table("名称,所在地_連結表記,電話番号\n", None, None),
    "encoding_not_utf8": table(FACILITY, None, None, encoding="cp932"),
    "encoding_error": table(
        FACILITY.encode()
        + "潮見市立図書館,静岡県潮見市西町".encode()
        + b"\xff\xfe"
        + b"450,053-431-2200\n",
        None,
        None,
    ),
    "invalid_quoting": table('名称,備考\n潮見市役所,"本町の庁舎\n潮見市立図書館,\n', 2, None),
    "header_not_first_line": table(
        "潮見市 公共施設一覧（令和6年4月1日現在）\n" + FACILITY, 2, None
    ),
    "multi_row_header": table(
        "名称,所在地,,備考\n,町字,番地,\n潮見市役所,本町一丁目,1-1,\n", 2, None
    ),
    "blank-label": table("名称,,電話番号\n潮見市役所,本町,053-431-2111\n", 1, "__col2"),
    "duplicate-label": table("名称,電話番号,名称\n潮見市役所,053-431-2111,市役所\n", 1, "名称"),
    "blank-row": table(FACILITY + "\n潮見市立図書館,静岡県潮見市西町450,053-431-2200\n", 3, None),
    "trailing_blank_rows": table(FACILITY + ",,\n,,\n", 3, None),
    "totals_row": table("地区名,世帯数\n本町一丁目,812\n港町,455\n合計,1267\n", 4, None),
    "newline_in_cell": table(
        '名称,備考\n潮見市役所,"1階 市民課\n2階 福祉課"\n潮見市立図書館,\n', 2, "備考"
    ),
    "extra-cell": table(FACILITY + "潮見市立図書館,静岡県潮見市西町,450,053-431-2200\n", 3, None),
    "missing-cell": table(FACILITY + "潮見市立図書館,静岡県潮見市西町450\n", 3, "電話番号"),
    # --- choosing a schema ----------------------------------------------------------------
    "schema_detected": table(SHELTERS_HEADER + SHELTERS_ROW, None, None, name="shelters.csv"),
    "schema_not_detected": table("品目,数量\n土のう袋,1200\n毛布,300\n", None, None),
    "outdated_layout": table(
        "都道府県コード又は市区町村コード,NO,都道府県名,市区町村名,名称,名称_カナ,住所,緯度,経度,電話番号\n"
        "229997,1,静岡県,潮見市,潮見第一小学校,シオミダイイチショウガッコウ,静岡県潮見市本町二丁目8-1,"
        "34.714075,137.958703,053-438-3033\n",
        1,
        None,
        name="hinanjo.csv",
    ),
    "read_failed": table(FACILITY, None, None, fault="kokai.validators.table:read_table"),
    "internal_error": RuleCase(
        files={"shelters.csv": SHELTERS_HEADER + SHELTERS_ROW},
        target="shelters.csv",
        path="shelters.csv",
        row=None,
        field=None,
        schema="gsi-shelters",
        fault="kokai.validators.table:check_table_schema",
    ),
    # --- Table Schema ---------------------------------------------------------------------
    "type-error": with_schema(
        HEADER + ROW_1 + "B-002,折りたたみ机,たくさん,机,DK-045,L2\n", 3, "数量"
    ),
    "constraint-error": with_schema(
        HEADER + ROW_1 + "B-002,折りたたみ机,30,棚,DK-045,L2\n", 3, "区分"
    ),
    "unique-error": with_schema(
        HEADER + ROW_1 + "B-002,折りたたみ机,30,机,DK-045,L1\n", 3, "貸出コード"
    ),
    "primary-key": with_schema(
        HEADER + ROW_1 + "B-001,折りたたみ机,30,机,DK-045,L2\n", 3, "管理番号"
    ),
    "missing-label": with_schema(
        "管理番号,数量,区分,型番,貸出コード\nB-001,4,テント,TN-120,L1\n", 1, "品名"
    ),
    "extra-label": with_schema(
        HEADER.replace("\n", ",保管場所\n") + ROW_1.replace("\n", ",防災倉庫\n"), 1, "保管場所"
    ),
    "label_not_exact": with_schema(HEADER.replace("品名", "品　名") + ROW_1 + ROW_2, 1, "品名"),
    "label_order": with_schema(
        "品名,管理番号,数量,区分,型番,貸出コード\n会議用テント,B-001,4,テント,TN-120,L1\n",
        1,
        "品名",
    ),
    "pattern_expectation": with_schema(
        HEADER + ROW_1 + "B-002,折りたたみ机,30,机,dk45,L2\n", 3, "型番"
    ),
    "schema_invalid": with_schema(
        HEADER + ROW_1,
        None,
        None,
        schema=SCHEMA.replace('"type": "integer"', '"type": "whole number"'),
    ),
    # --- the data package -----------------------------------------------------------------
    "package_unreadable": package(text="title: [AED設置場所一覧\nresources:\n  - path: aed.csv\n"),
    "package_field_missing": package(field="title", title=None),
    "package_field_invalid": package(
        field="kokai:spatial", **{"kokai:spatial": [138.04, 34.665, 137.88, 34.755]}
    ),
    "package_not_japanese": package(field="title", title="AED locations"),
    "license_unknown": package(field="licenses", licenses=[{"name": "MIT"}]),
    "resource_invalid": package(field="aed", resources=[{"name": "aed", "format": "csv"}]),
    "resource_missing": package(field="aed", resources=[{"name": "aed", "path": "aed_2024.csv"}]),
    "resource_gtfs_skipped": package(
        field="bus",
        resources=[{"name": "bus", "path": "feed", "format": "gtfs"}],
        extra={
            "aed/feed/agency.txt": "agency_name,agency_url,agency_timezone\n潮見市,https://example.jp,Asia/Tokyo\n"
        },
    ),
    "resource_not_table": package(
        field="map",
        resources=[{"name": "map", "path": "aed.geojson", "format": "geojson"}],
        extra={"aed/aed.geojson": '{"type": "FeatureCollection", "features": []}\n'},
    ),
    # --- Japanese values: codes -----------------------------------------------------------
    "lgcode_leading_zero_dropped": table(
        "全国地方公共団体コード,名称\n11002,潮見市役所\n", 2, "全国地方公共団体コード"
    ),
    "lgcode_check_digit": table(
        "全国地方公共団体コード,名称\n229990,潮見市役所\n", 2, "全国地方公共団体コード"
    ),
    "lgcode_format": table(
        "全国地方公共団体コード,名称\n22-999,潮見市役所\n", 2, "全国地方公共団体コード"
    ),
    "lgcode_other_body": table(
        "全国地方公共団体コード,名称\n229997,潮見市役所\n221309,県西部保健所\n",
        3,
        "全国地方公共団体コード",
        config=CITY_CONFIG,
    ),
    "houjin_check_digit": table("名称,法人番号\n潮見市,2000020229997\n", 2, "法人番号"),
    "houjin_format": table("名称,法人番号\n潮見市,20229997\n", 2, "法人番号"),
    "houjin_branch_suffix": table("名称,法人番号\n潮見市,1000020229997_2\n", 2, "法人番号"),
    "postal_code_format": table("名称,郵便番号\n潮見市役所,437-0101\n", 2, "郵便番号"),
    "phone_format": table("名称,電話番号\n潮見市役所,431-2111\n", 2, "電話番号"),
    "phone_several": table(
        "名称,電話番号\n潮見市役所,053-431-2111（夜間 053-431-2119）\n", 2, "電話番号"
    ),
    "phone_with_note": table("名称,電話番号\n潮見市役所,053-431-2111（代）\n", 2, "電話番号"),
    "url_format": table("名称,URL\n潮見市役所,www.city.shiomi.example.jp\n", 2, "URL"),
    "email_format": table(
        "名称,連絡先メールアドレス\n潮見市役所,bousai@city\n", 2, "連絡先メールアドレス"
    ),
    "fullwidth_characters": table("名称,郵便番号\n潮見市役所,４３７０１０１\n", 2, "郵便番号"),
    "surrounding_space": table("ID,名称\nA01 ,潮見市役所\nA02,潮見市立図書館\n", 2, "ID"),
    "duplicate_id": table("ID,名称\nA01,潮見市役所\nA01,潮見市立図書館\n", 3, "ID"),
    "duplicate_record": table(FACILITY + FACILITY.split("\n")[1] + "\n", 3, None),
    # --- Japanese values: coordinates -----------------------------------------------------
    "coordinate_not_number": table(
        "名称,緯度,経度\n潮見市役所,北緯34度42分,137.951162\n", 2, "緯度"
    ),
    "coordinate_outside_japan": table(
        "名称,緯度,経度\n潮見市役所,3.4710299,137.951162\n", 2, "緯度"
    ),
    "coordinates_swapped": table("名称,緯度,経度\n潮見市役所,137.951162,34.710299\n", 2, "緯度"),
    "coordinate_outside_city": table(
        "名称,緯度,経度\n潮見市役所,34.710299,137.951162\n東京事務所,35.681236,139.767125\n",
        3,
        "緯度",
        config=CITY_CONFIG,
    ),
    # --- Japanese values: dates, flags, numbers, text -------------------------------------
    "wareki_date": table("名称,更新日\n潮見市役所,令和6年4月1日\n", 2, "更新日"),
    "non_iso_date": table("名称,更新日\n潮見市役所,2024/4/1\n", 2, "更新日"),
    "invalid_date": table("名称,更新日\n潮見市役所,2024/2/30\n", 2, "更新日"),
    "flag_value": table(
        "名称,災害種別_洪水\n潮見第一小学校,○\n潮見第二小学校,\n", 2, "災害種別_洪水"
    ),
    "flag_ambiguous": table(
        "名称,災害種別_津波\n潮見第一小学校,△\n潮見第二小学校,1\n", 2, "災害種別_津波"
    ),
    "number_with_unit": table(CAPACITY.format("810人"), 2, "想定収容人数"),
    "thousands_separator": table(CAPACITY.format('"1,200"'), 2, "想定収容人数"),
    "negative_count": table(CAPACITY.format("-5"), 2, "想定収容人数"),
    "text_in_number": table(CAPACITY.format("屋内191人／屋外0人"), 2, "想定収容人数"),
    "population_total_mismatch": table(POPULATION.format(1867, 918, 948, 28, 890), 2, "総人口"),
    "population_bands_mismatch": table(POPULATION.format(1867, 918, 949, 28, 889), 2, "男性"),
    "fullwidth_digits_in_text": table(
        "名称,所在地_連結表記\n潮見市役所,静岡県潮見市本町一丁目１－１\n", 2, "所在地_連結表記"
    ),
    "ideographic_space_in_name": table(
        "名称,電話番号\n潮見市役所　本庁舎,053-431-2111\n", 2, "名称"
    ),
    "kana_format": table("名称,名称_カナ\n潮見市役所,しおみしやくしょ\n", 2, "名称_カナ"),
    "model_dependent_character": table("名称,電話番号\n潮見市役所㈱売店,053-431-2111\n", 2, "名称"),
    # --- Japanese values: whole columns ----------------------------------------------------
    "several_values_in_cell": table(
        "名称,対象災害\n潮見第一小学校,洪水\n潮見第二小学校,\"洪水,地震\"\n潮見中学校,\"地震,津波\"\n"
        "潮見公民館,\"洪水,崖崩れ等,地震\"\n",
        3,
        "対象災害",
    ),
    "empty_column": table(
        "名称,電話番号,開館時間\n潮見市役所,053-431-2111,\n潮見市立図書館,053-431-2200,\n",
        None,
        "開館時間",
    ),
    # --- personal data (個人情報) ---------------------------------------------------------
    "personal_data_column": table(
        "氏名,生年月日,電話番号\n潮見 一郎,1980-04-01,090-0000-0001\n", 1, "氏名", name="名簿.csv"
    ),
    # 123456789018: the textbook example of a number that passes the check digit
    "personal_number": table("管理番号,個人番号\nA-1,123456789018\n", 2, "個人番号", name="名簿.csv"),
    "personal_email": table(
        "名称,連絡先メールアドレス\n潮見市子ども会,shiomi.kodomokai@gmail.com\n", 2, "連絡先メールアドレス"
    ),
    "personal_data_review_invalid": package(
        field="kokai:personal_data_review",
        **{"kokai:personal_data_review": {"by": "総務課 潮見一郎", "date": "2026/04/01", "reason": "法令で公表"}},
    ),
    # --- kokai fix: the changes it lists (on IN) ------------------------------------------
    "fixed_encoding": fix(FACILITY, None, None, encoding="cp932"),
    "merged_header": fix("名称,所在地,,備考\n,町字,番地,\n潮見市役所,本町一丁目,1-1,\n", 2, None),
    "dropped_row": fix(FACILITY + ",,\n潮見市立図書館,静岡県潮見市西町450,053-431-2200\n", 3, None),
    "dropped_column": fix("名称,,電話番号\n潮見市役所,,053-431-2111\n", None, None),
    "padded_row": fix(FACILITY + "潮見市立図書館,静岡県潮見市西町450\n", 3, None),
    "fixed_flag": fix(
        "名称,災害種別_洪水\n潮見第一小学校,○\n潮見第二小学校,\n", 2, "災害種別_洪水"
    ),
    "fixed_date": fix("名称,更新日\n潮見市役所,令和6年4月1日\n", 2, "更新日"),
    "fixed_fullwidth": fix(CAPACITY.format("１２０"), 2, "想定収容人数"),
    "fixed_number": fix(CAPACITY.format('"1,200"'), 2, "想定収容人数"),
    "fixed_unit": fix(CAPACITY.format("810人"), 2, "想定収容人数"),
    "fixed_code": fix("名称,郵便番号\n潮見市役所,437-0101\n", 2, "郵便番号"),
    "fixed_space": fix(CAPACITY.format(" 120"), 2, "想定収容人数"),
    "fixed_header": fix("№,名称\n0001,潮見市役所\n", 1, "№"),
    "wrote_csv": fix(FACILITY, None, None),
}
