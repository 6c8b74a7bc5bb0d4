"""Shared helpers of the GTFS rules (generic and GTFS-JP): the check context,
and turning a DataFrame of failing rows into Findings (only the kept ones are
built; the rest are counted)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from kokai.gtfs.feed import Feed
from kokai.validators.report import MAX_FINDINGS_PER_CODE, Finding, Findings, Rule

EARTH_RADIUS_M = 6_371_010.0  # as S2Earth, which MobilityData uses

# One rule for every recommended field; `hint` (a Text) says what to write.
MISSING_RECOMMENDED_FIELD = Rule(
    "missing_recommended_field", "warning",
    "{path} の {row} 行目で推奨項目「{field}」がありません。{hint}",
    "{path} row {row}: recommended field {field!r} is missing. {hint}", source="mobilitydata",
)  # fmt: skip


# Files usually written in blocks of one id, each in increasing sequence.
_BLOCK_SEQUENCES = {
    ("stop_times.txt", "trip_id"): "stop_sequence",
    ("shapes.txt", "shape_id"): "shape_pt_sequence",
}


@dataclass
class CheckContext:
    feed: Feed
    today: date
    profile: str = "gtfs"
    # Tables with row or header errors. As in MobilityData, rules that read a table
    # with such errors are skipped, so that one broken file does not cascade.
    broken: set[str] = field(default_factory=set)
    cache: dict[str, Any] = field(default_factory=dict)

    def usable(self, *names: str) -> bool:
        return not any(name in self.broken for name in names)

    def cached(self, key: str, make: Callable[[], Any]) -> Any:
        """`make()`, made once per feed: the tables and answers several checks share."""
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    def frame(self, name: str) -> pl.DataFrame | None:
        """The file with its `__line__` column (cached), or None when absent."""
        return self.cached(
            f"lines:{name}", lambda: self.feed.with_lines(name) if name in self.feed.files else None
        )

    def distinct(self, name: str, column: str) -> pl.Series:
        """The distinct non-null values of a file's column (cached: the format and
        the foreign key checks both look them up, once per distinct value)."""

        def make() -> pl.Series:
            frame = self.feed.files[name]
            sequence = _BLOCK_SEQUENCES.get((name, column))
            if (
                sequence
                and self.has(name, sequence)
                and self.file_in_group_order(name, column, sequence)
            ):
                # One block per value, none null (the primary key check asks the same
                # question): the block starts are the distinct values, no hashing.
                return frame.select(pl.col(column).filter(~same_as_before(column))).to_series()
            return frame[column].drop_nulls().unique()

        return self.cached(f"distinct:{name}:{column}", make)

    def file_in_group_order(self, name: str, group: str, sequence: str) -> bool:
        """`in_group_order` of a whole file, the sequence read as an integer (cached:
        several checks ask the same question)."""
        return self.cached(
            f"in_group_order:{name}:{group}:{sequence}",
            lambda: in_group_order(
                self.feed.files[name], group, pl.col(sequence).cast(pl.Int64, strict=False)
            ),
        )

    def has(self, name: str, *columns: str) -> bool:
        frame = self.feed.files.get(name)
        return frame is not None and all(c in frame.columns for c in columns)


def same_as_before(column: str) -> pl.Expr:
    """True where the row's `column` equals the row before's (False on the first row
    and next to a null): in a file written in blocks of one value, every row of a
    block but its first."""
    return (pl.col(column) == pl.col(column).shift(1)).fill_null(False)


def in_group_order(frame: pl.DataFrame, group: str, sequence: pl.Expr) -> bool:
    """True when the rows of each `group` value form one block, in strictly
    increasing `sequence` (as most feeds write stop_times and shapes). Then no
    (group, sequence) pair repeats, and no sort is needed. A value that starts two
    blocks is found among the block starts only (hashing far fewer strings)."""
    same = same_as_before(group)
    flags = frame.select(
        pl.col(group).filter(~same).is_duplicated().any().alias("repeated"),
        ((sequence > sequence.shift(1)) | ~same).all().alias("increasing"),
        (pl.col(group).null_count() + sequence.null_count()).alias("nulls"),
    ).row(0, named=True)
    return not flags["repeated"] and bool(flags["increasing"]) and flags["nulls"] == 0


def haversine_m(lat1: pl.Expr, lon1: pl.Expr, lat2: pl.Expr, lon2: pl.Expr) -> pl.Expr:
    p1, p2 = lat1.radians(), lat2.radians()
    dphi, dlmb = p2 - p1, (lon2 - lon1).radians()
    a = (dphi / 2).sin() ** 2 + p1.cos() * p2.cos() * (dlmb / 2).sin() ** 2
    return 2 * EARTH_RADIUS_M * a.sqrt().arcsin()


def emit(
    out: Findings,
    rule: Rule,
    failing: pl.DataFrame,
    *,
    path: str | None,
    field: str | None = None,
    value: str | None = None,
    row: str | None = "__line__",
    params: dict[str, str] | None = None,
    consts: dict[str, Any] | None = None,
) -> None:
    """Adds one finding per row of `failing` to `out`. `value`, `row` and the values
    of `params` name columns of `failing`; `consts` are fixed template values."""
    params = params or {}
    consts = consts or {}

    def build(record: dict[str, Any]) -> Finding:
        return rule.finding(
            path=path,
            row=record.get(row) if row else None,
            field=field,
            value=record.get(value) if value else None,
            **{k: record.get(c) for k, c in params.items()},
            **consts,
        )

    emit_each(out, rule, failing, path=path, build=build)


def emit_each(
    out: Findings,
    rule: Rule,
    failing: pl.DataFrame,
    *,
    path: str | None,
    build: Callable[[dict[str, Any]], Finding],
) -> None:
    """Adds one finding of `rule` at `path` per row of `failing`, made by `build(row)`
    (a dict of the row's columns). Only the findings `out` will keep
    (MAX_FINDINGS_PER_CODE per path and code) are built; the other rows are counted."""
    n = failing.height
    if n == 0:
        return
    room = MAX_FINDINGS_PER_CODE - out.kept[(path, rule.code, rule.severity)]
    built = [build(record) for record in failing.head(max(room, 1)).iter_rows(named=True)]
    out.add_sample(built, n)
