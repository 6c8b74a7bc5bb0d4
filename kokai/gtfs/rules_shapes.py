"""shapes.txt: distances along a shape, unused and one-point shapes, and
stops that lie too far from the shape of the trips that serve them."""

from __future__ import annotations

import numpy as np
import polars as pl

from kokai.gtfs.columns import col_or_null
from kokai.gtfs.rules_common import EARTH_RADIUS_M, CheckContext, emit, haversine_m
from kokai.gtfs.rules_stop_times import sorted_stop_times
from kokai.validators.report import Findings, Rule

_MDV = "mobilitydata"
# MobilityData: shapes should pass within 100 m of the stops a trip serves.
STOP_TO_SHAPE_MAX_M = 100.0
LARGE_STATION_FACTOR = 4.0
EQUAL_DISTANCE_THRESHOLD_M = 1.11

DECREASING_SHAPE_DISTANCE = Rule(
    "decreasing_shape_distance", "error",
    "shapes.txt の {row} 行目（shape_id {value!r}）の shape_dist_traveled {distance} が前の点"
    "（{prev_row} 行目）の {prev_distance} より小さくなっています。点の順に増えるよう直してください。",
    "shapes.txt row {row} (shape {value!r}): shape_dist_traveled {distance} is less than "
    "{prev_distance} at row {prev_row}.", source=_MDV,
)  # fmt: skip
EQUAL_SHAPE_DISTANCE_DIFF_COORDINATES = Rule(
    "equal_shape_distance_diff_coordinates", "error",
    "shapes.txt の {row} 行目（shape_id {value!r}）は前の点（{prev_row} 行目）と位置が {meters} m"
    " 違うのに shape_dist_traveled が同じです。距離を直してください。",
    "shapes.txt row {row} (shape {value!r}): same shape_dist_traveled as row {prev_row} but "
    "{meters} m away.", source=_MDV,
)  # fmt: skip
EQUAL_SHAPE_DISTANCE_DIFF_COORDINATES_BELOW = Rule(
    "equal_shape_distance_diff_coordinates_distance_below_threshold", "warning",
    "shapes.txt の {row} 行目（shape_id {value!r}）は前の点とわずかに位置が違うのに"
    " shape_dist_traveled が同じです。",
    "shapes.txt row {row} (shape {value!r}): same shape_dist_traveled as the previous point, "
    "slightly different position.", source=_MDV,
)  # fmt: skip
EQUAL_SHAPE_DISTANCE_SAME_COORDINATES = Rule(
    "equal_shape_distance_same_coordinates", "warning",
    "shapes.txt の {row} 行目（shape_id {value!r}）は前の点と同じ位置・同じ距離の重複した点です。"
    "重複行を削除してください。",
    "shapes.txt row {row} (shape {value!r}) repeats the previous point; delete it.", source=_MDV,
)  # fmt: skip
UNUSED_SHAPE = Rule(
    "unused_shape", "warning",
    "shapes.txt の {row} 行目の shape_id {value!r} はどの便（trips.txt）にも使われていません。"
    "便の shape_id を確かめるか、不要な形状を削除してください。",
    "shapes.txt row {row}: shape {value!r} is not used by any trip.", source=_MDV,
)  # fmt: skip
SINGLE_SHAPE_POINT = Rule(
    "single_shape_point", "warning",
    "shapes.txt の shape_id {value!r}（{row} 行目）には点が 1 つしかありません。経路を描くには"
    "2 点以上が必要です。",
    "shapes.txt shape {value!r} (row {row}) has a single point.", source=_MDV,
)  # fmt: skip
STOP_TOO_FAR_FROM_SHAPE = Rule(
    "stop_too_far_from_shape", "warning",
    "stop_times.txt の {row} 行目: 停留所 {value!r} が便の経路（shape_id {shape_id}）から"
    " {meters} m 離れています（{limit} m 以内が目安）。停留所の位置か経路の形を確かめてください。",
    "stop_times.txt row {row}: stop {value!r} is {meters} m from shape {shape_id} (limit {limit} m).",
    source=_MDV,
)  # fmt: skip


def _sorted_shapes(ctx: CheckContext) -> pl.DataFrame | None:
    if "shapes_sorted" in ctx.cache:
        return ctx.cache["shapes_sorted"]
    shapes = ctx.frame("shapes.txt")
    result = None
    if (
        shapes is not None
        and shapes.height
        and ctx.has("shapes.txt", "shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence")
    ):
        result = (
            shapes.with_columns(
                pl.col("shape_pt_sequence").cast(pl.Int64, strict=False).alias("__seq__"),
                pl.col("shape_pt_lat").cast(pl.Float64, strict=False).alias("__lat__"),
                pl.col("shape_pt_lon").cast(pl.Float64, strict=False).alias("__lon__"),
                col_or_null(shapes, "shape_dist_traveled")
                .cast(pl.Float64, strict=False)
                .alias("__dist__"),
            )  # fmt: skip
            .filter(
                pl.col("shape_id").is_not_null()
                & pl.col("__seq__").is_not_null()
                & pl.col("__lat__").is_not_null()
                & pl.col("__lon__").is_not_null()
            )
            .sort(["shape_id", "__seq__", "__line__"])
        )
    ctx.cache["shapes_sorted"] = result
    return result


def check_shapes(ctx: CheckContext) -> Findings:
    shapes = _sorted_shapes(ctx)
    out = Findings()
    if shapes is None:
        return out
    path = "shapes.txt"
    if "shape_dist_traveled" in shapes.columns:
        prev = shapes.with_columns(
            pl.col(c).shift(1).over("shape_id").alias(f"__p{c}")
            for c in ("__dist__", "__lat__", "__lon__", "__line__")
        ).filter(pl.col("__dist__").is_not_null() & pl.col("__p__dist__").is_not_null())
        params = {"prev_row": "__p__line__"}
        decreasing = prev.filter(pl.col("__dist__") < pl.col("__p__dist__"))
        emit(out, DECREASING_SHAPE_DISTANCE, decreasing, path=path, field="shape_dist_traveled",
             value="shape_id", params={**params, "distance": "__dist__",
                                       "prev_distance": "__p__dist__"})  # fmt: skip
        equal = prev.filter(pl.col("__dist__") == pl.col("__p__dist__")).with_columns(
            haversine_m(
                pl.col("__p__lat__"), pl.col("__p__lon__"), pl.col("__lat__"), pl.col("__lon__")
            )
            .round(2)
            .alias("__meters__")  # fmt: skip
        )
        same = (pl.col("__lat__") == pl.col("__p__lat__")) & (
            pl.col("__lon__") == pl.col("__p__lon__")
        )
        emit(out, EQUAL_SHAPE_DISTANCE_DIFF_COORDINATES,
             equal.filter(~same & (pl.col("__meters__") > EQUAL_DISTANCE_THRESHOLD_M)),
             path=path, field="shape_dist_traveled", value="shape_id",
             params={**params, "meters": "__meters__"})  # fmt: skip
        emit(out, EQUAL_SHAPE_DISTANCE_DIFF_COORDINATES_BELOW,
             equal.filter(~same & (pl.col("__meters__") <= EQUAL_DISTANCE_THRESHOLD_M)
                          & (pl.col("__meters__") > 0)),
             path=path, field="shape_dist_traveled", value="shape_id")  # fmt: skip
        emit(out, EQUAL_SHAPE_DISTANCE_SAME_COORDINATES, equal.filter(same), path=path,
             field="shape_dist_traveled", value="shape_id")  # fmt: skip
    firsts = shapes.filter(pl.col("shape_id").is_first_distinct())
    trips = ctx.frame("trips.txt")
    used = (
        trips["shape_id"].drop_nulls().unique()
        if trips is not None and "shape_id" in trips.columns
        else pl.Series("shape_id", [], pl.String)
    )
    emit(out, UNUSED_SHAPE, firsts.filter(~pl.col("shape_id").is_in(used.implode())),
         path=path, field="shape_id", value="shape_id")  # fmt: skip
    counts = shapes.group_by("shape_id").len("__n__")
    single = firsts.join(counts, on="shape_id").filter(pl.col("__n__") == 1).sort("__line__")
    emit(out, SINGLE_SHAPE_POINT, single, path=path, field="shape_id", value="shape_id")
    return out


def check_stops_near_shapes(ctx: CheckContext) -> Findings:
    shapes = _sorted_shapes(ctx)
    st = sorted_stop_times(ctx)
    trips, stops = ctx.frame("trips.txt"), ctx.frame("stops.txt")
    if shapes is None or st is None or trips is None or stops is None:
        return Findings()
    if (
        "shape_id" not in trips.columns
        or "stop_id" not in st.columns
        or "stop_id" not in stops.columns
    ):
        return Findings()
    stop_xy = stops.select(
        "stop_id",
        col_or_null(stops, "stop_lat").cast(pl.Float64, strict=False).alias("__slat__"),
        col_or_null(stops, "stop_lon").cast(pl.Float64, strict=False).alias("__slon__"),
        col_or_null(stops, "location_type")
        .cast(pl.Int64, strict=False)
        .fill_null(0)
        .alias("__t__"),
    ).filter(
        pl.col("__slat__").is_not_null() & pl.col("__slon__").is_not_null() & (pl.col("__t__") == 0)
    )
    # MobilityData treats rail stations as large objects: 4 × the distance allowed.
    routes = ctx.frame("routes.txt")
    trip_shapes = trips.select(
        "trip_id", "shape_id", col_or_null(trips, "route_id").alias("route_id")
    ).filter(pl.col("shape_id").is_not_null()).unique("trip_id")
    if routes is not None and {"route_id", "route_type"} <= set(routes.columns):
        trip_shapes = trip_shapes.join(
            routes.select("route_id", "route_type").unique("route_id"), on="route_id", how="left"
        )
    else:
        trip_shapes = trip_shapes.with_columns(pl.lit(None, pl.String).alias("route_type"))
    trip_shapes = trip_shapes.with_columns(
        pl.when(pl.col("route_type") == "2").then(LARGE_STATION_FACTOR).otherwise(1.0)
        .alias("__factor__")
    )  # fmt: skip
    # One check per (shape, stop); report it at its first stop_times row.
    pairs = (
        st.select("trip_id", "stop_id", "__line__")
        .join(trip_shapes.select("trip_id", "shape_id", "__factor__"), on="trip_id", how="inner")
        .group_by("shape_id", "stop_id")
        .agg(pl.col("__line__").min(), pl.col("__factor__").max())
        .join(stop_xy, on="stop_id", how="inner")
        .filter(pl.col("shape_id").is_in(shapes["shape_id"].unique().implode()))
    )  # fmt: skip
    if pairs.height == 0:
        return Findings()
    # Local planar projection around the feed's mean latitude (good to < 1% over a city).
    lat0 = float(np.radians(pairs["__slat__"].mean()))
    kx, ky = EARTH_RADIUS_M * np.cos(lat0) * np.pi / 180.0, EARTH_RADIUS_M * np.pi / 180.0
    import shapely  # only needed here; keeps `kokai gtfs validate` start-up short

    # One planar LineString per shape (GEOS computes all distances in C, no big join).
    order = shapes.select("shape_id", "__lat__", "__lon__")
    shape_ids = order["shape_id"].unique(maintain_order=True)
    index_of = pl.DataFrame({"shape_id": shape_ids, "__idx__": range(len(shape_ids))})
    # Repeat each shape's last point so that a one-point shape still makes a line.
    last = order.filter(pl.col("shape_id").is_last_distinct())
    coords = (
        pl.concat([order, last])
        .join(index_of, on="shape_id", maintain_order="left")
        .sort("__idx__", maintain_order=True)
    )
    lines = shapely.linestrings(
        coords["__lon__"].to_numpy() * kx,
        coords["__lat__"].to_numpy() * ky,
        indices=coords["__idx__"].to_numpy(),
    )
    pairs = pairs.join(index_of, on="shape_id", maintain_order="left")
    points = shapely.points(pairs["__slon__"].to_numpy() * kx, pairs["__slat__"].to_numpy() * ky)
    distances = shapely.distance(lines[pairs["__idx__"].to_numpy()], points)
    pairs = pairs.with_columns(pl.Series("__d__", distances))
    far = (
        pairs.filter(pl.col("__d__") > STOP_TO_SHAPE_MAX_M * pl.col("__factor__"))
        .with_columns(
            pl.col("__d__").round(0).cast(pl.Int64),
            (pl.col("__factor__") * STOP_TO_SHAPE_MAX_M).cast(pl.Int64).alias("__limit__"),
        )
        .sort("__line__")
    )
    out = Findings()
    emit(out, STOP_TOO_FAR_FROM_SHAPE, far, path="stop_times.txt", field="stop_id",
         value="stop_id", params={"shape_id": "shape_id", "meters": "__d__", "limit": "__limit__"})  # fmt: skip
    return out
