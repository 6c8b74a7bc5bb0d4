"""Field values: required fields, formats (date, time, colour, URL, e-mail,
language, timezone, currency, amounts, numbers), enums and numeric ranges.

One polars pass per file computes a boolean column per (field, problem);
Findings are built only for the failing rows.
"""

from __future__ import annotations

import sys
import zoneinfo
from functools import cache

import polars as pl

from kokai.gtfs.columns import TIME_PATTERN
from kokai.gtfs.rules_common import CheckContext, emit
from kokai.gtfs.schema import CURRENCIES, SCHEMA, Column
from kokai.gtfs.translations import translation_form
from kokai.validators.report import Findings, Rule

_MDV = "mobilitydata"

MISSING_REQUIRED_FIELD = Rule(
    "missing_required_field", "error",
    "{path} の {row} 行目、必須の「{field}」が空です。値を入れてください。",
    "{path} row {row}: required field {field!r} is empty. Fill it.", source=_MDV,
)  # fmt: skip
INVALID_DATE = Rule(
    "invalid_date", "error",
    "{path} の {row} 行目「{field}」の {value!r} は日付ではありません。"
    "西暦8桁 YYYYMMDD（例 20250401）で書いてください。",
    "{path} row {row} {field!r}: {value!r} is not a date; use YYYYMMDD.", source=_MDV,
)  # fmt: skip
INVALID_TIME = Rule(
    "invalid_time", "error",
    "{path} の {row} 行目「{field}」の {value!r} は時刻ではありません。"
    "HH:MM:SS（例 07:05:00、深夜は 25:10:00）で書いてください。",
    "{path} row {row} {field!r}: {value!r} is not a time; use HH:MM:SS.", source=_MDV,
)  # fmt: skip
INVALID_COLOR = Rule(
    "invalid_color", "error",
    "{path} の {row} 行目「{field}」の {value!r} は色ではありません。"
    "# を付けない 16 進 6 桁（例 FF0000）で書いてください。",
    "{path} row {row} {field!r}: {value!r} is not a colour; use six hex digits (FF0000).",
    source=_MDV,
)  # fmt: skip
INVALID_URL = Rule(
    "invalid_url", "error",
    "{path} の {row} 行目「{field}」の {value!r} は URL ではありません。"
    "http:// または https:// から始まる完全な URL を書いてください。",
    "{path} row {row} {field!r}: {value!r} is not a URL; write a full http(s):// URL.",
    source=_MDV,
)  # fmt: skip
INVALID_EMAIL = Rule(
    "invalid_email", "error",
    "{path} の {row} 行目「{field}」の {value!r} はメールアドレスではありません。正しく書いてください。",
    "{path} row {row} {field!r}: {value!r} is not an e-mail address.", source=_MDV,
)  # fmt: skip
INVALID_LANGUAGE_CODE = Rule(
    "invalid_language_code", "error",
    "{path} の {row} 行目「{field}」の {value!r} は言語コードではありません。"
    "日本語は ja、読み仮名は ja-Hrkt、英語は en のように書いてください。",
    "{path} row {row} {field!r}: {value!r} is not a language code (ja, ja-Hrkt, en).",
    source=_MDV,
)  # fmt: skip
INVALID_TIMEZONE = Rule(
    "invalid_timezone", "error",
    "{path} の {row} 行目「{field}」の {value!r} はタイムゾーンではありません。"
    "日本は Asia/Tokyo と書いてください。",
    "{path} row {row} {field!r}: {value!r} is not a time zone (e.g. Asia/Tokyo).",
    source=_MDV,
)  # fmt: skip
INVALID_CURRENCY = Rule(
    "invalid_currency", "error",
    "{path} の {row} 行目「{field}」の {value!r} は通貨コードではありません。円は JPY と書いてください。",
    "{path} row {row} {field!r}: {value!r} is not an ISO 4217 currency code (JPY).",
    source=_MDV,
)  # fmt: skip
INVALID_INTEGER = Rule(
    "invalid_integer", "error",
    "{path} の {row} 行目「{field}」の {value!r} は整数ではありません。半角数字で書いてください。",
    "{path} row {row} {field!r}: {value!r} is not an integer.", source=_MDV,
)  # fmt: skip
INVALID_FLOAT = Rule(
    "invalid_float", "error",
    "{path} の {row} 行目「{field}」の {value!r} は数値ではありません。半角数字と小数点で書いてください。",
    "{path} row {row} {field!r}: {value!r} is not a number.", source=_MDV,
)  # fmt: skip
NUMBER_OUT_OF_RANGE = Rule(
    "number_out_of_range", "error",
    "{path} の {row} 行目「{field}」の {value!r} は範囲外です（{expected}）。値を見直してください。",
    "{path} row {row} {field!r}: {value!r} is out of range ({expected}).", source=_MDV,
)  # fmt: skip
UNEXPECTED_ENUM_VALUE = Rule(
    "unexpected_enum_value", "warning",
    "{path} の {row} 行目「{field}」の {value!r} は定められた値（{expected}）ではありません。",
    "{path} row {row} {field!r}: {value!r} is not one of the defined values ({expected}).",
    source=_MDV,
)  # fmt: skip
NON_ASCII_OR_NON_PRINTABLE_CHAR = Rule(
    "non_ascii_or_non_printable_char", "warning",
    "{path} の {row} 行目、ID「{field}」の {value!r} に半角英数字以外の文字があります。"
    "ID は半角英数字にすると、多くのシステムで扱いやすくなります。",
    "{path} row {row}: id {field!r} value {value!r} has non-ASCII or non-printable characters.",
    source=_MDV,
)  # fmt: skip

_URL = r"^(?i)(https?|ftp)://[^\s/?#]+\.[^\s/?#]+(:\d+)?([/?#]\S*)?$|^(?i)(https?|ftp)://localhost(:\d+)?([/?#]\S*)?$"
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_COLOR = r"^[0-9A-Fa-f]{6}$"
_LANGUAGE = r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$"
_INTEGER = r"^[+-]?\d+$"
_NOT_PRINTABLE_ASCII = r"[^\x20-\x7E]"
_FLOAT = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


@cache
def _timezones() -> list[str]:
    return sorted(zoneinfo.available_timezones())  # reads tzdata: only when needed

_RANGE_TEXT = {
    "non_negative": "0 以上 / >= 0",
    "positive": "0 より大きい / > 0",
    "latitude": "-90 〜 90",
    "longitude": "-180 〜 180",
}


def _enum_text(values: tuple[int, ...]) -> str:
    return ", ".join(str(v) for v in values)


def _format_problems(column: Column) -> list[tuple[Rule, pl.Expr, dict]]:
    """(rule, expression true where the non-null value fails, constant params)."""
    v = pl.col(column.name)
    t = column.type
    if t == "date":
        return [(INVALID_DATE, v.str.to_date("%Y%m%d", strict=False).is_null()
                 | ~v.str.contains(r"^\d{8}$"), {})]  # fmt: skip
    if t == "time":
        return [(INVALID_TIME, ~v.str.contains(TIME_PATTERN), {})]
    if t == "color":
        return [(INVALID_COLOR, ~v.str.contains(_COLOR), {})]
    if t == "url":
        return [(INVALID_URL, ~v.str.contains(_URL), {})]
    if t == "email":
        return [(INVALID_EMAIL, ~v.str.contains(_EMAIL), {})]
    if t == "language":
        return [(INVALID_LANGUAGE_CODE, ~v.str.contains(_LANGUAGE), {})]
    if t == "timezone":
        return [(INVALID_TIMEZONE, ~v.is_in(_timezones()), {})]
    if t == "currency":
        return [(INVALID_CURRENCY, ~v.is_in(sorted(CURRENCIES)), {})]
    if t in ("integer", "enum"):
        problems = [(INVALID_INTEGER, ~v.str.contains(_INTEGER), {})]
        number = v.str.strip_prefix("+").cast(pl.Int64, strict=False)
        if t == "enum":
            problems.append(
                (UNEXPECTED_ENUM_VALUE, v.str.contains(_INTEGER) & ~number.is_in(column.enum),
                 {"expected": _enum_text(column.enum)})
            )  # fmt: skip
        elif column.range == "non_negative":
            problems.append(
                (NUMBER_OUT_OF_RANGE, number < 0, {"expected": _RANGE_TEXT["non_negative"]})
            )
        elif column.range == "positive":
            problems.append(
                (NUMBER_OUT_OF_RANGE, number <= 0, {"expected": _RANGE_TEXT["positive"]})
            )
        return problems
    if t in ("float", "latitude", "longitude", "currency_amount"):
        number = v.cast(pl.Float64, strict=False)
        problems = [(INVALID_FLOAT, ~v.str.contains(_FLOAT), {})]
        limit = {"latitude": 90.0, "longitude": 180.0}.get(t)
        if limit is not None:
            problems.append(
                (NUMBER_OUT_OF_RANGE, number.abs() > limit, {"expected": _RANGE_TEXT[t]})
            )
        if column.range == "non_negative":
            problems.append(
                (NUMBER_OUT_OF_RANGE, number < 0, {"expected": _RANGE_TEXT["non_negative"]})
            )
        elif column.range == "positive":
            problems.append(
                (NUMBER_OUT_OF_RANGE, number <= 0, {"expected": _RANGE_TEXT["positive"]})
            )
        return problems
    if t == "id":
        return [(NON_ASCII_OR_NON_PRINTABLE_CHAR, v.str.contains(_NOT_PRINTABLE_ASCII), {})]
    return []


_CHEAP_TEST_TYPES = frozenset({"enum", "integer", "float", "latitude", "longitude", "currency_amount"})


def _suspects(column: Column) -> pl.Expr:
    """A cheap test that is true for every non-null value that may fail a format
    check (and for a few that pass). The regex checks then run only on those rows:
    on a clean stop_times.txt, enum and number columns cost one is_in or one cast."""
    v = pl.col(column.name)
    if column.type == "enum":
        if all(0 <= x <= 9 for x in column.enum):
            # One-digit codes: a value's single byte as a number (null for another
            # length), compared without hashing strings; a few times faster.
            byte = v.cast(pl.Binary).bin.reinterpret(dtype=pl.UInt8)
            return v.is_not_null() & ~byte.is_in([48 + x for x in column.enum]).fill_null(False)
        return v.is_not_null() & ~v.is_in([str(x) for x in column.enum])
    if column.type == "integer":
        number = v.cast(pl.Int64, strict=False)
        low = 1 if column.range == "positive" else 0 if column.range == "non_negative" else None
        if low is None:
            return v.is_not_null() & number.is_null()
        return v.is_not_null() & ~(number >= low).fill_null(False)  # one cast, not two
    if column.type in ("float", "latitude", "longitude", "currency_amount"):
        # Polars reads a float from exactly the _FLOAT forms plus inf/nan, so "not a
        # finite number in range" needs no regex: one cast, one comparison.
        number = v.cast(pl.Float64, strict=False)
        limit = {"latitude": 90.0, "longitude": 180.0}.get(column.type, sys.float_info.max)
        return v.is_not_null() & ~number.is_between(0.0, limit).fill_null(False)
    return v.is_not_null()


def _any_suspect(column: Column) -> pl.Expr:
    """Stage 1 of a column but an id: may any value fail? Times (long columns of
    stop_times.txt) take the exact test on their distinct values, which repeat a lot:
    a clean column then costs no pass over every row."""
    v = pl.col(column.name)
    if column.type == "time":
        return (~v.unique().str.contains(TIME_PATTERN)).any()
    return _suspects(column).any()


def check_fields(ctx: CheckContext) -> Findings:
    out = Findings()
    for name in ctx.feed.files:
        spec = SCHEMA.get(name)
        if spec is None:
            continue
        frame = ctx.frame(name)
        if frame is None or frame.height == 0:
            continue
        if name == "translations.txt" and translation_form(frame.columns) == "v2":
            continue  # no v3 columns to check; the jp profile reads the v2 form
        columns = [c for c in spec.columns if c.name in frame.columns]
        if not columns:
            continue
        # Stage 1, all columns in one pass: missing required values and format suspects.
        stage1_exprs = [
            *[pl.col(c.name).is_null().any().alias(f"null:{c.name}") for c in columns
              if c.required],
            *[_any_suspect(c).alias(f"suspect:{c.name}") for c in columns
              if _format_problems(c) and c.type != "id"],
        ]  # fmt: skip
        stage1 = frame.select(stage1_exprs).row(0, named=True) if stage1_exprs else {}
        # Ids (the long columns of stop_times.txt): the exact test on their distinct
        # values, which the foreign key check reads too.
        for c in columns:
            if c.type == "id":
                distinct = ctx.distinct(name, c.name)
                stage1[f"suspect:{c.name}"] = distinct.str.contains(_NOT_PRINTABLE_ASCII).any()
        for column in columns:
            v = pl.col(column.name)
            if stage1.get(f"null:{column.name}"):
                missing = frame.select("__line__", column.name).filter(v.is_null())
                emit(out, MISSING_REQUIRED_FIELD, missing, path=name, field=column.name)
            if not stage1.get(f"suspect:{column.name}"):
                continue
            # Stage 2, only on the suspect rows (and two columns): the exact checks.
            suspects = frame.select("__line__", column.name)
            if column.type in _CHEAP_TEST_TYPES:
                suspects = suspects.filter(_suspects(column))
            for rule, bad, consts in _format_problems(column):
                failing = suspects.filter(v.is_not_null() & bad)
                if ctx.profile == "jp" and rule is NON_ASCII_OR_NON_PRINTABLE_CHAR:
                    # Japanese ids are normal in GTFS-JP; keep only control characters.
                    failing = failing.filter(v.str.contains(r"[\x00-\x1F\x7F]"))
                emit(out, rule, failing, path=name, field=column.name, value=column.name,
                     consts=consts)  # fmt: skip
    return out
