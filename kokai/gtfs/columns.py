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
    tables without such errors), so no regex. checked=False: a value that is not a
    GTFS time is null."""
    if not checked:
        expr = pl.when(expr.str.contains(TIME_PATTERN)).then(expr)
    return expr.map_batches(_text_to_seconds, return_dtype=pl.Int64)


# The bytes of "HH:MM:SS" read as 8 numbers: the common form costs no string operation.
_HH_MM_SS = pl.Array(pl.UInt8, 8)
_BYTE = [pl.col(str(i)).cast(pl.Int32) for i in range(8)]
_DIGITS_AND_COLONS = pl.all_horizontal(
    *[_BYTE[i].is_between(48, 57) for i in (0, 1, 3, 4, 6, 7)], _BYTE[2] == 58, _BYTE[5] == 58
)


def _eight_bytes(text: pl.Series) -> tuple[pl.DataFrame, pl.Series]:
    """The values of exactly 8 bytes as columns "0" to "7" (one per byte), and
    where they are in `text` (a Boolean mask)."""
    fixed = text.cast(pl.Binary).bin.reinterpret(dtype=_HH_MM_SS)  # null unless 8 bytes
    eight = fixed.is_not_null()
    # Byte i of every value: every 8th byte of the values laid end to end.
    flat = (fixed if fixed.null_count() == 0 else fixed.filter(eight)).explode()
    return pl.DataFrame({str(i): flat.gather_every(8, i) for i in range(8)}), eight


def _at(eight: pl.Series, values: pl.Series, dtype: pl.DataType) -> pl.Series:
    """`values` (one per True of `eight`) placed at those rows, null elsewhere."""
    if values.len() == eight.len():
        return values
    return pl.repeat(None, eight.len(), dtype=dtype, eager=True).scatter(eight.arg_true(), values)


def _text_to_seconds(text: pl.Series) -> pl.Series:
    """Seconds of 'HH:MM:SS' values read from their bytes; the other values (other
    lengths, other characters) as the integer HHMMSS once the colons are removed."""
    seconds = pl.repeat(None, text.len(), dtype=pl.Int64, eager=True)
    b, eight = _eight_bytes(text)
    if b.height:
        value = (_BYTE[0] * 10 + _BYTE[1]) * 3600 + (_BYTE[3] * 10 + _BYTE[4]) * 60
        value = value + _BYTE[6] * 10 + _BYTE[7] - 48 * 11 * 3661  # the digits' "0"s
        parsed = b.select(pl.when(_DIGITS_AND_COLONS).then(value.cast(pl.Int64))).to_series()
        seconds = _at(eight, parsed, pl.Int64)
    rest = (seconds.is_null() & text.is_not_null()).arg_true()
    if rest.len():
        seconds = seconds.scatter(rest, _digits_to_seconds(text.gather(rest)))
    return seconds.alias(text.name)


def _digits_to_seconds(text: pl.Series) -> pl.Series:
    hhmmss = text.str.replace_all(":", "", literal=True).cast(pl.Int64, strict=False)
    return (hhmmss // 10000) * 3600 + (hhmmss // 100 % 100) * 60 + hhmmss % 100


def to_date(expr: pl.Expr) -> pl.Expr:
    """GTFS date YYYYMMDD → Date (null when it is not one)."""
    return expr.str.to_date("%Y%m%d", strict=False)


def blank(column: str) -> pl.Expr:
    """True where the cell is empty or only white space (a full-width space too, which
    the loader keeps: it strips only spaces and tabs)."""
    return pl.col(column).is_null() | (pl.col(column).str.strip_chars() == "")
