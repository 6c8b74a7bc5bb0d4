"""Field rules as data: `validate(data, schema, context) -> (clean, errors)`.

A schema (kokai/catalog/schema.py, as CKAN's logic/schema.py) maps a field
name to a list of validator functions run in order on the field's value:

    {"name": [not_empty, name_validator], "size": [ignore_missing, int_validator]}

A validator is `validator(value, step) -> value`; `step` carries the field's
`key`, the raw input `data`, the `clean` values validated so far (fields run in
schema order) and the action's `context`. A validator raises `Invalid(message)`
to record an error and stop the field, or `StopOnError` to stop it silently
(`ignore_missing`). `MISSING` is the value of a field the input lacks; a field
whose value is still MISSING at the end is left out of `clean`.

`Each(schema)` in a list validates every item of a list of dicts against a
sub-schema; its errors are a list aligned with the items (`{}` for good ones),
the shape CKAN gives `resources` and `tags` errors. The key `__extras` of a
schema holds validators for the dict of input keys the schema does not name
(none: those keys are dropped).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MISSING_VALUE = "Missing value"
NAME_CHARS = "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_"
NAME_RE = re.compile(r"[a-z0-9_\-]+")
ID_RE = re.compile(r"[A-Za-z0-9_\-]{1,100}")
TAG_RE = re.compile(r"[\w \-.]+", re.UNICODE)
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# Integers the database stores (BIGINT): limits, offsets, sizes and search
# numbers beyond are refused.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
CONTROL_CHARS = "Must not contain control characters (line breaks, tabs, ...)"
SURROGATES = "Must be valid Unicode text (it contains a lone surrogate)"
URL_SCHEMES = "Must be an http:// or https:// URL, or a relative link"


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


class Invalid(Exception):  # noqa: N818 (CKAN's name)
    """The field is wrong: `errors` is a list of messages (or of item error dicts)."""

    def __init__(self, errors: str | list):
        super().__init__(errors)
        self.errors = [errors] if isinstance(errors, str) else errors


class StopOnError(Exception):  # noqa: N818 (CKAN's name)
    """Stop the field's validators without an error."""


@dataclass
class Step:
    key: str
    data: dict
    clean: dict
    context: Any


Validator = Callable[[Any, Step], Any]
Schema = dict[str, Any]


class Each:
    """Validate every item of a list of dicts against `schema`."""

    def __init__(self, schema: Schema, not_a_dict: tuple[str, str] = ("__root", "Must be a dict")):
        self.schema = schema
        self.not_a_dict = not_a_dict

    def __call__(self, value: Any, step: Step) -> list[dict]:
        if not isinstance(value, list):
            raise Invalid("Not a list")
        items, problems = [], []
        for item in value:
            if not isinstance(item, dict):
                key, message = self.not_a_dict
                items.append({})
                problems.append({key: [message]})
                continue
            clean, errors = validate(item, self.schema, step.context)
            items.append(clean)
            problems.append(errors)
        if any(problems):
            raise Invalid(problems)
        return items


def validate(data: dict, schema: Schema, context: Any = None) -> tuple[dict, dict]:
    """Run each field's validators; (clean values, {field: [messages]})."""
    clean: dict[str, Any] = {}
    errors: dict[str, list] = {}
    for key, validators in schema.items():
        if key == "__extras":
            continue
        value = data.get(key, MISSING)
        step = Step(key, data, clean, context)
        try:
            for validator in validators:
                value = validator(value, step)
        except Invalid as exc:
            errors[key] = exc.errors
            continue
        except StopOnError:
            continue
        if value is not MISSING:
            clean[key] = value
    if "__extras" in schema:
        extras = {k: v for k, v in data.items() if k not in schema}
        step = Step("__extras", data, clean, context)
        try:
            for validator in schema["__extras"]:
                extras = validator(extras, step)
        except Invalid as exc:
            errors["__extras"] = exc.errors
        else:
            clean["__extras"] = extras
    return clean, errors


def has_surrogate(value: Any) -> bool:
    """Whether a lone surrogate hides in a string, a key or a nested value.
    JSON may carry "\\ud800", which no database stores and no UTF-8 encoder writes."""
    if isinstance(value, str):
        return SURROGATE_RE.search(value) is not None
    if isinstance(value, dict):
        return any(has_surrogate(k) or has_surrogate(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_surrogate(v) for v in value)
    return False


def surrogate_errors(data: dict) -> dict[str, list[str]]:
    """{field: [message]} for each top-level field holding a lone surrogate."""
    errors: dict[str, list[str]] = {}
    search = SURROGATE_RE.search
    for key, value in data.items():
        if type(value) is str and type(key) is str and not search(value) and not search(key):
            continue  # the common case, answered without a call
        if has_surrogate(value) or has_surrogate(key):
            errors["__root" if has_surrogate(key) else key] = [SURROGATES]
    return errors


# ---------------------------------------------------------------- generic validators


def ignore_missing(value: Any, step: Step) -> Any:
    """Stop when the field is absent or None (CKAN's ignore_missing)."""
    if value is MISSING or value is None:
        raise StopOnError
    return value


def ignore_empty(value: Any, step: Step) -> Any:
    """Stop when the field is absent, None or "" (CKAN's ignore_empty)."""
    if value is MISSING or value is None or value == "":
        raise StopOnError
    return value


def ignore_absent(value: Any, step: Step) -> Any:
    """Stop when the key is absent (None is kept: it clears the field)."""
    if value is MISSING:
        raise StopOnError
    return value


def max_length(limit: int) -> Validator:
    def shorter_than(value: Any, step: Step) -> Any:
        if isinstance(value, str) and len(value) > limit:
            raise Invalid(f"Must be at most {limit} characters")
        return value

    return shorter_than


def not_empty(value: Any, step: Step) -> Any:
    if value is MISSING or value is None or value == "" or value == []:
        raise Invalid(MISSING_VALUE)
    return value


def to_none(value: Any, step: Step) -> Any:
    """An absent field becomes None (a full update clears what it omits)."""
    return None if value is MISSING else value


def default(fallback: Any) -> Validator:
    def default_value(value: Any, step: Step) -> Any:
        return fallback if value is MISSING or value is None or value == "" else value

    return default_value


def text(value: Any, step: Step) -> Any:
    """None or a string; numbers become strings (CKAN's unicode_safe)."""
    if value is MISSING or value is None or isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid("Must be a string")
    return str(value)


def string(value: Any, step: Step) -> Any:
    if not isinstance(value, str):
        raise Invalid("Must be a string")
    return value


def no_control_chars(value: Any, step: Step) -> Any:
    """For values that end up in HTTP headers (Content-Type, Location, file names)."""
    if isinstance(value, str) and CONTROL_RE.search(value):
        raise Invalid(CONTROL_CHARS)
    return value


def url_validator(value: Any, step: Step) -> Any:
    """http, https or a relative link; never javascript:, data:, vbscript: ...
    Browsers ignore leading blanks and drop tabs and line breaks inside a
    scheme, so control characters are refused and blanks stripped first."""
    if not isinstance(value, str) or value == "":
        return value
    if CONTROL_RE.search(value):
        raise Invalid(CONTROL_CHARS)
    scheme = SCHEME_RE.match(value.strip(" "))
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        raise Invalid(URL_SCHEMES)
    return value


def asbool(value: Any, default: bool = False) -> bool:
    """CKAN's asbool: "true", "1", "yes", "on", "t", "y" (any case) are true;
    None and "" are `default`."""
    if value is MISSING or value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "on", "t", "y")


def boolean(value: Any, step: Step) -> bool:
    """CKAN's boolean_validator; lists and dicts are refused."""
    if isinstance(value, list | dict):
        raise Invalid("Must be a boolean")
    return asbool(value)


def flag(fallback: bool) -> Validator:
    """A lenient boolean, as CKAN's asbool reads list options ("true", "1", "yes", "on")."""

    def to_flag(value: Any, step: Step) -> bool:
        return asbool(value, fallback)

    return to_flag


def int_validator(value: Any, step: Step) -> int:
    if isinstance(value, bool):
        raise Invalid("Invalid integer")
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise Invalid("Invalid integer") from exc
    if not INT64_MIN <= number <= INT64_MAX:
        raise Invalid(f"Must be at most {INT64_MAX}")
    return number


def natural_number(value: Any, step: Step) -> int:
    number = int_validator(value, step)
    if number < 0:
        raise Invalid("Must be a natural number")
    return number


def isodate(value: Any, step: Step) -> datetime:
    """An ISO 8601 date or datetime, stored as naive UTC."""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError as exc:
        raise Invalid("Date format incorrect") from exc


def one_of(choices: tuple[str, ...], message: str) -> Validator:
    def in_choices(value: Any, step: Step) -> Any:
        if value not in choices:
            raise Invalid(message)
        return value

    return in_choices


def name_validator(value: Any, step: Step) -> str:
    """2–100 characters, lowercase ASCII letters, digits, - and _ (the whole value)."""
    if not isinstance(value, str):
        raise Invalid("Must be a string")
    problems = []
    if len(value) < 2:
        problems.append(f'Name "{value}" length is less than minimum 2')
    if len(value) > 100:
        problems.append(f'Name "{value}" length is more than maximum 100')
    if not NAME_RE.fullmatch(value):
        problems.append(NAME_CHARS)
    if problems:
        raise Invalid(problems)
    return value


def id_validator(value: Any, step: Step) -> str:
    if not isinstance(value, str) or not ID_RE.fullmatch(value):
        raise Invalid("Invalid id")
    return value


def tag_name_validator(value: Any, step: Step) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(MISSING_VALUE)
    name = value.strip()
    if len(name) < 2:
        raise Invalid(f'Tag "{name}" length is less than minimum 2')
    if len(name) > 100:
        raise Invalid(f'Tag "{name}" length is more than maximum 100')
    if not TAG_RE.fullmatch(name):
        raise Invalid(f'Tag "{name}" must be alphanumeric characters or symbols: -_.')
    return name
