"""Table Schema checks, vectorised with polars, with frictionless' meaning.

Every cell is text (see kokai.validators.reading). For each field, polars
expressions decide what frictionless' cell reader would decide: a missing value
(`missingValues`, default [""]) is null; otherwise the text must parse as the
field's type and format (type-error), and the typed value must meet the
constraints (constraint-error), `unique` (unique-error) and the `primaryKey`
(primary-key). Types and formats without a vectorised reader are checked by
frictionless' own cell reader once per distinct value, so the meaning never drifts.

One module a part:
- `rules`: the rules and the words of their messages;
- `fields`: a field's properties with frictionless' defaults;
- `header`: the header matched to the schema by name;
- `columns`: each field as polars expressions (missing, type-ok, typed);
- `plan`: the masks of all checks in one select, findings for the kept rows;
- `identity`: unique and primaryKey;
- `fallback`: frictionless' cell reader for the rest;
- `check`: `check_table_schema`, which runs them in that order.
"""

from kokai.validators.table_schema.check import check_table_schema

__all__ = ["check_table_schema"]
