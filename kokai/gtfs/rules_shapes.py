"""shapes.txt: distances along a shape, unused and one-point shapes, and
stops that lie too far from the shape of the trips that serve them."""

from __future__ import annotations

import math

import polars as pl

from kokai.gtfs.columns import col_or_null
from kokai.gtfs.rule_tables import (
    per_row,
    sorted_shapes,
    sorted_stop_times,
    stop_coordinates,
    stop_numbers,
    trip_blocks,
)
from kokai.gtfs.rules_common import EARTH_RADIUS_M, CheckContext, emit, haversine_m, same_as_before
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


def check_shapes(ctx: CheckContext) -> Findings:
    shapes = sorted_shapes(ctx)
    out = Findings()
    if shapes is None:
        return out
    path = "shapes.txt"
    # Rows of one shape are contiguous: the previous point is the row before when
    # it has the same shape_id (no window over the shape_id strings).
    same_shape = same_as_before("shape_id")
    if "shape_dist_traveled" in shapes.columns:
        columns = ("__dist__", "__lat__", "__lon__", "__line__")
        prev = (
            shapes.lazy()
            .select("shape_id", *columns,
                    *[pl.when(same_shape).then(pl.col(c).shift(1)).alias(f"__p{c}")
                      for c in columns])
            .filter(pl.col("__dist__").is_not_null() & pl.col("__p__dist__").is_not_null())
            .collect()
        )  # fmt: skip
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
    start = pl.col("__start__")
    firsts = (
        shapes.with_columns(pl.int_range(pl.len()).alias("__start__"))
        .filter(~same_shape)
        .with_columns((start.shift(-1, fill_value=shapes.height) - start).alias("__n__"))
    )
    trips = ctx.frame("trips.txt")
    used = (
        trips["shape_id"].drop_nulls().unique()
        if trips is not None and "shape_id" in trips.columns
        else pl.Series("shape_id", [], pl.String)
    )
    emit(out, UNUSED_SHAPE, firsts.filter(~pl.col("shape_id").is_in(used.implode())),
         path=path, field="shape_id", value="shape_id")  # fmt: skip
    single = firsts.filter(pl.col("__n__") == 1).sort("__line__")
    emit(out, SINGLE_SHAPE_POINT, single, path=path, field="shape_id", value="shape_id")
    return out


def check_stops_near_shapes(ctx: CheckContext) -> Findings:
    shapes = sorted_shapes(ctx)
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
    pairs = _shape_stop_pairs(ctx, shapes, st, trips, stops)
    if pairs.height == 0:
        return Findings()
    # Local planar projection around the feed's mean latitude (good to < 1% over a city).
    lat0 = math.radians(pairs["__slat__"].mean())
    kx, ky = EARTH_RADIUS_M * math.cos(lat0) * math.pi / 180.0, EARTH_RADIUS_M * math.pi / 180.0
    pairs = pairs.with_row_index("__pair__").with_columns(
        (pl.col("__slon__") * kx).alias("__px__"),
        (pl.col("__slat__") * ky).alias("__py__"),
        (pl.col("__factor__") * STOP_TO_SHAPE_MAX_M).alias("__limit_m__"),
    )
    # Each point starts the segment to the next point of its shape; the last point
    # a segment of length 0 (so that a one-point shape still has one).
    next_in_shape = pl.col("__shape__") == pl.col("__shape__").shift(-1)
    segments = shapes.select(
        ((~same_as_before("shape_id")).cum_sum() - 1)
        .alias("__shape__"),
        (pl.col("__lon__") * kx).alias("__ax__"),
        (pl.col("__lat__") * ky).alias("__ay__"),
    ).with_columns(
        pl.when(next_in_shape).then(pl.col("__ax__").shift(-1)).otherwise("__ax__").alias("__bx__"),
        pl.when(next_in_shape).then(pl.col("__ay__").shift(-1)).otherwise("__ay__").alias("__by__"),
    )  # fmt: skip
    # Most stops have a point of their shape within the limit, so they are not too
    # far (the line passes at least that close): found with a join on grid cells
    # as large as the limit, first the stop's own cell, then for the others the
    # cells around it. Only the rest are measured against every segment.
    unresolved = pairs.join(_near_a_point(pairs, segments, _OWN_CELL), on="__pair__", how="anti")
    if unresolved.height:
        near = _near_a_point(unresolved, segments, _CELLS_AROUND)
        unresolved = unresolved.join(near, on="__pair__", how="anti")
    measured = _distances(unresolved, segments)
    far = (
        measured.filter(pl.col("__d__") > pl.col("__limit_m__"))
        .with_columns(
            pl.col("__d__").round(0).cast(pl.Int64),
            pl.col("__limit_m__").cast(pl.Int64).alias("__limit__"),
        )
        .sort("__line__")
    )
    out = Findings()
    emit(out, STOP_TOO_FAR_FROM_SHAPE, far, path="stop_times.txt", field="stop_id",
         value="stop_id", params={"shape_id": "shape_id", "meters": "__d__", "limit": "__limit__"})  # fmt: skip
    return out


def _shape_stop_pairs(
    ctx: CheckContext,
    shapes: pl.DataFrame,
    st: pl.DataFrame,
    trips: pl.DataFrame,
    stops: pl.DataFrame,
) -> pl.DataFrame:
    """One row per (shape, stop) served together, with the stop's first stop_times
    line, the distance factor, and the stop's coordinates (one row per stops.txt
    row of that stop_id). __shape__ numbers the shapes in `shapes` order."""
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
    # `shapes` holds each shape in one block: number the blocks (no hashing).
    numbered = (
        shapes.lazy()
        .select("shape_id")
        .filter(~same_as_before("shape_id"))
        .with_row_index("__shape__")
        .collect()
    )
    blocks, coords, numbers = trip_blocks(ctx), stop_coordinates(ctx), stop_numbers(ctx)
    assert blocks is not None and coords is not None and numbers is not None
    per_trip = blocks.join(trip_shapes, on="trip_id", how="inner").join(
        numbered, on="shape_id", how="inner"
    )
    # One check per (shape, stop); report it at its first stop_times row.
    served = (
        pl.DataFrame({
            "__shape__": per_row(ctx, per_trip, "__shape__"),
            "__stop__": numbers,
            "__line__": st["__line__"],
            "__factor__": per_row(ctx, per_trip, "__factor__"),
        })
        .lazy()
        .filter(pl.col("__shape__").is_not_null() & pl.col("__stop__").is_not_null())
        .group_by("__shape__", "__stop__")
        .agg(pl.col("__line__").min(), pl.col("__factor__").max())
    )  # fmt: skip
    stop_rows = stop_xy.join(coords.select("stop_id", "__stop__"), on="stop_id", how="inner")
    return (
        served.join(stop_rows.lazy(), on="__stop__", how="inner")
        .join(numbered.lazy(), on="__shape__", how="inner")
        .collect()
    )


_OWN_CELL = pl.DataFrame({"__dx__": [0], "__dy__": [0]})
_CELLS_AROUND = pl.DataFrame({"__dx__": [-1, 0, 1] * 3, "__dy__": [-1] * 3 + [0] * 3 + [1] * 3})


def _near_a_point(pairs: pl.DataFrame, segments: pl.DataFrame, cells: pl.DataFrame) -> pl.DataFrame:
    """The __pair__ of the pairs with a point of their shape nearer than their limit
    among the points in `cells` (offsets from the stop's cell, whose side is the
    largest limit). A little margin keeps rounding on the safe side."""
    cell = float(pairs["__limit_m__"].max())

    def cell_of(coordinate: str) -> pl.Expr:
        return (pl.col(coordinate) / cell).floor().cast(pl.Int64)

    points = segments.select(
        "__shape__", cell_of("__ax__").alias("__cx__"), cell_of("__ay__").alias("__cy__"),
        "__ax__", "__ay__",
    )  # fmt: skip
    return (
        pairs.lazy()
        .select("__pair__", "__shape__", "__px__", "__py__", "__limit_m__",
                cell_of("__px__").alias("__pcx__"), cell_of("__py__").alias("__pcy__"))
        .join(cells.lazy(), how="cross")  # the stop's cell moved by each offset
        .with_columns((pl.col("__pcx__") + pl.col("__dx__")).alias("__cx__"),
                      (pl.col("__pcy__") + pl.col("__dy__")).alias("__cy__"))
        .join(points.lazy(), on=["__shape__", "__cx__", "__cy__"], how="inner")
        .filter(
            (pl.col("__px__") - pl.col("__ax__")) ** 2 + (pl.col("__py__") - pl.col("__ay__")) ** 2
            < (pl.col("__limit_m__") * (1 - 1e-9)) ** 2
        )
        .select("__pair__")
        .unique()
        .collect()
    )


# Joined rows (pair × segment) measured at once: bounds the memory on a bad feed.
_MEASURE_ROWS = 1_000_000


def _distances(pairs: pl.DataFrame, segments: pl.DataFrame) -> pl.DataFrame:
    """`pairs` with __d__, the planar distance from the stop to the nearest segment
    of its shape, computed as GEOS does (Distance::pointToSegment)."""
    if pairs.height == 0:
        return pairs.with_columns(pl.lit(None, pl.Float64).alias("__d__"))
    sizes = segments.group_by("__shape__").len("__n__")
    pairs = pairs.join(sizes, on="__shape__", how="left").with_columns(
        (pl.col("__n__").cum_sum() // _MEASURE_ROWS).alias("__chunk__")
    )
    px, py = pl.col("__px__"), pl.col("__py__")
    ax, ay, bx, by = pl.col("__ax__"), pl.col("__ay__"), pl.col("__bx__"), pl.col("__by__")
    length2 = (bx - ax) * (bx - ax) + (by - ay) * (by - ay)
    r = ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / length2
    s = ((ay - py) * (bx - ax) - (ax - px) * (by - ay)) / length2
    to_a = ((px - ax) * (px - ax) + (py - ay) * (py - ay)).sqrt()
    to_b = ((px - bx) * (px - bx) + (py - by) * (py - by)).sqrt()
    distance = (
        pl.when((ax == bx) & (ay == by)).then(to_a)
        .when(r <= 0.0).then(to_a)
        .when(r >= 1.0).then(to_b)
        .otherwise(s.abs() * length2.sqrt())
    )  # fmt: skip
    parts = []
    for chunk in pairs.partition_by("__chunk__", maintain_order=True):
        nearest = (
            chunk.lazy()
            .select("__pair__", "__shape__", "__px__", "__py__")
            .join(segments.lazy(), on="__shape__", how="inner")
            .group_by("__pair__")
            .agg(distance.min().alias("__d__"))
            .collect()
        )
        parts.append(chunk.join(nearest, on="__pair__", how="left"))
    return pl.concat(parts).drop("__n__", "__chunk__")
