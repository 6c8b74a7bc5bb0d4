"""Repeated rows, and repeated IDs where the schema declares no uniqueness
(the schema's own `unique` is the Table Schema checks' unique-error).

Counted with polars; findings only for the first repeats."""

from __future__ import annotations

import polars as pl

from kokai.validators.frame import strictly_ascending
from kokai.validators.japanese.collect import Collected
from kokai.validators.japanese.columns import Column
from kokai.validators.japanese.rules import DUPLICATE_ID, DUPLICATE_RECORD
from kokai.validators.report import MAX_FINDINGS_PER_CODE

_POS = "__pos"


def _text(key: str) -> pl.Expr:
    return pl.col(key).fill_null("").alias(key)


def duplicate_findings(
    path: str, df: pl.DataFrame, lines: pl.Series, columns: list[Column], out: Collected
) -> None:
    if df.height < 2:
        return
    ids = [c for c in columns if c.role == "id"]
    # IDs in ascending order (the usual case) are unique without hashing them
    ascending = df.select(
        [strictly_ascending(pl.col(c.key)).alias(c.key) for c in ids]
    ).row(0, named=True) if ids else {}  # fmt: skip
    id_stats = df.select(
        [
            (pl.lit(False) if ascending[c.key] else pl.col(c.key).is_duplicated().any()).alias(f"d{i}")
            for i, c in enumerate(ids)
        ]
        + [(pl.col(c.key).fill_null("") == "").any().alias(f"e{i}") for i, c in enumerate(ids)]
    ).row(0, named=True) if ids else {}  # fmt: skip
    # A filled, unique ID column means no row can repeat another: skip hashing rows.
    unique_id = any(not id_stats[f"d{i}"] and not id_stats[f"e{i}"] for i in range(len(ids)))
    repeated = pl.Series(_POS, [], dtype=pl.UInt32)
    if not unique_id:
        repeated = _duplicate_records(path, df, lines, columns, out)
    # 指定避難所 (GSI): one place on two rows that differ in 受入対象者 is expected;
    # 04 人口: one 地域コード per 調査年月日
    qualifiers = [c.key for c in columns if c.name == "受入対象者" or c.role == "date"]
    for i, col in enumerate(ids):
        if col.unique or not id_stats[f"d{i}"]:
            continue
        keys = list(dict.fromkeys([col.key, *qualifiers]))
        group = pl.struct(keys)
        frame = df.select([_text(k) for k in keys]).with_row_index(_POS)
        hit = frame.with_columns(pl.col(_POS).first().over(group).alias("__first")).filter(
            (pl.col(col.key) != "")
            & ~group.is_first_distinct()
            & ~pl.col(_POS).is_in(repeated.implode())
        )
        if hit.height == 0:
            continue
        sample = hit.head(MAX_FINDINGS_PER_CODE)
        rows = lines.gather(sample.get_column(_POS))
        firsts = lines.gather(sample.get_column("__first"))
        out.add(
            [
                DUPLICATE_ID.finding(path=path, row=row, field=col.name, value=value, first_row=first)
                for row, first, value in zip(rows, firsts, sample.get_column(col.key), strict=True)
            ],
            hit.height,
        )
        mask = pl.Series([False] * df.height).scatter(hit.get_column(_POS), True)
        out.cover(col.name, mask)


def _duplicate_records(
    path: str, df: pl.DataFrame, lines: pl.Series, columns: list[Column], out: Collected
) -> pl.Series:
    """Rows equal to an earlier row in every column (an empty and a missing cell
    are equal); returns their positions."""
    keys = [c.key for c in columns]
    content = df.select([_text(k) for k in keys])
    candidates = content.hash_rows().is_duplicated() & content.select(
        pl.any_horizontal([pl.col(k) != "" for k in keys])
    ).to_series()
    if not candidates.any():
        return pl.Series(_POS, [], dtype=pl.UInt32)
    frame = content.with_row_index(_POS).filter(candidates)  # hash collisions: compared exactly below
    group = pl.struct(keys)
    frame = frame.with_columns(pl.col(_POS).first().over(group).alias("__first"))
    hit = frame.filter(~group.is_first_distinct())
    if hit.height:
        sample = hit.head(MAX_FINDINGS_PER_CODE)
        rows = lines.gather(sample.get_column(_POS))
        firsts = lines.gather(sample.get_column("__first"))
        out.add(
            [
                DUPLICATE_RECORD.finding(path=path, row=row, first_row=first)
                for row, first in zip(rows, firsts, strict=True)
            ],
            hit.height,
        )
    return hit.get_column(_POS)
