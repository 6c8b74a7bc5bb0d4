"""The Table every check reads: all-text columns, line numbers, findings."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from kokai.validators.report import Finding, Findings


@dataclass
class Table:
    path: str  # as the user gave it (used in findings)
    encoding: str  # "utf-8" | "utf-8-sig" | "cp932" | "utf-16"
    header: list[str]  # column names (after merging a detected second header row)
    # one pl.String column per header column, in order; raw cell text; "" for an
    # empty cell, null for a cell missing on a short row. Duplicate/blank header
    # names made unique as "<name>__2", "__col3" (1-based column number).
    # Checks select columns by position (kokai.validators.frame), never by name.
    # A column of one value may be a polars literal (reading.pieces): the same
    # to every expression, but get_column() spreads it over every row.
    data: pl.DataFrame
    # pl.Int64, len == data.height: the line number a person sees where each data
    # row starts (header row = 1; second header row = 2 when present)
    line: pl.Series
    header_rows: int = 1  # 1, or 2 when a second header row was detected (and merged)
    # lines `kokai fix` should drop: blank rows, trailing totals (合計) rows and notes
    junk_lines: set[int] = field(default_factory=set)
    # encoding and structure problems, capped per code while they are added
    findings: Findings = field(default_factory=Findings)
    # the header names as written in the file (first row; before merging/uniquifying)
    raw_header: list[str] = field(default_factory=list)
    # line of the (first) header row: 1 unless title lines come first (L3-01)
    header_line: int = 1
    separator: str = ","

    def __post_init__(self) -> None:
        if not isinstance(self.findings, Findings):
            self.findings = Findings(self.findings)

    @property
    def readable(self) -> bool:
        """False when the file could not be read at all (a fatal finding)."""
        return not any(f.fatal for f in self.findings)

    def checked(self) -> tuple[pl.DataFrame, pl.Series]:
        """The data rows to check (junk lines removed) and their line numbers."""
        if not self.junk_lines:
            return self.data, self.line
        keep = ~self.line.is_in(sorted(self.junk_lines))
        return self.data.filter(keep), self.line.filter(keep)


def empty_table(path: str, encoding: str, findings: list[Finding]) -> Table:
    """A table with no data: the file could not be read (`findings` say why)."""
    return Table(
        path=path, encoding=encoding, header=[], data=pl.DataFrame(),
        line=pl.Series("line", [], dtype=pl.Int64), findings=Findings(findings),
    )  # fmt: skip
