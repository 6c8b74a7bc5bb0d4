"""package_search parameters → `SearchRequest`, validated as CKAN does.

- Unknown parameters are a `SearchQueryError` (400); bad values of known
  ones a `ValidationError` (409) keyed by parameter, with CKAN's messages.
- `rows`, `start`, `facet.limit`, `facet.mincount` are integers: a string of
  digits or a whole number. Fractions, NaN, ±Infinity and anything outside a
  signed 64-bit integer (≥ 2**63) are "Invalid integer" (CKAN's
  int_validator); negatives (but for facet.limit) "Must be a natural
  number". `rows` is then capped at ROWS_MAX (1000) as CKAN's
  `ckan.search.rows_max`; a `start` past the results gives an empty page.
- Text parameters (q, fq, fq_list, sort, facet.field, fl) must be valid
  Unicode: a lone surrogate ("\\ud800", possible in JSON) is a
  `SearchQueryError` before it can reach the database or the JSON encoder.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from kokai.catalog.errors import SearchQueryError, ValidationError
from kokai.catalog.validation import INT64_MAX, INT64_MIN, asbool

ROWS_MAX = 1000
DEFAULT_SORT = "score desc, metadata_modified desc"
SEARCH_PARAMS = {
    "q", "fq", "fq_list", "sort", "rows", "start", "facet", "facet.field", "facet.limit",
    "facet.mincount", "fl", "include_private", "include_drafts", "include_deleted",
    "use_default_schema", "qf", "wt", "bf", "boost", "tie", "defType", "mm", "df",
}  # fmt: skip


@dataclass
class SearchRequest:
    q: str = ""
    fq: list[str] = field(default_factory=list)
    sort: str = DEFAULT_SORT
    rows: int = 10
    start: int = 0
    facet_fields: list[str] = field(default_factory=list)
    facet_limit: int = 50
    facet_mincount: int = 1
    fl: list[str] | None = None
    include_private: bool = False
    include_drafts: bool = False
    include_deleted: bool = False


def _integer(value: Any) -> int | None:
    """A whole number within 64 bits, or None."""
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if math.isfinite(value) and value.is_integer() else None
    else:
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = None
    if number is None or not INT64_MIN <= number <= INT64_MAX:
        return None
    return number


def _as_int(errors: dict, key: str, value: Any, default: int, minimum: int | None = 0) -> int:
    if value is None or value == "":
        return default
    number = _integer(value)
    if number is None:
        errors[key] = ["Invalid integer"]
        return default
    if minimum is not None and number < minimum:
        errors[key] = ["Must be a natural number"]
    return number


def _as_list(errors: dict, key: str, value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except ValueError:
                errors[key] = ["Not a list"]
                return []
        else:
            return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors[key] = ["Not a list of strings"]
        return []
    return value


def _check_unicode(key: str, values: list[str]) -> None:
    for value in values:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise SearchQueryError(
                f"Search Query is invalid: {key} is not valid Unicode (a lone surrogate)"
            ) from exc


def parse_search_request(data: dict) -> SearchRequest:
    unknown = sorted(k for k in data if k not in SEARCH_PARAMS and not k.startswith("ext_"))
    if unknown:
        _check_unicode("a parameter name", unknown)
        raise SearchQueryError(f"Invalid search parameters: {unknown}")
    errors: dict[str, list[str]] = {}
    q = data.get("q") or ""
    if not isinstance(q, str):
        errors["q"] = ["Must be a string"]
        q = ""
    fq_value = data.get("fq") or ""
    if isinstance(fq_value, list):  # a repeated fq parameter
        fq = [v for v in fq_value if isinstance(v, str)]
    elif isinstance(fq_value, str):
        fq = [fq_value] if fq_value.strip() else []
    else:
        errors["fq"] = ["Must be a string"]
        fq = []
    fq.extend(_as_list(errors, "fq_list", data.get("fq_list")))
    sort = data.get("sort") or DEFAULT_SORT
    if not isinstance(sort, str):
        errors["sort"] = ["Must be a string"]
        sort = DEFAULT_SORT
    if sort.strip() == "rank":
        sort = DEFAULT_SORT
    rows = min(_as_int(errors, "rows", data.get("rows"), 10), ROWS_MAX)
    start = _as_int(errors, "start", data.get("start"), 0)
    facet_on = asbool(data.get("facet", "true"))
    facet_fields = _as_list(errors, "facet.field", data.get("facet.field")) if facet_on else []
    facet_limit = _as_int(errors, "facet.limit", data.get("facet.limit"), 50, minimum=None)
    facet_mincount = _as_int(errors, "facet.mincount", data.get("facet.mincount"), 1)
    fl_value = data.get("fl")
    fl = None
    if fl_value:
        if not isinstance(fl_value, str):
            errors["fl"] = ["Must be a string"]
        else:
            fl = [f for f in re.split(r"[,\s]+", fl_value) if f]
    _check_unicode("q", [q])
    _check_unicode("fq", fq)
    _check_unicode("sort", [sort])
    _check_unicode("facet.field", facet_fields)
    _check_unicode("fl", fl or [])
    if errors:
        raise ValidationError(errors)
    return SearchRequest(
        q=q,
        fq=fq,
        sort=sort,
        rows=rows,
        start=start,
        facet_fields=facet_fields,
        facet_limit=facet_limit,
        facet_mincount=facet_mincount,
        fl=fl,
        include_private=asbool(data.get("include_private", False)),
        include_drafts=asbool(data.get("include_drafts", False)),
        include_deleted=asbool(data.get("include_deleted", False)),
    )
