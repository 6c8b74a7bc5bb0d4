"""Strict decoding of what a client sends (query strings, form and JSON bodies).

Input that is not what the formats allow becomes an `InputError`, which the
HTTP layer answers as CKAN does, with a 400 "Bad request: ..." string:

- query strings and form bodies must be UTF-8 once percent-decoded
  (``%ED%A0%80``, an encoded surrogate, is not);
- JSON must be JSON: ``NaN``, ``Infinity``, ``-Infinity`` and numbers that
  overflow to infinity (``1e999``) are refused;
- nested lists and objects may be at most `MAX_DEPTH` levels deep (the
  request dict itself is level 1); the catalog's code walks values
  recursively, and no CKAN dataset needs more;
- no string, key or value, may hold a lone surrogate (``"\\ud800"`` as a JSON
  escape): it cannot be stored or encoded as UTF-8.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any
from urllib.parse import parse_qsl

MAX_DEPTH = 100
_SURROGATE = re.compile("[\ud800-\udfff]")


class InputError(ValueError):
    """The request's data cannot be decoded (answered with HTTP 400)."""


_DIGITS = re.compile(r"[0-9]+")


def declared_length(value: str | None) -> int | None:
    """A Content-Length value as an int; None when missing or not ASCII digits
    ("²".isdigit() is true); 5,000 digits read as 10**18 (too large), not a ValueError."""
    value = (value or "").strip()
    if not _DIGITS.fullmatch(value):
        return None
    return int(value) if len(value) <= 18 else 10**18


def parse_pairs(query: str) -> list[tuple[str, str]]:
    """``a=1&b=2`` → pairs, percent-decoded as strict UTF-8."""
    try:
        return parse_qsl(query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as exc:
        raise InputError(f"Invalid UTF-8 in the query string or form data: {exc.reason}") from exc


def decode_form(body: bytes) -> list[tuple[str, str]]:
    """An ``application/x-www-form-urlencoded`` body → pairs (strict UTF-8)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"Invalid UTF-8 in the form data: {exc.reason}") from exc
    return parse_pairs(text)


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:50]} is out of range")
    return value


def loads(body: bytes | str) -> Any:
    """Standard JSON only, then `check` (depth, surrogates). ValueError → InputError."""
    try:
        value = json.loads(body, parse_constant=_constant, parse_float=_finite_float)
    except RecursionError as exc:
        raise InputError(f"JSON nested more than {MAX_DEPTH} levels deep") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"JSON Error: Error decoding JSON data. Error: {exc!r}") from exc
    check(value)
    return value


def check(value: Any, depth: int = 1) -> None:
    """Raise InputError when `value` nests deeper than MAX_DEPTH (counting from
    `depth`) or holds a string with a lone surrogate. Iterative: no recursion."""
    stack: list[tuple[Any, int]] = [(value, depth)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and _SURROGATE.search(item):
                raise InputError("Invalid string: a lone UTF-16 surrogate (e.g. \\ud800)")
        elif isinstance(item, dict | list | tuple):
            if level > MAX_DEPTH:
                raise InputError(f"JSON nested more than {MAX_DEPTH} levels deep")
            if isinstance(item, dict):
                for key, child in item.items():
                    stack.append((key, level))
                    stack.append((child, level + 1))
            else:
                stack.extend((child, level + 1) for child in item)
