"""`unique` and `primaryKey`: repeated values compared as frictionless compares
them (the typed cell; a missing or badly typed cell is no value)."""

from __future__ import annotations

import polars as pl

from kokai.validators.frame import strictly_ascending
from kokai.validators.report import MAX_FINDINGS_PER_CODE, Finding, Findings, Text
from kokai.validators.table_schema.columns import Column
from kokai.validators.table_schema.rules import PRIMARY_KEY_ERROR, UNIQUE_ERROR


def _typed_for_identity(col: Column) -> pl.Expr:
    """The value frictionless compares for unique/primaryKey: the typed cell,
    None for a missing or badly typed cell."""
    if col.typed is None or col.type_ok is None:
        return pl.when(col.missing).then(None).otherwise(col.text)
    return pl.when(col.missing | ~col.type_ok).then(None).otherwise(col.typed)


def unique_checks(
    columns: list[Column], data: pl.DataFrame, lines: pl.Series, path: str, out: Findings
) -> None:
    unique = [c for c in columns if (c.field.constraints or {}).get("unique")]
    if not unique:
        return
    # row positions come from an expression: adding a one-chunk Series to the
    # many-chunk frame polars parsed would make every later select rechunk it
    frame = data.select(
        *[c.text for c in unique],
        *[_typed_for_identity(c).alias(f"__u{i}") for i, c in enumerate(unique)],
        pl.int_range(pl.len(), dtype=pl.Int64).alias("__idx"),
    )
    # values in ascending order (IDs usually are) are unique without hashing them
    ordered = [i for i in range(len(unique)) if _orderable(frame.schema[f"__u{i}"])]
    ascending = frame.select(
        [strictly_ascending(pl.col(f"__u{i}")).alias(f"a{i}") for i in ordered]
    ).row(0, named=True) if ordered else {}  # fmt: skip
    findings: list[Finding] = []
    total = 0
    for i, col in enumerate(unique):
        if ascending.get(f"a{i}"):
            continue
        key = pl.col(f"__u{i}")
        first = key.is_first_distinct()
        dup = frame.filter(key.is_not_null() & ~first)
        if dup.height == 0:
            continue
        total += dup.height
        dup = dup.head(MAX_FINDINGS_PER_CODE)
        firsts = frame.filter(first & key.is_in(dup.get_column(f"__u{i}").implode())).select(
            f"__u{i}", pl.col("__idx").alias("__first")
        )
        hit = dup.join(firsts, on=f"__u{i}", how="left", maintain_order="left")
        where = lines.gather(hit.get_column("__idx")).to_list()
        first_where = lines.gather(hit.get_column("__first")).to_list()
        for value, line, first_line in zip(hit.get_column(col.key).to_list(), where, first_where, strict=True):
            findings.append(
                UNIQUE_ERROR.finding(path=path, row=line, field=col.name, value=value, first=first_line)
            )
    findings.sort(key=lambda f: f.row or 0)
    out.add_sample(findings[:MAX_FINDINGS_PER_CODE], total)


def _orderable(dtype: pl.DataType) -> bool:
    return dtype.is_numeric() or dtype.is_temporal() or dtype == pl.String


_ALL_EMPTY = Text("すべて空です", "all cells are empty")


def primary_key_check(
    key_names: list[str], columns: dict[str, Column], data: pl.DataFrame, lines: pl.Series,
    path: str, out: Findings,
) -> None:
    if not key_names or any(n not in columns for n in key_names):
        return  # a key column is missing: missing-label says so
    key_columns = [columns[n] for n in key_names]
    frame = data.select(
        *[c.text for c in key_columns],
        *[_typed_for_identity(c).alias(f"__k{i}") for i, c in enumerate(key_columns)],
        pl.int_range(pl.len(), dtype=pl.Int64).alias("__idx"),
    )
    keys = [pl.col(f"__k{i}") for i in range(len(key_columns))]
    struct = pl.struct(keys)
    all_null = pl.all_horizontal([k.is_null() for k in keys])
    flagged = frame.with_columns(
        all_null.alias("__empty"),
        (~all_null & ~struct.is_first_distinct()).alias("__dup"),
        pl.col("__idx").first().over(keys).alias("__first"),
    ).filter(pl.col("__empty") | pl.col("__dup"))
    total = flagged.height
    flagged = flagged.head(MAX_FINDINGS_PER_CODE)
    flagged = flagged.with_columns(
        pl.Series("__line", lines.gather(flagged.get_column("__idx")).to_list(), dtype=pl.Int64),
        pl.Series("__first", lines.gather(flagged.get_column("__first")).to_list(), dtype=pl.Int64),
    )
    findings = []
    key_text = "、".join(key_names)
    width = len(key_columns)
    for row in flagged.select([*[c.key for c in key_columns], "__line", "__empty", "__first"]).iter_rows():
        values = row[:width]
        line, empty, first = row[width], row[width + 1], row[width + 2]
        shown = "（" + ", ".join("" if v is None else str(v) for v in values) + "）"
        params = {"problem": _ALL_EMPTY} if empty else {
            "problem": Text(f" {first} 行目と重複しています", f"repeats line {first}"),
            "first_row": first,
        }
        findings.append(
            PRIMARY_KEY_ERROR.finding(
                path=path, row=int(line), field=key_names[0], value=shown, key=key_text, **params
            )
        )
    out.add_sample(findings, total)
