"""The GTFS-JP extension files: agency_jp.txt, office_jp.txt, routes_jp.txt (第2版)
and pattern_jp.txt (第3版), and the trips.txt columns that point to them
(jp_office_id, jp_pattern_id): required values, unique ids, references, and the
formats of the postal code and the route update date."""

from __future__ import annotations

import polars as pl

from kokai.gtfs.columns import blank
from kokai.gtfs.jp.common import jp_rule
from kokai.gtfs.rules_common import CheckContext, emit
from kokai.validators.report import Findings, Rule

OFFICE_JP_MISSING = jp_rule(
    "jp_office_id_without_office_jp",
    "error",
    "trips.txt の jp_office_id に値がありますが（{row} 行目「{value}」ほか計 {count} 便）、"
    "office_jp.txt がありません。"
    "営業所（office_id、office_name）を書いた office_jp.txt を追加するか、jp_office_id を空に"
    "してください。",
    "trips.txt uses jp_office_id (row {row} {value!r}, {count} trips in all) but office_jp.txt "
    "is missing. Add "
    "office_jp.txt (office_id, office_name) or clear jp_office_id.",
)
OFFICE_FOREIGN_KEY = jp_rule(
    "jp_office_foreign_key_violation",
    "error",
    "trips.txt の {row} 行目の jp_office_id「{value}」が office_jp.txt にありません。"
    "office_jp.txt に営業所を追加するか、jp_office_id を直してください。",
    "trips.txt row {row}: jp_office_id {value!r} is not in office_jp.txt.",
)
PATTERN_FOREIGN_KEY = jp_rule(
    "jp_pattern_foreign_key_violation",
    "error",
    "trips.txt の {row} 行目の jp_pattern_id「{value}」が pattern_jp.txt にありません。"
    "pattern_jp.txt に系統を追加するか、jp_pattern_id を直してください。",
    "trips.txt row {row}: jp_pattern_id {value!r} is not in pattern_jp.txt.",
)
AGENCY_JP_FOREIGN_KEY = jp_rule(
    "jp_agency_jp_foreign_key_violation",
    "error",
    "agency_jp.txt の {row} 行目の agency_id「{value}」が agency.txt にありません。"
    "agency.txt と同じ agency_id（法人番号）を書いてください。",
    "agency_jp.txt row {row}: agency_id {value!r} is not in agency.txt.",
)
ROUTES_JP_FOREIGN_KEY = jp_rule(
    "jp_routes_jp_foreign_key_violation",
    "error",
    "routes_jp.txt の {row} 行目の route_id「{value}」が routes.txt にありません。"
    "routes.txt と同じ route_id を書くか、不要な行を削除してください。",
    "routes_jp.txt row {row}: route_id {value!r} is not in routes.txt.",
)
MISSING_JP_REQUIRED_FIELD = jp_rule(
    "jp_missing_required_field",
    "error",
    "{path} の {row} 行目の {field} が空です。GTFS-JP では必須です。値を入れてください。",
    "{path} row {row}: {field} is empty; GTFS-JP requires it.",
)
MISSING_JP_REQUIRED_COLUMN = jp_rule(
    "jp_missing_required_column",
    "error",
    "{path} に必須の {field} 列がありません。列を追加してください。",
    "{path} has no {field} column, which GTFS-JP requires. Add it.",
)
DUPLICATE_JP_KEY = jp_rule(
    "jp_duplicate_key",
    "error",
    "{path} の {row} 行目の {field}「{value}」は {first_row} 行目と重複しています。"
    "ID は重複しないように付け直してください。",
    "{path} row {row}: {field} {value!r} repeats row {first_row}. IDs must be unique.",
)
INVALID_ZIP_NUMBER = jp_rule(
    "jp_invalid_agency_zip_number",
    "warning",
    "agency_jp.txt の {row} 行目の agency_zip_number「{value}」は郵便番号の形式ではありません。"
    "ハイフンなしの半角数字 7 桁（例 1000013）で書いてください。",
    "agency_jp.txt row {row}: agency_zip_number {value!r} is not 7 half-width digits "
    "without a hyphen (e.g. 1000013).",
)
INVALID_UPDATE_DATE = jp_rule(
    "jp_invalid_route_update_date",
    "warning",
    "{path} の {row} 行目の route_update_date「{value}」は日付の形式ではありません。"
    "YYYYMMDD（例 20240401）で書いてください。",
    "{path} row {row}: route_update_date {value!r} is not a YYYYMMDD date.",
)

# (child file, column, parent file, parent column, rule)
_REFERENCES = (
    ("trips.txt", "jp_office_id", "office_jp.txt", "office_id", OFFICE_FOREIGN_KEY),
    ("trips.txt", "jp_pattern_id", "pattern_jp.txt", "jp_pattern_id", PATTERN_FOREIGN_KEY),
    ("agency_jp.txt", "agency_id", "agency.txt", "agency_id", AGENCY_JP_FOREIGN_KEY),
    ("routes_jp.txt", "route_id", "routes.txt", "route_id", ROUTES_JP_FOREIGN_KEY),
)
_REQUIRED = (
    ("agency_jp.txt", ("agency_id",)),
    ("office_jp.txt", ("office_id", "office_name")),
    ("routes_jp.txt", ("route_id",)),
    ("pattern_jp.txt", ("jp_pattern_id",)),
)
_KEYS = (
    ("office_jp.txt", "office_id"),
    ("pattern_jp.txt", "jp_pattern_id"),
    ("agency_jp.txt", "agency_id"),
    ("routes_jp.txt", "route_id"),
)


def _usable_frame(ctx: CheckContext, name: str) -> pl.DataFrame | None:
    return ctx.frame(name) if ctx.usable(name) else None


def check_jp_files(ctx: CheckContext) -> Findings:
    out = Findings()
    trips = _usable_frame(ctx, "trips.txt")
    if trips is not None and "jp_office_id" in trips.columns:
        used = trips.filter(~blank("jp_office_id"))
        if used.height and "office_jp.txt" not in ctx.feed.files:
            first = used.row(0, named=True)
            out.append(OFFICE_JP_MISSING.finding(
                path="trips.txt", row=first["__line__"], field="jp_office_id",
                value=first["jp_office_id"], count=used.height,
            ))  # fmt: skip
    for child, column, parent, parent_column, rule in _REFERENCES:
        _foreign_keys(out, ctx, child, column, parent, parent_column, rule)
    for name, columns in _REQUIRED:
        _missing_values(out, ctx, name, columns)
    for name, column in _KEYS:
        _duplicates(out, ctx, name, column)
    agency_jp = _usable_frame(ctx, "agency_jp.txt")
    if agency_jp is not None and "agency_zip_number" in agency_jp.columns:
        bad = ~blank("agency_zip_number") & ~pl.col("agency_zip_number").str.contains(r"^[0-9]{7}$")
        emit(out, INVALID_ZIP_NUMBER, agency_jp.filter(bad), path="agency_jp.txt",
             field="agency_zip_number", value="agency_zip_number")  # fmt: skip
    for name in ("routes_jp.txt", "pattern_jp.txt"):
        frame = _usable_frame(ctx, name)
        if frame is None or "route_update_date" not in frame.columns:
            continue
        parsed = pl.col("route_update_date").str.strptime(pl.Date, "%Y%m%d", strict=False)
        bad = ~blank("route_update_date") & (
            ~pl.col("route_update_date").str.contains(r"^[0-9]{8}$") | parsed.is_null()
        )
        emit(out, INVALID_UPDATE_DATE, frame.filter(bad), path=name, field="route_update_date",
             value="route_update_date")  # fmt: skip
    return out


def _missing_values(out: Findings, ctx: CheckContext, name: str, columns: tuple[str, ...]) -> None:
    """jp_missing_required_column / jp_missing_required_field for `columns` of `name`."""
    frame = _usable_frame(ctx, name)
    if frame is None:
        return
    for column in columns:
        if column not in frame.columns:
            out.append(MISSING_JP_REQUIRED_COLUMN.finding(path=name, field=column))
            continue
        emit(out, MISSING_JP_REQUIRED_FIELD, frame.filter(blank(column)), path=name, field=column)


def _duplicates(out: Findings, ctx: CheckContext, name: str, column: str) -> None:
    frame = _usable_frame(ctx, name)
    if frame is None or column not in frame.columns:
        return
    repeated = (
        frame.filter(~blank(column))
        .with_columns(pl.col("__line__").min().over(column).alias("__first__"))
        .filter(pl.col("__line__") != pl.col("__first__"))
    )
    emit(out, DUPLICATE_JP_KEY, repeated, path=name, field=column, value=column,
         params={"first_row": "__first__"})  # fmt: skip


def _foreign_keys(
    out: Findings, ctx: CheckContext, child: str, column: str, parent: str, parent_column: str,
    rule: Rule,
) -> None:  # fmt: skip
    frame = _usable_frame(ctx, child)
    target = ctx.feed.files.get(parent)
    if frame is None or target is None or column not in frame.columns or not ctx.usable(parent):
        return
    known = (
        target[parent_column].drop_nulls().unique()
        if parent_column in target.columns
        else pl.Series(dtype=pl.String)
    )
    dangling = frame.filter(~blank(column) & ~pl.col(column).is_in(known.implode()))
    emit(out, rule, dangling, path=child, field=column, value=column)
