"""Header names from a file never reach polars' column selection.

`pl.col(name)` reads a name that starts with `^` and ends with `$` as a regular
expression and `*` as every column, so a CSV column called `*` or `^a.*$`
would select other columns or all of them. The checks therefore work on a
copy of the data whose columns are named by position (`c0`, `c1`, …) and
keep the header names for the findings; the names kokai adds for its own
intermediate columns start with `__`, so they never collide with these.
"""

from __future__ import annotations

import polars as pl


def key(index: int) -> str:
    """The internal name of the column at `index` (0-based)."""
    return f"c{index}"


def positional(data: pl.DataFrame) -> pl.DataFrame:
    """The same frame (no copy of the data) with its columns named c0, c1, …"""
    out = data.clone()
    out.columns = [key(i) for i in range(data.width)]
    return out


def strictly_ascending(values: pl.Expr) -> pl.Expr:
    """Every value greater than the one before, empty cells (null) left out: a
    column in this order has no value twice, which is cheaper to see than hashing
    it (IDs usually are in order). Nulls are dropped, not compared: `>` with a
    null is null, which `all()` would pass over, so A, null, A would seem in order."""
    filled = values.drop_nulls()
    return (filled > filled.shift(1)).all()
