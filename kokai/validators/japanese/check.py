"""check_table: every Japanese value rule on one table."""

from __future__ import annotations

import polars as pl

from kokai.validators.context import CheckContext
from kokai.validators.frame import positional
from kokai.validators.japanese import values as jv
from kokai.validators.japanese.cells import cell_findings
from kokai.validators.japanese.collect import Collected
from kokai.validators.japanese.columns import Column, plan_columns
from kokai.validators.japanese.diagnose import model_dependent_params
from kokai.validators.japanese.duplicates import duplicate_findings
from kokai.validators.japanese.rows import (
    coordinate_checks,
    numeric_views,
    population_checks,
    publisher_checks,
    run_row_checks,
)
from kokai.validators.japanese.rules import MODEL_DEPENDENT_CHARACTER
from kokai.validators.japanese.whole_columns import whole_column_findings
from kokai.validators.reading import Table
from kokai.validators.report import Findings


def check_table(
    table: Table,
    schema: dict | None,
    context: CheckContext | None = None,
    covered: dict[str, pl.Series] | None = None,
) -> Findings:
    """All value findings of one table (junk lines skipped), sorted by row and
    capped per code. `covered`, when given, receives column name -> mask over
    the checked rows of the cells an error finding explains."""
    context = context or CheckContext()
    data, lines = table.checked()
    path = table.path
    out = Collected(data.height)
    for name in data.columns:
        if chars := jv.model_dependent_characters(name):
            out.add([_header_finding(path, name, chars)], 1)
    if data.height == 0 or not data.columns:
        return out.findings()
    # The line numbers stay a separate Series: a column chunked unlike the others
    # would make polars gather every column again on each select (0.1 s per
    # select on 1M rows), so only the masks' hits are matched with lines.
    df = positional(data)
    columns = plan_columns(data, schema)
    cell_findings(path, df, lines, columns, out)
    whole_column_findings(path, df, lines, columns, out)
    by_role: dict[str, list[Column]] = {}
    for col in columns:
        by_role.setdefault(col.role or "", []).append(col)
    row_checks = coordinate_checks(path, by_role, context.city_bbox)
    row_checks += population_checks(path, by_role)
    row_checks += publisher_checks(path, columns, context.city_code)
    run_row_checks(df, lines, row_checks, numeric_views(by_role), out)
    duplicate_findings(path, df, lines, columns, out)
    if covered is not None:
        covered.update(out.covered)
    return out.findings()


def _header_finding(path: str, name: str, chars: list[str]):
    return MODEL_DEPENDENT_CHARACTER.finding(
        path=path, row=1, field=name, value=name, **model_dependent_params(chars)
    )
