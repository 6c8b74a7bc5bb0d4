"""Check digits of Japanese public codes (see shared reference jp-open-data.md §5)."""

from __future__ import annotations

import re

import polars as pl

_LGCODE_WEIGHTS = (6, 5, 4, 3, 2)
_HOUJIN_WEIGHTS = tuple(1 if n % 2 else 2 for n in range(12, 0, -1))  # base digits, left to right
_DIGITS = re.compile(r"[0-9]+")


def lgcode_check_digit(body: str) -> int:
    """全国地方公共団体コード (JIS X 0402): check digit of the 5-digit body."""
    r = sum(int(d) * w for d, w in zip(body, _LGCODE_WEIGHTS, strict=True)) % 11
    return (11 - r) % 10


def is_valid_lgcode(code: str) -> bool:
    """True for a 6-digit code whose last digit is the right check digit."""
    return (
        len(code) == 6
        and _DIGITS.fullmatch(code) is not None
        and lgcode_check_digit(code[:5]) == int(code[5])
    )


def restore_dropped_zero(code: str) -> str | None:
    """'92011' → '092011' when a spreadsheet dropped the leading zero and the
    padded code is valid; None otherwise."""
    if len(code) == 5 and _DIGITS.fullmatch(code):
        padded = "0" + code
        if is_valid_lgcode(padded):
            return padded
    return None


def houjin_check_digit(base12: str) -> int:
    """法人番号: the check digit (the first of 13 digits) of the 12-digit base.
    Digits are counted from the right; odd positions weigh 1, even 2."""
    total = sum(int(d) * w for d, w in zip(base12, _HOUJIN_WEIGHTS, strict=True))
    return 9 - total % 9


def is_valid_houjin_bangou(number: str) -> bool:
    return (
        len(number) == 13
        and _DIGITS.fullmatch(number) is not None
        and houjin_check_digit(number[1:]) == int(number[0])
    )


def houjin_bangou_of_lgcode(lgcode: str) -> str:
    """The 法人番号 of a local government: check digit + '000020' + its 6-digit code."""
    base = "000020" + lgcode
    return f"{houjin_check_digit(base)}{base}"


# The same checks as polars expressions, for whole columns of text.
def _digits(code: pl.Expr, n: int) -> list[pl.Expr]:
    return [code.str.slice(i, 1).cast(pl.Int32, strict=False) for i in range(n)]


def lgcode_valid_expr(code: pl.Expr) -> pl.Expr:
    """True where the text is a 6-digit 全国地方公共団体コード with the right check digit."""
    d = _digits(code, 6)
    r = sum(x * w for x, w in zip(d[:5], _LGCODE_WEIGHTS, strict=True)) % 11
    return code.str.contains(r"^[0-9]{6}$") & (((11 - r) % 10) == d[5])


def houjin_valid_expr(code: pl.Expr) -> pl.Expr:
    """True where the text is a 13-digit 法人番号 with the right check digit."""
    d = _digits(code, 13)
    total = sum(x * w for x, w in zip(d[1:], _HOUJIN_WEIGHTS, strict=True))
    return code.str.contains(r"^[0-9]{13}$") & ((9 - total % 9) == d[0])
