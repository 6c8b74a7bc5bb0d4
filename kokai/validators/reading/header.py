"""Where the header is and what the columns are called: title lines above the
header, a second header row left by merged cells, blank and repeated names."""

from __future__ import annotations

import unicodedata

from kokai.validators.report import Findings, Rule

HEADER_NOT_FIRST = Rule(
    "header_not_first_line", "error",
    "見出し行が {row} 行目にあります。表題や注記の行（1〜{before} 行目）を削除し、"
    "1 行目を見出し行にしてください。",
    "the header is on line {row}. Remove the title/notes lines 1-{before} so that "
    "the file starts with the header row.",
    machine_readability="L3-01",
)  # fmt: skip
MULTI_ROW_HEADER = Rule(
    "multi_row_header", "error",
    "見出しが 2 行（{row} 行目まで）に分かれています（セル結合の名残り）。"
    "見出しは 1 行にまとめてください。例: {example}（`kokai fix` で結合できます）。",
    "the header spans two rows (to line {row}), a trace of merged cells. "
    "Merge it into one row, e.g. {example} (`kokai fix` does this).",
    machine_readability="L1-12",
)
BLANK_LABEL = Rule(
    "blank-label", "error",
    "{column} 列目の見出しが空です。列の内容を表す項目名を付けるか、空の列なら削除してください。",
    "column {column} has no header name. Name it, or delete the column if it is empty.",
    machine_readability="L2-03", source="frictionless",
)
DUPLICATE_LABEL = Rule(
    "duplicate-label", "error",
    "見出し「{value}」が {column} 列目と {first} 列目で重複しています。"
    "各列に一意な項目名を付けてください。",
    "the header {value!r} appears in columns {first} and {column}. "
    "Give every column a unique name.",
    machine_readability="L2-03", source="frictionless",
)


def nonempty(cells: list[str | None]) -> int:
    return sum(1 for c in cells if c not in (None, "") and c.strip())


def is_number(text: str) -> bool:
    t = unicodedata.normalize("NFKC", text).replace(",", "").strip()
    try:
        float(t)
        return True
    except ValueError:
        return False


def find_header(first_rows: list[list[str | None]]) -> int:
    """Index of the header row: 0 unless title/notes lines with at most one cell
    come first and a fuller row follows within the first 10 records."""
    if not first_rows:
        return 0
    width = max(len(r) for r in first_rows)
    if width < 3 or nonempty(first_rows[0]) > 1:
        return 0
    for i, row in enumerate(first_rows[:10]):
        filled = nonempty(row)
        if filled >= max(2, width // 2) and not any(
            is_number(c) for c in row if c not in (None, "")
        ):
            return i
    return 0


def second_header(header: list[str], second: list[str | None]) -> list[str] | None:
    """The merged names when `second` continues the header: it has text only under
    blank header cells or under a group cell followed by blank cells (merged cell)."""
    if not any(h == "" for h in header):
        return None
    cells = [(c or "").strip() for c in second]
    if not any(cells) or any(c and is_number(c) for c in cells):
        return None
    merged: list[str] = []
    group = ""
    for i, h in enumerate(header):
        sub = cells[i] if i < len(cells) else ""
        next_blank = i + 1 < len(header) and header[i + 1] == ""
        if h:
            group = h if next_blank else ""
            if sub and not next_blank:
                return None  # text under an ordinary header: a data row, not a header
            merged.append(f"{h}_{sub}" if sub else h)
        else:
            merged.append(f"{group}_{sub}" if group and sub else sub)
    return merged


def unique_names(names: list[str], path: str, findings: Findings, row: int = 1) -> list[str]:
    """The names with blanks as `__col<n>` and repeats as `<name>__2`, ...; a made-up
    name never takes a name the header already has. `row`: the header's line."""
    out: list[str] = []
    taken = set(names)
    seen: dict[str, int] = {}

    def fresh(candidate: str, k: int) -> str:
        name = candidate if k == 1 else f"{candidate}__{k}"
        while name in taken:
            k += 1
            name = f"{candidate}__{k}"
        taken.add(name)
        return name

    for i, name in enumerate(names, start=1):
        if name == "":
            out.append(fresh(f"__col{i}", 1))
            findings.append(BLANK_LABEL.finding(path=path, row=row, column=i, field=out[-1]))
        elif name in seen:
            findings.append(
                DUPLICATE_LABEL.finding(
                    path=path, row=row, field=name, value=name, column=i, first=seen[name]
                )
            )
            out.append(fresh(name, 2))
        else:
            seen[name] = i
            out.append(name)
    return out
