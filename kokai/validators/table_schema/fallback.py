"""Types, formats and patterns without a vectorised reader: frictionless' own
cell reader decides, once per distinct value, so the meaning never drifts."""

from __future__ import annotations

from typing import Any

import polars as pl

from kokai.validators.report import MAX_FINDINGS_PER_CODE, Findings
from kokai.validators.table_schema.columns import Column
from kokai.validators.table_schema.fields import FieldInfo
from kokai.validators.table_schema.rules import CONSTRAINT_ERROR, TYPE_ERROR, problem, type_params


def run_fallback(col: Column, data: pl.DataFrame, lines: pl.Series, path: str, out: Findings) -> None:
    """frictionless' own cell reader, once per distinct value."""
    field, name = col.field, col.name
    missing_values = field.missing_values
    reader = _frictionless_reader(field)
    values = data.get_column(col.key).unique().to_list()
    bad_type: list[Any] = []
    bad_constraint: dict[str, list[Any]] = {}
    for value in values:
        _, notes = reader(value)
        if not notes:
            continue
        if "type" in notes:
            bad_type.append(value)
            continue
        for key in notes:
            bad_constraint.setdefault(key, []).append(value)
    frame = data.select(col.text.alias("__value")).with_columns(lines.alias("__line"))
    series = frame.get_column("__value")
    if bad_type:
        hit = frame.filter(series.is_in([v for v in bad_type if v is not None]))
        params = type_params(field)
        out.add_sample(
            [
                TYPE_ERROR.finding(path=path, row=int(r[1]), field=name, value=r[0], **params)
                for r in hit.head(MAX_FINDINGS_PER_CODE).iter_rows()
            ],
            hit.height,
        )
    for key, bad in bad_constraint.items():
        if key == "required":
            mask = series.is_null() | series.is_in(missing_values)
        else:
            mask = series.is_in([v for v in bad if v is not None])
        hit = frame.filter(mask)
        params = problem(key, field.constraints.get(key))
        out.add_sample(
            [
                CONSTRAINT_ERROR.finding(path=path, row=int(r[1]), field=name, value=r[0], **params)
                for r in hit.head(MAX_FINDINGS_PER_CODE).iter_rows()
            ],
            hit.height,
        )


def _frictionless_reader(field: FieldInfo) -> Any:
    """frictionless' cell reader for one field, with the schema's missing values."""
    import frictionless

    clean = {k: v for k, v in field.descriptor.items() if not k.startswith("kokai:")}
    clean.pop("missingValues", None)
    schema = frictionless.Schema.from_descriptor(
        {"fields": [clean], "missingValues": field.missing_values}
    )
    return schema.fields[0].create_cell_reader()
