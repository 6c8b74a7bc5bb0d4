"""stop_times.txt: order and times within a trip, trip edges, distances,
travel speed, and which trips and stops are used.

Everything works on stop_times sorted by (trip_id, stop_sequence) with
`shift(...).over("trip_id")`: one vectorised pass, no loop per trip."""

from __future__ import annotations

import polars as pl

from kokai.gtfs.columns import col_or_null, time_seconds
from kokai.gtfs.rules_common import CheckContext, emit, haversine_m, in_group_order
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


def sorted_stop_times(ctx: CheckContext) -> pl.DataFrame | None:
    """stop_times sorted by trip and sequence, with __line__, __seq__, __arr__ and
    __dep__ (seconds), __has_arr__/__has_dep__, and __same__ (row is in the same
    trip as the row before). Shifting plain columns and masking with __same__ is
    much faster than `.over("trip_id")` on a large table."""
    if "stop_times_sorted" in ctx.cache:
        return ctx.cache["stop_times_sorted"]
    st = ctx.frame("stop_times.txt")
    result = None
    if st is not None and "trip_id" in st.columns and "stop_sequence" in st.columns:
        arrival, departure = col_or_null(st, "arrival_time"), col_or_null(st, "departure_time")
        result = st.with_columns(
            pl.col("stop_sequence").cast(pl.Int64, strict=False).alias("__seq__"),
            *[
                (time_seconds(pl.col(c)) if c in st.columns else pl.lit(None, pl.Int64)).alias(alias)
                for c, alias in (("arrival_time", "__arr__"), ("departure_time", "__dep__"))
            ],
            arrival.is_not_null().alias("__has_arr__"),
            departure.is_not_null().alias("__has_dep__"),
        )
        complete = pl.col("trip_id").is_not_null() & pl.col("__seq__").is_not_null()
        if not result.select(complete.all()).item():  # filtering copies every column
            result = result.filter(complete)
        result = _in_trip_order(result)
    ctx.cache["stop_times_sorted"] = result
    return result


def _in_trip_order(st: pl.DataFrame) -> pl.DataFrame:
    """Rows grouped by trip (in order of first appearance) and by stop_sequence within
    each trip. Most feeds are written that way already, which is checked cheaply
    instead of sorting 100 000s of string keys."""
    same = (pl.col("trip_id") == pl.col("trip_id").shift(1)).fill_null(False)
    if not in_group_order(st, "trip_id", pl.col("__seq__")):
        st = st.sort(
            [pl.col("__line__").min().over("trip_id"), pl.col("__seq__"), pl.col("__line__")]
        )
    return st.with_columns(same.alias("__same__"))


def _prev(column: str) -> pl.Expr:
    """The value of `column` in the previous row of the same trip (null at a trip start)."""
    return pl.when(pl.col("__same__")).then(pl.col(column).shift(1))


def check_stop_times(ctx: CheckContext) -> Findings:
    st = sorted_stop_times(ctx)
    if st is None or st.height == 0:
        return Findings()
    path = "stop_times.txt"
    out = Findings()

    only = st.filter(pl.col("__has_arr__") != pl.col("__has_dep__")).sort("__line__")
    for present, rows in ((True, only.filter(pl.col("__has_arr__"))),
                          (False, only.filter(~pl.col("__has_arr__")))):  # fmt: skip
        emit(out, ONLY_ARRIVAL_OR_DEPARTURE, rows, path=path,
             field="arrival_time" if present else "departure_time", value="trip_id")  # fmt: skip

    # Previous departure: the last row before this one, in the same trip, that has one.
    # Forward-fill (departure, its row, its trip number) and keep it only within the trip.
    trip_no = (~pl.col("__same__")).cum_sum()
    with_dep = pl.col("__has_dep__")
    prev = st.with_columns(trip_no.alias("__trip_no__")).with_columns(
        pl.when(with_dep).then(pl.col(c)).shift(1).forward_fill().alias(f"__pd{c}")
        for c in ("__dep__", "__line__", "__trip_no__")
    )
    prev = prev.with_columns(
        pl.when(with_dep).then(col_or_null(st, "departure_time")).shift(1).forward_fill()
        .alias("__pdtext__")
    )  # fmt: skip
    backwards = prev.filter(
        pl.col("__has_arr__")
        & (pl.col("__pd__trip_no__") == pl.col("__trip_no__"))
        & (pl.col("__arr__") < pl.col("__pd__dep__"))
    ).sort("__line__")
    emit(out, ARRIVAL_BEFORE_PREVIOUS_DEPARTURE, backwards, path=path, field="arrival_time",
         value="trip_id", params={"arrival": "arrival_time", "departure": "__pdtext__",
                                  "prev_row": "__pd__line__"})  # fmt: skip

    is_first = ~pl.col("__same__")
    is_last = ~pl.col("__same__").shift(-1).fill_null(False)
    edges = st.filter(is_first | is_last)
    for column, flag in (("arrival_time", "__has_arr__"), ("departure_time", "__has_dep__")):
        missing = edges.filter(~pl.col(flag)).sort("__line__")
        emit(out, MISSING_TRIP_EDGE, missing, path=path, field=column, value="trip_id")

    if "shape_dist_traveled" in st.columns:
        dist = pl.col("shape_dist_traveled").cast(pl.Float64, strict=False)
        with_prev = st.with_columns(dist.alias("__dist__")).with_columns(
            _prev("__dist__").alias("__prev_dist__"), _prev("__line__").alias("__prev_line__")
        )
        bad = with_prev.filter(pl.col("__dist__") <= pl.col("__prev_dist__")).sort("__line__")
        emit(out, DECREASING_OR_EQUAL_STOP_TIME_DISTANCE, bad, path=path,
             field="shape_dist_traveled", value="trip_id",
             params={"distance": "__dist__", "prev_distance": "__prev_dist__",
                     "prev_row": "__prev_line__"})  # fmt: skip

    if "timepoint" in st.columns:
        exact = st.filter(pl.col("timepoint") == "1")
        for column, flag in (("arrival_time", "__has_arr__"), ("departure_time", "__has_dep__")):
            emit(out, TIMEPOINT_WITHOUT_TIMES, exact.filter(~pl.col(flag)).sort("__line__"),
                 path=path, field=column, value="trip_id")  # fmt: skip
        unset = st.filter(
            pl.col("timepoint").is_null() & (pl.col("__has_arr__") | pl.col("__has_dep__"))
        ).sort("__line__")
        emit(out, MISSING_TIMEPOINT_VALUE, unset, path=path, field="timepoint", value="trip_id")

    _fast_travel(out, ctx, st)
    return out


def _stop_coordinates(ctx: CheckContext) -> pl.DataFrame | None:
    """stop_id → lat, lon (a stop without coordinates takes its parent's), location_type."""
    stops = ctx.frame("stops.txt")
    if stops is None or "stop_id" not in stops.columns:
        return None
    coords = stops.select(
        "stop_id",
        col_or_null(stops, "stop_lat").cast(pl.Float64, strict=False).alias("__lat__"),
        col_or_null(stops, "stop_lon").cast(pl.Float64, strict=False).alias("__lon__"),
        col_or_null(stops, "parent_station").alias("__parent__"),
        col_or_null(stops, "location_type").cast(pl.Int64, strict=False).fill_null(0)
        .alias("__type__"),
    ).unique("stop_id", keep="first")  # fmt: skip
    parents = coords.select(
        pl.col("stop_id").alias("__parent__"),
        pl.col("__lat__").alias("__plat__"),
        pl.col("__lon__").alias("__plon__"),
    )
    return coords.join(parents, on="__parent__", how="left").select(
        "stop_id",
        pl.coalesce("__lat__", "__plat__").alias("__lat__"),
        pl.coalesce("__lon__", "__plon__").alias("__lon__"),
        "__type__",
    )


def _fast_travel(out: Findings, ctx: CheckContext, st: pl.DataFrame) -> None:
    coords = _stop_coordinates(ctx)
    trips, routes = ctx.frame("trips.txt"), ctx.frame("routes.txt")
    if coords is None or trips is None or routes is None or "stop_id" not in st.columns:
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
    # One lazy query: polars keeps only the columns each step needs and runs the
    # joins and the arithmetic without materialising every intermediate table.
    pairs = (
        st.lazy()
        .select("trip_id", "stop_id", "__line__", "__arr__", "__dep__", "__has_arr__",
                "__has_dep__", "__same__")
        .join(coords.lazy().select("stop_id", "__lat__", "__lon__"), on="stop_id", how="left",
              maintain_order="left")
        .with_columns(
            _prev("__lat__").alias("__plat__"),
            _prev("__lon__").alias("__plon__"),
            _prev("__dep__").alias("__pdep__"),
            _prev("__has_dep__").alias("__phas_dep__"),
            _prev("__line__").alias("__prev_line__"),
        )
        .filter(pl.col("__phas_dep__") & pl.col("__has_arr__"))
        .join(trip_limit.lazy(), on="trip_id", how="inner")
    )  # fmt: skip
    elapsed = pl.col("__arr__") - pl.col("__pdep__")
    minute_resolution = ((pl.col("__arr__") % 60) == 0) & ((pl.col("__pdep__") % 60) == 0)
    elapsed = (
        pl.when(elapsed <= 0).then(60)
        .when(minute_resolution).then(elapsed + 60)
        .otherwise(elapsed)
    )  # fmt: skip
    distance_km = haversine_m(pl.col("__plat__"), pl.col("__plon__"), pl.col("__lat__"),
                              pl.col("__lon__")) / 1000.0  # fmt: skip
    fast = (
        pairs.with_columns((distance_km * 3600.0 / elapsed).alias("__kph__"))
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
        counts = (
            st.group_by("trip_id").len("__n__")
            if st is not None and "trip_id" in st.columns
            else pl.DataFrame({"trip_id": [], "__n__": []},
                              schema={"trip_id": pl.String, "__n__": pl.UInt32})
        )  # fmt: skip
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
        used_ids = (
            st["stop_id"].drop_nulls().unique()
            if st is not None and "stop_id" in st.columns
            else pl.Series("stop_id", [], pl.String)
        )
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
