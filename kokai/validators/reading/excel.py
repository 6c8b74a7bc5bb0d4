"""Reading one sheet of an Excel workbook (.xlsx/.xlsm/.xlsb/.xls) or an
OpenDocument spreadsheet (.ods) into the same Table a CSV gives, so that every
rule runs unchanged.

The reader is fastexcel (Rust calamine underneath, Arrow into polars without a
Python object per cell): the sheet is loaded with every column as text.

How a cell becomes text (what a person sees, in the form the rules expect):
- text: as it is; an empty cell: "";
- a number: shortest form, no trailing `.0` when integral (12, 1.5, 34.714075);
  values with more than 15 significant digits (float noise of formulas such as
  0.30000000000000004) are rounded to 15 digits as Excel shows them;
- a date cell: YYYY-MM-DD; a date-time: YYYY-MM-DD HH:MM:SS; a time: HH:MM:SS
  (machine-readable as they are: Excel's own date cells never get a date-format
  finding, while a date typed as text, e.g. 令和6年4月1日, stays text and is
  checked by the same rules as in a CSV);
- TRUE/FALSE for a boolean (as Excel shows it and writes it to CSV);
- a formula: its cached value, by the rules above; an error value (#DIV/0!): "".
The sheet is read as text, so the text cells "true" and "2024-04-01 00:00:00"
cannot be told from a boolean or a date cell and read as those would.

Rows and columns are those Excel shows: row 1 is the sheet's first row (empty
rows above the table are kept, so a table starting lower gets the same
header_not_first_line finding as a CSV) and empty columns left of the table are
kept, so column letters (`column_letter`) match the sheet.

Merged cells (L1-12) and hidden rows and columns (L1-13) are read from the
sheet's XML for .xlsx/.xlsm; the other formats are checked without them.

Memory and time are bounded before the workbook is parsed, as for GTFS archives
(kokai.gtfs.archive): the declared uncompressed size of each member of the zip
(at most MAX_MEMBER_BYTES) and its compression ratio (MAX_RATIO past
RATIO_GRACE_BYTES), so a zip bomb .xlsx is refused without inflating it.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from pathlib import Path

import polars as pl

from kokai.validators.frame import key
from kokai.validators.reading.model import Table, empty_table
from kokai.validators.reading.parse import Parsed
from kokai.validators.report import Finding, Findings, Rule, Text

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 2 * 1024**3
MAX_RATIO = 200
RATIO_GRACE_BYTES = 10 * 1024**2
MAX_COLUMNS = 2000
# sample of rows and columns named in a hidden rows/columns finding
_NAMED = 5

WORKBOOK_UNREADABLE = Rule(
    "workbook_unreadable", "error",
    "ブック「{path}」を開けません（{reason}）。Excel で開けるか確かめ、"
    "「Excel ブック（.xlsx）」または「CSV UTF-8（コンマ区切り）」で保存し直してください。",
    "cannot open the workbook {path} ({reason}). Check that Excel opens it and save it "
    "again as an Excel workbook (.xlsx) or as 'CSV UTF-8 (comma delimited)'.",
    machine_readability="L1-01", fatal=True,
)  # fmt: skip
WORKBOOK_TOO_LARGE = Rule(
    "workbook_too_large", "error",
    "ブック「{path}」の中の「{member}」が大きすぎるため読みません（{limit}）。"
    "壊れたファイルや圧縮爆弾の可能性があります。不要なシートや書式を削除し、"
    "大きな表は CSV で保存してください。",
    "the workbook {path} was not read: its part {member!r} is too large ({limit}). "
    "It may be corrupt or a zip bomb. Remove unneeded sheets and formatting, "
    "and save large tables as CSV.",
    fatal=True,
)
SHEET_NOT_FOUND = Rule(
    "sheet_not_found", "error",
    "シート「{value}」がありません。このブックのシート: {sheets}。"
    "--sheet にはシート名か、左から数えた番号（1 が最初のシート）を指定してください。",
    "there is no sheet {value!r}. The workbook's sheets: {sheets}. Give --sheet a sheet "
    "name or its position from the left (1 = the first sheet).",
    fatal=True,
)
EMPTY_SHEET = Rule(
    "empty_sheet", "error",
    "シート「{sheet}」に値の入ったセルがありません。表のあるシートを --sheet で指定してください"
    "（このブックのシート: {sheets}）。",
    "the sheet {sheet!r} has no cell with a value. Choose the sheet with the table "
    "with --sheet (the workbook's sheets: {sheets}).",
    fatal=True,
)
OTHER_SHEETS = Rule(
    "other_sheets_not_checked", "info",
    "このブックにはシートが {count} 枚あり（{sheets}）、検査したのは「{sheet}」だけです。"
    "ほかのシートは --sheet で指定して検査してください。公開するファイルは 1 シートに 1 つの表にします。",
    "the workbook has {count} sheets ({sheets}); only {sheet!r} was checked. Check the "
    "others with --sheet. A published file holds one table on one sheet.",
    machine_readability="L1-02",
)
MERGED_CELLS = Rule(
    "merged_cells", "error",
    "セル {range} が結合されています。結合を解除し、値はそれぞれのセルに入れてください"
    "（表全体の結合 {count} 箇所）。",
    "the cells {range} are merged. Unmerge them and put the value in each cell "
    "({count} merged range(s) in the sheet).",
    machine_readability="L1-12",
)
HIDDEN_ROWS_COLUMNS = Rule(
    "hidden_rows_columns", "error",
    "非表示の{what}があります（{where}、計 {count}）。再表示して確かめ、"
    "不要なら削除してください。非表示の行や列も公開データに含まれます。",
    "hidden {what}: {where} ({count} in all). Unhide them and check them; delete them "
    "if they are not needed. Hidden rows and columns are published too.",
    machine_readability="L1-13",
)

_ROWS = Text("行", "rows")
_COLUMNS = Text("列", "columns")
_NOT_A_WORKBOOK = Text(
    "壊れているか、Excel / OpenDocument のファイルではありません",
    "it is corrupt or not an Excel / OpenDocument file",
)
_ENCRYPTED = Text(
    "パスワードで保護されています。保護を解除して保存し直してください",
    "it is password-protected; remove the password and save it again",
)


@dataclass
class SheetTable(Table):
    """A Table read from one sheet of a workbook."""

    sheet: str = ""
    sheets: list[str] = field(default_factory=list)
    hidden_sheets: list[str] = field(default_factory=list)
    file_format: str = "xlsx"

    def source_details(self) -> dict:
        details: dict = {"format": self.file_format, "sheet": self.sheet, "sheets": self.sheets}
        if self.hidden_sheets:
            details["hidden_sheets"] = self.hidden_sheets
        return details


def is_workbook(path: str | Path) -> bool:
    return Path(path).suffix.lower() in EXCEL_SUFFIXES


def column_letter(index: int) -> str:
    """Excel's letters for the 0-based column `index` (0 → A, 25 → Z, 26 → AA)."""
    letters = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _cell_name(ref: str) -> tuple[int, int] | None:
    """(row, 0-based column) of an A1 reference."""
    m = re.fullmatch(r"\$?([A-Z]{1,3})\$?([0-9]+)", ref.strip().upper())
    if not m:
        return None
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col - 1


def _mib(n: int) -> str:
    return f"{n / 1024**2:,.0f} MiB"


def _check_zip(raw: bytes, path: str) -> Finding | None:
    """A zip bomb or an oversized part, from the sizes the zip declares."""
    if not raw.startswith(b"PK"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return WORKBOOK_UNREADABLE.finding(path=path, reason=_NOT_A_WORKBOOK)
    if len(infos) > MAX_MEMBERS:
        limit = Text(f"部品数 {len(infos)} > {MAX_MEMBERS}", f"{len(infos)} parts > {MAX_MEMBERS}")
        return WORKBOOK_TOO_LARGE.finding(path=path, member="*", limit=limit)
    for info in infos:
        if info.file_size > MAX_MEMBER_BYTES:
            limit = Text(f"展開後 {_mib(info.file_size)} > {_mib(MAX_MEMBER_BYTES)}",
                         f"{_mib(info.file_size)} inflated > {_mib(MAX_MEMBER_BYTES)}")  # fmt: skip
            return WORKBOOK_TOO_LARGE.finding(path=path, member=info.filename, limit=limit)
        if info.file_size > RATIO_GRACE_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            limit = Text(f"圧縮率 {MAX_RATIO} 倍超", f"compressed over {MAX_RATIO}:1")
            return WORKBOOK_TOO_LARGE.finding(path=path, member=info.filename, limit=limit)
    return None


def _choose_sheet(names: list[str], sheet: str | int | None) -> int | None:
    """Index of the sheet: its exact name first, else its position counted from 1."""
    if sheet is None or sheet == "":
        return 0 if names else None
    text = str(sheet)
    if text in names:
        return names.index(text)
    if text.strip().isdigit():
        position = int(text.strip())
        if 1 <= position <= len(names):
            return position - 1
    return None


_SPECIAL = r"^(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|true|false|-?[0-9.]{17,})$"
_NOISY = r"^-?[0-9.]{17,}$"


def _as_text(frame: pl.DataFrame) -> list[pl.Series]:
    """Every column as text Excel shows: nulls as "", and only the columns holding a
    date-time, a boolean or float noise converted (found in one multi-threaded pass)."""
    if frame.width == 0:
        return []
    filled = frame.fill_null("")
    special = filled.select(pl.all().str.contains(_SPECIAL).any()).row(0)
    return [
        _as_shown(column) if has else column
        for column, has in zip(filled.iter_columns(), special, strict=True)
    ]


def _shortest(value: str) -> str:
    """A number with float noise rounded to the 15 digits Excel shows; text such as
    1.2.3.4.5.6.7.8.9 (not a number) stays as it is."""
    try:
        return format(float(value), ".15g")
    except ValueError:
        return value


def _as_shown(column: pl.Series) -> pl.Series:
    """Dates, times, booleans and float noise as Excel shows them (see the module)."""
    c = pl.col(column.name)
    shown = column.to_frame().select(
        pl.when(c.str.contains(r"^1899-12-3[01] "))
        .then(c.str.slice(11))  # a time (Excel's day 0)
        .when(c.str.ends_with(" 00:00:00"))
        .then(c.str.slice(0, 10))  # a date
        .when(c == "true")
        .then(pl.lit("TRUE"))
        .when(c == "false")
        .then(pl.lit("FALSE"))
        .otherwise(c)
        .alias(column.name)
    ).to_series()
    # float noise (0.30000000000000004): Python formats only those cells, not the column
    noisy = (column.str.contains(_NOISY) & column.str.contains(".", literal=True)).arg_true()
    if noisy.len():
        values = [_shortest(v) for v in column.gather(noisy)]
        shown = shown.scatter(noisy, pl.Series(values, dtype=pl.String))
    return shown


def _sheet_member(zf: zipfile.ZipFile, name: str) -> str | None:
    """The zip member holding the worksheet called `name` (xlsx/xlsm)."""
    try:
        workbook = zf.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except (KeyError, OSError, zipfile.BadZipFile):
        return None
    rid = None
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
        m = re.search(r'\bname="([^"]*)"', tag)
        if m and html.unescape(m.group(1)) == name:
            r = re.search(r'\br:id="([^"]*)"|\b\w+:id="([^"]*)"', tag)
            rid = r and (r.group(1) or r.group(2))
            break
    if not rid:
        return None
    for tag in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", rels):
        if re.search(rf'\bId="{re.escape(rid)}"', tag):
            target = re.search(r'\bTarget="([^"]*)"', tag)
            if not target:
                return None
            t = target.group(1)
            return t.lstrip("/") if t.startswith("/") else "xl/" + t
    return None


def _hidden_sheets(raw: bytes) -> list[str]:
    """The names of the hidden sheets of an .xlsx (workbook.xml, a few KB)."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            workbook = zf.read("xl/workbook.xml").decode("utf-8", "replace")
    except (KeyError, OSError, zipfile.BadZipFile, ValueError):
        return []
    out = []
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
        m = re.search(r'\bname="([^"]*)"', tag)
        if m and re.search(r'\bstate="(?:hidden|veryHidden)"', tag):
            out.append(html.unescape(m.group(1)))
    return out


@dataclass
class _Layout:
    merged: list[str] = field(default_factory=list)
    hidden_rows: list[int] = field(default_factory=list)
    hidden_rows_total: int = 0
    hidden_columns: list[int] = field(default_factory=list)


_ROW_HIDDEN = re.compile(rb'<(?:\w+:)?row\b[^>]*?\bhidden="(?:1|true)"[^>]*>')
_ROW_NUMBER = re.compile(rb'\br="([0-9]+)"')
_COL_HIDDEN = re.compile(rb'<(?:\w+:)?col\b[^>]*?\bhidden="(?:1|true)"[^>]*>')
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([^"]+)"')


def _scan_layout(raw: bytes, sheet: str) -> _Layout:
    """Merged ranges, hidden rows and hidden columns from the worksheet's XML,
    streamed in chunks (the sizes were checked by _check_zip)."""
    layout = _Layout()
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        member = _sheet_member(zf, sheet)
        if member is None or member not in zf.namelist():
            return layout
        with zf.open(member) as stream:
            tail = b""
            while True:
                chunk = stream.read(4 << 20)
                if not chunk:
                    break
                data = tail + chunk
                cut = data.rfind(b"<")  # a tag cut by the chunk's end is read next time
                cut = cut if cut > 0 else len(data)
                part, tail = data[:cut], data[cut:]
                _scan_part(part, layout)
            _scan_part(tail, layout)
    return layout


def _scan_layout_safe(raw: bytes, sheet: str) -> _Layout:
    try:
        return _scan_layout(raw, sheet)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
        return _Layout()


def _scan_part(part: bytes, layout: _Layout) -> None:
    if b"hidden=" in part:
        for m in _COL_HIDDEN.finditer(part):
            lo = re.search(rb'\bmin="([0-9]+)"', m.group(0))
            hi = re.search(rb'\bmax="([0-9]+)"', m.group(0))
            if lo and hi:
                first, last = int(lo.group(1)), min(int(hi.group(1)), MAX_COLUMNS)
                layout.hidden_columns.extend(range(first - 1, last))
        for m in _ROW_HIDDEN.finditer(part):
            layout.hidden_rows_total += 1
            number = _ROW_NUMBER.search(m.group(0))
            if number and len(layout.hidden_rows) < _NAMED:
                layout.hidden_rows.append(int(number.group(1)))
    if b"mergeCell" in part:
        layout.merged.extend(m.group(1).decode("ascii", "replace") for m in _MERGE.finditer(part))


def _layout_findings(layout: _Layout, path: str, header: list[str]) -> Findings:
    out = Findings()
    count = len(layout.merged)
    for ref in layout.merged:
        start = _cell_name(ref.split(":")[0])
        row, col = start if start else (None, None)
        name = header[col] if col is not None and 0 <= col < len(header) else None
        out.append(MERGED_CELLS.finding(
            path=path, row=row, field=name, range=ref, count=count,
            **({"column_letter": column_letter(col)} if col is not None else {}),
        ))  # fmt: skip
    if layout.hidden_rows_total:
        shown = "、".join(str(r) for r in layout.hidden_rows)
        out.append(HIDDEN_ROWS_COLUMNS.finding(
            path=path, row=layout.hidden_rows[0] if layout.hidden_rows else None, what=_ROWS,
            where=Text(f"{shown} 行目", f"row(s) {shown}"),
            count=Text(f"{layout.hidden_rows_total} 行", f"{layout.hidden_rows_total}"),
        ))  # fmt: skip
    if layout.hidden_columns:
        cols = sorted(set(layout.hidden_columns))
        letters = "、".join(column_letter(c) for c in cols[:_NAMED])
        first = cols[0]
        out.append(HIDDEN_ROWS_COLUMNS.finding(
            path=path, field=header[first] if first < len(header) else None, what=_COLUMNS,
            where=Text(f"{letters} 列", f"column(s) {letters}"),
            count=Text(f"{len(cols)} 列", f"{len(cols)}"), column_letter=column_letter(first),
        ))  # fmt: skip
    return out


def read_workbook(path: str | Path, sheet: str | int | None = None) -> Table:
    """One sheet of a workbook as a Table; problems become findings, never exceptions."""
    from kokai.validators.reading.read import (
        EMPTY_FILE,
        UNREADABLE_FILE,
        _assemble,
        read_regular_file,
    )

    shown = str(path)
    raw = read_regular_file(path)
    if not isinstance(raw, bytes):
        return empty_table(shown, "", [UNREADABLE_FILE.finding(path=shown, reason=raw)])
    if not raw:
        return empty_table(shown, "", [EMPTY_FILE.finding(path=shown)])
    limit = _check_zip(raw, shown)
    if limit is not None:
        return empty_table(shown, "", [limit])
    file_format = Path(shown).suffix.lower().lstrip(".") or "xlsx"
    import fastexcel  # only when a workbook is read: it is not needed for CSV

    try:
        reader = fastexcel.read_excel(raw)
        names = list(reader.sheet_names)
    except Exception:  # fastexcel raises its own error types for every bad workbook
        encrypted = raw.startswith(b"\xd0\xcf\x11\xe0") and b"E\x00n\x00c\x00r\x00y\x00p\x00t" in raw
        reason = _ENCRYPTED if encrypted else _NOT_A_WORKBOOK
        return empty_table(shown, "", [WORKBOOK_UNREADABLE.finding(path=shown, reason=reason)])
    listed = "、".join(f"「{n}」" for n in names) or Text("なし", "none")
    index = _choose_sheet(names, sheet)
    if index is None:
        return empty_table(
            shown, "", [SHEET_NOT_FOUND.finding(path=shown, value=str(sheet), sheets=listed)]
        )
    name = names[index]
    # merged cells and hidden rows/columns: scanned in a thread while fastexcel (which
    # releases the GIL) parses the sheet; the scan mostly inflates, which releases it too
    scan = None
    if raw.startswith(b"PK") and file_format in ("xlsx", "xlsm"):
        pool = ThreadPoolExecutor(1)
        scan = pool.submit(_scan_layout_safe, raw, name)
        pool.shutdown(wait=False)
    try:
        loaded = reader.load_sheet(index, header_row=None, dtypes="string", skip_rows=0)
        columns = loaded.available_columns()
        frame = loaded.to_polars()
    except Exception as exc:
        reason = Text(f"シート「{name}」を読めません: {exc}"[:200], f"sheet {name!r}: {exc}"[:200])
        return empty_table(shown, "", [WORKBOOK_UNREADABLE.finding(path=shown, reason=reason)])
    hidden = _hidden_sheets(raw) if raw.startswith(b"PK") else []
    if loaded.visible != "visible" and name not in hidden:
        hidden.append(name)
    first_column = columns[0].absolute_index if columns else 0
    width = first_column + frame.width
    if width > MAX_COLUMNS:
        from kokai.validators.reading.read import TOO_MANY_COLUMNS

        return empty_table(
            shown, "", [TOO_MANY_COLUMNS.finding(path=shown, count=width, limit=MAX_COLUMNS)]
        )
    text = [s.alias(key(first_column + i)) for i, s in enumerate(_as_text(frame))]
    rows = pl.DataFrame(
        [pl.Series(key(i), [""] * frame.height, dtype=pl.String) for i in range(first_column)] + text
    ) if first_column else pl.DataFrame(text)
    # trailing rows with nothing at all (a formatted but empty area) are not rows a person sees
    if rows.height == 0 or rows.width == 0 or not rows.select(
        pl.any_horizontal([pl.col(c) != "" for c in rows.columns])
    ).to_series().any():
        return empty_table(shown, "", [EMPTY_SHEET.finding(path=shown, sheet=name, sheets=listed)])
    parsed = Parsed(
        rows=rows, line=pl.Series("line", range(1, rows.height + 1), dtype=pl.Int64),
        ncells=None, findings=[],
    )  # fmt: skip
    table = _assemble(shown, "", ",", parsed, [])
    out = SheetTable(
        **{f.name: getattr(table, f.name) for f in fields(Table)},
        sheet=name, sheets=names, hidden_sheets=hidden, file_format=file_format,
    )  # fmt: skip
    if len(names) > 1:
        out.findings.append(
            OTHER_SHEETS.finding(path=shown, count=len(names), sheets=listed, sheet=name)
        )
    if scan is not None:
        out.findings.extend(_layout_findings(scan.result(), shown, out.header))
    return out


def letters_by_field(table: Table) -> dict[str, str]:
    """Header name → column letter, for a table read from a sheet."""
    return {name: column_letter(i) for i, name in enumerate(table.header)}
