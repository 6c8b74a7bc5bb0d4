"""Each schema field as polars expressions over its text column: which cells
are missing, which parse as the field's type, and the typed value that the
constraints compare. Computed once per column (`materialise`), shared by all
the checks of that column."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from kokai.validators.table_schema.fields import FieldInfo

# Python's int()/Decimal() accept these (strip() first, then "_" between digits).
_INT_RE = r"^[+-]?\d+(?:_\d+)*$"
_DEC_DIGITS = r"\d+(?:_\d+)*"
_NUMBER_RE = (
    rf"^[+-]?(?:(?:{_DEC_DIGITS}(?:\.(?:{_DEC_DIGITS})?)?|\.{_DEC_DIGITS})"
    rf"(?:[eE][+-]?{_DEC_DIGITS})?|(?i:inf|infinity|nan|snan))$"
)
_NONBARE_RE = r"^[^-\d]*|\D*$"  # frictionless' bareNumber=false stripping
_DATE_RE = r"^(\d{4})-(\d{1,2})-(\d{1,2})$"
VECTOR_TYPES = {"string", "integer", "number", "boolean", "date", "year", "yearmonth", "any"}


@dataclass
class Column:
    name: str  # schema field name (what findings call the column)
    key: str  # the column in the frame the checks run on
    field: FieldInfo
    descriptor: dict[str, Any]
    missing: pl.Expr  # a missing value (null after missingValues)
    type_ok: pl.Expr | None  # None: checked per distinct value by frictionless
    typed: pl.Expr | None  # the typed value for comparisons (None for fallback columns)
    always_ok: bool = False  # string/any: every text is a value of the type

    @property
    def text(self) -> pl.Expr:
        return pl.col(self.key)


def _strip(col: pl.Expr) -> pl.Expr:
    return col.str.strip_chars()


def vector_column(field: FieldInfo, key: str) -> Column:
    raw = pl.col(key)
    missing = raw.is_null() | raw.is_in(field.missing_values)
    ftype = field.type
    fmt = field.format
    type_ok: pl.Expr | None = None
    typed: pl.Expr | None = None
    if ftype == "any":
        type_ok, typed = pl.lit(True), raw
    elif ftype == "string" and fmt == "default":
        type_ok, typed = pl.lit(True), raw
    elif ftype == "integer":
        text = _strip(raw)
        if not field.bare_number:
            text = text.str.replace_all(_NONBARE_RE, "")
        type_ok = text.str.contains(_INT_RE)
        typed = text.str.replace_all("_", "", literal=True).cast(pl.Int64, strict=False)
    elif ftype == "number" and not field.float_number:
        text = _strip(raw)
        decimal_char = field.decimal_char
        blocked = pl.lit(False)
        if field.number_options_defined:
            if not field.bare_number:
                text = text.str.replace_all(_NONBARE_RE, "")
            if field.group_char:
                text = text.str.replace_all(field.group_char, "", literal=True)
            if decimal_char != ".":
                blocked = text.str.contains(".", literal=True)
                text = text.str.replace_all(decimal_char, ".", literal=True)
        type_ok = text.str.contains(_NUMBER_RE) & ~blocked
        typed = text.str.replace_all("_", "", literal=True).cast(pl.Float64, strict=False)
    elif ftype == "boolean":
        values = list(field.true_values) + list(field.false_values)
        type_ok = raw.is_in(values)
        typed = pl.when(raw.is_in(list(field.true_values))).then(True).otherwise(False)
    elif ftype == "date" and fmt == "default":
        parts = raw.str.extract_groups(_DATE_RE)
        iso = pl.concat_str(
            parts.struct.field("1"),
            pl.lit("-"),
            parts.struct.field("2").str.zfill(2),
            pl.lit("-"),
            parts.struct.field("3").str.zfill(2),
        )
        typed = iso.str.to_date("%Y-%m-%d", strict=False)
        type_ok = raw.str.contains(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$") & typed.is_not_null()
    elif ftype == "year":
        text = _strip(raw)
        type_ok = (raw.str.len_chars() == 4) & text.str.contains(r"^\+?\d+(?:_\d+)*$")
        typed = text.str.replace_all("_", "", literal=True).cast(pl.Int64, strict=False)
    elif ftype == "yearmonth":
        parts = raw.str.extract_groups(r"^\s*\+?(\d+)\s*-\s*\+?(\d+)\s*$")
        month = parts.struct.field("2").cast(pl.Int64, strict=False)
        year = parts.struct.field("1").cast(pl.Int64, strict=False)
        type_ok = month.is_between(1, 12) & year.is_not_null()
        typed = year * 100 + month
    always_ok = ftype == "any" or (ftype == "string" and fmt == "default")
    return Column(field.name, key, field, field.descriptor, missing, type_ok, typed, always_ok)


def has_checks(col: Column, identity: set[str]) -> bool:
    """False for a text column without constraints: nothing to compute."""
    return (
        not col.always_ok
        or col.name in identity
        or bool(set(col.field.constraints) - {"unique"})
        or "kokai:recommendedPattern" in col.descriptor
    )


def _fast_numeric(col: Column) -> pl.DataType | None:
    """integer/number columns with default options: polars' own cast decides most
    cells; only cells it rejects go through the exact (slower) expressions."""
    field = col.field
    if field.number_options_defined or col.typed is None:
        return None
    if field.type == "integer":
        return pl.Int64
    if field.type == "number" and not field.float_number:
        return pl.Float64
    return None


_LIMITS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum")


def materialise(data: pl.DataFrame, columns: list[Column], identity: set[str]) -> pl.DataFrame:
    """Compute each column's missing / type-ok / typed values once (polars does not
    share them between the many checks of a column), and point the columns at them."""
    exprs: list[pl.Expr] = []
    fast: list[tuple[int, Column, pl.DataType]] = []
    for i, col in enumerate(columns):
        constraints = col.field.constraints
        needs_typed = not col.always_ok and col.typed is not None and (
            col.name in identity or any(k in constraints for k in _LIMITS)
        )
        exprs.append(col.missing.alias(f"__m{i}"))
        dtype = _fast_numeric(col)
        if dtype is not None:
            fast.append((i, col, dtype))
            exprs.append(col.text.cast(dtype, strict=False).alias(f"__v{i}"))
            continue
        if not col.always_ok and col.type_ok is not None:
            exprs.append(col.type_ok.fill_null(False).alias(f"__t{i}"))
        if needs_typed and col.typed is not None:
            exprs.append(col.typed.alias(f"__v{i}"))
    data = data.with_columns(exprs)
    extra: list[pl.Expr] = []
    for i, col, dtype in fast:
        # cells polars could not cast: ask the exact expressions, on those cells only,
        # then turn the answers into lookups (no one-chunk Series joins the frame)
        suspects = data.filter(~pl.col(f"__m{i}") & pl.col(f"__v{i}").is_null()).select(
            col.text.unique()
        )
        exact = suspects.select(
            col.text, col.type_ok.fill_null(False).alias("__ok"), col.typed.alias("__val")
        )
        bad = exact.filter(~pl.col("__ok")).get_column(col.key)
        extra.append(~col.text.is_in(bad.implode()).alias(f"__t{i}"))
        rescued = exact.filter(pl.col("__ok") & pl.col("__val").is_not_null())
        if rescued.height:
            lookup = col.text.replace_strict(
                rescued.get_column(col.key), rescued.get_column("__val").cast(dtype),
                default=None, return_dtype=dtype,
            )
            extra.append(pl.coalesce(pl.col(f"__v{i}"), lookup).alias(f"__v{i}"))
    if extra:
        data = data.with_columns(extra)
    for i, col in enumerate(columns):
        col.missing = pl.col(f"__m{i}")
        if f"__t{i}" in data.columns:
            col.type_ok = pl.col(f"__t{i}")
        if f"__v{i}" in data.columns:
            col.typed = pl.col(f"__v{i}")
    return data
