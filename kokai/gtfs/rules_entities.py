"""Rules on single tables: agencies, routes, stops (names, locations, station
hierarchy, points near the origin or a pole) and frequencies."""

from __future__ import annotations

import polars as pl

from kokai.gtfs.columns import col_or_null, time_seconds
from kokai.gtfs.rules_calendar import RANGE_OUT_OF_ORDER
from kokai.gtfs.rules_common import MISSING_RECOMMENDED_FIELD, CheckContext, emit
from kokai.validators.report import Findings, Rule, Text

_MDV = "mobilitydata"

MISSING_REQUIRED_AGENCY_ID = Rule(
    "missing_required_agency_id", "error",
    "{path} の {row} 行目で agency_id が空です。事業者が複数あるフィードでは agency_id が必須です。"
    "agency.txt の agency_id を書いてください。",
    "{path} row {row}: agency_id is required when the feed has several agencies.", source=_MDV,
)  # fmt: skip
AGENCY_ID_HINT = Text("agency.txt の agency_id を書いてください。", "Write the agency_id of agency.txt.")
INCONSISTENT_AGENCY_TIMEZONE = Rule(
    "inconsistent_agency_timezone", "error",
    "agency.txt の {row} 行目のタイムゾーン {value!r} が 1 件目（{expected}）と違います。"
    "すべての事業者で同じタイムゾーン（日本は Asia/Tokyo）にしてください。",
    "agency.txt row {row}: time zone {value!r} differs from {expected}; use one time zone.",
    source=_MDV,
)  # fmt: skip
ROUTE_BOTH_NAMES_MISSING = Rule(
    "route_both_short_and_long_name_missing", "error",
    "routes.txt の {row} 行目（route_id {value!r}）は route_short_name と route_long_name の"
    "両方が空です。系統番号か系統名の少なくとも一方を書いてください。",
    "routes.txt row {row} (route_id {value!r}): both route_short_name and route_long_name are "
    "empty; fill at least one.", source=_MDV,
)  # fmt: skip
ROUTE_SHORT_NAME_TOO_LONG = Rule(
    "route_short_name_too_long", "warning",
    "routes.txt の {row} 行目の route_short_name {value!r} が 12 文字を超えています。"
    "系統番号のような短い名前にし、長い名前は route_long_name に書いてください。",
    "routes.txt row {row}: route_short_name {value!r} is longer than 12 characters; put long "
    "names in route_long_name.", source=_MDV,
)  # fmt: skip
DUPLICATE_ROUTE_NAME = Rule(
    "duplicate_route_name", "warning",
    "routes.txt の {row} 行目は {other_row} 行目と系統番号・系統名・route_type・事業者がすべて"
    "同じです。方向違いは同じ route にまとめ、別の系統なら名前を区別してください。",
    "routes.txt row {row} has the same short name, long name, route_type and agency as row "
    "{other_row}. Merge directions into one route or tell the routes apart.", source=_MDV,
)  # fmt: skip
MISSING_STOP_NAME = Rule(
    "missing_stop_name", "error",
    "stops.txt の {row} 行目（stop_id {value!r}）の stop_name が空です。停留所名を書いてください。",
    "stops.txt row {row} (stop_id {value!r}): stop_name is empty.", source=_MDV,
)  # fmt: skip
STOP_WITHOUT_LOCATION = Rule(
    "stop_without_location", "error",
    "stops.txt の {row} 行目（stop_id {value!r}）に緯度・経度がありません。"
    "stop_lat と stop_lon を書いてください。",
    "stops.txt row {row} (stop_id {value!r}) has no stop_lat/stop_lon.", source=_MDV,
)  # fmt: skip
STATION_WITH_PARENT_STATION = Rule(
    "station_with_parent_station", "error",
    "stops.txt の {row} 行目は駅（location_type=1）なのに parent_station {value!r} があります。"
    "駅の parent_station は空にしてください。",
    "stops.txt row {row}: a station (location_type 1) has parent_station {value!r}; empty it.",
    source=_MDV,
)  # fmt: skip
WRONG_PARENT_LOCATION_TYPE = Rule(
    "wrong_parent_location_type", "error",
    "stops.txt の {row} 行目の parent_station {value!r} の location_type が {parent_type} です"
    "（{expected} であるべき）。親にする停留所を見直してください。",
    "stops.txt row {row}: parent_station {value!r} has location_type {parent_type}, expected "
    "{expected}.", source=_MDV,
)  # fmt: skip
LOCATION_WITHOUT_PARENT_STATION = Rule(
    "location_without_parent_station", "error",
    "stops.txt の {row} 行目（location_type {location_type}）には parent_station が必要です。"
    "所属する駅の stop_id を書いてください。",
    "stops.txt row {row} (location_type {location_type}) needs a parent_station.", source=_MDV,
)  # fmt: skip
POINT_NEAR_ORIGIN = Rule(
    "point_near_origin", "error",
    "{path} の {row} 行目の座標（{field}）が緯度 0 度・経度 0 度の近くです。"
    "緯度・経度の入れ忘れか取り違えです。正しい座標を書いてください。",
    "{path} row {row}: point ({field}) is near (0, 0); coordinates are missing or swapped.",
    source=_MDV,
)  # fmt: skip
POINT_NEAR_POLE = Rule(
    "point_near_pole", "error",
    "{path} の {row} 行目の座標（{field}）が北極か南極の近くです。"
    "緯度と経度の取り違えがないか確かめてください。",
    "{path} row {row}: point ({field}) is near a pole; latitude and longitude swapped?",
    source=_MDV,
)  # fmt: skip
OVERLAPPING_FREQUENCY = Rule(
    "overlapping_frequency", "error",
    "frequencies.txt の {row} 行目（trip_id {value!r}）の開始時刻が {prev_row} 行目の時間帯と"
    "重なっています。時間帯が重ならないようにしてください。",
    "frequencies.txt row {row} (trip_id {value!r}) overlaps the period of row {prev_row}.",
    source=_MDV,
)  # fmt: skip
FREQUENCY_RANGE_EQUAL = Rule(
    "start_and_end_range_equal", "error",
    "frequencies.txt の {row} 行目で start_time と end_time が同じ {value!r} です。"
    "1 本だけの便なら frequencies を使わず stop_times に時刻を書いてください。",
    "frequencies.txt row {row}: start_time equals end_time ({value!r}).", source=_MDV,
)  # fmt: skip


def check_agencies(ctx: CheckContext) -> Findings:
    agency = ctx.frame("agency.txt")
    if agency is None or agency.height == 0:
        return Findings()
    out = Findings()
    # agency_id is required with several agencies, recommended in routes/fares with one.
    several = agency.height > 1
    for name in ("agency.txt", "routes.txt", "fare_attributes.txt"):
        frame = ctx.frame(name)
        if frame is None or (name == "agency.txt" and not several):
            continue
        failing = frame.filter(col_or_null(frame, "agency_id").is_null())
        if several:
            emit(out, MISSING_REQUIRED_AGENCY_ID, failing, path=name, field="agency_id")
        else:
            emit(out, MISSING_RECOMMENDED_FIELD, failing, path=name, field="agency_id",
                 consts={"hint": AGENCY_ID_HINT})
    if not several:
        return out
    if "agency_timezone" in agency.columns:
        expected = agency["agency_timezone"][0]
        failing = agency.filter(
            pl.col("agency_timezone").is_not_null() & (pl.col("agency_timezone") != expected)
        )
        emit(out, INCONSISTENT_AGENCY_TIMEZONE, failing, path="agency.txt",
             field="agency_timezone", value="agency_timezone",
             consts={"expected": expected})  # fmt: skip
    return out


def check_routes(ctx: CheckContext) -> Findings:
    routes = ctx.frame("routes.txt")
    if routes is None or routes.height == 0:
        return Findings()
    short, long_ = col_or_null(routes, "route_short_name"), col_or_null(routes, "route_long_name")
    out = Findings()
    emit(
        out,
        ROUTE_BOTH_NAMES_MISSING,
        routes.filter(short.is_null() & long_.is_null()),
        path="routes.txt", value="route_id" if "route_id" in routes.columns else None,
    )  # fmt: skip
    if "route_short_name" in routes.columns:
        emit(
            out,
            ROUTE_SHORT_NAME_TOO_LONG,
            routes.filter(pl.col("route_short_name").str.len_chars() > 12),
            path="routes.txt", field="route_short_name", value="route_short_name",
        )  # fmt: skip
    keyed = routes.with_columns(
        pl.concat_str(
            [short.fill_null(""), long_.fill_null(""), col_or_null(routes, "route_type")
             .fill_null(""), col_or_null(routes, "agency_id").fill_null("")],
            separator="\x1f",
        ).alias("__key__")
    )  # fmt: skip
    dup = keyed.filter(~pl.col("__key__").is_first_distinct())
    if dup.height:
        first = keyed.group_by("__key__").agg(pl.col("__line__").min().alias("__other__"))
        dup = dup.join(first, on="__key__").sort("__line__")
        emit(out, DUPLICATE_ROUTE_NAME, dup, path="routes.txt", field="route_short_name",
             value="route_id" if "route_id" in dup.columns else None,
             params={"other_row": "__other__"})  # fmt: skip
    return out


def _location_type() -> pl.Expr:
    return pl.col("location_type").cast(pl.Int64, strict=False).fill_null(0)


def check_stops(ctx: CheckContext) -> Findings:
    out = Findings()
    stops = ctx.frame("stops.txt")
    if stops is not None and stops.height and ctx.usable("stops.txt"):
        stops = stops.with_columns(
            (_location_type() if "location_type" in stops.columns else pl.lit(0)).alias("__type__"),
            col_or_null(stops, "stop_lat").cast(pl.Float64, strict=False).alias("__lat__"),
            col_or_null(stops, "stop_lon").cast(pl.Float64, strict=False).alias("__lon__"),
            col_or_null(stops, "parent_station").alias("__parent__"),
        )
        id_col = "stop_id" if "stop_id" in stops.columns else None
        located = pl.col("__type__").is_in([0, 1, 2])
        emit(out, MISSING_STOP_NAME,
             stops.filter(located & col_or_null(stops, "stop_name").is_null()),
             path="stops.txt", field="stop_name", value=id_col)  # fmt: skip
        emit(out, STOP_WITHOUT_LOCATION,
             stops.filter(located & (col_or_null(stops, "stop_lat").is_null()
                                     | col_or_null(stops, "stop_lon").is_null())),
             path="stops.txt", field="stop_lat", value=id_col)  # fmt: skip
        emit(out, STATION_WITH_PARENT_STATION,
             stops.filter((pl.col("__type__") == 1) & pl.col("__parent__").is_not_null()),
             path="stops.txt", field="parent_station", value="__parent__")  # fmt: skip
        emit(out, LOCATION_WITHOUT_PARENT_STATION,
             stops.filter(pl.col("__type__").is_in([2, 3, 4])
                          & pl.col("__parent__").is_null()),
             path="stops.txt", field="parent_station",
             params={"location_type": "__type__"})  # fmt: skip
        if id_col:
            parents = stops.select(
                pl.col("stop_id").alias("__parent__"), pl.col("__type__").alias("__ptype__")
            ).unique("__parent__")
            # Expected parent type: stops/entrances/nodes → station (1); boarding area → 0.
            linked = (
                stops.filter(pl.col("__parent__").is_not_null() & (pl.col("__type__") != 1))
                .join(parents, on="__parent__", how="inner")
                .with_columns(
                    pl.when(pl.col("__type__") == 4).then(0).otherwise(1).alias("__expected__")
                )
                .filter(pl.col("__ptype__") != pl.col("__expected__"))
            )
            emit(out, WRONG_PARENT_LOCATION_TYPE, linked, path="stops.txt",
                 field="parent_station", value="__parent__",
                 params={"parent_type": "__ptype__", "expected": "__expected__"})  # fmt: skip
        _points(out, stops, "stops.txt", "stop_lat, stop_lon")
    shapes = ctx.frame("shapes.txt")
    if shapes is not None and shapes.height and ctx.usable("shapes.txt"):
        shapes = shapes.with_columns(
            col_or_null(shapes, "shape_pt_lat").cast(pl.Float64, strict=False).alias("__lat__"),
            col_or_null(shapes, "shape_pt_lon").cast(pl.Float64, strict=False).alias("__lon__"),
        )
        _points(out, shapes, "shapes.txt", "shape_pt_lat, shape_pt_lon")
    return out


def _points(out: Findings, frame: pl.DataFrame, path: str, fields: str) -> None:
    lat, lon = pl.col("__lat__"), pl.col("__lon__")
    near_origin = (lat.abs() < 1.0) & (lon.abs() < 1.0)
    near_pole = lat.abs() > 89.0
    emit(out, POINT_NEAR_ORIGIN, frame.filter(near_origin), path=path, field=fields)
    emit(out, POINT_NEAR_POLE, frame.filter(near_pole), path=path, field=fields)


def check_frequencies(ctx: CheckContext) -> Findings:
    freq = ctx.frame("frequencies.txt")
    if (
        freq is None
        or freq.height == 0
        or not ctx.has("frequencies.txt", "trip_id", "start_time", "end_time")
    ):
        return Findings()
    freq = freq.with_columns(
        time_seconds(pl.col("start_time")).alias("__start__"),
        time_seconds(pl.col("end_time")).alias("__end__"),
    )
    out = Findings()
    emit(out, RANGE_OUT_OF_ORDER,
         freq.filter(pl.col("__start__") > pl.col("__end__")),
         path="frequencies.txt", field="start_time", value="start_time",
         params={"end_value": "end_time"},
         consts={"start_field": "start_time", "end_field": "end_time"})  # fmt: skip
    emit(out, FREQUENCY_RANGE_EQUAL, freq.filter(pl.col("__start__") == pl.col("__end__")),
         path="frequencies.txt", field="start_time", value="start_time")  # fmt: skip
    ordered = freq.filter(pl.col("__start__").is_not_null()).sort(["trip_id", "__start__"])
    ordered = ordered.with_columns(
        pl.col("__end__").shift(1).over("trip_id").alias("__prev_end__"),
        pl.col("__line__").shift(1).over("trip_id").alias("__prev_line__"),
    )
    overlapping = ordered.filter(pl.col("__start__") < pl.col("__prev_end__")).sort("__line__")
    emit(out, OVERLAPPING_FREQUENCY, overlapping, path="frequencies.txt", field="start_time",
         value="trip_id", params={"prev_row": "__prev_line__"})  # fmt: skip
    return out
