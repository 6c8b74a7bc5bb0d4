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


# 個人番号 (マイナンバー): 12 digits, the last one the check digit (検査用数字).
# 総務省令第八十五号 (平成26年) 第5条 (the formula 番号法施行令 第8条 refers to):
#   check = 11 − (Σ_{n=1..11} Pn × Qn mod 11); 0 when that remainder is 0 or 1,
#   Pn = the n-th digit of the 11-digit base counted from the right,
#   Qn = n + 1 for 1 ≤ n ≤ 6, n − 5 for 7 ≤ n ≤ 11.
# Sources: e-Gov 法令検索 (平成二十六年総務省令第八十五号); 地方公共団体情報システム機構
# 「月刊J-LIS」平成27年7月号 (番号移行サポートセンター Q&A 問1). Textbook example: 123456789018.
_KOJIN_WEIGHTS = tuple(n + 1 if n <= 6 else n - 5 for n in range(11, 0, -1))  # left to right


def kojin_check_digit(base11: str) -> int:
    """個人番号: the check digit (the 12th digit) of the 11-digit base."""
    r = sum(int(d) * w for d, w in zip(base11, _KOJIN_WEIGHTS, strict=True)) % 11
    return 0 if r <= 1 else 11 - r


def is_valid_kojin_bangou(number: str) -> bool:
    """True for 12 half-width digits whose last digit is the right check digit
    (the written forms 1234-5678-9018 or full-width digits are normalised by the caller)."""
    return (
        len(number) == 12
        and _DIGITS.fullmatch(number) is not None
        and kojin_check_digit(number[:11]) == int(number[11])
    )


def kojin_valid_expr(code: pl.Expr) -> pl.Expr:
    """True where the text is 12 half-width digits with the 個人番号 check digit
    (integer arithmetic: a whole column of candidates costs a few vector ops)."""
    n = code.cast(pl.Int64, strict=False)
    d = [(n // 10 ** (11 - i)) % 10 for i in range(12)]
    r = sum(x * w for x, w in zip(d[:11], _KOJIN_WEIGHTS, strict=True)) % 11
    check = pl.when(r <= 1).then(0).otherwise(11 - r)
    return code.str.contains(r"^[0-9]{12}$") & (check == d[11])
