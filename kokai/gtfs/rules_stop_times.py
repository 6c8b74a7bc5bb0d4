"""stop_times.txt: order and times within a trip, trip edges, distances,
travel speed, and which trips and stops are used.

Everything works on stop_times sorted by (trip_id, stop_sequence)
(`rule_tables.sorted_stop_times`), the previous stop of a trip being the row
before when __same__: vectorised passes, no loop per trip."""

from __future__ import annotations

import math

import polars as pl

from kokai.gtfs.columns import col_or_null
from kokai.gtfs.rule_tables import (
    all_stop_times_sorted,
    per_row,
    sorted_stop_times,
    stop_coordinates,
    stop_numbers,
    trip_blocks,
)
from kokai.gtfs.rules_common import EARTH_RADIUS_M, CheckContext, emit, haversine_m
from kokai.validators.report import Findings, Rule

_MDV = "mobilitydata"

ARRIVAL_BEFORE_PREVIOUS_DEPARTURE = Rule(
    "stop_time_with_arrival_before_previous_departure_time", "error",
    "stop_times.txt の {row} 行目（trip_id {value!r}）の到着時刻 {arrival} が、前の停留所"
    "（{prev_row} 行目）の出発時刻 {departure} より前です。時刻か stop_sequence の順序を直してください。",
    "stop_times.txt row {row} (trip {value!r}): arrival {arrival} is before the departure "
    "{departure} of row {prev_row}. Fix the times or the stop_sequence order.", source=_MDV,
)  # fmt: skip
ONLY_ARRIVAL_OR_DEPARTURE = Rule(
    "stop_time_with_only_arrival_or_departure_time", "error",
    "stop_times.txt の {row} 行目（trip_id {value!r}）は {field} だけが書かれています。"
    "arrival_time と departure_time は両方書くか、両方空にしてください（同じ時刻でも可）。",
    "stop_times.txt row {row} (trip {value!r}) has only {field}; give both times or neither.",
    source=_MDV,
)  # fmt: skip
MISSING_TRIP_EDGE = Rule(
    "missing_trip_edge", "error",
    "stop_times.txt の {row} 行目（trip_id {value!r}）は便の始発または終着なのに {field} が空です。"
    "始発・終着の停留所には到着・出発の両方の時刻を書いてください。",
    "stop_times.txt row {row} (trip {value!r}): the first/last stop of a trip needs {field}.",
    source=_MDV,
)  # fmt: skip
DECREASING_OR_EQUAL_STOP_TIME_DISTANCE = Rule(
    "decreasing_or_equal_stop_time_distance", "error",
    "stop_times.txt の {row} 行目（trip_id {value!r}）の shape_dist_traveled {distance} が、"
    "前の停留所（{prev_row} 行目）の {prev_distance} 以下です。停留所順に増えるよう直してください。",
    "stop_times.txt row {row} (trip {value!r}): shape_dist_traveled {distance} is not greater "
    "than {prev_distance} at row {prev_row}.", source=_MDV,
)  # fmt: skip
FAST_TRAVEL_BETWEEN_CONSECUTIVE_STOPS = Rule(
    "fast_travel_between_consecutive_stops", "warning",
    "stop_times.txt の {row} 行目（trip_id {value!r}）: 前の停留所（{prev_row} 行目）から"
    "時速 {speed_kph} km で移動することになります。時刻か停留所の位置を確かめてください。",
    "stop_times.txt row {row} (trip {value!r}): travel from row {prev_row} at {speed_kph} km/h. "
    "Check the times or the stop locations.", source=_MDV,
)  # fmt: skip
TIMEPOINT_WITHOUT_TIMES = Rule(
    "stop_time_timepoint_without_times", "error",
    "stop_times.txt の {row} 行目（trip_id {value!r}）は timepoint=1（時刻どおり）なのに {field} が空です。"
    "時刻を書くか、timepoint を 0 にしてください。",
    "stop_times.txt row {row} (trip {value!r}): timepoint is 1 but {field} is empty.",
    source=_MDV,
)  # fmt: skip
MISSING_TIMEPOINT_VALUE = Rule(
    "missing_timepoint_value", "warning",
    "stop_times.txt の {row} 行目（trip_id {value!r}）に時刻がありますが timepoint が空です。"
    "時刻どおりなら 1、おおよその時刻なら 0 を書いてください。",
    "stop_times.txt row {row} (trip {value!r}) has times but no timepoint value (1 exact, 0 "
    "approximate).", source=_MDV,
)  # fmt: skip
UNUSABLE_TRIP = Rule(
    "unusable_trip", "warning",
    "trips.txt の {row} 行目（trip_id {value!r}）は stop_times.txt に停留所が 2 つ以上ありません。"
    "乗り降りできる便にするため、停留所の時刻を加えてください。",
    "trips.txt row {row} (trip {value!r}) has fewer than two stop times.", source=_MDV,
)  # fmt: skip
UNUSED_TRIP = Rule(
    "unused_trip", "warning",
    "trips.txt の {row} 行目（trip_id {value!r}）は stop_times.txt で使われていません。"
    "時刻を加えるか、不要な便を削除してください。",
    "trips.txt row {row} (trip {value!r}) is not used in stop_times.txt.", source=_MDV,
)  # fmt: skip
STOP_WITHOUT_STOP_TIME = Rule(
    "stop_without_stop_time", "warning",
    "stops.txt の {row} 行目（stop_id {value!r}）はどの便にも使われていません。"
    "stop_times.txt の stop_id の誤りか、不要な停留所です。",
    "stops.txt row {row} (stop {value!r}) is not used by any trip.", source=_MDV,
)  # fmt: skip
LOCATION_WITH_UNEXPECTED_STOP_TIME = Rule(
    "location_with_unexpected_stop_time", "error",
    "stop_times.txt の {row} 行目の stop_id {value!r} は停留所（location_type=0）ではありません。"
    "便が止まるのは標柱（のりば）にしてください。",
    "stop_times.txt row {row}: stop_id {value!r} is not a stop/platform (location_type 0).",
    source=_MDV,
)  # fmt: skip

# Maximum speeds (km/h) by route_type, as MobilityData's StopTimeTravelSpeedValidator.
_MAX_SPEED_KPH = {0: 100.0, 1: 150.0, 2: 500.0, 3: 150.0, 4: 80.0, 5: 30.0, 6: 50.0, 7: 50.0,
                  11: 150.0, 12: 150.0}  # fmt: skip
_DEFAULT_MAX_SPEED_KPH = 200.0


def _prev(column: str | pl.Expr) -> pl.Expr:
    """The value of `column` in the previous row of the same trip (null at a trip start)."""
    expr = pl.col(column) if isinstance(column, str) else column
    return pl.when(pl.col("__same__")).then(expr.shift(1))


def _last_with_departure(expr: pl.Expr) -> pl.Expr:
    """`expr` at the last row before this one that has a departure time (any trip)."""
    return pl.when(pl.col("__has_dep__")).then(expr).shift(1).forward_fill()


def check_stop_times(ctx: CheckContext) -> Findings:
    st = sorted_stop_times(ctx)
    if st is None or st.height == 0:
        return Findings()
    path = "stop_times.txt"
    out = Findings()
    has_arr, has_dep, same = pl.col("__has_arr__"), pl.col("__has_dep__"), pl.col("__same__")

    # Every rule as a flag over all rows in one pass; the rows flagged by any rule
    # (few in a good feed) are then kept with only the columns the findings need,
    # instead of filtering (copying) the whole table once per rule.
    trip_no = (~same).cum_sum()
    is_edge = ~same | ~same.shift(-1).fill_null(False)  # first or last row of a trip
    flags = {
        "only_arr": has_arr & ~has_dep,
        "only_dep": ~has_arr & has_dep,
        # Previous departure: the last row before this one, in the same trip, with one.
        "backwards": has_arr
        & (_last_with_departure(trip_no) == trip_no)
        & (pl.col("__arr__") < _last_with_departure(pl.col("__dep__"))),
        "edge_arr": is_edge & ~has_arr,
        "edge_dep": is_edge & ~has_dep,
    }
    extra = [_last_with_departure(pl.int_range(pl.len())).alias("__pd_pos__")]
    if "shape_dist_traveled" in st.columns:
        dist = pl.col("shape_dist_traveled").cast(pl.Float64, strict=False)
        prev_dist = _prev(dist)
        extra += [dist.alias("__dist__"), prev_dist.alias("__prev_dist__"),
                  _prev("__line__").alias("__prev_line__")]  # fmt: skip
        flags["distance"] = dist <= prev_dist
    if "timepoint" in st.columns:
        exact = pl.col("timepoint") == "1"
        flags["timepoint_arr"] = exact & ~has_arr
        flags["timepoint_dep"] = exact & ~has_dep
        flags["timepoint_unset"] = pl.col("timepoint").is_null() & (has_arr | has_dep)
    flagged = (
        st.lazy()
        .select("trip_id", "__line__", col_or_null(st, "arrival_time"), *extra,
                **{k: v.fill_null(False) for k, v in flags.items()})  # fmt: skip
        .filter(pl.any_horizontal(*flags))
        .sort("__line__")
        .collect()
    )

    def rows(flag: str) -> pl.DataFrame:
        return flagged.filter(pl.col(flag))

    emit(out, ONLY_ARRIVAL_OR_DEPARTURE, rows("only_arr"), path=path, field="arrival_time",
         value="trip_id")  # fmt: skip
    emit(out, ONLY_ARRIVAL_OR_DEPARTURE, rows("only_dep"), path=path, field="departure_time",
         value="trip_id")  # fmt: skip
    backwards = rows("backwards")
    if backwards.height:  # the previous departure's text and line, for these rows only
        at = backwards["__pd_pos__"]
        backwards = backwards.with_columns(
            st["departure_time"].gather(at).alias("__pdtext__"),
            st["__line__"].gather(at).alias("__pd__line__"),
        )
    emit(out, ARRIVAL_BEFORE_PREVIOUS_DEPARTURE, backwards, path=path, field="arrival_time",
         value="trip_id", params={"arrival": "arrival_time", "departure": "__pdtext__",
                                  "prev_row": "__pd__line__"})  # fmt: skip
    emit(out, MISSING_TRIP_EDGE, rows("edge_arr"), path=path, field="arrival_time",
         value="trip_id")  # fmt: skip
    emit(out, MISSING_TRIP_EDGE, rows("edge_dep"), path=path, field="departure_time",
         value="trip_id")  # fmt: skip
    if "distance" in flags:
        emit(out, DECREASING_OR_EQUAL_STOP_TIME_DISTANCE, rows("distance"), path=path,
             field="shape_dist_traveled", value="trip_id",
             params={"distance": "__dist__", "prev_distance": "__prev_dist__",
                     "prev_row": "__prev_line__"})  # fmt: skip
    if "timepoint" in st.columns:
        emit(out, TIMEPOINT_WITHOUT_TIMES, rows("timepoint_arr"), path=path,
             field="arrival_time", value="trip_id")  # fmt: skip
        emit(out, TIMEPOINT_WITHOUT_TIMES, rows("timepoint_dep"), path=path,
             field="departure_time", value="trip_id")  # fmt: skip
        emit(out, MISSING_TIMEPOINT_VALUE, rows("timepoint_unset"), path=path,
             field="timepoint", value="trip_id")  # fmt: skip

    _fast_travel(out, ctx, st)
    return out


def _fast_travel(out: Findings, ctx: CheckContext, st: pl.DataFrame) -> None:
    coords, numbers = stop_coordinates(ctx), stop_numbers(ctx)
    trips, routes = ctx.frame("trips.txt"), ctx.frame("routes.txt")
    if coords is None or numbers is None or trips is None or routes is None:
        return
    if not ctx.usable("stops.txt", "trips.txt", "routes.txt"):
        return
    if not ctx.has("trips.txt", "trip_id", "route_id") or not ctx.has(
        "routes.txt", "route_id", "route_type"
    ):
        return
    speed_limit = routes.select(
        "route_id",
        pl.col("route_type").cast(pl.Int64, strict=False)
        .replace_strict(_MAX_SPEED_KPH, default=_DEFAULT_MAX_SPEED_KPH, return_dtype=pl.Float64)
        .alias("__max_kph__"),
    ).unique("route_id")  # fmt: skip
    trip_limit = (
        trips.select("trip_id", "route_id")
        .unique("trip_id")
        .join(speed_limit, on="route_id", how="inner")
        .select("trip_id", "__max_kph__")
    )
    if trip_limit.height == 0:
        return
    blocks = trip_blocks(ctx)
    assert blocks is not None
    # Per row: the stop's coordinates and the trip's limit, gathered by number
    # (no join of the whole table on its string keys).
    per_trip = blocks.join(trip_limit, on="trip_id", how="inner")
    pairs = (
        st.select("trip_id", "__line__", "__arr__", "__dep__", "__has_arr__", "__has_dep__",
                  "__same__")
        .with_columns(
            coords["__lat__"].gather(numbers).alias("__lat__"),
            coords["__lon__"].gather(numbers).alias("__lon__"),
            per_row(ctx, per_trip, "__max_kph__").alias("__max_kph__"),
        )
        .lazy()
        .with_columns(
            _prev("__lat__").alias("__plat__"),
            _prev("__lon__").alias("__plon__"),
            _prev("__dep__").alias("__pdep__"),
            _prev("__has_dep__").alias("__phas_dep__"),
            _prev("__line__").alias("__prev_line__"),
        )
        .filter(pl.col("__phas_dep__") & pl.col("__has_arr__")
                & pl.col("__max_kph__").is_not_null())
    )  # fmt: skip
    elapsed = pl.col("__arr__") - pl.col("__pdep__")
    minute_resolution = ((pl.col("__arr__") % 60) == 0) & ((pl.col("__pdep__") % 60) == 0)
    elapsed = (
        pl.when(elapsed <= 0).then(60)
        .when(minute_resolution).then(elapsed + 60)
        .otherwise(elapsed)
    )  # fmt: skip
    # The haversine distance is at most (pi R / 2) * sqrt(dphi^2 + dlambda^2) (as
    # sin x <= x and asin y <= y pi / 2): rows that stay under the lowest limit of
    # the feed by that cheap bound skip the trigonometry (a margin covers rounding).
    bound_km = (
        (EARTH_RADIUS_M * math.pi / 2 * math.pi / 180.0 / 1000.0 * (1 + 1e-6))
        * ((pl.col("__lat__") - pl.col("__plat__")) ** 2
           + (pl.col("__lon__") - pl.col("__plon__")) ** 2).sqrt()
    )  # fmt: skip
    lowest_limit = trip_limit["__max_kph__"].min()
    if lowest_limit is None:  # no route_type is a number: no speed to compare with
        return
    distance_km = haversine_m(pl.col("__plat__"), pl.col("__plon__"), pl.col("__lat__"),
                              pl.col("__lon__")) / 1000.0  # fmt: skip
    fast = (
        pairs.with_columns(elapsed.alias("__elapsed__"))
        .filter(bound_km * 3600.0 / pl.col("__elapsed__") > float(lowest_limit))
        .with_columns((distance_km * 3600.0 / pl.col("__elapsed__")).alias("__kph__"))
        .filter(pl.col("__kph__") > pl.col("__max_kph__"))
        .with_columns(pl.col("__kph__").round(1))
        .sort("__line__")
        .collect()
    )
    emit(out, FAST_TRAVEL_BETWEEN_CONSECUTIVE_STOPS, fast, path="stop_times.txt",
         field="arrival_time", value="trip_id",
         params={"prev_row": "__prev_line__", "speed_kph": "__kph__"})  # fmt: skip


def check_trip_usage(ctx: CheckContext) -> Findings:
    out = Findings()
    st = ctx.frame("stop_times.txt")
    trips = ctx.frame("trips.txt")
    if trips is not None and "trip_id" in trips.columns:
        counts = _stop_times_per_trip(ctx, st)
        used = (
            trips.filter(pl.col("trip_id").is_not_null())
            .join(counts, on="trip_id", how="left")
            .with_columns(pl.col("__n__").fill_null(0))
        )
        emit(out, UNUSED_TRIP, used.filter(pl.col("__n__") == 0), path="trips.txt",
             field="trip_id", value="trip_id")  # fmt: skip
        emit(out, UNUSABLE_TRIP, used.filter(pl.col("__n__") <= 1), path="trips.txt",
             field="trip_id", value="trip_id")  # fmt: skip
    stops = ctx.frame("stops.txt")
    if stops is not None and "stop_id" in stops.columns:
        used_ids = _used_stop_ids(ctx, st)
        location_type = (
            col_or_null(stops, "location_type").cast(pl.Int64, strict=False).fill_null(0)
        )
        unused = stops.filter(
            (location_type == 0)
            & pl.col("stop_id").is_not_null()
            & ~pl.col("stop_id").is_in(used_ids.implode())
        )
        emit(out, STOP_WITHOUT_STOP_TIME, unused, path="stops.txt", field="stop_id",
             value="stop_id")  # fmt: skip
        if st is not None and "stop_id" in st.columns:
            not_stops = stops.filter(location_type != 0)["stop_id"].drop_nulls()
            if not_stops.len():
                wrong = st.filter(pl.col("stop_id").is_in(not_stops.implode()))
                emit(out, LOCATION_WITH_UNEXPECTED_STOP_TIME, wrong, path="stop_times.txt",
                     field="stop_id", value="stop_id")  # fmt: skip
    return out


def _stop_times_per_trip(ctx: CheckContext, st: pl.DataFrame | None) -> pl.DataFrame:
    """trip_id → __n__, its rows in stop_times.txt (from the trip blocks when they
    hold every row: no group_by over the whole table)."""
    if all_stop_times_sorted(ctx):
        blocks = trip_blocks(ctx)
        assert blocks is not None
        return blocks.select("trip_id", pl.col("__n__").cast(pl.UInt32))
    if st is not None and "trip_id" in st.columns:
        return st.group_by("trip_id").len("__n__")
    return pl.DataFrame(
        {"trip_id": [], "__n__": []}, schema={"trip_id": pl.String, "__n__": pl.UInt32}
    )


def _used_stop_ids(ctx: CheckContext, st: pl.DataFrame | None) -> pl.Series:
    """The stop_ids of stops.txt used in stop_times.txt (from the stop numbers when
    they cover every row: no hashing of the whole stop_id column again)."""
    numbers, coords = stop_numbers(ctx), stop_coordinates(ctx)
    if all_stop_times_sorted(ctx) and numbers is not None and coords is not None:
        return coords.filter(pl.col("__stop__").is_in(numbers.drop_nulls().unique().implode()))[
            "stop_id"
        ]
    if st is not None and "stop_id" in st.columns:
        return st["stop_id"].drop_nulls().unique()
    return pl.Series("stop_id", [], pl.String)
