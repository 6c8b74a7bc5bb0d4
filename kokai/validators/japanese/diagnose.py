"""What is wrong with one cell value, and what to write instead.

A diagnoser takes one distinct value of a column and returns its diagnosis:
the rules it breaks with their parameters (`expected`, where present, is the
value to write; `kokai fix` writes it). The checks call a diagnoser once per
distinct failing value, never once per row."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kokai.validators.japanese import values as jv
from kokai.validators.japanese.columns import COUNT_ROLES, DATE_TYPES, NUMERIC_TYPES, Column
from kokai.validators.japanese.rules import (
    COORDINATE_NOT_NUMBER,
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
    MODEL_DEPENDENT_CHARACTER,
    NEGATIVE_COUNT,
    NON_ISO_DATE,
    NUMBER_WITH_UNIT,
    PHONE_FORMAT,
    PHONE_SEVERAL,
    PHONE_WITH_NOTE,
    POSTAL_CODE_FORMAT,
    SURROUNDING_SPACE,
    TEXT_IN_NUMBER,
    THOUSANDS_SEPARATOR,
    URL_FORMAT,
    WAREKI_DATE,
)
from kokai.validators.report import Rule, Severity, Text
from kokai.vocab.checkdigits import houjin_check_digit, lgcode_check_digit, restore_dropped_zero

Diagnosis = list[tuple[Rule, dict[str, Any]]]

URL = r"^https?://[A-Za-z0-9\-._~%\[\]:@]+(?:[/?#]\S*)?$"
EMAIL = r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+$"
KANA_SCREEN = "[ぁ-ゖｦ-ﾟ]"
_PLACEHOLDERS = {"-", "－", "―", "ー", "なし", "無し", "無", "不明", "未定", "―――"}

_FLAG_YES = {
    "meaning": Text("「該当する」", "yes"),
    "instruction": Text("「1」と書いてください", "write '1'"),
    "expected": "1",
}
_FLAG_NO = {
    "meaning": Text("「該当しない」", "no"),
    "instruction": Text("空欄にしてください（0 や記号は書きません）", "leave the cell empty"),
    "expected": "",
}
_PHONE_PLACEHOLDER = Text(
    "番号がないときは「-」などを書かず空欄にしてください。",
    "Leave the cell empty when there is no number.",
)
_PHONE_SHAPE = Text(
    "半角で市外局番から「0X-XXXX-XXXX」や「(0X)XXXX-XXXX」の形（10桁か11桁）で書いてください。",
    "Write it half-width with the area code, e.g. 0X-XXXX-XXXX (10 or 11 digits).",
)
_POSTAL_SHAPE = Text(
    "半角数字7桁（ハイフンなし、例: 1234567）で書いてください。",
    "Write 7 half-width digits without a hyphen, e.g. 1234567.",
)
_NO_HINT = Text("", "")
_NOT_A_POSTAL_CODE = Text("郵便番号の形ではありません", "is not a postal code")
_POSTAL_OTHER_WAY = Text(
    "郵便番号ですが、標準の書き方（半角数字7桁、ハイフンなし）ではありません",
    "is a postal code not written the standard way (7 digits, no hyphen)",
)
_NOT_A_PHONE = Text("電話番号の形ではありません", "is not a phone number")
_PHONE_OTHER_WAY = Text(
    "電話番号ですが、標準の書き方（半角、市外局番から「-」区切り）ではありません",
    "is a phone number not written the standard way (half-width, area code first, '-' between groups)",
)
_NOTE_TO_EXTENSION = Text("「内線番号」の列", "the 内線番号 column")
_NOTE_TO_REMARKS = Text("「備考」の列", "the 備考 column")
_SPACES = Text("空白", "spaces")
_IDEOGRAPHIC_SPACES = Text("全角スペース", "ideographic spaces (U+3000)")


def claimed_severity(col: Column) -> Severity:
    """A standard's format rule: an error in a column of the layout the file
    claims, a warning elsewhere (the value may be right, only written otherwise)."""
    return "error" if col.standard else "warning"


def _space_params(value: str, expected: str) -> dict[str, Any]:
    around = value[: len(value) - len(value.lstrip())] + value[len(value.rstrip()) :]
    return {"expected": expected, "space": _IDEOGRAPHIC_SPACES if "\u3000" in around else _SPACES}


def diagnoser(col: Column) -> Callable[[str], Diagnosis]:
    """The diagnosis function for the values of `col`."""
    if col.flag:
        return lambda v: _diagnose_flag(col, v)
    if col.role in ("latitude", "longitude"):
        return lambda v: _diagnose_coordinate(col, v)
    if col.numeric:
        return lambda v: _diagnose_number(col, v)
    if col.date:
        return lambda v: _diagnose_date_column(col, v)
    if col.code or col.role in ("url", "email"):
        return lambda v: _diagnose_code(col, v)
    return lambda v: _diagnose_text(col, v)


def model_dependent_params(chars: list[str]) -> dict[str, Any]:
    replacements = "、".join(
        f"「{c}」→「{r}」" if (r := jv.replacement_for(c)) != c else f"「{c}」→ 別の表記"
        for c in chars
    )
    return {"chars": "".join(chars), "replacements": replacements}


def _diagnose_flag(col: Column, value: str) -> Diagnosis:
    """`1`/blank is the 03 standard's way to write a flag (claimed severity)."""
    canonical = jv.canonical_flag(value)
    if canonical == value:
        return []
    severity = claimed_severity(col)
    if canonical == "1":
        return [(FLAG_VALUE, {**_FLAG_YES, "severity": severity})]
    if canonical == "":
        return [(FLAG_VALUE, {**_FLAG_NO, "severity": severity})]
    return [(FLAG_AMBIGUOUS, {"severity": severity})]


def _space_around(value: str) -> Diagnosis:
    """Spaces (also U+3000) around an otherwise clean number or code."""
    stripped = value.strip()
    if stripped != value and stripped and not re.search(f"{jv.RE_FULLWIDTH_ASCII}", stripped):
        return [(SURROUNDING_SPACE, _space_params(value, stripped))]
    return []


def _diagnose_coordinate(col: Column, value: str) -> Diagnosis:
    if space := _space_around(value):
        return space if jv.plain_number(value) else space + [(COORDINATE_NOT_NUMBER, {})]
    if re.search(jv.RE_FULLWIDTH_ASCII, value):
        return [(FULLWIDTH_CHARACTERS, {"expected": jv.to_halfwidth_code(value)})]
    if col.type not in NUMERIC_TYPES:  # typed columns: the schema's type check reports
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
            return [(SURROUNDING_SPACE, _space_params(value, number))]
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
        return [(NON_ISO_DATE, {"expected": converted, "severity": claimed_severity(col)})]
    if col.type in DATE_TYPES and not looks_like_date(text):
        return []  # the schema's type check reports it
    return [(INVALID_DATE, {})]


def looks_like_date(value: str) -> bool:
    text = value.strip()
    return bool(re.match(jv.RE_NON_ISO_DATE, text) or re.match(jv.RE_COMPACT_DATE, text))


def _diagnose_text(col: Column, value: str) -> Diagnosis:
    """Text cells. The spaces come first and the later rules' `expected` is
    computed on the value without them, so that `kokai fix` (which writes the
    last fixable `expected`) applies every fix of the cell."""
    out: Diagnosis = []
    text = value.strip()
    if col.person_name and "\u3000" in text:
        text = re.sub(r"\s+", " ", text.replace("\u3000", " ")).strip()
        out.append((IDEOGRAPHIC_SPACE, {"expected": text}))
    elif text != value:  # layout spaces around a name or a note (L1-06)
        out.append((SURROUNDING_SPACE, {**_space_params(value, text), "severity": "warning"}))
    if chars := jv.model_dependent_characters(value):
        out.insert(0, (MODEL_DEPENDENT_CHARACTER, model_dependent_params(chars)))
    if col.role == "kana" and re.search(KANA_SCREEN, text):
        out.append((KANA_FORMAT, {"expected": jv.to_katakana(text)}))
    if col.address and re.search(jv.RE_FULLWIDTH_DIGIT, text):
        out.append((FULLWIDTH_DIGITS_IN_TEXT, {"expected": jv.halfwidth_digits_in_text(text)}))
    if jv.is_wareki(text):
        iso = jv.to_iso_date(text)
        out.append((WAREKI_DATE, {"expected": iso}) if iso else (INVALID_DATE, {}))
    elif not jv.is_iso_date(text) and re.match(jv.RE_NON_ISO_DATE, text):
        if converted := jv.to_iso_date(text):
            out.append((NON_ISO_DATE, {"expected": converted, "severity": claimed_severity(col)}))
    return out


def _diagnose_code(col: Column, value: str) -> Diagnosis:
    """Code-like columns: full-width characters first, then the role's own rule
    on the half-width value (only when that is still wrong); spaces around an
    otherwise good value last."""
    out = _diagnose_code_value(col, value)
    if not out and value.strip() != value:
        out = [(SURROUNDING_SPACE, _space_params(value, value.strip()))]
    if chars := jv.model_dependent_characters(value):
        out.insert(0, (MODEL_DEPENDENT_CHARACTER, model_dependent_params(chars)))
    return out


def _diagnose_code_value(col: Column, value: str) -> Diagnosis:
    role = col.role
    half = jv.to_halfwidth_code(value)
    has_fullwidth = bool(re.search(f"{jv.RE_FULLWIDTH_ASCII}|[{jv.DASHES}]", value))
    if role == "phone":
        return _diagnose_phone(col, value, has_fullwidth)
    if role == "postal_code":
        digits = jv.postal_code_digits(value)
        out: Diagnosis = []
        if has_fullwidth:
            out.append((FULLWIDTH_CHARACTERS, {"expected": digits or half}))
        if not (has_fullwidth and digits):
            out.append((POSTAL_CODE_FORMAT, {**_postal_params(digits), "severity": claimed_severity(col)}))
        return out
    if role == "url":
        return [] if re.match(URL, value) else [(URL_FORMAT, _suggestion(value, URL))]
    if role == "email":
        return [] if re.match(EMAIL, value) else [(EMAIL_FORMAT, _suggestion(value, EMAIL))]
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


def _diagnose_phone(col: Column, value: str, has_fullwidth: bool) -> Diagnosis:
    text = value.strip()
    severity = claimed_severity(col)
    if text in _PLACEHOLDERS:
        return [(PHONE_FORMAT, {
            "problem": _NOT_A_PHONE, "hint": _PHONE_PLACEHOLDER, "expected": "", "severity": severity,
        })]  # fmt: skip
    if noted := jv.phone_note(text):
        number, note = noted
        where = _NOTE_TO_EXTENSION if "内線" in note else _NOTE_TO_REMARKS
        return [(PHONE_WITH_NOTE, {"expected": number, "note": note, "where": where})]
    if re.search(jv.RE_PHONE_SEVERAL, text):
        return [(PHONE_SEVERAL, {})]
    if re.match(jv.RE_PHONE, value):
        return []
    half = jv.to_halfwidth_code(value)
    if re.match(jv.RE_PHONE, half):
        if has_fullwidth:
            return [(FULLWIDTH_CHARACTERS, {"expected": half})]
        return [(SURROUNDING_SPACE, _space_params(value, half))]
    if standard := jv.phone_standard_form(value):
        if has_fullwidth:
            return [(FULLWIDTH_CHARACTERS, {"expected": standard})]
        return [(PHONE_FORMAT, {
            "problem": _PHONE_OTHER_WAY, "hint": _phone_hint(standard), "expected": standard,
            "severity": severity,
        })]  # fmt: skip
    return [(PHONE_FORMAT, {"problem": _NOT_A_PHONE, "hint": _PHONE_SHAPE, "severity": severity})]


def _phone_hint(standard: str) -> Text:
    return Text(f"「{standard}」と書いてください。", f"Write '{standard}'.")


def _postal_params(digits: str | None) -> dict[str, Any]:
    if digits:
        return {
            "problem": _POSTAL_OTHER_WAY,
            "expected": digits,
            "hint": Text(
                f"ハイフンや〒を付けず、半角数字7桁で「{digits}」と書いてください。",
                f"Write 7 half-width digits without hyphen: '{digits}'.",
            ),
        }
    return {"problem": _NOT_A_POSTAL_CODE, "hint": _POSTAL_SHAPE}


def _suggestion(value: str, pattern: str) -> dict[str, Any]:
    fixed = jv.to_halfwidth(value).strip()
    if fixed != value and re.match(pattern, fixed):
        return {"hint": Text(f"（例:「{fixed}」）", f" (e.g. '{fixed}')"), "expected": fixed}
    return {"hint": _NO_HINT}
