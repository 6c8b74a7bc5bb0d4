"""Primary keys (`duplicate_key`) and foreign keys (`foreign_key_violation`)."""

from __future__ import annotations

import polars as pl

from kokai.gtfs.rules_common import CheckContext, emit
from kokai.gtfs.schema import SCHEMA
from kokai.gtfs.translations import translation_form
from kokai.validators.report import Findings, Rule

DUPLICATE_KEY = Rule(
    "duplicate_key",
    "error",
    "{path} の {row} 行目は {old_row} 行目と同じキー（{field} = {value}）です。"
    "ID が重複しないよう、どちらかの ID を変えるか重複行を削除してください。",
    "{path} row {row} repeats the key of row {old_row} ({field} = {value}). "
    "Change one id or delete the duplicate row.",
    source="mobilitydata",
)
FOREIGN_KEY_VIOLATION = Rule(
    "foreign_key_violation",
    "error",
    "{path} の {row} 行目「{field}」の {value!r} が {target} にありません。"
    "{target} に行を加えるか、正しい ID に直してください。",
    "{path} row {row} {field!r}: {value!r} is not found in {target}. Add it there or fix the id.",
    source="mobilitydata",
)


_SEQUENCES = ("stop_sequence", "shape_pt_sequence")


def check_primary_keys(ctx: CheckContext) -> Findings:
    out = Findings()
    for name, spec in SCHEMA.items():
        frame = ctx.frame(name)
        if frame is None or not spec.primary_key or frame.height < 2:
            continue
        if name == "translations.txt" and translation_form(frame.columns) == "v2":
            continue
        keys = [k for k in spec.primary_key if k in frame.columns]
        if not keys:
            continue
        if keys[-1] in _SEQUENCES and len(keys) == 2 and ctx.file_in_group_order(
            name, keys[0], keys[1]
        ):
            continue  # blocks in increasing sequence: no pair repeats (no hashing of pairs)
        if not frame.select(keys).is_duplicated().any():  # the usual case, checked cheaply
            continue
        if len(spec.primary_key) == 1:
            data = frame.filter(pl.col(keys[0]).is_not_null())  # a missing id is not a key
            key_expr = pl.col(keys[0])
        else:
            data = frame
            key_expr = pl.concat_str([pl.col(k).fill_null("") for k in keys], separator="\x1f")
        data = data.with_columns(key_expr.alias("__key__"))
        dup = data.filter(~pl.col("__key__").is_first_distinct())
        if dup.height == 0:
            continue
        first_rows = (
            data.filter(pl.col("__key__").is_in(dup["__key__"].implode()))
            .group_by("__key__")
            .agg(pl.col("__line__").min().alias("__old__"))
        )
        dup = dup.join(first_rows, on="__key__", how="left").sort("__line__")
        value = pl.col("__key__").str.replace_all("\x1f", ", ", literal=True).alias("__value__")
        emit(
            out,
            DUPLICATE_KEY,
            dup.with_columns(value),
            path=name,
            field=", ".join(keys),
            value="__value__",
            params={"old_row": "__old__"},
        )
    return out


def _service_ids(ctx: CheckContext) -> pl.Series:
    parts = [
        ctx.feed.files[f]["service_id"]
        for f in ("calendar.txt", "calendar_dates.txt")
        if ctx.has(f, "service_id")
    ]
    return pl.concat(parts).unique() if parts else pl.Series("service_id", [], pl.String)


def _violations(
    frame: pl.DataFrame, column: str, values: pl.Series, targets: pl.Series
) -> pl.DataFrame:
    """The rows whose `column` is not in `targets`. Its distinct `values` are looked
    up first (a long column such as stop_times.trip_id repeats each a lot); the rows
    are filtered only when some value is missing."""
    missing = values.filter(~values.is_in(targets.implode()))
    if missing.len() == 0:
        return frame.clear()
    return frame.filter(pl.col(column).is_in(missing.implode()))


def check_foreign_keys(ctx: CheckContext) -> Findings:
    out = Findings()
    for name, spec in SCHEMA.items():
        frame = ctx.frame(name)
        if frame is None or frame.height == 0:
            continue
        for fk in spec.foreign_keys:
            if fk.column not in frame.columns:
                continue
            target = ctx.feed.files.get(fk.target_file)
            if target is None or fk.target_column not in target.columns:
                continue  # the missing file or column is reported itself
            if not ctx.usable(name, fk.target_file):
                continue
            targets = ctx.distinct(fk.target_file, fk.target_column)
            failing = _violations(frame, fk.column, ctx.distinct(name, fk.column), targets)
            emit(
                out,
                FOREIGN_KEY_VIOLATION,
                failing,
                path=name,
                field=fk.column,
                value=fk.column,
                consts={"target": f"{fk.target_file}.{fk.target_column}"},
            )
    trips = ctx.frame("trips.txt")
    calendars = [f for f in ("calendar.txt", "calendar_dates.txt") if ctx.has(f, "service_id")]
    if (
        trips is not None
        and "service_id" in trips.columns
        and ctx.usable("trips.txt", *calendars)
    ):
        failing = _violations(
            trips, "service_id", ctx.distinct("trips.txt", "service_id"), _service_ids(ctx)
        )
        emit(
            out,
            FOREIGN_KEY_VIOLATION,
            failing,
            path="trips.txt",
            field="service_id",
            value="service_id",
            consts={"target": "calendar.txt / calendar_dates.txt"},
        )
    return out
