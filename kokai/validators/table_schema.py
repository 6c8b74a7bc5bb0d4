"""Table Schema checks, vectorised with polars, with frictionless' meaning.

Every cell is text (see reading.py). For each field, polars expressions decide
what frictionless' cell reader would decide: a missing value (`missingValues`,
default [""]) is null; otherwise the text must parse as the field's type and
format (type-error), and the typed value must meet the constraints
(constraint-error), `unique` (unique-error) and the `primaryKey` (primary-key).
Types and formats without a vectorised reader are checked by frictionless'
own cell reader once per distinct value, so the meaning never drifts.

Header: kokai matches columns by name (frictionless matches by position). A
missing column is `missing-label` (an error for a required column, a warning for
a recommended one) with "did you mean" from difflib; a column the schema does
not know is `extra-label` (warning); a different order is `label_order` (warning).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

from kokai.validators.reading import Table
from kokai.validators.report import MAX_FINDINGS_PER_CODE, Finding, Report, Rule
from kokai.validators.schemas import normalise_name

TYPE_ERROR = Rule(
    "type-error", "error",
    "「{field}」の値「{value}」は{type_ja}として読めません。{fix_ja}",
    "{field}: {value!r} is not a valid {type_en}. {fix_en}",
    machine_readability="L2-01", source="frictionless",
)  # fmt: skip
CONSTRAINT_ERROR = Rule(
    "constraint-error", "error",
    "「{field}」: {problem_ja}",
    "{field}: {problem_en}",
    source="frictionless",
)
UNIQUE_ERROR = Rule(
    "unique-error", "error",
    "「{field}」の値「{value}」が {first} 行目と重複しています。この列の値は一意にしてください。",
    "{field}: {value!r} repeats the value on line {first}; values in this column must be unique.",
    source="frictionless",
)
PRIMARY_KEY_ERROR = Rule(
    "primary-key", "error",
    "主キー（{key}）の値 {value} が{problem_ja}。主キーの組み合わせは空でなく一意にしてください。",
    "primary key ({key}) {value}: {problem_en}. Primary key values must be filled and unique.",
    source="frictionless",
)
MISSING_LABEL = Rule(
    "missing-label", "error",
    "{level_ja}の列「{field}」がありません。{hint_ja}",
    "the {level_en} column {field!r} is missing. {hint_en}",
    machine_readability="L2-02", source="frictionless",
)
EXTRA_LABEL = Rule(
    "extra-label", "warning",
    "列「{field}」はスキーマ「{schema}」にありません。{hint_ja}",
    "column {field!r} is not in the schema {schema!r}. {hint_en}",
    source="frictionless",
)
LABEL_NOT_EXACT = Rule(
    "label_not_exact", "warning",
    "列名「{value}」はスキーマの「{field}」と全角・半角や空白が違います。「{field}」と書いてください。",
    "column name {value!r} differs from the schema's {field!r} in width or spaces; write {field!r}.",
)
LABEL_ORDER = Rule(
    "label_order", "warning",
    "列の順序がスキーマと違います（「{field}」が「{before}」より前にあります）。"
    "標準の順序は {expected} です。kokai は列名で照合するので検証は続けます。",
    "columns are in a different order than the schema ({field!r} comes before {before!r}); "
    "the standard order is {expected}. kokai matches columns by name.",
)
PATTERN_EXPECTATION = Rule(
    "pattern_expectation", "warning",
    "「{field}」の値「{value}」は推奨される形（{pattern}）ではありません。{hint_ja}",
    "{field}: {value!r} does not have the recommended form ({pattern}). {hint_en}",
)
SCHEMA_INVALID = Rule(
    "schema_invalid", "error",
    "スキーマを使えません（{reason}）。Table Schema の書き方を確認してください。",
    "the schema cannot be used ({reason}). Check the Table Schema descriptor.",
    fatal=True,
)

_TYPE_NAMES = {
    "string": ("文字列", "string", "", ""),
    "integer": ("整数", "integer", "半角数字の整数で書いてください（単位・「,」・小数点なし、例: 120）。",
                "Write a whole number with half-width digits, no units or commas (e.g. 120)."),
    "number": ("数値", "number", "半角数字で書いてください（単位や「,」は付けない、例: 34.6832）。",
               "Write a number with half-width digits, no units or commas (e.g. 34.6832)."),
    "boolean": ("真偽値", "boolean", "{values} のどれかで書いてください。", "Use one of {values}."),
    "date": ("日付", "date", "西暦の YYYY-MM-DD 形式で書いてください（例: 2024-04-01）。",
             "Write an ISO date YYYY-MM-DD (e.g. 2024-04-01)."),
    "time": ("時刻", "time", "hh:mm:ss 形式で書いてください（例: 09:00:00）。",
             "Write hh:mm:ss (e.g. 09:00:00)."),
    "datetime": ("日時", "datetime", "YYYY-MM-DDThh:mm:ss 形式で書いてください。",
                 "Write YYYY-MM-DDThh:mm:ss."),
    "year": ("年", "year", "西暦4桁で書いてください（例: 2024）。", "Write a 4-digit year (e.g. 2024)."),
    "yearmonth": ("年月", "year-month", "YYYY-MM 形式で書いてください（例: 2024-04）。",
                  "Write YYYY-MM (e.g. 2024-04)."),
    "geopoint": ("座標", "geopoint", "「経度, 緯度」の形で書いてください（例: 139.7, 35.6）。",
                 "Write 'lon, lat' (e.g. 139.7, 35.6)."),
}  # fmt: skip

_LEVEL_NAMES = {
    "required": ("必須", "required", "error"),
    "recommended": ("推奨", "recommended", "warning"),
    "optional": ("任意", "optional", "info"),
}

# Python's int()/Decimal() accept these (strip() first, then "_" between digits).
_INT_RE = r"^[+-]?\d+(?:_\d+)*$"
_DEC_DIGITS = r"\d+(?:_\d+)*"
_NUMBER_RE = (
    rf"^[+-]?(?:(?:{_DEC_DIGITS}(?:\.(?:{_DEC_DIGITS})?)?|\.{_DEC_DIGITS})"
    rf"(?:[eE][+-]?{_DEC_DIGITS})?|(?i:inf|infinity|nan|snan))$"
)
_NONBARE_RE = r"^[^-\d]*|\D*$"  # frictionless' bareNumber=false stripping
_DATE_RE = r"^(\d{4})-(\d{1,2})-(\d{1,2})$"
_VECTOR_TYPES = {"string", "integer", "number", "boolean", "date", "year", "yearmonth", "any"}



_NUMERIC_LIMITS = ["required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"]
# frictionless v5: which constraints each field type honours (others are ignored)
SUPPORTED_CONSTRAINTS = {
    "any": ["required", "enum"],
    "array": ["required", "minLength", "maxLength", "enum"],
    "boolean": ["required", "enum"],
    "date": _NUMERIC_LIMITS,
    "datetime": _NUMERIC_LIMITS,
    "duration": ["required", "enum"],
    "geojson": ["required", "enum"],
    "geopoint": ["required", "enum"],
    "integer": _NUMERIC_LIMITS,
    "list": ["required", "minLength", "maxLength"],
    "number": _NUMERIC_LIMITS,
    "object": ["required", "minLength", "maxLength", "enum"],
    "string": ["required", "minLength", "maxLength", "pattern", "enum"],
    "time": _NUMERIC_LIMITS,
    "year": _NUMERIC_LIMITS,
    "yearmonth": _NUMERIC_LIMITS,
}
DEFAULT_TRUE_VALUES = ["true", "True", "TRUE", "1"]
DEFAULT_FALSE_VALUES = ["false", "False", "FALSE", "0"]


def _missing_list(entries: Any) -> list[str]:
    """missingValues as strings (Table Schema v2 also allows {value, label})."""
    out = []
    for entry in entries or []:
        out.append(str(entry.get("value", "")) if isinstance(entry, dict) else str(entry))
    return out


class FieldInfo:
    """The properties of a Table Schema field that decide how a cell is read,
    with frictionless' defaults. Importing frictionless costs seconds, so the
    vectorised path reads the descriptor itself; frictionless is imported only
    for the types it must check cell by cell."""

    def __init__(self, descriptor: dict[str, Any], schema_missing: list[str]):
        self.descriptor = descriptor
        self.name: str = descriptor["name"]
        self.type: str = descriptor.get("type") or "any"
        self.format: str = descriptor.get("format") or "default"
        constraints = descriptor.get("constraints") or {}
        self.constraints: dict[str, Any] = constraints if isinstance(constraints, dict) else {}
        self.bare_number: bool = descriptor.get("bareNumber", True)
        self.float_number: bool = descriptor.get("floatNumber", False)
        self.decimal_char: str = descriptor.get("decimalChar", ".")
        self.group_char: str = descriptor.get("groupChar", "")
        self.true_values: list[str] = descriptor.get("trueValues", DEFAULT_TRUE_VALUES)
        self.false_values: list[str] = descriptor.get("falseValues", DEFAULT_FALSE_VALUES)
        self.number_options_defined = bool(
            {"bareNumber", "decimalChar", "groupChar"} & descriptor.keys()
        )
        self.missing_values = (
            _missing_list(descriptor["missingValues"])
            if "missingValues" in descriptor
            else schema_missing
        )
        self.supported_constraints = SUPPORTED_CONSTRAINTS.get(self.type, ["required"])

    def read_value(self, value: Any) -> Any:
        """A constraint value (minimum, enum item) as a typed Python value."""
        if value is None or not isinstance(value, str):
            if self.type == "number" and isinstance(value, int | float):
                return float(value)
            return value
        text = value.strip()
        try:
            if self.type == "integer":
                return int(text)
            if self.type == "number":
                return float(Decimal(text.replace(self.group_char, "") if self.group_char else text))
            if self.type == "date":
                return date.fromisoformat(text)
            if self.type == "year":
                return int(text)
            if self.type == "yearmonth":
                year, month = text.split("-")
                return int(year) * 100 + int(month)
            if self.type == "boolean":
                return True if value in self.true_values else False if value in self.false_values else None
        except (ValueError, ArithmeticError):
            return None
        return value


@dataclass
class _Column:
    name: str  # schema field name (and table column)
    field: FieldInfo
    descriptor: dict[str, Any]
    missing: pl.Expr  # a missing value (null after missingValues)
    type_ok: pl.Expr | None  # None: checked per distinct value by frictionless
    typed: pl.Expr | None  # the typed value for comparisons (None for fallback columns)
    always_ok: bool = False  # string/any: every text is a value of the type


def _strip(col: pl.Expr) -> pl.Expr:
    return col.str.strip_chars()


def _vector_column(field: FieldInfo) -> _Column:
    name = field.name
    raw = pl.col(name)
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
    return _Column(name, field, field.descriptor, missing, type_ok, typed, always_ok)


def _has_checks(col: _Column, identity: set[str]) -> bool:
    """False for a text column without constraints: nothing to compute."""
    return (
        not col.always_ok
        or col.name in identity
        or bool(set(col.field.constraints) - {"unique"})
        or "kokai:recommendedPattern" in col.descriptor
    )


def _fast_numeric(col: _Column) -> pl.DataType | None:
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


def _materialise(data: pl.DataFrame, columns: list[_Column], identity: set[str]) -> pl.DataFrame:
    """Compute each column's missing / type-ok / typed values once (polars does not
    share them between the many checks of a column), and point the columns at them."""
    exprs: list[pl.Expr] = []
    fast: list[tuple[int, _Column, pl.DataType]] = []
    for i, col in enumerate(columns):
        constraints = col.field.constraints
        needs_typed = not col.always_ok and col.typed is not None and (
            col.name in identity
            or any(k in constraints for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"))
        )
        exprs.append(col.missing.alias(f"__m{i}"))
        dtype = _fast_numeric(col)
        if dtype is not None:
            fast.append((i, col, dtype))
            exprs.append(pl.col(col.name).cast(dtype, strict=False).alias(f"__v{i}"))
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
            pl.col(col.name).unique()
        )
        exact = suspects.select(
            pl.col(col.name), col.type_ok.fill_null(False).alias("__ok"), col.typed.alias("__val")
        )
        bad = exact.filter(~pl.col("__ok")).get_column(col.name)
        extra.append(~pl.col(col.name).is_in(bad.implode()).alias(f"__t{i}"))
        rescued = exact.filter(pl.col("__ok") & pl.col("__val").is_not_null())
        if rescued.height:
            lookup = pl.col(col.name).replace_strict(
                rescued.get_column(col.name), rescued.get_column("__val").cast(dtype),
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


def _anchored(pattern: str) -> str:
    # frictionless: re.compile("^{0}$".format(pattern)).match(cell)
    return "^(?:^" + pattern + "$)"


@dataclass
class _Check:
    rule: Rule
    field: str  # column the finding points at
    mask: pl.Expr
    params: dict[str, Any]


class _Plan:
    def __init__(self) -> None:
        self.checks: list[_Check] = []

    def add(self, rule: Rule, field: str, mask: pl.Expr, **params: Any) -> None:
        self.checks.append(_Check(rule, field, mask, params))


def _constraint_checks(plan: _Plan, col: _Column) -> None:
    field, name = col.field, col.name
    constraints = field.constraints or {}
    supported = set(field.supported_constraints)
    ok = ~col.missing & col.type_ok
    if constraints.get("required"):
        plan.add(CONSTRAINT_ERROR, name, col.missing, **_problem("required", None))
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if key in constraints and key in supported and col.typed is not None:
            limit = field.read_value(constraints[key])
            typed = col.typed
            bad = {
                "minimum": typed < limit,
                "maximum": typed > limit,
                "exclusiveMinimum": typed <= limit,
                "exclusiveMaximum": typed >= limit,
            }[key]
            plan.add(CONSTRAINT_ERROR, name, ok & bad.fill_null(False), **_problem(key, constraints[key]))
    if field.type == "string":
        length = pl.col(name).str.len_chars()
        if "minLength" in constraints:
            plan.add(CONSTRAINT_ERROR, name, ok & (length < constraints["minLength"]),
                     **_problem("minLength", constraints["minLength"]))
        if "maxLength" in constraints:
            plan.add(CONSTRAINT_ERROR, name, ok & (length > constraints["maxLength"]),
                     **_problem("maxLength", constraints["maxLength"]))
        if "pattern" in constraints:
            _require_rust_regex(_anchored(constraints["pattern"]))
            plan.add(CONSTRAINT_ERROR, name, ok & ~pl.col(name).str.contains(
                _anchored(constraints["pattern"])), **_problem("pattern", constraints["pattern"]))
    if "enum" in constraints and "enum" in supported and col.typed is not None:
        allowed = [field.read_value(v) for v in constraints["enum"]]
        allowed = [v for v in allowed if v is not None]
        typed = col.typed
        plan.add(CONSTRAINT_ERROR, name, ok & ~typed.is_in(allowed).fill_null(False),
                 **_problem("enum", constraints["enum"]))


class _NeedsFallback(Exception):
    pass


def _require_rust_regex(pattern: str) -> None:
    try:
        pl.Series([""]).str.contains(pattern)
    except pl.exceptions.PolarsError as exc:
        raise _NeedsFallback(pattern) from exc


def _problem(key: str, value: Any) -> dict[str, str]:
    shown = "、".join(map(str, value)) if isinstance(value, list) else str(value)
    ja = {
        "required": "必須の値が空です。値を入力してください。",
        "minimum": f"値が最小値 {shown} より小さいです。{shown} 以上の値にしてください。",
        "maximum": f"値が最大値 {shown} より大きいです。{shown} 以下の値にしてください。",
        "exclusiveMinimum": f"値は {shown} より大きくなければなりません。",
        "exclusiveMaximum": f"値は {shown} より小さくなければなりません。",
        "minLength": f"文字数が {shown} 文字より少ないです。",
        "maxLength": f"文字数が {shown} 文字を超えています。",
        "pattern": f"値が決められた形（正規表現 {shown}）に合いません。全角文字や余分な空白がないか確認してください。",
        "enum": f"値は {shown} のどれかにしてください（空欄はそのまま）。",
    }[key]
    en = {
        "required": "a required value is empty; fill it in.",
        "minimum": f"the value is below the minimum {shown}.",
        "maximum": f"the value is above the maximum {shown}.",
        "exclusiveMinimum": f"the value must be greater than {shown}.",
        "exclusiveMaximum": f"the value must be less than {shown}.",
        "minLength": f"shorter than {shown} characters.",
        "maxLength": f"longer than {shown} characters.",
        "pattern": f"the value does not match the pattern {shown}; check for full-width characters or spaces.",
        "enum": f"the value must be one of {shown} (or blank).",
    }[key]
    return {"problem_ja": ja, "problem_en": en, "constraint": key}


def _type_params(field: Any) -> dict[str, str]:
    type_ja, type_en, fix_ja, fix_en = _TYPE_NAMES.get(
        field.type, (field.type, field.type, "", "")
    )
    if field.format and field.format != "default":
        type_ja, type_en = f"{type_ja}（{field.format}）", f"{type_en} ({field.format})"
        if field.type in ("date", "time", "datetime"):
            fix_ja = f"形式 {field.format} で書いてください。"
            fix_en = f"Use the format {field.format}."
    if field.type == "boolean":
        values = "、".join(list(field.true_values) + list(field.false_values))
        fix_ja, fix_en = fix_ja.format(values=values), fix_en.format(values=values)
    return {"type_ja": type_ja, "type_en": type_en, "fix_ja": fix_ja, "fix_en": fix_en}


# --- header ----------------------------------------------------------------


def _match_columns(
    table: Table, fields: list[dict], schema_name: str, partial: bool = False
) -> tuple[dict[str, str], list[Finding]]:
    """schema field name -> table column name, and the header findings."""
    findings: list[Finding] = []
    path = table.path
    header = list(table.header)
    by_norm: dict[str, str] = {}
    for h in header:
        by_norm.setdefault(normalise_name(h), h)
    matched: dict[str, str] = {}
    for f in fields:
        name = f["name"]
        if name in header:
            matched[name] = name
        elif normalise_name(name) in by_norm and by_norm[normalise_name(name)] not in matched.values():
            column = by_norm[normalise_name(name)]
            matched[name] = column
            findings.append(LABEL_NOT_EXACT.finding(path=path, row=table.header_line, field=name, value=column))
    unmatched_header = [h for h in header if h not in matched.values()]
    for f in fields:
        name = f["name"]
        if name in matched:
            continue
        level = f.get("kokai:level")
        level_ja, level_en, severity = _LEVEL_NAMES.get(level, ("", "", "error"))
        near = difflib.get_close_matches(name, unmatched_header, n=1, cutoff=0.6)
        if near:
            hint_ja = f"列「{near[0]}」のことなら、列名を「{name}」に直してください。"
            hint_en = f"Did you mean {near[0]!r}? Rename it to {name!r}."
        else:
            hint_ja = f"列「{name}」を追加してください（値が無ければ空欄の列で構いません）。"
            hint_en = f"Add the column {name!r} (it may be empty when there is no value)."
        findings.append(
            MISSING_LABEL.finding(
                path=path, row=table.header_line, field=name, severity=severity,
                level_ja=level_ja or "スキーマ", level_en=level_en or "schema",
                hint_ja=hint_ja, hint_en=hint_en, suggestion=near[0] if near else None,
            )
        )
    names = [f["name"] for f in fields]
    for h in unmatched_header:
        if h.startswith("__col") or partial:
            continue  # a blank header: reading.py reported it
        near = difflib.get_close_matches(h, [n for n in names if n not in matched], n=1, cutoff=0.6)
        hint_ja = f"「{near[0]}」の書き間違いなら直してください。" if near else "独自の列なら問題ありません。"
        hint_en = f"If it is a misspelling of {near[0]!r}, fix it." if near else "Fine if it is your own column."
        findings.append(
            EXTRA_LABEL.finding(
                path=path, row=table.header_line, field=h, schema=schema_name,
                hint_ja=hint_ja, hint_en=hint_en,
            )
        )
    # order: the matched columns should follow the schema's order
    position = {column: i for i, column in enumerate(header)}
    in_schema_order = [matched[n] for n in names if n in matched]
    for earlier, later in zip(in_schema_order, in_schema_order[1:], strict=False):
        if position[later] < position[earlier]:
            expected = "、".join(in_schema_order[:8]) + ("…" if len(in_schema_order) > 8 else "")
            findings.append(
                LABEL_ORDER.finding(
                    path=path, row=table.header_line, field=later, before=earlier, expected=expected
                )
            )
            break
    return matched, findings


# --- running ---------------------------------------------------------------


def schema_fields(schema: dict[str, Any]) -> list[FieldInfo] | str:
    """The fields of a Table Schema descriptor, or why it cannot be used."""
    from kokai.validators.schemas import schema_problem

    problem = schema_problem(schema)
    if problem:
        return problem
    missing = _missing_list(schema.get("missingValues", [""]))
    fields = []
    for descriptor in schema["fields"]:
        ftype = descriptor.get("type") or "any"
        if ftype not in SUPPORTED_CONSTRAINTS:
            return f"「{descriptor['name']}」の type「{ftype}」は Table Schema の型ではありません"
        fields.append(FieldInfo(descriptor, missing))
    return fields


def check_table_schema(
    table: Table,
    schema: dict[str, Any],
    report: Report,
    covered: dict[str, set[int]] | None = None,
) -> None:
    """Add the Table Schema findings of `table` to `report` (capped per code).
    `covered`: table column -> lines whose cell a more specific rule already
    reported as an error; no type/constraint error is added for those cells."""
    path = table.path
    infos = schema_fields(schema)
    if isinstance(infos, str):
        report.add(SCHEMA_INVALID.finding(path=path, reason=infos))
        return
    fields = {f.name: f for f in infos}
    matched, header_findings = _match_columns(
        table,
        schema.get("fields", []),
        schema.get("name") or schema.get("title") or "-",
        partial=bool(schema.get("kokai:partial")),
    )
    report.extend(header_findings)
    data, lines = table.checked()
    if data.height == 0 or not matched:
        return
    # work on the schema's names
    data = data.select([pl.col(col).alias(name) for name, col in matched.items()])
    plan = _Plan()
    fallback: list[_Column] = []
    columns: dict[str, _Column] = {}
    for name in matched:
        col = _vector_column(fields[name])
        columns[name] = col
        if col.type_ok is None or col.field.type not in _VECTOR_TYPES:
            fallback.append(col)
    primary_key = schema.get("primaryKey") or []
    if isinstance(primary_key, str):
        primary_key = [primary_key]
    identity = set(primary_key) | {n for n, f in fields.items() if f.constraints.get("unique")}
    checked = [c for c in columns.values() if c not in fallback and _has_checks(c, identity)]
    data = _materialise(data, checked, identity)
    for name, col in columns.items():
        if col not in checked:
            continue
        field = col.field
        if not col.always_ok:
            plan.add(TYPE_ERROR, name, ~col.missing & ~col.type_ok, **_type_params(field))
        try:
            _constraint_checks(plan, col)
        except _NeedsFallback:  # a pattern polars' regex engine cannot run
            plan.checks = [c for c in plan.checks if c.field != name]
            fallback.append(col)
            continue
        recommended = field.descriptor.get("kokai:recommendedPattern")
        if recommended:
            try:
                _require_rust_regex(_anchored(recommended))
            except _NeedsFallback:
                continue
            plan.add(
                PATTERN_EXPECTATION, name,
                ~col.missing & ~pl.col(name).str.contains(_anchored(recommended)),
                pattern=recommended,
                hint_ja=field.descriptor.get("description", ""), hint_en="",
            )
    if covered:
        for check in plan.checks:
            skip = covered.get(matched.get(check.field, ""), set())
            if skip and check.rule in (TYPE_ERROR, CONSTRAINT_ERROR):
                # lines increase with the row, so positions come from a binary search
                wanted = pl.Series(sorted(skip), dtype=pl.Int64)
                positions = lines.search_sorted(wanted)
                found = positions.filter(
                    positions < lines.len()
                ).to_list()
                positions = [p for p in found if lines[p] in skip]
                row = pl.int_range(pl.len(), dtype=pl.Int64)
                check.mask = check.mask & ~row.is_in(positions)
    _run_plan(plan, data, lines, path, report)
    for col in fallback:
        _run_fallback(col, data, lines, path, report)
    _unique_checks(columns, fields, data, lines, path, report)
    _primary_key_check(list(primary_key), columns, data, lines, path, report)


def _add_capped(report: Report, findings: list[Finding], total: int, path: str, code: str, severity: str) -> None:
    report.extend(findings)
    missing = total - len(findings)
    if missing > 0:  # counted in full, not kept
        report.counts[(path, code, severity)] += missing


def _run_plan(plan: _Plan, data: pl.DataFrame, lines: pl.Series, path: str, report: Report) -> None:
    if not plan.checks:
        return
    try:
        masks = data.select([c.mask.fill_null(False).alias(f"m{i}") for i, c in enumerate(plan.checks)])
    except pl.exceptions.PolarsError:
        # e.g. a regex polars rejects only at run time: check those columns one by one
        for check in plan.checks:
            single = _Plan()
            single.checks = [check]
            try:
                _run_plan(single, data, lines, path, report)
            except pl.exceptions.PolarsError:
                pass
        return
    totals = masks.sum().row(0)
    by_code: dict[tuple[str, str], list[tuple[int, int]]] = {}
    counts: dict[tuple[str, str], int] = {}
    for i, (check, total) in enumerate(zip(plan.checks, totals, strict=True)):
        if not total:
            continue
        severity = check.params.get("severity") or check.rule.severity
        key = (check.rule.code, severity)
        counts[key] = counts.get(key, 0) + total
        idx = masks.get_column(f"m{i}").arg_true().head(MAX_FINDINGS_PER_CODE).to_list()
        by_code.setdefault(key, []).extend((j, i) for j in idx)
    for key, hits in by_code.items():
        hits.sort()
        kept = hits[:MAX_FINDINGS_PER_CODE]
        rows_by_check: dict[int, list[int]] = {}
        for j, i in kept:
            rows_by_check.setdefault(i, []).append(j)
        findings = []
        for i, js in rows_by_check.items():
            check = plan.checks[i]
            values = data.get_column(check.field).gather(js).to_list()
            where = lines.gather(js).to_list()
            findings.extend(
                check.rule.finding(path=path, row=line, field=check.field, value=value, **check.params)
                for line, value in zip(where, values, strict=True)
            )
        findings.sort(key=lambda f: f.row or 0)
        _add_capped(report, findings, counts[key], path, key[0], key[1])


def _run_fallback(
    col: _Column, data: pl.DataFrame, lines: pl.Series, path: str, report: Report
) -> None:
    """frictionless' own cell reader, once per distinct value."""
    field, name = col.field, col.name
    missing_values = field.missing_values
    reader = _frictionless_reader(field)
    values = data.get_column(name).unique().to_list()
    bad_type: list[Any] = []
    bad_constraint: dict[str, list[Any]] = {}
    for value in values:
        _, notes = reader(value)
        if not notes:
            continue
        if "type" in notes:
            bad_type.append(value)
            continue
        for key in notes:
            bad_constraint.setdefault(key, []).append(value)
    frame = data.select(pl.col(name)).with_columns(lines.alias("__line"))
    series = frame.get_column(name)
    if bad_type:
        hit = frame.filter(series.is_in([v for v in bad_type if v is not None]))
        findings = [
            TYPE_ERROR.finding(path=path, row=int(r[1]), field=name, value=r[0], **_type_params(field))
            for r in hit.head(MAX_FINDINGS_PER_CODE).iter_rows()
        ]
        _add_capped(report, findings, hit.height, path, "type-error", "error")
    for key, bad in bad_constraint.items():
        if key == "required":
            mask = series.is_null() | series.is_in(missing_values)
        else:
            mask = series.is_in([v for v in bad if v is not None])
        hit = frame.filter(mask)
        findings = [
            CONSTRAINT_ERROR.finding(
                path=path, row=int(r[1]), field=name, value=r[0],
                **_problem(key, field.constraints.get(key)) if key in _PROBLEM_KEYS else
                {"problem_ja": key, "problem_en": key},
            )
            for r in hit.head(MAX_FINDINGS_PER_CODE).iter_rows()
        ]
        _add_capped(report, findings, hit.height, path, "constraint-error", "error")


def _frictionless_reader(field: FieldInfo) -> Any:
    """frictionless' cell reader for one field, with the schema's missing values."""
    import frictionless

    clean = {k: v for k, v in field.descriptor.items() if not k.startswith("kokai:")}
    clean.pop("missingValues", None)
    schema = frictionless.Schema.from_descriptor(
        {"fields": [clean], "missingValues": field.missing_values}
    )
    return schema.fields[0].create_cell_reader()


_PROBLEM_KEYS = {"required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                 "minLength", "maxLength", "pattern", "enum"}  # fmt: skip


def _typed_for_identity(col: _Column) -> pl.Expr:
    """The value frictionless compares for unique/primaryKey: the typed cell,
    None for a missing or badly typed cell."""
    if col.typed is None or col.type_ok is None:
        return pl.when(col.missing).then(None).otherwise(pl.col(col.name))
    return pl.when(col.missing | ~col.type_ok).then(None).otherwise(col.typed)


def _unique_checks(
    columns: dict[str, _Column], fields: dict[str, Any], data: pl.DataFrame, lines: pl.Series,
    path: str, report: Report,
) -> None:
    names = [n for n, c in columns.items() if (fields[n].constraints or {}).get("unique")]
    if not names:
        return
    # row positions come from an expression: adding a one-chunk Series to the
    # many-chunk frame polars parsed would make every later select rechunk it
    frame = data.select(
        *[pl.col(n) for n in names],
        *[_typed_for_identity(columns[n]).alias(f"__u{i}") for i, n in enumerate(names)],
        pl.int_range(pl.len(), dtype=pl.Int64).alias("__idx"),
    )
    findings: list[Finding] = []
    total = 0
    for i, name in enumerate(names):
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
        for value, line, first_line in zip(hit.get_column(name).to_list(), where, first_where, strict=True):
            findings.append(
                UNIQUE_ERROR.finding(path=path, row=line, field=name, value=value, first=first_line)
            )
    findings.sort(key=lambda f: f.row or 0)
    _add_capped(report, findings[:MAX_FINDINGS_PER_CODE], total, path, "unique-error", "error")


def _primary_key_check(
    key_names: list[str], columns: dict[str, _Column], data: pl.DataFrame, lines: pl.Series,
    path: str, report: Report,
) -> None:
    if not key_names or any(n not in columns for n in key_names):
        return  # a key column is missing: missing-label says so
    frame = data.select(
        *[pl.col(n) for n in key_names],
        *[_typed_for_identity(columns[n]).alias(f"__k{i}") for i, n in enumerate(key_names)],
        pl.int_range(pl.len(), dtype=pl.Int64).alias("__idx"),
    )
    keys = [pl.col(f"__k{i}") for i in range(len(key_names))]
    struct = pl.struct(keys)
    all_null = pl.all_horizontal([k.is_null() for k in keys])
    flagged = frame.with_columns(
        all_null.alias("__empty"),
        (~all_null & ~struct.is_first_distinct()).alias("__dup"),
        pl.col("__idx").first().over(keys).alias("__first"),
    ).filter(pl.col("__empty") | pl.col("__dup"))
    flagged = flagged.with_columns(
        pl.Series("__line", lines.gather(flagged.get_column("__idx")).to_list(), dtype=pl.Int64),
        pl.Series("__first", lines.gather(flagged.get_column("__first")).to_list(), dtype=pl.Int64),
    )
    findings = []
    key_text = "、".join(key_names)
    for row in flagged.head(MAX_FINDINGS_PER_CODE).select(
        [*key_names, "__line", "__empty", "__first"]
    ).iter_rows():
        values = row[: len(key_names)]
        line, empty, first = row[len(key_names)], row[len(key_names) + 1], row[len(key_names) + 2]
        shown = "（" + ", ".join("" if v is None else str(v) for v in values) + "）"
        if empty:
            ja, en = "すべて空です", "all cells are empty"
        else:
            ja, en = f" {first} 行目と重複しています", f"repeats line {first}"
        findings.append(
            PRIMARY_KEY_ERROR.finding(
                path=path, row=int(line), field=key_names[0], value=shown, key=key_text,
                problem_ja=ja, problem_en=en,
            )
        )
    _add_capped(report, findings, flagged.height, path, "primary-key", "error")
