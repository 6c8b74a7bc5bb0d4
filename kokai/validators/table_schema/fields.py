"""A Table Schema field as kokai reads it: the properties that decide how a
cell is read, with frictionless' defaults, and which constraints each type
honours (frictionless v5)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from kokai.validators.schemas import bundled_names, descriptor_problem, load_schema, schema_problem

_NUMERIC_LIMITS = ["required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"]
# frictionless v5: which constraints each field type honours (others are ignored)
SUPPORTED_CONSTRAINTS = {
    "any": ["required", "enum"],
    "array": ["required", "minLength", "maxLength", "enum"],
    "boolean": ["required", "enum"],
    "date": _NUMERIC_LIMITS,
    "datetime": _NUMERIC_LIMITS,
    "duration": ["required", "enum"],
    "geojson": ["required", "enum"],
    "geopoint": ["required", "enum"],
    "integer": _NUMERIC_LIMITS,
    "list": ["required", "minLength", "maxLength"],
    "number": _NUMERIC_LIMITS,
    "object": ["required", "minLength", "maxLength", "enum"],
    "string": ["required", "minLength", "maxLength", "pattern", "enum"],
    "time": _NUMERIC_LIMITS,
    "year": _NUMERIC_LIMITS,
    "yearmonth": _NUMERIC_LIMITS,
}
DEFAULT_TRUE_VALUES = ["true", "True", "TRUE", "1"]
DEFAULT_FALSE_VALUES = ["false", "False", "FALSE", "0"]


def missing_list(entries: Any) -> list[str]:
    """missingValues as strings (Table Schema v2 also allows {value, label})."""
    out = []
    for entry in entries or []:
        out.append(str(entry.get("value", "")) if isinstance(entry, dict) else str(entry))
    return out


class FieldInfo:
    """The properties of a Table Schema field that decide how a cell is read,
    with frictionless' defaults. Importing frictionless costs seconds, so the
    vectorised path reads the descriptor itself; frictionless is imported only
    for the types it must check cell by cell."""

    def __init__(self, descriptor: dict[str, Any], schema_missing: list[str]):
        self.descriptor = descriptor
        self.name: str = descriptor["name"]
        self.type: str = descriptor.get("type") or "any"
        self.format: str = descriptor.get("format") or "default"
        constraints = descriptor.get("constraints") or {}
        self.constraints: dict[str, Any] = constraints if isinstance(constraints, dict) else {}
        self.bare_number: bool = descriptor.get("bareNumber", True)
        self.float_number: bool = descriptor.get("floatNumber", False)
        self.decimal_char: str = descriptor.get("decimalChar", ".")
        self.group_char: str = descriptor.get("groupChar", "")
        self.true_values: list[str] = descriptor.get("trueValues", DEFAULT_TRUE_VALUES)
        self.false_values: list[str] = descriptor.get("falseValues", DEFAULT_FALSE_VALUES)
        self.number_options_defined = bool(
            {"bareNumber", "decimalChar", "groupChar"} & descriptor.keys()
        )
        self.missing_values = (
            missing_list(descriptor["missingValues"])
            if "missingValues" in descriptor
            else schema_missing
        )
        self.supported_constraints = SUPPORTED_CONSTRAINTS.get(self.type, ["required"])

    def read_value(self, value: Any) -> Any:
        """A constraint value (minimum, enum item) as a typed Python value."""
        if value is None or not isinstance(value, str):
            if self.type == "number" and isinstance(value, int | float):
                return float(value)
            return value
        text = value.strip()
        try:
            if self.type == "integer":
                return int(text)
            if self.type == "number":
                return float(Decimal(text.replace(self.group_char, "") if self.group_char else text))
            if self.type == "date":
                return date.fromisoformat(text)
            if self.type == "year":
                return int(text)
            if self.type == "yearmonth":
                year, month = text.split("-")
                return int(year) * 100 + int(month)
            if self.type == "boolean":
                return True if value in self.true_values else False if value in self.false_values else None
        except (ValueError, ArithmeticError):
            return None
        return value


# what detection adds to a bundled schema (the score, the runners-up)
_DETECTION_KEYS = ("kokai:confidence", "kokai:candidates")


def is_bundled_as_shipped(schema: dict[str, Any]) -> bool:
    """A bundled schema unchanged but for the detection's notes. Its descriptor
    is known to be valid (tests/validators/test_table_schema.py), so the profile
    check, which imports frictionless (most of a small file's run), is skipped."""
    name = schema.get("name")
    if not isinstance(name, str) or name not in bundled_names():
        return False
    return {k: v for k, v in schema.items() if k not in _DETECTION_KEYS} == load_schema(name)


def schema_fields(schema: dict[str, Any]) -> list[FieldInfo] | str:
    """The fields of a Table Schema descriptor, or why it cannot be used."""
    problem = schema_problem(schema)
    if not problem and not is_bundled_as_shipped(schema):
        problem = descriptor_problem(schema)
    if problem:
        return problem
    missing = missing_list(schema.get("missingValues", [""]))
    fields = []
    for descriptor in schema["fields"]:
        ftype = descriptor.get("type") or "any"
        if not isinstance(ftype, str) or ftype not in SUPPORTED_CONSTRAINTS:
            return f"「{descriptor['name']}」の type「{ftype}」は Table Schema の型ではありません"
        fields.append(FieldInfo(descriptor, missing))
    return fields
