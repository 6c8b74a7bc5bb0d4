"""validate(data, schema, context): field rules as data."""

from __future__ import annotations

import pytest

from kokai.catalog.schema import resource_schema
from kokai.catalog.validation import (
    Each,
    default,
    ignore_missing,
    int_validator,
    name_validator,
    not_empty,
    surrogate_errors,
    url_validator,
    validate,
)


def test_fields_run_their_validators_in_order():
    schema = {
        "name": [not_empty, name_validator],
        "size": [ignore_missing, int_validator],
        "state": [default("active")],
    }
    clean, errors = validate({"name": "aed", "size": "12"}, schema)
    assert clean == {"name": "aed", "size": 12, "state": "active"} and errors == {}
    clean, errors = validate({"name": "A", "size": 10**30}, schema)
    assert errors == {
        "name": [
            'Name "A" length is less than minimum 2',
            "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_",
        ],
        "size": ["Must be at most 9223372036854775807"],
    }
    assert validate({}, schema)[1] == {"name": ["Missing value"]}


def test_each_reports_errors_aligned_with_the_items():
    schema = {"items": [Each({"name": [not_empty, name_validator]})]}
    _, errors = validate({"items": [{"name": "ok"}, {"name": "Bad"}, "x"]}, schema)
    assert errors["items"][0] == {}
    assert errors["items"][1]["name"]
    assert errors["items"][2] == {"__root": ["Must be a dict"]}


def test_unknown_resource_keys_become_extras():
    clean, errors = validate({"url": "https://e.jp/a", "colour": "赤"}, resource_schema())
    assert errors == {} and clean["__extras"] == '{"colour": "赤"}'


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("https://e.jp/a", True), ("HTTP://E.JP", True), ("/a/b.csv", True), ("b.csv?x=1:2", True),
        ("", True), ("javascript:alert(1)", False), (" JavaScript:x", False),
        ("java\nscript:x", False), ("\tdata:text/html,x", False), ("ftp://e.jp/a", False),
        ("mailto:a@e.jp", False),
    ],
)  # fmt: skip
def test_url_validator(value, ok):
    assert (validate({"url": value}, {"url": [url_validator]})[1] == {}) is ok


def test_surrogates_are_found_anywhere():
    assert surrogate_errors({"a": "x", "b": [{"c": "\ud800"}], "\udfff": 1}) == {
        "b": ["Must be valid Unicode text (it contains a lone surrogate)"],
        "__root": ["Must be valid Unicode text (it contains a lone surrogate)"],
    }
    assert surrogate_errors({"q": "避難", "n": 1}) == {}
