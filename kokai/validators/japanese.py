"""Value checks for Japanese municipal tables (jp-open-data.md §5–§9).

`check_table(table, schema, context)` is called by `validate_paths` for every
table after reading. What each column is comes from jp_columns.py (schema
roles, names, first rows); the rules it raises are declared in jp_rules.py;
the normalisers that compute the corrected values are in jp_values.py.

Every check is a polars expression over the text columns, and Python only
touches the cells that fail. Encoding and structure (header rows, blank and
totals rows, newlines in cells, missing columns) belong to reading.py and
table.py, not here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from kokai.validators import jp_values as jv
from kokai.validators.context import CheckContext
from kokai.validators.jp_columns import (
    COUNT_ROLES,
    DATE_TYPES,
    NUMERIC_TYPES,
    POPULATION_ROLES,
    Column,
    plan_columns,
    role_by_name,
)
from kokai.validators.jp_rules import (
    COORDINATE_NOT_NUMBER,
    COORDINATE_OUTSIDE_CITY,
    COORDINATE_OUTSIDE_JAPAN,
    COORDINATES_SWAPPED,
    DUPLICATE_ID,
    DUPLICATE_RECORD,
    EMAIL_FORMAT,
    FLAG_AMBIGUOUS,
    FLAG_VALUE,
    FULLWIDTH_CHARACTERS,
    FULLWIDTH_DIGITS_IN_TEXT,
    HOUJIN_BRANCH_SUFFIX,
    HOUJIN_CHECK_DIGIT,
    HOUJIN_FORMAT,
    IDEOGRAPHIC_SPACE,
    INVALID_DATE,
    KANA_FORMAT,
    LGCODE_CHECK_DIGIT,
    LGCODE_FORMAT,
    LGCODE_LEADING_ZERO,
    LGCODE_OTHER_BODY,
    MODEL_DEPENDENT_CHARACTER,
    NEGATIVE_COUNT,
    NON_ISO_DATE,
    NUMBER_WITH_UNIT,
    PHONE_FORMAT,
    PHONE_SEVERAL,
    POPULATION_BANDS_MISMATCH,
    POPULATION_TOTAL_MISMATCH,
    POSTAL_CODE_FORMAT,
    SURROUNDING_SPACE,
    TEXT_IN_NUMBER,
    THOUSANDS_SEPARATOR,
    URL_FORMAT,
    WAREKI_DATE,
)
from kokai.validators.report import Finding, Rule
from kokai.vocab.checkdigits import (
    houjin_check_digit,
    houjin_valid_expr,
    is_valid_lgcode,
    lgcode_check_digit,
    lgcode_valid_expr,
    restore_dropped_zero,
)

# --- the checks ------------------------------------------------------------------------
#
# Two tiers keep a clean million-row file fast: per column ONE cheap polars
# expression marks the cells that may be wrong ("suspects"); only those cells
# are diagnosed in Python, once per distinct value. Cross-column rules
# (coordinates, population sums, duplicates) are polars expressions too.

LINE = "__kokai_line"
Diagnosis = list[tuple[Rule, dict[str, Any]]]

_ISO_DATE_OR_TIME = r"^\s*[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?(?:[T ][0-9]{2}:[0-9]{2}\S*)?\s*$"
_URL = r"^https?://[A-Za-z0-9\-._~%\[\]:@]+(?:[/?#]\S*)?$"
_EMAIL = r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+$"
_DATE_SCREEN = (
    r"明治|大正|昭和|平成|令和|^\s*[MTSHRmtshr]\s*[0-9０-９元]"
    r"|^\s*[0-9０-９]{4}\s*[/.\-年／．－]"
)
_PLACEHOLDERS = {"-", "－", "―", "ー", "なし", "無し", "無", "不明", "未定", "―――"}


def _v(name: str) -> pl.Expr:
    return pl.col(name).fill_null("")


def _halfwidth(expr: pl.Expr) -> pl.Expr:
    """Full-width ASCII and dash-like characters to half-width, vectorised."""
    return expr.str.replace_many(
        jv.FULLWIDTH_ASCII + list(jv.DASHES) + ["\u3000"],
        jv.HALFWIDTH_ASCII + ["-"] * len(jv.DASHES) + [" "],
    ).str.strip_chars()


def check_table(
    table: Any, schema: dict | None, context: CheckContext | None = None
) -> list[Finding]:
    """All value findings of one table (junk lines skipped), sorted by row."""
    context = context or CheckContext()
    data, lines = table.checked() if hasattr(table, "checked") else (table.data, table.line)
    path = table.path
    findings = _header_findings(path, list(data.columns))
    if data.height == 0 or not data.columns:
        return findings
    # The line numbers stay a separate Series: a column chunked unlike the others
    # would make polars gather every column again on each select (0.1 s per
    # select on 1M rows), so only the masks' hits are matched with lines.
    df = data
    lines = lines.alias(LINE)
    columns = plan_columns(df, schema)
    findings += _cell_findings(path, df, lines, columns)
    by_role: dict[str, list[Column]] = {}
    for col in columns:
        by_role.setdefault(col.role or "", []).append(col)
    cross = _coordinate_checks(path, by_role, context) + _population_checks(path, by_role)
    cross += _publisher_checks(path, columns, context)
    findings += _run_row_checks(df, lines, cross, _numeric_views(by_role))
    findings += _duplicate_findings(path, df, lines, columns)
    findings.sort(key=lambda f: (f.row or 0, f.field or "", f.code))
    return findings


def _header_findings(path: str, names: list[str]) -> list[Finding]:
    return [
        _model_dependent_finding(path, 1, name, name, chars)
        for name in names
        if (chars := jv.model_dependent_characters(name))
    ]


def _model_dependent_params(chars: list[str]) -> dict[str, Any]:
    replacements = "、".join(
        f"「{c}」→「{r}」" if (r := jv.replacement_for(c)) != c else f"「{c}」→ 別の表記"
        for c in chars
    )
    return {"chars": "".join(chars), "replacements": replacements}


def _model_dependent_finding(path: str, row: int, field: str, value: str, chars: list[str]):
    return MODEL_DEPENDENT_CHARACTER.finding(
        path=path, row=row, field=field, value=value, **_model_dependent_params(chars)
    )


# --- single cells: suspects, then diagnosis -------------------------------------------


def _suspect(col: Column, raw: pl.Expr, ascii_only: bool = False) -> pl.Expr | None:
    """The cheap mask of cells that need a closer look (None: check distinct
    values instead). `ascii_only`: the column holds no non-ASCII character at all."""
    filled = raw != ""
    role = col.role
    if col.flag or role in ("lgcode", "houjin"):
        return None  # few distinct values: checked on those (see _suspect_masks)
    if role in ("latitude", "longitude") or col.numeric:
        bad = filled & raw.cast(pl.Float64, strict=False).is_null()
        if role in COUNT_ROLES:
            bad = bad | raw.str.starts_with("-")
        return bad
    if role == "postal_code":
        return filled & ~raw.str.contains(r"^[0-9]{7}$")
    if role == "phone":
        return filled & ~raw.str.contains(jv.RE_PHONE)
    if role == "url":
        return filled & ~raw.str.contains(_URL)
    if role == "email":
        return filled & ~raw.str.contains(_EMAIL)
    if col.date:
        return filled & ~raw.str.contains(_ISO_DATE_OR_TIME)
    if col.code:
        # full-width characters, dashes and 機種依存文字 are all non-ASCII
        non_ascii = raw.str.len_chars() != raw.str.len_bytes()
        return non_ascii | raw.str.starts_with(" ") | raw.str.ends_with(" ")
    if role == "kana":
        return raw.str.contains(f"{_KANA_SCREEN}|{jv.RE_MODEL_DEPENDENT}|\u3000")
    if ascii_only:  # only dates written in ASCII can be wrong here
        return raw.str.contains(_ASCII_DATE_SCREEN)
    screens = [jv.RE_MODEL_DEPENDENT, _DATE_SCREEN]
    if col.address:
        screens.append(jv.RE_FULLWIDTH_DIGIT)
    if col.person_name:
        screens.append("\u3000")
    return raw.str.contains("|".join(screens))


_KANA_SCREEN = "[ぁ-ゖｦ-ﾟ]"
_ASCII_DATE_SCREEN = r"^\s*[MTSHRmtshr]\s*[0-9]|^\s*[0-9]{4}\s*[/.\-]"
# a column whose first rows hold at most this share of distinct values is
# checked on its distinct values (prefecture, city, town names, codes)
_FEW_DISTINCT = 0.05
_FEW_DISTINCT_MIN = 20
_SAMPLE_ROWS = 20_000


def _distinct_suspects(col: Column, values: pl.Series) -> list[str]:
    """Among a low-cardinality column's distinct values, those that fail."""
    frame = pl.DataFrame({"v": values.fill_null("")})
    v = pl.col("v")
    if col.flag:
        bad = ~v.is_in(["1", ""])
    else:
        code = _halfwidth(v)
        ok = lgcode_valid_expr(code) if col.role == "lgcode" else houjin_valid_expr(code)
        bad = (v != "") & ~(ok & (code == v))
    return frame.filter(bad.fill_null(True))["v"].to_list()


def _suspect_masks(df: pl.DataFrame, columns: list[Column]) -> dict[str, pl.Series]:
    """For each column with suspects: the boolean mask of its suspect rows.

    Columns with few distinct values are checked on those values only; text
    columns without a single non-ASCII character skip the non-ASCII screens."""
    names = [c.name for c in columns]
    sample = df.head(_SAMPLE_ROWS)
    distinct_share = sample.select(pl.all().n_unique()).row(0, named=True)
    few = {
        c.name
        for c in columns
        if c.flag
        or c.role in ("lgcode", "houjin")
        or distinct_share[c.name] <= max(_FEW_DISTINCT_MIN, _FEW_DISTINCT * sample.height)
    }
    wide_text = [n for n in names if n not in few]
    ascii_only = df.select(
        [(_v(n).str.len_chars() == _v(n).str.len_bytes()).all().alias(n) for n in wide_text]
    ).row(0, named=True) if wide_text else {}  # fmt: skip
    # columns whose first rows are all empty: skip them when the rest is empty too
    empty_start = [
        n for n in few if distinct_share[n] == 1 and not (sample[n].fill_null("") != "").any()
    ]
    all_empty = df.select(
        [_v(n).str.len_bytes().max().fill_null(0).eq(0).alias(n) for n in empty_start]
    ).row(0, named=True) if empty_start else {}  # fmt: skip
    suspects: dict[str, pl.Expr] = {}
    distinct: list[Column] = []
    for col in columns:
        if all_empty.get(col.name):
            continue
        if col.name in few:
            distinct.append(col)
            continue
        mask = _suspect(col, _v(col.name), ascii_only.get(col.name, False))
        if mask is not None:
            suspects[col.name] = mask
    if distinct:
        for col, values in zip(distinct, _distinct_values(df, sample, distinct), strict=True):
            bad = _bad_distinct_values(col, pl.Series(col.name, values, dtype=pl.String))
            if bad:
                suspects[col.name] = _v(col.name).is_in(bad)
    if not suspects:
        return {}
    names = list(suspects)
    masks = df.select([suspects[n].fill_null(False).alias(f"m{i}") for i, n in enumerate(names)])
    hits = masks.select(pl.all().any()).row(0)
    return {
        name: masks[f"m{i}"] for i, (name, hit) in enumerate(zip(names, hits, strict=True)) if hit
    }


def _distinct_values(df: pl.DataFrame, sample: pl.DataFrame, columns: list[Column]) -> list:
    """The distinct values of each column. Usually the first rows already hold
    all of them: checking that (a hash lookup per row) is cheaper than `unique`."""
    exprs = [_v(c.name).unique().implode().alias(c.name) for c in columns]
    seen = sample.select(exprs).row(0)
    covered = df.select(
        [_v(c.name).is_in(values).all().alias(c.name) for c, values in zip(columns, seen, strict=True)]
    ).row(0)  # fmt: skip
    missing = [c for c, ok in zip(columns, covered, strict=True) if not ok]
    rest = iter(
        df.select([_v(c.name).unique().implode() for c in missing]).row(0) if missing else []
    )
    return [values if ok else next(rest) for values, ok in zip(seen, covered, strict=True)]


def _bad_distinct_values(col: Column, values: pl.Series) -> list[str]:
    """The distinct values of a column that need a closer look."""
    mask = _suspect(col, _v(col.name))
    if mask is None:
        return _distinct_suspects(col, values)
    frame = values.fill_null("").to_frame()
    return frame.filter(frame.select(mask.fill_null(False)).to_series())[col.name].to_list()


def diagnose_cells(data: pl.DataFrame, columns: list[Column]) -> dict[str, dict[str, Diagnosis]]:
    """{column: {value: [(rule, params), ...]}} for every distinct cell value that
    breaks a single-cell rule. `params["expected"]`, where present, is the value
    to write instead (kokai fix uses it)."""
    by_name = {c.name: c for c in columns}
    out: dict[str, dict[str, Diagnosis]] = {}
    for name, mask in _suspect_masks(data, columns).items():
        diagnose = _diagnoser(by_name[name])
        values = data.select(_v(name)).filter(mask).unique()[name].to_list()
        diagnosed = {v: d for v in values if (d := diagnose(v))}
        if diagnosed:
            out[name] = diagnosed
    return out


def _cell_findings(
    path: str, df: pl.DataFrame, lines: pl.Series, columns: list[Column]
) -> list[Finding]:
    by_name = {c.name: c for c in columns}
    findings: list[Finding] = []
    for name, mask in _suspect_masks(df, columns).items():
        diagnose = _diagnoser(by_name[name])
        # the messages of one value are the same on every row: format them once
        cache: dict[str, list[Finding]] = {}
        hits = zip(lines.filter(mask), df.get_column(name).filter(mask), strict=True)
        for line, value in hits:
            value = value or ""
            if value not in cache:
                cache[value] = [
                    rule.finding(path=path, row=0, field=name, value=value, **params)
                    for rule, params in diagnose(value)
                ]
            findings.extend(f.at_row(line) for f in cache[value])
    return findings


def _diagnoser(col: Column) -> Callable[[str], Diagnosis]:
    if col.flag:
        return _diagnose_flag
    if col.role in ("latitude", "longitude"):
        return lambda v: _diagnose_coordinate(col, v)
    if col.numeric:
        return lambda v: _diagnose_number(col, v)
    if col.date:
        return lambda v: _diagnose_date_column(col, v)
    if col.code or col.role in ("url", "email"):
        return lambda v: _diagnose_code(col, v)
    return lambda v: _diagnose_text(col, v)


def _diagnose_flag(value: str) -> Diagnosis:
    canonical = jv.canonical_flag(value)
    if canonical == value:
        return []
    if canonical == "1":
        return [(FLAG_VALUE, {
            "meaning": "「該当する」", "instruction": "「1」と書いてください",
            "meaning_en": "yes", "instruction_en": "write '1'", "expected": "1",
        })]  # fmt: skip
    if canonical == "":
        return [(FLAG_VALUE, {
            "meaning": "「該当しない」", "instruction": "空欄にしてください（0 や記号は書きません）",
            "meaning_en": "no", "instruction_en": "leave the cell empty", "expected": "",
        })]  # fmt: skip
    return [(FLAG_AMBIGUOUS, {})]


def _space_around(value: str) -> Diagnosis:
    """Spaces (also U+3000) around an otherwise clean number or code."""
    stripped = value.strip()
    if stripped != value and stripped and not re.search(f"{jv.RE_FULLWIDTH_ASCII}", stripped):
        return [(SURROUNDING_SPACE, {"expected": stripped})]
    return []


def _diagnose_coordinate(col: Column, value: str) -> Diagnosis:
    if space := _space_around(value):
        return space if jv.plain_number(value) else space + [(COORDINATE_NOT_NUMBER, {})]
    if re.search(jv.RE_FULLWIDTH_ASCII, value):
        return [(FULLWIDTH_CHARACTERS, {"expected": jv.to_halfwidth_code(value)})]
    if col.type not in NUMERIC_TYPES:  # typed columns: table.py's type check reports
        return [(COORDINATE_NOT_NUMBER, {})]
    return []


def _diagnose_number(col: Column, value: str) -> Diagnosis:
    if split := jv.split_number_unit(value):
        return [(NUMBER_WITH_UNIT, {"expected": split[0], "unit": split[1]})]
    if re.match(jv.RE_THOUSANDS, value):
        return [(THOUSANDS_SEPARATOR, {"expected": value.strip().replace(",", "")})]
    if re.search(jv.RE_FULLWIDTH_ASCII, value) and (number := jv.plain_number(value)):
        return [(FULLWIDTH_CHARACTERS, {"expected": number})]
    if (number := jv.plain_number(value)) is not None:
        if value.strip() != value:
            return [(SURROUNDING_SPACE, {"expected": number})]
        if col.role in COUNT_ROLES and float(number) < 0:
            return [(NEGATIVE_COUNT, {})]
        return []
    if re.search(r"[0-9０-９]", value) and re.search(r"[^\s0-9０-９.,，．+\-]", value):
        return [(TEXT_IN_NUMBER, {})]  # 屋内191人／屋外0人: a person must rewrite it
    return []


def _diagnose_date_column(col: Column, value: str) -> Diagnosis:
    text = value.strip()
    if jv.is_wareki(text):
        iso = jv.to_iso_date(text)
        return [(WAREKI_DATE, {"expected": iso})] if iso else [(INVALID_DATE, {})]
    if converted := jv.to_iso_date(text, compact=True):
        return [(NON_ISO_DATE, {"expected": converted})]
    if col.type in DATE_TYPES and not looks_like_date(text):
        return []  # the schema's type check (table.py) reports it
    return [(INVALID_DATE, {})]


def looks_like_date(value: str) -> bool:
    text = value.strip()
    return bool(re.match(jv.RE_NON_ISO_DATE, text) or re.match(jv.RE_COMPACT_DATE, text))


def _diagnose_text(col: Column, value: str) -> Diagnosis:
    out: Diagnosis = []
    if chars := jv.model_dependent_characters(value):
        out.append((MODEL_DEPENDENT_CHARACTER, _model_dependent_params(chars)))
    if col.person_name and "\u3000" in value:
        fixed = re.sub(r"\s+", " ", value.replace("\u3000", " ")).strip()
        out.append((IDEOGRAPHIC_SPACE, {"expected": fixed}))
    if col.role == "kana" and re.search(_KANA_SCREEN, value):
        out.append((KANA_FORMAT, {"expected": jv.to_katakana(value)}))
    if col.address and re.search(jv.RE_FULLWIDTH_DIGIT, value):
        out.append((FULLWIDTH_DIGITS_IN_TEXT, {"expected": jv.halfwidth_digits_in_text(value)}))
    text = value.strip()
    if jv.is_wareki(text):
        iso = jv.to_iso_date(text)
        out.append((WAREKI_DATE, {"expected": iso}) if iso else (INVALID_DATE, {}))
    elif not jv.is_iso_date(text) and re.match(jv.RE_NON_ISO_DATE, text):
        if converted := jv.to_iso_date(text):
            out.append((NON_ISO_DATE, {"expected": converted}))
    return out


def _diagnose_code(col: Column, value: str) -> Diagnosis:
    """Code-like columns: full-width characters first, then the role's own rule
    on the half-width value (only when that is still wrong); spaces around an
    otherwise good value last."""
    out = _diagnose_code_value(col, value)
    if not out and value.strip() != value:
        out = [(SURROUNDING_SPACE, {"expected": value.strip()})]
    if chars := jv.model_dependent_characters(value):
        out.insert(0, (MODEL_DEPENDENT_CHARACTER, _model_dependent_params(chars)))
    return out


def _diagnose_code_value(col: Column, value: str) -> Diagnosis:
    role = col.role
    half = jv.to_halfwidth_code(value)
    has_fullwidth = bool(re.search(f"{jv.RE_FULLWIDTH_ASCII}|[{jv.DASHES}]", value))
    if role == "phone":
        return _diagnose_phone(value, has_fullwidth)
    if role == "postal_code":
        digits = jv.postal_code_digits(value)
        out: Diagnosis = []
        if has_fullwidth:
            out.append((FULLWIDTH_CHARACTERS, {"expected": digits or half}))
        if not (has_fullwidth and digits):
            out.append((POSTAL_CODE_FORMAT, _postal_params(digits)))
        return out
    if role == "url":
        return [] if re.match(_URL, value) else [(URL_FORMAT, _suggestion(value, _URL))]
    if role == "email":
        return [] if re.match(_EMAIL, value) else [(EMAIL_FORMAT, _suggestion(value, _EMAIL))]
    out = [(FULLWIDTH_CHARACTERS, {"expected": half})] if has_fullwidth else []
    if role == "lgcode":
        out += _diagnose_lgcode(half)
    elif role == "houjin":
        out += _diagnose_houjin(half)
    return out


def _diagnose_lgcode(code: str) -> Diagnosis:
    if re.fullmatch(r"[0-9]{6}", code):
        body = code[:5]
        expected = f"{body}{lgcode_check_digit(body)}"
        return [] if expected == code else [(LGCODE_CHECK_DIGIT, {"body": body, "expected": expected})]  # fmt: skip
    if padded := restore_dropped_zero(code):
        return [(LGCODE_LEADING_ZERO, {"expected": padded})]
    return [(LGCODE_FORMAT, {})]


def _diagnose_houjin(code: str) -> Diagnosis:
    if re.fullmatch(r"[0-9]{13}", code):
        base = code[1:]
        expected = f"{houjin_check_digit(base)}{base}"
        return [] if expected == code else [(HOUJIN_CHECK_DIGIT, {"base": base, "expected": expected})]  # fmt: skip
    if m := re.fullmatch(r"([0-9]{13})[_\-]([0-9]+)", code):
        return [(HOUJIN_BRANCH_SUFFIX, {"suffix": f"_{m[2]}", "expected": m[1]})]
    return [(HOUJIN_FORMAT, {})]


def _diagnose_phone(value: str, has_fullwidth: bool) -> Diagnosis:
    text = value.strip()
    if text in _PLACEHOLDERS:
        return [(PHONE_FORMAT, {
            "hint": "番号がないときは「-」などを書かず空欄にしてください。",
            "hint_en": "Leave the cell empty when there is no number.",
        })]  # fmt: skip
    if re.search(jv.RE_PHONE_SEVERAL, text):
        return [(PHONE_SEVERAL, {})]
    fixed = jv.normalised_phone(value)
    if fixed and fixed == value:
        return []
    if fixed:
        rule = FULLWIDTH_CHARACTERS if has_fullwidth else SURROUNDING_SPACE
        return [(rule, {"expected": fixed})]
    return [(PHONE_FORMAT, {
        "hint": "半角で市外局番から「0X-XXXX-XXXX」や「(0X)XXXX-XXXX」の形（10桁か11桁）で書いてください。",
        "hint_en": "Write it half-width with the area code, e.g. 0X-XXXX-XXXX (10 or 11 digits).",
    })]  # fmt: skip


def _postal_params(digits: str | None) -> dict[str, str]:
    if digits:
        return {
            "expected": digits,
            "hint": f"ハイフンや〒を付けず、半角数字7桁で「{digits}」と書いてください。",
            "hint_en": f"Write 7 half-width digits without hyphen: '{digits}'.",
        }
    return {
        "hint": "半角数字7桁（ハイフンなし、例: 1234567）で書いてください。",
        "hint_en": "Write 7 half-width digits without a hyphen, e.g. 1234567.",
    }


def _suggestion(value: str, pattern: str) -> dict[str, str]:
    fixed = jv.to_halfwidth(value).strip()
    if fixed != value and re.match(pattern, fixed):
        return {"hint": f"（例:「{fixed}」）", "hint_en": f" (e.g. '{fixed}')"}
    return {"hint": "", "hint_en": ""}


# --- rows: coordinates and population sums ---------------------------------------------

RowHandler = Callable[[dict[str, Any]], Finding | None]


@dataclass
class _RowCheck:
    mask: pl.Expr  # True on the rows that fail
    handler: RowHandler
    columns: list[str] = field(default_factory=list)


def _numeric_views(by_role: dict[str, list[Column]]) -> list[pl.Expr]:
    """Each coordinate and population column cast once, for the row checks."""
    out = [
        pl.col(c.name).cast(pl.Float64, strict=False).alias(_NUM + c.name)
        for role in ("latitude", "longitude")
        for c in by_role.get(role, [])
    ]
    out += [
        pl.col(c.name).cast(pl.Int64, strict=False).alias(_INT + c.name)
        for role in sorted(POPULATION_ROLES)
        for c in by_role.get(role, [])
    ]
    return out


_NUM, _INT = "__kokai_float:", "__kokai_int:"


def _rows(
    df: pl.DataFrame, lines: pl.Series, mask: pl.Series, columns: list[str]
) -> list[dict[str, Any]]:
    """The rows where `mask` holds, as dicts of the given columns plus LINE."""
    picked = df.select(list(dict.fromkeys(columns))).filter(mask)
    return [
        {**row, LINE: line}
        for row, line in zip(picked.iter_rows(named=True), lines.filter(mask), strict=True)
    ]


def _run_row_checks(
    df: pl.DataFrame, lines: pl.Series, checks: list[_RowCheck], views: list[pl.Expr]
) -> list[Finding]:
    if not checks:
        return []
    frame = df.with_columns(views) if views else df
    masks = frame.select([c.mask.fill_null(False).alias(f"m{i}") for i, c in enumerate(checks)])
    hits = masks.select(pl.all().any()).row(0)
    out: list[Finding] = []
    for i, (check, hit) in enumerate(zip(checks, hits, strict=True)):
        if hit:
            rows = _rows(df, lines, masks[f"m{i}"], check.columns)
            found = (check.handler(row) for row in rows)
            out += [f for f in found if f is not None]
    return out


def _number(name: str) -> pl.Expr:
    return pl.col(_NUM + name)


def _in_japan(lat: pl.Expr, lon: pl.Expr) -> pl.Expr:
    return lat.is_between(20, 46.5) & lon.is_between(122, 154)


def _coordinate_checks(
    path: str, by_role: dict[str, list[Column]], context: CheckContext
) -> list[_RowCheck]:
    lats, lons = by_role.get("latitude", []), by_role.get("longitude", [])
    out: list[_RowCheck] = []

    def cell(field_name: str) -> RowHandler:
        return lambda row: COORDINATE_OUTSIDE_JAPAN.finding(
            path=path, row=row[LINE], field=field_name, value=row[field_name]
        )

    if len(lats) != 1 or len(lons) != 1:
        for col, low, high in [(c, 20, 46.5) for c in lats] + [(c, 122, 154) for c in lons]:
            n = _number(col.name)
            out.append(_RowCheck(~n.is_between(low, high), cell(col.name), [col.name]))
        return out
    lat_name, lon_name = lats[0].name, lons[0].name
    lat, lon = _number(lat_name), _number(lon_name)
    both = lat.is_not_null() & lon.is_not_null()
    swapped = both & ~_in_japan(lat, lon) & _in_japan(lon, lat)

    def swapped_handler(row: dict) -> Finding:
        return COORDINATES_SWAPPED.finding(
            path=path, row=row[LINE], field=lat_name, value=row[lat_name],
            lat=row[lat_name], lon=row[lon_name],
        )  # fmt: skip

    out.append(_RowCheck(swapped, swapped_handler, [lat_name, lon_name]))
    out.append(_RowCheck(~lat.is_between(20, 46.5) & ~swapped, cell(lat_name), [lat_name]))
    out.append(_RowCheck(~lon.is_between(122, 154) & ~swapped, cell(lon_name), [lon_name]))
    if context.city_bbox:
        min_lon, min_lat, max_lon, max_lat = context.city_bbox
        inside = lat.is_between(min_lat, max_lat) & lon.is_between(min_lon, max_lon)
        outside_city = both & _in_japan(lat, lon) & ~inside

        def city_handler(row: dict) -> Finding:
            return COORDINATE_OUTSIDE_CITY.finding(
                path=path, row=row[LINE], field=lat_name, value=row[lat_name],
                lat=row[lat_name], lon=row[lon_name], min_lon=min_lon, min_lat=min_lat,
                max_lon=max_lon, max_lat=max_lat,
            )  # fmt: skip

        out.append(_RowCheck(outside_city, city_handler, [lat_name, lon_name]))
    return out


def _publisher_checks(path: str, columns: list[Column], context: CheckContext) -> list[_RowCheck]:
    """全国地方公共団体コード is the publisher's code: it should be the city's own."""
    city = context.city_code
    if not (city and is_valid_lgcode(city)):
        return []
    out = []
    for col in columns:
        if col.name != "全国地方公共団体コード":
            continue
        value = pl.col(col.name)
        valid_other = (value != city) & value.str.contains(r"^[0-9]{6}$")

        def handler(row: dict, name: str = col.name) -> Finding | None:
            if not is_valid_lgcode(row[name]):
                return None  # lgcode_check_digit explains it
            return LGCODE_OTHER_BODY.finding(
                path=path, row=row[LINE], field=name, value=row[name], city_code=city
            )

        out.append(_RowCheck(valid_other, handler, [col.name]))
    return out


def _count(name: str) -> pl.Expr:
    return pl.col(_INT + name)


def _population_checks(path: str, by_role: dict[str, list[Column]]) -> list[_RowCheck]:
    """04 地域・年齢別人口: 総人口 = 男性 + 女性, Σ bands = each sex (rows where all parse)."""
    out: list[_RowCheck] = []
    total = (by_role.get("population_total") or [None])[0]
    male = (by_role.get("population_male") or [None])[0]
    female = (by_role.get("population_female") or [None])[0]
    if total and male and female:
        t, m, f = _count(total.name), _count(male.name), _count(female.name)
        mismatch = t.is_not_null() & m.is_not_null() & f.is_not_null() & (t != m + f)

        def handler(row: dict) -> Finding:
            return POPULATION_TOTAL_MISMATCH.finding(
                path=path, row=row[LINE], field=total.name, value=row[total.name],
                total_field=total.name, total=row[total.name], male_field=male.name,
                male=row[male.name], female_field=female.name, female=row[female.name],
                expected=int(row[male.name]) + int(row[female.name]),
            )  # fmt: skip

        out.append(_RowCheck(mismatch, handler, [total.name, male.name, female.name]))
    for sex_col, role, sex, sex_en in (
        (male, "population_band_male", "男性", "male"),
        (female, "population_band_female", "女性", "female"),
    ):
        bands = [c.name for c in by_role.get(role, [])]
        if not (sex_col and bands):
            continue
        values = [_count(b) for b in bands]
        sex_value = _count(sex_col.name)
        all_parse = pl.all_horizontal([v.is_not_null() for v in values]) & sex_value.is_not_null()
        mismatch = all_parse & (pl.sum_horizontal(values) != sex_value)

        def band_handler(row: dict, sex_col=sex_col, bands=bands, sex=sex, sex_en=sex_en):
            band_total = sum(int(row[b]) for b in bands)
            return POPULATION_BANDS_MISMATCH.finding(
                path=path, row=row[LINE], field=sex_col.name, value=row[sex_col.name],
                sex=sex, sex_en=sex_en, bands=band_total,
                difference=band_total - int(row[sex_col.name]),
            )  # fmt: skip

        out.append(_RowCheck(mismatch, band_handler, [sex_col.name, *bands]))
    return out


# --- duplicates ---------------------------------------------------------------------------


def _duplicate_findings(
    path: str, df: pl.DataFrame, lines: pl.Series, columns: list[Column]
) -> list[Finding]:
    """Whole rows repeated, and repeated IDs where the schema declares no uniqueness."""
    names = [c.name for c in columns]
    if df.height < 2:
        return []
    ids = [c for c in columns if c.role == "id"]
    # IDs in ascending order (the usual case) are unique without hashing them
    ascending = df.select(
        [(pl.col(c.name) > pl.col(c.name).shift(1)).all().alias(c.name) for c in ids]
    ).row(0, named=True) if ids else {}  # fmt: skip
    id_stats = df.select(
        [
            (pl.lit(False) if ascending[c.name] else pl.col(c.name).is_duplicated().any()).alias(
                f"d{i}"
            )
            for i, c in enumerate(ids)
        ]
        + [(_v(c.name) == "").any().alias(f"e{i}") for i, c in enumerate(ids)]
    ).row(0, named=True) if ids else {}  # fmt: skip
    # A filled, unique ID column means no row can repeat another: skip hashing rows.
    unique_id = any(not id_stats[f"d{i}"] and not id_stats[f"e{i}"] for i in range(len(ids)))
    out: list[Finding] = []
    repeated_rows: set[int] = set()
    if not unique_id:
        content = df.select(names)
        hashes = content.hash_rows()
        candidates = (
            hashes.is_duplicated()
            & content.select(pl.any_horizontal([_v(n) != "" for n in names])).to_series()
        )
        if candidates.any():
            first_line: dict[tuple, int] = {}
            picked = df.select(names).filter(candidates).iter_rows()
            for line, values in zip(lines.filter(candidates), picked, strict=True):
                row = (line, *values)
                key = tuple(v or "" for v in row[1:])
                if key in first_line:
                    repeated_rows.add(row[0])
                    out.append(
                        DUPLICATE_RECORD.finding(path=path, row=row[0], first_row=first_line[key])
                    )
                else:
                    first_line[key] = row[0]
    # 指定避難所 (GSI): one place on two rows that differ in 受入対象者 is expected;
    # 04 人口: one 地域コード per 調査年月日
    qualifier = [c.name for c in columns if c.name == "受入対象者" or c.role == "date"]
    for i, col in enumerate(ids):
        if col.unique or not id_stats[f"d{i}"]:
            continue
        key = pl.struct([_v(n).alias(n) for n in (col.name, *qualifier)])
        dup = df.select(((_v(col.name) != "") & key.is_duplicated()).alias("d"))["d"]
        first: dict[tuple, int] = {}
        picked = df.select([col.name, *qualifier]).filter(dup).iter_rows()
        for line, values in zip(lines.filter(dup), picked, strict=True):
            row = (line, *values)
            key_values = tuple(row[1:])
            if key_values not in first:
                first[key_values] = row[0]
            elif row[0] not in repeated_rows:
                out.append(
                    DUPLICATE_ID.finding(
                        path=path,
                        row=row[0],
                        field=col.name,
                        value=row[1],
                        first_row=first[key_values],
                    )  # fmt: skip
                )
    return out


__all__ = ["Column", "Diagnosis", "check_table", "diagnose_cells", "plan_columns", "role_by_name"]
