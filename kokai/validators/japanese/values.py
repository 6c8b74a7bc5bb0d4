"""Normalisers for Japanese values, shared by the value rules (this package) and
`kokai fix` (fix.py): wareki and other non-ISO dates to ISO 8601, full-width
to half-width, flag symbols to the 03 convention (`1` / blank), numbers with
units, postal codes and 機種依存文字.

Each normaliser works on one string and returns the fixed value or None when
it cannot decide; callers apply them to the unique failing values only, so
they never loop over every row. The regular expressions (RE_*) are written
for polars' Rust regex engine too, so the same text finds the failing cells.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

# --- full-width / half-width ---------------------------------------------------

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space, mapped one to one.
FULLWIDTH_ASCII = [chr(0xFF01 + i) for i in range(94)]
HALFWIDTH_ASCII = [chr(0x21 + i) for i in range(94)]
FULLWIDTH_DIGITS = "０１２３４５６７８９"
_TO_HALF_DIGITS = str.maketrans(FULLWIDTH_DIGITS, "0123456789")
_TO_HALF_ASCII = str.maketrans("".join(FULLWIDTH_ASCII) + "\u3000", "".join(HALFWIDTH_ASCII) + " ")
# Dash-like characters people type for the hyphen in phone numbers, postal codes
# and house numbers (full-width hyphen, minus, long vowel mark, dashes).
DASHES = "－−‐‑‒–—―ーｰ"
_TO_HYPHEN = str.maketrans(DASHES, "-" * len(DASHES))

RE_FULLWIDTH_ALNUM = r"[０-９Ａ-Ｚａ-ｚ]"
RE_FULLWIDTH_DIGIT = r"[０-９]"
RE_FULLWIDTH_ASCII = r"[！-～]"


def to_halfwidth(text: str) -> str:
    """Full-width ASCII letters, digits and symbols to half-width (what NFKC does
    to them, without touching kana or 機種依存文字)."""
    return text.translate(_TO_HALF_ASCII)


def to_halfwidth_code(text: str) -> str:
    """For code and number columns: half-width, dashes as '-', no surrounding space."""
    return to_halfwidth(text).translate(_TO_HYPHEN).strip()


_DASH_BETWEEN_DIGITS = re.compile(rf"(?<=[0-9])[{DASHES}](?=[0-9])")


def halfwidth_digits_in_text(text: str) -> str:
    """For addresses and place names: only the digits and the dashes between
    digits become half-width (`鶴甲３－11` → `鶴甲3-11`); everything else stays."""
    return _DASH_BETWEEN_DIGITS.sub("-", text.translate(_TO_HALF_DIGITS))


def to_katakana(text: str) -> str:
    """Hiragana and half-width katakana to full-width katakana (読み仮名 columns)."""
    text = unicodedata.normalize("NFKC", text) if re.search("[ｦ-ﾟ]", text) else text
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


# --- dates ------------------------------------------------------------------------

ERAS = {"明治": 1868, "大正": 1912, "昭和": 1926, "平成": 1989, "令和": 2019}
ERA_LETTERS = {"M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}

_D = "[0-9０-９]"
# 令和5年4月1日 / 令和元年5月 / 平成31年 (optional spaces, full-width digits allowed)
RE_WAREKI_KANJI = (
    rf"^\s*(明治|大正|昭和|平成|令和)\s*({_D}{{1,2}}|元)\s*年"
    rf"(?:\s*({_D}{{1,2}})\s*月(?:\s*({_D}{{1,2}})\s*日)?)?\s*$"
)
# R5.4.1 / H31.4.30 / R元.5.1 / R5/4/1
RE_WAREKI_LETTER = (
    rf"^\s*([MTSHRmtshr])\s*({_D}{{1,2}}|元)[./\-]({_D}{{1,2}})[./\-]({_D}{{1,2}})\s*$"
)
# 2023/4/1, 2023.4.1, 2023-4-1 (not zero-padded), 2023年4月1日, 2023年4月, optional time
_TIME = rf"(?:\s+({_D}{{1,2}})[:：]({_D}{{2}})(?:[:：]({_D}{{2}}))?)?"
RE_WESTERN_SEPARATED = (
    rf"^\s*({_D}{{4}})[/.\-／．－]({_D}{{1,2}})[/.\-／．－]({_D}{{1,2}}){_TIME}\s*$"
)
RE_WESTERN_KANJI = rf"^\s*({_D}{{4}})\s*年\s*({_D}{{1,2}})\s*月(?:\s*({_D}{{1,2}})\s*日)?\s*$"
RE_COMPACT_DATE = r"^\s*([0-9]{4})([0-9]{2})([0-9]{2})\s*$"  # 20230401: only in date columns
RE_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?$"
# Any of the date shapes kokai converts, for one vectorised contains() per column.
RE_WAREKI = f"(?:{RE_WAREKI_KANJI})|(?:{RE_WAREKI_LETTER})"
RE_NON_ISO_DATE = f"(?:{RE_WESTERN_SEPARATED})|(?:{RE_WESTERN_KANJI})"

_wareki_kanji = re.compile(RE_WAREKI_KANJI)
_wareki_letter = re.compile(RE_WAREKI_LETTER)
_western_sep = re.compile(RE_WESTERN_SEPARATED)
_western_kanji = re.compile(RE_WESTERN_KANJI)
_compact = re.compile(RE_COMPACT_DATE)
_iso = re.compile(RE_ISO_DATE)


def _iso_of(year: int, month: int | None, day: int | None) -> str | None:
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}" if 1 <= month <= 12 else None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _int(text: str | None) -> int | None:
    return None if text is None else int(text.translate(_TO_HALF_DIGITS))


def _era_year(era: str, year_text: str) -> int:
    n = 1 if year_text == "元" else _int(year_text)
    return ERAS[era] + n - 1


def is_wareki(text: str) -> bool:
    return bool(_wareki_kanji.match(text) or _wareki_letter.match(text))


def is_iso_date(text: str) -> bool:
    return bool(_iso.match(text))


@lru_cache(maxsize=65536)
def to_iso_date(text: str, compact: bool = False) -> str | None:
    """The ISO 8601 form of a wareki or other non-ISO date, or None.

    `令和5年4月1日` → `2023-04-01`, `R元.5.1` → `2019-05-01`, `平成31年` → `2019`,
    `2023/4/1` → `2023-04-01`, `2023年4月` → `2023-04`, `2023/4/1 9:05` →
    `2023-04-01T09:05:00`; `20230401` only when `compact` (a date column)."""
    if m := _wareki_kanji.match(text):
        return _iso_of(_era_year(m[1], m[2]), _int(m[3]), _int(m[4]))
    if m := _wareki_letter.match(text):
        era = ERA_LETTERS[m[1].upper()]
        return _iso_of(_era_year(era, m[2]), _int(m[3]), _int(m[4]))
    if m := _western_sep.match(text):
        day = _iso_of(_int(m[1]), _int(m[2]), _int(m[3]))
        if day is None or m[4] is None:
            return day
        hour, minute, second = _int(m[4]), _int(m[5]), _int(m[6]) or 0
        if hour > 23 or minute > 59 or second > 59:
            return None
        return f"{day}T{hour:02d}:{minute:02d}:{second:02d}"
    if m := _western_kanji.match(text):
        return _iso_of(_int(m[1]), _int(m[2]), _int(m[3]))
    if compact and (m := _compact.match(text)):
        return _iso_of(int(m[1]), int(m[2]), int(m[3]))
    return None


# --- flags (災害種別_*, 指定避難所との重複) -----------------------------------------

# The 03 convention: "1" = applies, "" = does not. Symbols seen in real files
# map without doubt; anything else (△ = "partly", free text) needs a person.
FLAG_TRUE = frozenset(
    {"○", "◯", "〇", "◎", "●", "1.0", "1.00", "１", "有", "有り", "あり", "はい",
     "TRUE", "True", "true", "Yes", "yes", "YES", "Y", "✓", "✔"}
)  # fmt: skip
FLAG_FALSE = frozenset(
    {"×", "✕", "✖", "0", "0.0", "0.00", "０", "-", "－", "―", "ー", "‐", "−", "無", "無し",
     "なし", "いいえ", "FALSE", "False", "false", "No", "no", "NO", "N"}
)  # fmt: skip
FLAG_VOCABULARY = FLAG_TRUE | FLAG_FALSE | {"1", "", "△", "▲"}


def canonical_flag(text: str) -> str | None:
    """'1' or '' for a flag symbol with one meaning; None when a person must decide."""
    value = text.strip()
    if value in ("1", ""):
        return value
    if value in FLAG_TRUE:
        return "1"
    if value in FLAG_FALSE:
        return ""
    return None


# --- numbers ---------------------------------------------------------------------

UNITS = (
    "階", "F", "人", "名", "ｍ", "m", "メートル", "ｍ2", "m2", "㎡", "平方メートル", "km", "ｋｍ",
    "台", "件", "箇所", "か所", "ヶ所", "カ所", "円", "世帯", "戸", "歳", "才", "室", "棟", "床",
    "畳", "ha", "%", "％", "t", "kg", "分", "時間", "日", "年",
)  # fmt: skip
_UNIT_ALT = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
_NUM = r"[+\-－]?[0-9０-９][0-9０-９,，]*(?:[.．][0-9０-９]+)?"
# A whole cell that is a number followed by a unit: 3階, 16人, 9ｍ, 1,200人
RE_NUMBER_WITH_UNIT = rf"^\s*({_NUM})\s*({_UNIT_ALT})\s*$"
# A plain number with thousands separators: 1,200
RE_THOUSANDS = r"^\s*[+\-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?\s*$"
# A cell that is a number in any spelling kokai can read (for "is this column numeric?")
RE_NUMBERISH = rf"^\s*{_NUM}\s*(?:{_UNIT_ALT})?\s*$"
RE_PLAIN_NUMBER = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"

_number_with_unit = re.compile(RE_NUMBER_WITH_UNIT)
_plain_number = re.compile(RE_PLAIN_NUMBER)


def split_number_unit(text: str) -> tuple[str, str] | None:
    """'3階' → ('3', '階'); '1,200人' → ('1200', '人'); '９ｍ' → ('9', 'm'); else None."""
    m = _number_with_unit.match(text)
    if not m:
        return None
    number = to_halfwidth_code(m[1]).replace(",", "")
    if not _plain_number.match(number):
        return None
    return number, to_halfwidth(m[2])


def plain_number(text: str) -> str | None:
    """The half-width number without separators ('１，２００' → '1200'), or None."""
    number = to_halfwidth_code(text).replace(",", "")
    return number if _plain_number.match(number) else None


# --- postal codes, phone numbers ----------------------------------------------------


def postal_code_digits(text: str) -> str | None:
    """'123-4567' / '〒１２３－４５６７' → '1234567'; None when not 7 digits."""
    digits = to_halfwidth_code(text).lstrip("〒").strip().replace("-", "")
    return digits if re.fullmatch(r"[0-9]{7}", digits) else None


# Japanese phone shapes with the exact digit counts: 10-digit fixed lines
# 0A-B-XXXX (area + local = 5 digits after the 0, written 0X-XXXX-XXXX,
# (0X)XXXX-XXXX, ...), 11-digit mobile/IP 0X0-XXXX-XXXX, toll-free 0120/0800/0570,
# or the same digits without hyphens.
RE_PHONE = (
    r"^(?:0(?:[0-9]-[0-9]{4}|[0-9]{2}-[0-9]{3}|[0-9]{3}-[0-9]{2}|[0-9]{4}-[0-9])-[0-9]{4}"
    r"|\(0(?:[0-9]\)\s?[0-9]{4}|[0-9]{2}\)\s?[0-9]{3}|[0-9]{3}\)\s?[0-9]{2}|[0-9]{4}\)\s?[0-9])-[0-9]{4}"
    r"|0[5789]0-[0-9]{4}-[0-9]{4}|0120-[0-9]{3}-[0-9]{3}|0570-[0-9]{3}-[0-9]{3}|0800-[0-9]{3}-[0-9]{4}"
    r"|0[0-9]{9}|0[5789]0[0-9]{8}|0800[0-9]{7})$"
)
# Separators that put two numbers (or a note) in one cell: 、 / ・ ; 改行 (昼) (夜)
RE_PHONE_SEVERAL = (
    r"[、,，/／;；・\n]|[(（][^)）]*[^0-9\s\-)）][^)）]*[)）]|[0-9][\s\u3000]+[(（]?0[0-9]"
)
_phone = re.compile(RE_PHONE)


def normalised_phone(text: str) -> str | None:
    """The phone number in half-width with '-' when that makes it valid, else None."""
    value = to_halfwidth_code(text).replace(" ", "")
    return value if _phone.match(value) else None


_PHONE_GROUP_SEPARATORS = re.compile(r"[.．・\s\u3000]+")
_PHONE_PAREN_MIDDLE = re.compile(r"^(0[0-9]{1,4})\(([0-9]{1,4})\)([0-9]{4})$")


def phone_standard_form(text: str) -> str | None:
    """A phone number written another way in the standard form: `078.331.8181`,
    `078 331 8181` → `078-331-8181`, `078(331)8181` → `078-331-8181`; None when
    the text is no phone number in any writing kokai knows."""
    value = _PHONE_GROUP_SEPARATORS.sub("-", to_halfwidth_code(text))
    value = _PHONE_PAREN_MIDDLE.sub(r"\1-\2-\3", value)
    return value if _phone.match(value) else None


# One number and a note: 078-331-8181（代）, 0883-64-3111(内線12), 078-803-5921(昼),
# 0883-64-3111 内線12. The note holds at least one character that is not a digit.
_PHONE_NOTE = re.compile(
    r"^(?P<number>[0-9０-９(（][0-9０-９()（）\-－−‐―ー\s\u3000]*?[0-9０-９])[\s\u3000]*"
    r"(?:[(（](?P<paren>[^()（）]*[^0-9０-９\s()（）\-][^()（）]*)[)）]"
    r"|(?P<plain>(?:内線|代表|代|直通|夜間|昼間|FAX|ＦＡＸ|ファクス)[^、,，/／;；\n]*))[\s\u3000]*$"
)


_ANOTHER_NUMBER = re.compile(r"[0-9０-９]{2,}[\-－−‐)）][0-9０-９]")


def phone_note(text: str) -> tuple[str, str] | None:
    """(the number in its half-width form, the note) when `text` is one phone
    number followed by a note, else None."""
    m = _PHONE_NOTE.match(text.strip())
    if not m or _ANOTHER_NUMBER.search(m["paren"] or m["plain"]):
        return None  # 053-431-2111（夜間 053-431-2119）: two numbers, not a note
    number = normalised_phone(m["number"]) or phone_standard_form(m["number"])
    if number is None:
        return None
    return number, (m["paren"] or m["plain"]).strip()


# --- 機種依存文字 (L1-08) -------------------------------------------------------------


def _model_dependent_characters() -> str:
    """Characters of the NEC special row (0x8740–0x879C) and the IBM extension
    Roman numerals (0xFA40–0xFA53) of CP932 that strict Shift_JIS (JIS X 0208)
    cannot encode: ①, Ⅰ, ㈱, №, ㎡, ㍻ ... ."""
    chars = []
    for lead, first, last in ((0x87, 0x40, 0x9C), (0xFA, 0x40, 0x53)):
        for trail in range(first, last + 1):
            try:
                ch = bytes([lead, trail]).decode("cp932")
            except UnicodeDecodeError:
                continue
            try:
                ch.encode("shift_jis")
            except UnicodeEncodeError:
                chars.append(ch)
    return "".join(dict.fromkeys(chars))


MODEL_DEPENDENT = _model_dependent_characters()
RE_MODEL_DEPENDENT = "[" + "".join(re.escape(c) for c in MODEL_DEPENDENT) + "]"
_model_dependent = re.compile(RE_MODEL_DEPENDENT)
# Replacements that keep the meaning better than NFKC alone.
_MODEL_DEPENDENT_REPLACEMENTS = {"№": "No.", "℡": "TEL", "㈱": "(株)", "㈲": "(有)", "㈹": "(代)"}


def model_dependent_characters(text: str) -> list[str]:
    return list(dict.fromkeys(_model_dependent.findall(text)))


def replacement_for(ch: str) -> str:
    """What to write instead of a 機種依存文字: ① → (1), Ⅲ → III, ㎡ → m2, № → No."""
    if ch in _MODEL_DEPENDENT_REPLACEMENTS:
        return _MODEL_DEPENDENT_REPLACEMENTS[ch]
    nfkc = unicodedata.normalize("NFKC", ch)
    if "CIRCLED" in unicodedata.name(ch, "") and nfkc.isdigit():
        return f"({nfkc})"
    return nfkc
