"""check_table_schema: the header matched by name, then every field's checks."""

from __future__ import annotations

from typing import Any

import polars as pl

from kokai.validators.frame import positional
from kokai.validators.reading import Table
from kokai.validators.report import Report, Text
from kokai.validators.schemas import CONFIDENCE_LABELS
from kokai.validators.table_schema.columns import (
    VECTOR_TYPES,
    Column,
    has_checks,
    materialise,
    vector_column,
)
from kokai.validators.table_schema.fallback import run_fallback
from kokai.validators.table_schema.fields import schema_fields
from kokai.validators.table_schema.header import match_columns
from kokai.validators.table_schema.identity import primary_key_check, unique_checks
from kokai.validators.table_schema.plan import (
    NeedsFallback,
    Plan,
    anchored,
    constraint_checks,
    require_rust_regex,
    run_plan,
)
from kokai.validators.table_schema.rules import (
    CONSTRAINT_ERROR,
    PATTERN_EXPECTATION,
    SCHEMA_INVALID,
    TYPE_ERROR,
    type_params,
)


def order_label(schema: dict[str, Any]) -> str | None:
    """How sure the schema's column order is, when the schema says
    (`kokai:orderConfidence`, else `kokai:layoutConfidence`)."""
    for key in ("kokai:orderConfidence", "kokai:layoutConfidence"):
        if schema.get(key) in CONFIDENCE_LABELS:
            return schema[key]
    return None


def check_table_schema(
    table: Table,
    schema: dict[str, Any],
    report: Report,
    covered: dict[str, pl.Series] | None = None,
) -> None:
    """Add the Table Schema findings of `table` to `report` (capped per code).
    `covered`: table column -> mask over the checked rows (`table.checked()`) of
    the cells a more specific rule already reported as an error; no type or
    constraint error is added for those cells."""
    path = table.path
    infos = schema_fields(schema)
    if isinstance(infos, str):
        report.add(SCHEMA_INVALID.finding(path=path, reason=infos))
        return
    fields = {f.name: f for f in infos}
    matched, header_findings = match_columns(
        table,
        schema.get("fields", []),
        schema.get("name") or schema.get("title") or "-",
        partial=bool(schema.get("kokai:partial")),
        order_confidence=order_label(schema),
    )
    report.extend(header_findings)
    data, lines = table.checked()
    if data.height == 0 or not matched:
        return
    # the checks see the matched columns as f0, f1, ... (never a name from the file)
    position = {name: i for i, name in enumerate(table.header)}
    data = positional(data).select(
        [pl.col(f"c{position[column]}").alias(f"f{j}") for j, column in enumerate(matched.values())]
    )
    columns: dict[str, Column] = {
        name: vector_column(fields[name], f"f{j}") for j, name in enumerate(matched)
    }
    fallback = [
        c for c in columns.values() if c.type_ok is None or c.field.type not in VECTOR_TYPES
    ]
    primary_key = schema.get("primaryKey") or []
    if isinstance(primary_key, str):
        primary_key = [primary_key]
    primary_key = list(dict.fromkeys(k for k in primary_key if isinstance(k, str)))
    identity = set(primary_key) | {n for n, f in fields.items() if f.constraints.get("unique")}
    checked = [c for c in columns.values() if c not in fallback and has_checks(c, identity)]
    data = materialise(data, checked, identity)
    plan = Plan()
    for col in checked:
        field = col.field
        if not col.always_ok:
            plan.add(TYPE_ERROR, col, ~col.missing & ~col.type_ok, **type_params(field))
        try:
            constraint_checks(plan, col)
        except NeedsFallback:  # a pattern polars' regex engine cannot run
            plan.drop(col)
            fallback.append(col)
            continue
        recommended = field.descriptor.get("kokai:recommendedPattern")
        if recommended:
            try:
                require_rust_regex(anchored(recommended))
            except NeedsFallback:
                continue
            plan.add(
                PATTERN_EXPECTATION, col,
                ~col.missing & ~col.text.str.contains(anchored(recommended)),
                pattern=recommended, hint=Text(field.descriptor.get("description", ""), ""),
            )  # fmt: skip
    if covered:
        row = pl.int_range(pl.len(), dtype=pl.Int64)
        for check in plan.checks:
            mask = covered.get(matched[check.column.name])
            if mask is not None and check.rule in (TYPE_ERROR, CONSTRAINT_ERROR) and mask.any():
                check.mask = check.mask & ~row.is_in(mask.arg_true().cast(pl.Int64).implode())
    run_plan(plan, data, lines, path, report.findings)
    for col in fallback:
        run_fallback(col, data, lines, path, report.findings)
    unique_checks(list(columns.values()), data, lines, path, report.findings)
    primary_key_check(primary_key, columns, data, lines, path, report.findings)
