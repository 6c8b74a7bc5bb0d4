"""The shape of the rows below the header: blank rows, trailing blank rows, a
totals row with the notes around it (L1-03, L1-04), rows with too many or too
few cells (L1-05) and line breaks inside cells (L1-14).

Each check counts with polars and makes findings only for the rows a report
keeps (MAX_FINDINGS_PER_CODE per code), so a file of a million ragged rows
costs a thousand findings, not millions."""

from __future__ import annotations

import heapq
import unicodedata

import polars as pl

from kokai.validators.reading.model import Table
from kokai.validators.report import MAX_FINDINGS_PER_CODE, Rule, Text

# Rows at the end searched for totals rows and notes.
TAIL_ROWS = 30
TOTALS_WORDS = frozenset({"合計", "総計", "計", "小計", "総合計", "累計"})

NO_DATA = Rule(
    "no_data_rows", "warning",
    "見出し行だけでデータ行がありません。データを入れて保存してください。",
    "only a header row, no data rows. Add the data.",
)  # fmt: skip
BLANK_ROW = Rule(
    "blank-row", "error",
    "{row} 行目が空行です。データの途中の空行は削除してください。",
    "line {row} is blank. Remove blank rows inside the data.",
    machine_readability="L1-03", source="frictionless",
)
TRAILING_BLANK_ROWS = Rule(
    "trailing_blank_rows", "warning",
    "末尾に空行が {count} 行あります（{row} 行目から）。削除してください（`kokai fix` で削除できます）。",
    "{count} blank row(s) at the end (from line {row}). Remove them "
    "(`kokai fix` does this).",
    machine_readability="L1-03",
)
TOTALS_ROW = Rule(
    "totals_row", "error",
    "{row} 行目は「{value}」の集計行です。合計は利用者が計算できるので、集計行と表の外の注記"
    "（{first}〜{last} 行目）は削除してください（`kokai fix` で削除できます）。",
    "line {row} is a totals row ({value!r}). Remove it and the notes outside the "
    "table (lines {first}-{last}); users can compute totals (`kokai fix` does this).",
    machine_readability="L1-04",
)
NEWLINE_IN_CELL = Rule(
    "newline_in_cell", "error",
    "{row} 行目「{field}」のセル内に改行があります。改行を削除するか、全角スペースや「；」に置き換えてください。",
    "line {row}, field {field!r}: the cell contains a line break. Remove it or "
    "replace it with a separator such as ';'.",
    machine_readability="L1-14",
)
EXTRA_CELL = Rule(
    "extra-cell", "error",
    "{row} 行目のセルが見出しより多くあります（{count} 個 > 見出し {width} 列）。"
    "余分な区切り文字（,）や引用符で囲んでいない値の中のコンマを確認してください。",
    "line {row} has more cells than the header ({count} > {width}). Check for a "
    "stray delimiter or an unquoted comma inside a value.",
    machine_readability="L1-05", source="frictionless",
)
# One finding per short row (frictionless makes one per missing cell; the row
# says the same and a row of 1 cell under 2,000 columns stays one finding).
MISSING_CELL = Rule(
    "missing-cell", "error",
    "{row} 行目のセルが足りません（行のセルが {count} 個、見出しは {width} 列）。{cells}のセルがありません。"
    "空の値でも区切り文字（,）を入れて列数をそろえてください。",
    "line {row} has {count} cells, the header {width}: the cells of {cells} are missing. "
    "Keep the delimiters for empty values.",
    machine_readability="L1-05", source="frictionless",
)


def blank_mask(data: pl.DataFrame) -> pl.Series:
    """True for rows whose cells are all empty or missing (`data` positional)."""
    if data.width == 0:
        return pl.Series([True] * data.height)
    return data.select(
        pl.all_horizontal([(pl.col(c).is_null() | (pl.col(c) == "")) for c in data.columns])
    ).to_series()


def _normalise_word(text: str | None) -> str:
    if not text:
        return ""
    return unicodedata.normalize("NFKC", text).replace(" ", "").replace("\u3000", "")


def structure(table: Table, blank: pl.Series) -> None:
    """Blank rows, trailing blank rows, a totals row with the notes around it."""
    path, lines = table.path, table.line
    n = table.data.height
    if n == 0:
        table.findings.append(NO_DATA.finding(path=path))
        return
    # trailing blank rows
    filled = (~blank).arg_true()
    end = int(filled[-1]) + 1 if filled.len() else 0
    # a totals row near the end
    tail_start = max(0, end - TAIL_ROWS)
    tail = table.data.slice(tail_start, end - tail_start).rows()
    totals_at = None
    totals_word = ""
    for k in range(len(tail) - 1, -1, -1):
        words = [_normalise_word(c) for c in tail[k]]
        hit = next((w for w in words if w in TOTALS_WORDS), None)
        if hit:
            totals_at = tail_start + k
            totals_word = hit
            break
    block_start = end
    if totals_at is not None:
        # the summary block: the totals row, and rows just above it that are blank
        # or leave the first column empty where the data rows above fill it
        first_cells = table.data.to_series(0).fill_null("")
        blank_list = blank.to_list()
        block_start = totals_at
        while block_start > 0 and (blank_list[block_start - 1] or not first_cells[block_start - 1]):
            block_start -= 1
        above = first_cells.slice(0, block_start).filter(~blank.slice(0, block_start))
        if above.len() == 0 or (above != "").mean() < 0.9:
            block_start = totals_at  # the first column is often empty: keep only blank rows
            while block_start > 0 and blank_list[block_start - 1]:
                block_start -= 1
        first, last = lines[block_start], lines[n - 1] if end == n else lines[end - 1]
        table.findings.append(
            TOTALS_ROW.finding(
                path=path, row=lines[totals_at], value=totals_word, first=first, last=last
            )
        )
        table.junk_lines.update(lines.slice(block_start, n - block_start).to_list())
    elif end < n:
        table.findings.append(
            TRAILING_BLANK_ROWS.finding(path=path, row=lines[end], count=n - end)
        )
        table.junk_lines.update(lines.slice(end, n - end).to_list())
    # blank rows inside the data
    inner = blank.slice(0, block_start)
    if inner.any():
        blank_lines = lines.slice(0, block_start).filter(inner)
        table.junk_lines.update(blank_lines.to_list())
        sample = blank_lines.head(MAX_FINDINGS_PER_CODE).to_list()
        table.findings.add_sample(
            [BLANK_ROW.finding(path=path, row=line) for line in sample], blank_lines.len()
        )


def _cells_text(names: list[str]) -> Text:
    if len(names) <= 3:
        return Text("".join(f"「{n}」" for n in names), ", ".join(repr(n) for n in names))
    return Text(
        f"「{names[0]}」から「{names[-1]}」までの {len(names)} 列",
        f"the {len(names)} columns {names[0]!r} to {names[-1]!r}",
    )


def ragged(table: Table, ncells: pl.Series, blank: pl.Series, width: int) -> None:
    """extra-cell and missing-cell: one finding per row with the wrong number of cells."""
    path = table.path
    long = ncells > width
    short = (ncells < width) & ~blank
    for mask, make in ((long, _extra_cell), (short, _missing_cell)):
        hits = table.line.filter(mask)
        if hits.len() == 0:
            continue
        counts = ncells.filter(mask).head(MAX_FINDINGS_PER_CODE).to_list()
        sample = [
            make(table, path, line, count, width)
            for line, count in zip(hits.head(MAX_FINDINGS_PER_CODE).to_list(), counts, strict=True)
        ]
        table.findings.add_sample(sample, hits.len())


def _extra_cell(table: Table, path: str, line: int, count: int, width: int):
    return EXTRA_CELL.finding(path=path, row=line, count=count, width=width)


def _missing_cell(table: Table, path: str, line: int, count: int, width: int):
    names = table.header[count:width]
    return MISSING_CELL.finding(
        path=path, row=line, field=names[0], count=count, width=width,
        missing=len(names), cells=_cells_text(names),
    )  # fmt: skip


def newlines_in_cells(table: Table, data: pl.DataFrame) -> None:
    """A line break inside a cell (`data`: the positional frame of table.data)."""
    if data.height == 0:
        return
    # a record spanning several lines is followed by a jump of more than one line
    spans = table.line.shift(-1) - table.line
    candidates = (spans > 1).fill_null(True)
    if not candidates.any():
        return
    rows = data.filter(candidates)
    lines = table.line.filter(candidates)
    breaks = rows.select([pl.col(c).fill_null("").str.contains("[\r\n]") for c in rows.columns])
    total = 0
    kept: list[tuple[int, int, str]] = []  # (line, column, value): the first rows
    for index, (name, hit) in enumerate(zip(breaks.columns, breaks.iter_columns(), strict=True)):
        found = int(hit.sum())
        if not found:
            continue
        total += found
        where = hit.arg_true().head(MAX_FINDINGS_PER_CODE)
        values = rows.get_column(name).gather(where).to_list()
        kept = heapq.nsmallest(
            MAX_FINDINGS_PER_CODE,
            kept + [(line, index, v) for line, v in zip(lines.gather(where), values, strict=True)],
        )
    table.findings.add_sample(
        [
            NEWLINE_IN_CELL.finding(path=table.path, row=line, field=table.header[i], value=v)
            for line, i, v in kept
        ],
        total,
    )
