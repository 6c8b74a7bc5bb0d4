"""Rules about a whole column: a named column that is empty in every row, and
a column whose cells pack several values (`洪水,崖崩れ等,地震`, L1-07).

Several values are recognised by the column, not by one cell: 「福祉センター・
体育館」 is one name, `洪水,地震` in a column where many rows list the same few
words with the same separators is a list. A column qualifies when
- it holds free text (not a name, address, code, number, date, flag, URL…) and
  its standard does not ask for a list there (03 対象となる町会・自治会 is `;`-separated);
- many of its rows hold a separator (at least `_MIN_ROWS` and `_MIN_SHARE` of the filled ones);
- the parts come from a small vocabulary (at most `_MAX_VOCABULARY` distinct parts,
  none longer than `_MAX_PART`), most of them recurring in different cells, and
  they are words, not numbers (`1/2`, `2023/4/1`).

Both cost one polars pass over the candidate columns; the vocabulary is read
from the distinct values of the few columns that pass the counts."""

from __future__ import annotations

import re
from collections import Counter

import polars as pl

from kokai.validators.japanese.collect import Collected
from kokai.validators.japanese.columns import Column
from kokai.validators.japanese.rules import EMPTY_COLUMN, SEVERAL_VALUES_IN_CELL
from kokai.validators.report import MAX_FINDINGS_PER_CODE, Text

SEPARATORS = "、,，・･／/;；"
RE_SEPARATOR = f"[{SEPARATORS}]"
_SPLIT = re.compile(rf"[{SEPARATORS}]")
_MIN_ROWS = 3
_MIN_SHARE = 0.1
_MAX_VOCABULARY = 40
_MAX_PART = 20
_MAX_DISTINCT = 2000
_MIN_EMPTY_ROWS = 2  # one empty cell says little about a column  # more distinct values than this: free text, not a list of choices
_NUMBERISH_PART = re.compile(r"^[0-9０-９.．:：\-－()（）\s]*$")
_PLACEHOLDER_NAME = re.compile(r"__col[0-9]+(?:__[0-9]+)?")
_EMPTY_HINT = Text(
    "値の入れ忘れでなければ、使わない列は削除してください（値がないことを示すなら、その旨をデータの説明に書いてください）。",
    "Fill it in, or delete the column if it is not used.",
)


def _candidate(col: Column) -> bool:
    return not (
        col.code or col.numeric or col.flag or col.date or col.address or col.person_name
        or col.list_allowed or col.role is not None
    )  # fmt: skip


def _may_be_empty_column(col: Column, height: int) -> bool:
    """An empty column worth a warning: not in a table of one row, not a flag
    column (blank = "does not apply" in every row), not a column of the
    standard layout (it keeps its columns, filled or not), not an unnamed one
    (blank-label reports it)."""
    return height >= _MIN_EMPTY_ROWS and not (
        col.flag or col.standard or _PLACEHOLDER_NAME.fullmatch(col.name)
    )


def whole_column_findings(
    path: str, df: pl.DataFrame, lines: pl.Series, columns: list[Column], out: Collected
) -> None:
    if df.height == 0 or not columns:
        return
    candidates = [c for c in columns if _candidate(c)]
    # empty: no value at all, and some cells written (a column missing from
    # every row because the rows are short is missing-cell's)
    exprs = [
        (pl.col(c.key).fill_null("").str.len_bytes().max().fill_null(0).eq(0) & pl.col(c.key).is_not_null().any())
        .alias(f"e{i}")
        for i, c in enumerate(columns)
    ]
    exprs += [
        pl.col(c.key).fill_null("").str.contains(RE_SEPARATOR).sum().alias(f"s{i}")
        for i, c in enumerate(candidates)
    ]
    exprs += [(pl.col(c.key).fill_null("") != "").sum().alias(f"f{i}") for i, c in enumerate(candidates)]
    stats = df.select(exprs).row(0, named=True)
    for i, col in enumerate(columns):
        if stats[f"e{i}"] and _may_be_empty_column(col, df.height):
            out.add([EMPTY_COLUMN.finding(path=path, field=col.name, hint=_EMPTY_HINT)], 1)
    for i, col in enumerate(candidates):
        rows, filled = stats[f"s{i}"], stats[f"f{i}"]
        if rows < _MIN_ROWS or rows < _MIN_SHARE * filled:
            continue
        _several_values(path, df, lines, col, rows, out)


def _several_values(
    path: str, df: pl.DataFrame, lines: pl.Series, col: Column, rows: int, out: Collected
) -> None:
    values = pl.col(col.key).fill_null("")
    distinct = df.select(values.unique().head(_MAX_DISTINCT + 1))[col.key].to_list()
    if len(distinct) > _MAX_DISTINCT:
        return
    parts_of = {v: [p.strip() for p in _SPLIT.split(v)] for v in distinct if v}
    vocabulary: Counter = Counter()  # part -> distinct cell values holding it
    for parts in parts_of.values():
        vocabulary.update(set(parts))
    vocabulary.pop("", None)
    if not 2 <= len(vocabulary) <= _MAX_VOCABULARY:
        return
    if any(len(p) > _MAX_PART for p in vocabulary):
        return
    if sum(1 for p in vocabulary if _NUMBERISH_PART.match(p)) * 2 > len(vocabulary):
        return
    recurring = sum(1 for n in vocabulary.values() if n >= 2)
    packed = [v for v, parts in parts_of.items() if len(parts) > 1]
    if len(packed) < 2 or recurring * 2 < len(vocabulary):
        return
    hit = values.is_in(packed)
    mask = df.select(hit).to_series()
    where = mask.arg_true().head(MAX_FINDINGS_PER_CODE)
    sample = []
    for line, value in zip(lines.gather(where), df.get_column(col.key).gather(where), strict=True):
        parts = [p for p in parts_of[value] if p]
        separator = "".join(dict.fromkeys(_SPLIT.findall(value)))
        sample.append(
            SEVERAL_VALUES_IN_CELL.finding(
                path=path, row=line, field=col.name, value=value, count=len(parts),
                parts="、".join(f"「{p}」" for p in parts), separator=separator, rows=rows,
                first=parts[0],
            )
        )  # fmt: skip
    out.add(sample, int(mask.sum()))
