"""Polars helpers on the raw String tables of a GTFS feed, one of each:
a column that may be absent, GTFS times and dates, blank cells.

Used by the rules, the GTFS-JP rules, the summary (info) and the GeoJSON writer.
"""

from __future__ import annotations

import polars as pl

# H:MM:SS or HH:MM:SS; hours may pass 24 (a trip after midnight), minutes and seconds < 60.
TIME_PATTERN = r"^(\d{1,3}):([0-5]\d):([0-5]\d)$"


def col_or_null(frame: pl.DataFrame, name: str) -> pl.Expr:
    """`frame[name]`, or a null String column of that name when the file lacks it."""
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=pl.String).alias(name)


def time_seconds(expr: pl.Expr, *, checked: bool = True) -> pl.Expr:
    """GTFS time 'H:MM:SS' (hours may pass 24) → seconds after midnight.

    checked=True: the values already passed `invalid_time` (the rules run only on
    tables without such errors), so no regex: 'HH:MM:SS' read as the integer
    HHMMSS is much faster. checked=False: a value that is not a GTFS time is null."""
    if not checked:
        expr = pl.when(expr.str.contains(TIME_PATTERN)).then(expr)
    digits = expr.str.replace_all(":", "", literal=True).cast(pl.Int64, strict=False)
    # map_batches: the digits are parsed once (an eager select would repeat `digits` 3 times).
    return digits.map_batches(_hhmmss_to_seconds, return_dtype=pl.Int64)


def _hhmmss_to_seconds(hhmmss: pl.Series) -> pl.Series:
    return (hhmmss // 10000) * 3600 + (hhmmss // 100 % 100) * 60 + hhmmss % 100


def to_date(expr: pl.Expr) -> pl.Expr:
    """GTFS date YYYYMMDD → Date (null when it is not one)."""
    return expr.str.to_date("%Y%m%d", strict=False)


def blank(column: str) -> pl.Expr:
    """True where the cell is empty or only white space (a full-width space too, which
    the loader keeps: it strips only spaces and tabs)."""
    return pl.col(column).is_null() | (pl.col(column).str.strip_chars() == "")
