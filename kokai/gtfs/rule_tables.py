"""The large tables several GTFS rules read, prepared once per feed and cached
on the CheckContext: stop_times in trip order (times in seconds, trip blocks),
the stops with coordinates and each stop_times row's stop number, and shapes in
point order. Preparing them once leaves the rules integer gathers instead of
each sorting or joining 100 000s of string keys again."""

from __future__ import annotations

import polars as pl

from kokai.gtfs.columns import col_or_null, time_seconds
from kokai.gtfs.rules_common import CheckContext, in_group_order, same_as_before


def sorted_stop_times(ctx: CheckContext) -> pl.DataFrame | None:
    """stop_times sorted by trip and sequence, with __line__, __seq__, __arr__ and
    __dep__ (seconds), __has_arr__/__has_dep__, __same__ (row is in the same trip
    as the row before) and __block__ (the trip's number in this order, from 0).
    Shifting plain columns and masking with __same__ is much faster than
    `.over("trip_id")` on a large table. None without trip_id or stop_sequence."""
    return ctx.cached("stop_times_sorted", lambda: _sorted_stop_times(ctx))


def _sorted_stop_times(ctx: CheckContext) -> pl.DataFrame | None:
    st = ctx.frame("stop_times.txt")
    if st is None or "trip_id" not in st.columns or "stop_sequence" not in st.columns:
        return None
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
    if result.select(complete.all()).item():
        in_order = ctx.file_in_group_order("stop_times.txt", "trip_id", "stop_sequence")
    else:  # filtering copies every column: only when some rows lack a key
        result = result.filter(complete)
        in_order = in_group_order(result, "trip_id", pl.col("__seq__"))
    # Rows grouped by trip (in order of first appearance) and by stop_sequence within
    # each trip. Most feeds are written that way already, which is checked cheaply
    # instead of sorting 100 000s of string keys.
    if not in_order:
        result = result.sort(
            [pl.col("__line__").min().over("trip_id"), pl.col("__seq__"), pl.col("__line__")]
        )
    return result.with_columns(same_as_before("trip_id").alias("__same__")).with_columns(
        ((~pl.col("__same__")).cum_sum() - 1).alias("__block__")
    )


def trip_blocks(ctx: CheckContext) -> pl.DataFrame | None:
    """One row per trip of `sorted_stop_times`: __block__, trip_id and __n__ (its
    rows); a table as small as trips.txt, to join with trip attributes before
    gathering them per row."""

    def make() -> pl.DataFrame | None:
        st = sorted_stop_times(ctx)
        if st is None:
            return None
        starts = pl.col("__pos__")
        return (
            st.lazy()
            .select("trip_id", "__same__", "__block__", pl.int_range(pl.len()).alias("__pos__"))
            .filter(~pl.col("__same__"))
            .select("__block__", "trip_id",
                    (starts.shift(-1, fill_value=st.height) - starts).alias("__n__"))
            .collect()
        )  # fmt: skip

    return ctx.cached("trip_blocks", make)


def all_stop_times_sorted(ctx: CheckContext) -> bool:
    """True when `sorted_stop_times` holds every row of stop_times.txt (none lacked
    trip_id or stop_sequence): then counts and sets taken from it hold for the file."""
    st, raw = sorted_stop_times(ctx), ctx.feed.files.get("stop_times.txt")
    return st is not None and raw is not None and st.height == raw.height


def per_row(ctx: CheckContext, per_block: pl.DataFrame, column: str) -> pl.Series:
    """`column` of `per_block` (keyed by __block__, at most one row per block) on
    every row of `sorted_stop_times`; null for blocks it lacks."""
    st = sorted_stop_times(ctx)
    blocks = trip_blocks(ctx)
    assert st is not None and blocks is not None
    dense = blocks.select("__block__").join(
        per_block.select("__block__", column), on="__block__", how="left", maintain_order="left"
    )[column]
    return dense.gather(st["__block__"])


def stop_coordinates(ctx: CheckContext) -> pl.DataFrame | None:
    """One row per stop_id (the first): __stop__ (its number), stop_id, __lat__,
    __lon__ (a stop without coordinates takes its parent's), __type__ (location_type)."""
    return ctx.cached("stop_coordinates", lambda: _stop_coordinates(ctx))


def _stop_coordinates(ctx: CheckContext) -> pl.DataFrame | None:
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
    return (
        coords.join(parents, on="__parent__", how="left")
        .select(
            "stop_id",
            pl.coalesce("__lat__", "__plat__").alias("__lat__"),
            pl.coalesce("__lon__", "__plon__").alias("__lon__"),
            "__type__",
        )
        .with_row_index("__stop__")
    )


def stop_numbers(ctx: CheckContext) -> pl.Series | None:
    """The __stop__ of `stop_coordinates` on every row of `sorted_stop_times` (null
    when its stop_id is not in stops.txt): the one string join of stop_times on
    stop_id; the rules then gather coordinates by number."""

    def make() -> pl.Series | None:
        st, coords = sorted_stop_times(ctx), stop_coordinates(ctx)
        if st is None or coords is None or "stop_id" not in st.columns:
            return None
        # A lookup (stop_id is unique in coords) is faster than a left join keeping
        # order. A null stop_id matches nothing, as in the join.
        known = coords.filter(pl.col("stop_id").is_not_null())
        return (
            st["stop_id"]
            .replace_strict(known["stop_id"], known["__stop__"], default=None,
                            return_dtype=known["__stop__"].dtype)
            .alias("__stop__")
        )  # fmt: skip

    return ctx.cached("stop_numbers", make)


def sorted_shapes(ctx: CheckContext) -> pl.DataFrame | None:
    """shapes.txt rows with an id, a sequence and coordinates, sorted by shape and
    sequence, with __seq__, __lat__, __lon__ and __dist__ (shape_dist_traveled)."""
    return ctx.cached("shapes_sorted", lambda: _sorted_shapes(ctx))


def _sorted_shapes(ctx: CheckContext) -> pl.DataFrame | None:
    shapes = ctx.frame("shapes.txt")
    if shapes is None or not shapes.height or not ctx.has(
        "shapes.txt", "shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"
    ):
        return None
    prepared = shapes.with_columns(
        pl.col("shape_pt_sequence").cast(pl.Int64, strict=False).alias("__seq__"),
        pl.col("shape_pt_lat").cast(pl.Float64, strict=False).alias("__lat__"),
        pl.col("shape_pt_lon").cast(pl.Float64, strict=False).alias("__lon__"),
        col_or_null(shapes, "shape_dist_traveled").cast(pl.Float64, strict=False)
        .alias("__dist__"),
    )  # fmt: skip
    complete = (
        pl.col("shape_id").is_not_null()
        & pl.col("__seq__").is_not_null()
        & pl.col("__lat__").is_not_null()
        & pl.col("__lon__").is_not_null()
    )
    if prepared.select(complete.all()).item() and ctx.file_in_group_order(
        "shapes.txt", "shape_id", "shape_pt_sequence"
    ):
        return _blocks_sorted(prepared, "shape_id")
    return prepared.filter(complete).sort(["shape_id", "__seq__", "__line__"])


def _blocks_sorted(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """A frame whose rows form one block per `key`, each in order, sorted by `key`:
    only the block starts are sorted (a few hundred strings), then the rows are
    gathered block after block."""
    starts = (
        frame.lazy()
        .select(key, pl.int_range(pl.len()).alias("__start__"))
        .filter(~same_as_before(key))
        .with_columns(pl.col("__start__").shift(-1, fill_value=frame.height).alias("__end__"))
        .sort(key)
        .select(pl.int_ranges("__start__", "__end__").explode().alias("__row__"))
        .collect()
    )
    return frame.select(pl.all().gather(starts["__row__"]))
