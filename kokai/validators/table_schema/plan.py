"""The vectorised checks of a table: one boolean mask per (rule, column), all
computed in one polars select; findings are made only for the rows a report
keeps (MAX_FINDINGS_PER_CODE per code), the rest are counted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from kokai.validators.report import MAX_FINDINGS_PER_CODE, Findings, Rule
from kokai.validators.table_schema.columns import Column
from kokai.validators.table_schema.rules import CONSTRAINT_ERROR, problem


@dataclass
class Check:
    rule: Rule
    column: Column  # the column the finding points at
    mask: pl.Expr  # True on the rows that break the rule
    params: dict[str, Any]


class Plan:
    def __init__(self) -> None:
        self.checks: list[Check] = []

    def add(self, rule: Rule, column: Column, mask: pl.Expr, **params: Any) -> None:
        self.checks.append(Check(rule, column, mask, params))

    def drop(self, column: Column) -> None:
        self.checks = [c for c in self.checks if c.column is not column]


class NeedsFallback(Exception):
    """A pattern polars' regex engine cannot run: frictionless checks the column."""


def anchored(pattern: str) -> str:
    # frictionless: re.compile("^{0}$".format(pattern)).match(cell)
    return "^(?:^" + pattern + "$)"


def require_rust_regex(pattern: str) -> None:
    try:
        pl.Series([""]).str.contains(pattern)
    except pl.exceptions.PolarsError as exc:
        raise NeedsFallback(pattern) from exc


def constraint_checks(plan: Plan, col: Column) -> None:
    field = col.field
    constraints = field.constraints or {}
    supported = set(field.supported_constraints)
    ok = ~col.missing & col.type_ok
    if constraints.get("required"):
        plan.add(CONSTRAINT_ERROR, col, col.missing, **problem("required", None))
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if key in constraints and key in supported and col.typed is not None:
            limit = field.read_value(constraints[key])
            typed = col.typed
            bad = {
                "minimum": typed < limit,
                "maximum": typed > limit,
                "exclusiveMinimum": typed <= limit,
                "exclusiveMaximum": typed >= limit,
            }[key]
            plan.add(CONSTRAINT_ERROR, col, ok & bad.fill_null(False), **problem(key, constraints[key]))
    if field.type == "string":
        length = col.text.str.len_chars()
        if "minLength" in constraints:
            plan.add(CONSTRAINT_ERROR, col, ok & (length < constraints["minLength"]),
                     **problem("minLength", constraints["minLength"]))
        if "maxLength" in constraints:
            plan.add(CONSTRAINT_ERROR, col, ok & (length > constraints["maxLength"]),
                     **problem("maxLength", constraints["maxLength"]))
        if "pattern" in constraints:
            require_rust_regex(anchored(constraints["pattern"]))
            plan.add(CONSTRAINT_ERROR, col, ok & ~col.text.str.contains(
                anchored(constraints["pattern"])), **problem("pattern", constraints["pattern"]))
    if "enum" in constraints and "enum" in supported and col.typed is not None:
        allowed = [field.read_value(v) for v in constraints["enum"]]
        allowed = [v for v in allowed if v is not None]
        typed = col.typed
        plan.add(CONSTRAINT_ERROR, col, ok & ~typed.is_in(allowed).fill_null(False),
                 **problem("enum", constraints["enum"]))


def run_plan(plan: Plan, data: pl.DataFrame, lines: pl.Series, path: str, out: Findings) -> None:
    if not plan.checks:
        return
    try:
        masks = data.select([c.mask.fill_null(False).alias(f"m{i}") for i, c in enumerate(plan.checks)])
    except pl.exceptions.PolarsError:
        # e.g. a regex polars rejects only at run time: check those columns one by one
        for check in plan.checks:
            single = Plan()
            single.checks = [check]
            try:
                run_plan(single, data, lines, path, out)
            except pl.exceptions.PolarsError:
                pass
        return
    totals = masks.sum().row(0)
    by_code: dict[tuple[str, str], list[tuple[int, int]]] = {}
    counts: dict[tuple[str, str], int] = {}
    for i, (check, total) in enumerate(zip(plan.checks, totals, strict=True)):
        if not total:
            continue
        severity = check.params.get("severity") or check.rule.severity
        key = (check.rule.code, severity)
        counts[key] = counts.get(key, 0) + total
        idx = masks.get_column(f"m{i}").arg_true().head(MAX_FINDINGS_PER_CODE).to_list()
        by_code.setdefault(key, []).extend((j, i) for j in idx)
    for key, hits in by_code.items():
        hits.sort()
        kept = hits[:MAX_FINDINGS_PER_CODE]
        rows_by_check: dict[int, list[int]] = {}
        for j, i in kept:
            rows_by_check.setdefault(i, []).append(j)
        findings = []
        for i, js in rows_by_check.items():
            check = plan.checks[i]
            values = data.get_column(check.column.key).gather(js).to_list()
            where = lines.gather(js).to_list()
            findings.extend(
                check.rule.finding(path=path, row=line, field=check.column.name, value=value, **check.params)
                for line, value in zip(where, values, strict=True)
            )
        findings.sort(key=lambda f: f.row or 0)
        out.add_sample(findings, counts[key])
