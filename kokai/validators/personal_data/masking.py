"""Keep personal values out of the whole report, not only out of the
personal-data findings: a report is printed in CI logs and pull requests,
so a `fullwidth_characters` finding that quoted a person's ４桁 phone number
or a `kana_format` finding that quoted their name would publish what the
check is there to stop.

After a table's checks, `redact` rewrites the other findings of that table:
- in a column the check flagged as personal (a personal_data_column, or a
  column of 個人番号), a cell finding's value and the parameters that repeat
  it (expected, new, …) are masked (`山***`);
- anywhere, an address at a personal mail service or a 個人番号 after the word
  個人番号 / マイナンバー inside a value or parameter is masked in place
  (`連絡は t***@gmail.com まで`).
Only the cells' text changes; code, severity, row and field stay, so the
report's counts are untouched."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from kokai.validators.personal_data.cells import (
    NEEDLES,
    RE_EMAIL,
    RE_KEYWORD_NUMBER,
    mask_email,
    mask_number,
    mask_text,
)
from kokai.validators.personal_data.rules import (
    PERSONAL_DATA_COLUMN,
    PERSONAL_EMAIL,
    PERSONAL_NUMBER,
)
from kokai.validators.report import Finding, Text
from kokai.vocab.checkdigits import is_valid_kojin_bangou
from kokai.vocab.mail_domains import personal_mail_service

PERSONAL_CODES = {r.code for r in (PERSONAL_DATA_COLUMN, PERSONAL_NUMBER, PERSONAL_EMAIL)}
# parameters that hold the cell's value, or the value rewritten (the fix to write)
VALUE_PARAMS = {"value", "expected", "new", "body", "base", "suffix"}
_EMAIL = re.compile(RE_EMAIL)
_NEEDLE = re.compile("|".join(map(re.escape, NEEDLES)))
_KEYWORD_NUMBER = re.compile(RE_KEYWORD_NUMBER)
_FULLWIDTH = str.maketrans({chr(0xFF01 + i): chr(0x21 + i) for i in range(94)})


def _digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", text.translate(_FULLWIDTH))


def mask_in_text(text: str) -> str:
    """`text` with personal e-mail addresses and worded 個人番号 masked in place."""
    if "@" in text or "＠" in text:
        half = text.translate(_FULLWIDTH)  # one character for one: the positions hold
        pieces, last = [], 0
        for m in _EMAIL.finditer(half):
            if personal_mail_service(m.group(0).rpartition("@")[2]):
                pieces += [text[last : m.start()], mask_email(m.group(0))]
                last = m.end()
        text = "".join(pieces) + text[last:]
    if "個人番号" in text or "マイナンバー" in text:
        def number(m: re.Match) -> str:
            digits = _digits(m.group(1))
            if not is_valid_kojin_bangou(digits):
                return m.group(0)
            return m.group(0).replace(m.group(1), mask_number(digits))

        text = _KEYWORD_NUMBER.sub(number, text)
    return text


def personal_columns(personal: list[Finding]) -> set[str]:
    """Columns whose every cell is personal: flagged by name, or columns of 個人番号."""
    out = set()
    for f in personal:
        if f.field is None:
            continue
        if f.rule is PERSONAL_DATA_COLUMN:
            out.add(f.field)
        elif f.rule is PERSONAL_NUMBER and f.params.get("basis") != "keyword":
            out.add(f.field)
    return out


def _mask_param(name: str, value: Any, raw: str | None, whole: bool) -> Any:
    if isinstance(value, str):
        if whole and name in VALUE_PARAMS:
            return mask_text(value)
        if whole and raw and raw in value:
            value = value.replace(raw, mask_text(raw))
        return mask_in_text(value)
    if isinstance(value, Text):
        return Text(_mask_param(name, value.ja, raw, whole), _mask_param(name, value.en, raw, whole))
    return value


def _may_hold(value: Any) -> bool:
    """True when `value` could hold an address or a worded 個人番号 (a quick test)."""
    if isinstance(value, str):
        return _NEEDLE.search(value) is not None
    return isinstance(value, Text) and (_NEEDLE.search(value.ja) or _NEEDLE.search(value.en)) is not None


def redact_finding(f: Finding, whole: bool) -> Finding:
    """The finding with its personal text masked (the same object when there is none)."""
    if not whole and not _may_hold(f.value) and not any(_may_hold(v) for v in f.params.values()):
        return f
    raw = f.value
    value = (mask_text(raw) if whole else mask_in_text(raw)) if raw else raw
    params = {k: _mask_param(k, v, raw if raw and len(raw.strip()) > 1 else None, whole) for k, v in f.params.items()}
    if value == raw and params == f.params:
        return f
    return dataclasses.replace(f, value=value, params=params)


def redact(findings: list[Finding], start: int, personal: list[Finding], header_line: int = 1) -> None:
    """Mask personal text in `findings[start:]` (one table's findings) in place."""
    columns = personal_columns(personal)
    for i in range(start, len(findings)):
        f = findings[i]
        if f.code in PERSONAL_CODES:
            continue
        whole = f.field in columns and f.row is not None and f.row > header_line
        new = redact_finding(f, whole)
        if new is not f:
            findings[i] = new
