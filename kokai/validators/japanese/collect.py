"""The findings of one table gathered from many checks, capped by design.

Each check counts its hits with polars and hands over only its first rows
(at most MAX_FINDINGS_PER_CODE) with the total; `findings()` sorts what was
handed over by row and keeps the first MAX_FINDINGS_PER_CODE per code, so the
kept findings are the lowest rows of all checks together and the counts stay
exact. `covered` marks the cells an error already explains, so that the Table
Schema checks do not report them a second time."""

from __future__ import annotations

from collections import Counter

import polars as pl

from kokai.validators.report import Finding, Findings


class Collected:
    def __init__(self, height: int) -> None:
        self.height = height  # rows of the checked data
        self.sample: list[Finding] = []
        self.extra: Counter = Counter()  # (path, code, severity) -> hits not handed over
        self.covered: dict[str, pl.Series] = {}  # column name -> mask over the rows

    def add(self, sample: list[Finding], total: int) -> None:
        """The first findings of one check (one code and severity) and its total."""
        if not sample:
            return
        first = sample[0]
        self.sample.extend(sample)
        self.extra[(first.path, first.code, first.severity)] += total - len(sample)

    def cover(self, column: str, mask: pl.Series) -> None:
        mask = mask.fill_null(False)
        previous = self.covered.get(column)
        self.covered[column] = mask if previous is None else previous | mask

    def findings(self) -> Findings:
        self.sample.sort(key=lambda f: (f.row or 0, f.field or "", f.code))
        out = Findings(self.sample)
        for key, n in self.extra.items():
            if n > 0:
                out.counts[key] += n
        return out
