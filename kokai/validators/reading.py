"""Reading a CSV/TSV file into an all-text table, whatever its encoding and shape.

CONTRACT (other validators and `kokai fix` code against it):

    @dataclass
    class Table:
        path, encoding, header, data, line, header_rows, junk_lines, findings

    read_table(path) -> Table   # never raises for a bad file: fatal findings instead

`data` holds every row after the header (also blank and totals rows, so that
`kokai fix` can see them); rows whose line is in `junk_lines` are not data and
checks should skip them: `table.checked()` gives the data without them.

How it reads: the bytes are decoded (UTF-8, UTF-8 with BOM, CP932, UTF-16) and
parsed by polars with every column as text. When a cheap whole-file test shows
ragged rows, quoted newlines or broken quoting, the file is parsed again with
the csv module, which knows where each record starts and how many cells it has
(the slow path; polars stays the happy path).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from kokai.validators.report import Finding, Rule

ENCODINGS = ("utf-8", "utf-8-sig", "cp932", "utf-16")

# A standard dataset has tens of columns; a wide statistics table a few hundred.
MAX_COLUMNS = 2000
# A header line longer than this is not a header (e.g. a 100 MB file with no newline).
MAX_HEADER_BYTES = 1 << 20
MAX_CELL_CHARS = 10 << 20
# Rows at the end searched for totals rows and notes.
TAIL_ROWS = 30
TOTALS_WORDS = frozenset({"合計", "総計", "計", "小計", "総合計", "累計"})

# --- rules -----------------------------------------------------------------

UNREADABLE_FILE = Rule(
    "unreadable_file", "error",
    "ファイルを読めません（{reason}）。パスと読み取り権限を確認してください。",
    "cannot read the file ({reason}). Check the path and read permission.",
    fatal=True,
)
EMPTY_FILE = Rule(
    "empty_file", "error",
    "ファイルが空です（0 バイト）。見出し行とデータを含む CSV を保存し直してください。",
    "the file is empty (0 bytes). Save it again as a CSV with a header row and data.",
    machine_readability="L1-01", fatal=True,
)
BINARY_FILE = Rule(
    "binary_file", "error",
    "CSV ではなく{kind}のようです（先頭 {offset} バイト目に制御文字）。"
    "表計算ソフトで「CSV UTF-8（コンマ区切り）」形式で保存し直してください。",
    "this looks like {kind_en}, not a CSV (control byte at offset {offset}). "
    "Save it as 'CSV UTF-8 (comma delimited)'.",
    machine_readability="L1-01", fatal=True,
)
LINE_TOO_LONG = Rule(
    "line_too_long", "error",
    "1 行目（見出し行）が {size} バイトを超えています。改行のない巨大なファイルは表として読めません。"
    "1 行 1 レコードの CSV で保存し直してください。",
    "the first (header) line exceeds {size} bytes; a file without line breaks "
    "cannot be read as a table. Save it as a CSV with one record per line.",
    machine_readability="L1-01", fatal=True,
)
TOO_MANY_COLUMNS = Rule(
    "too_many_columns", "error",
    "列が {count} 列あり、上限 {limit} 列を超えています。"
    "横持ちの表は縦持ち（1 行 1 レコード）に直してください（L3-09）。",
    "{count} columns, more than the limit of {limit}. "
    "Turn the wide table into a long one (one record per row).",
    machine_readability="L3-09", fatal=True,
)
CELL_TOO_LARGE = Rule(
    "csv_parse_error", "error",
    "CSV として読めません（{reason}）。引用符の対応と区切り文字を確認してください。",
    "cannot parse as CSV ({reason}). Check quoting and the delimiter.",
    machine_readability="L1-15", fatal=True,
)
NO_DATA = Rule(
    "no_data_rows", "warning",
    "見出し行だけでデータ行がありません。データを入れて保存してください。",
    "only a header row, no data rows. Add the data.",
)
ENCODING_NOT_UTF8 = Rule(
    "encoding_not_utf8", "warning",
    "文字コードが {encoding} です。UTF-8 で保存することを推奨します"
    "（表計算ソフトでは「CSV UTF-8」形式、または `kokai fix` で変換）。",
    "the encoding is {encoding}. Save as UTF-8 ('CSV UTF-8' format, or convert "
    "with `kokai fix`).",
)
UNDECODABLE_BYTES = Rule(
    "encoding_error", "error",
    "{offset} バイト目から {encoding} として読めないバイトがあります（{count} 箇所、値 {value}）。"
    "文字化けや破損がないか確認し、UTF-8 で保存し直してください。",
    "bytes at offset {offset} cannot be decoded as {encoding} ({count} place(s), "
    "value {value}). Check for corruption and save as UTF-8.",
    machine_readability="L1-08",
)
INVALID_QUOTING = Rule(
    "invalid_quoting", "error",
    "引用符（\"）の使い方が CSV の規則（RFC 4180）に合っていません{where}。"
    "値の中の \" は \"\" と二重にし、値全体を \" で囲んでください。",
    "quotes (\") do not follow the CSV rules (RFC 4180){where_en}. "
    "Double any \" inside a value and enclose the whole value in quotes.",
    machine_readability="L1-15",
)
HEADER_NOT_FIRST = Rule(
    "header_not_first_line", "error",
    "見出し行が {row} 行目にあります。表題や注記の行（1〜{before} 行目）を削除し、"
    "1 行目を見出し行にしてください。",
    "the header is on line {row}. Remove the title/notes lines 1-{before} so that "
    "the file starts with the header row.",
    machine_readability="L3-01",
)
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
MISSING_CELL = Rule(
    "missing-cell", "error",
    "{row} 行目「{field}」のセルがありません（行のセルが {count} 個、見出しは {width} 列）。"
    "空の値でも区切り文字（,）を入れて列数をそろえてください。",
    "line {row}, field {field!r}: the cell is missing (the row has {count} cells, "
    "the header {width}). Keep the delimiters for empty values.",
    machine_readability="L1-05", source="frictionless",
)


# --- the table --------------------------------------------------------------


@dataclass
class Table:
    path: str  # as the user gave it (used in findings)
    encoding: str  # "utf-8" | "utf-8-sig" | "cp932" | "utf-16"
    header: list[str]  # column names (after merging a detected second header row)
    # one pl.String column per header column, in order; raw cell text; "" for an
    # empty cell, null for a cell missing on a short row. Duplicate/blank header
    # names made unique as "<name>__2", "__col3" (1-based column number).
    data: pl.DataFrame
    # pl.Int64, len == data.height: the line number a person sees where each data
    # row starts (header row = 1; second header row = 2 when present)
    line: pl.Series
    header_rows: int = 1  # 1, or 2 when a second header row was detected (and merged)
    # lines `kokai fix` should drop: blank rows, trailing totals (合計) rows and notes
    junk_lines: set[int] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)  # encoding and structure problems
    # the header names as written in the file (first row; before merging/uniquifying)
    raw_header: list[str] = field(default_factory=list)
    # line of the (first) header row: 1 unless title lines come first (L3-01)
    header_line: int = 1
    separator: str = ","

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


def _empty_table(path: str, encoding: str, findings: list[Finding]) -> Table:
    return Table(
        path=path, encoding=encoding, header=[], data=pl.DataFrame(),
        line=pl.Series("line", [], dtype=pl.Int64), findings=findings,
    )


# --- decoding ---------------------------------------------------------------

_MAGIC = (
    (b"PK\x03\x04", "Excel (.xlsx) などの ZIP ファイル", "an Excel (.xlsx) or ZIP file"),
    (b"\xd0\xcf\x11\xe0", "Excel (.xls) ファイル", "an Excel (.xls) file"),
    (b"%PDF", "PDF ファイル", "a PDF file"),
)


def _binary_kind(head: bytes) -> tuple[str, str] | None:
    for magic, ja, en in _MAGIC:
        if head.startswith(magic):
            return ja, en
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text without a BOM shows NUL in every other byte of ASCII characters."""
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even_nul = sample[0::2].count(0) / len(sample[0::2])
    odd_nul = sample[1::2].count(0) / len(sample[1::2])
    if odd_nul > 0.3 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.3 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _valid_utf8(data: bytes) -> bool:
    if data.isascii():
        return True
    try:  # polars validates UTF-8 several times faster than bytes.decode
        pl.Series([data], dtype=pl.Binary).cast(pl.String)
        return True
    except pl.exceptions.PolarsError:
        return False


@dataclass
class _Decoded:
    encoding: str
    data: bytes  # UTF-8 without BOM
    findings: list[Finding]
    # False: not yet checked to be valid UTF-8 (polars checks it while parsing)
    verified: bool = True


def _decode(raw: bytes, path: str) -> _Decoded | Finding:
    """Decode to UTF-8 bytes, or return a fatal finding."""
    if raw.startswith(b"\xef\xbb\xbf"):
        body = raw[3:]
        if _valid_utf8(body):
            return _Decoded("utf-8-sig", body, [])
        return _decode_lossy(body, path, "utf-8-sig", offset_base=3)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode_utf16(raw, "utf-16", path)
    kind = _binary_kind(raw[:8])
    if kind:
        return BINARY_FILE.finding(path=path, kind=kind[0], kind_en=kind[1], offset=0)
    utf16 = _utf16_without_bom(raw)
    if utf16:
        return _decode_utf16(raw, utf16, path)
    nul = raw.find(b"\x00", 0, 1 << 16)
    if nul >= 0:
        return BINARY_FILE.finding(
            path=path, kind="バイナリファイル", kind_en="a binary file", offset=nul
        )
    # most files are UTF-8: polars validates while it parses, saving a pass
    return _Decoded("utf-8", raw, [], verified=raw.isascii())


def _decode_utf16(raw: bytes, codec: str, path: str) -> _Decoded:
    text = raw.decode(codec, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    findings = [ENCODING_NOT_UTF8.finding(path=path, encoding="UTF-16")]
    if "\ufffd" in text:
        findings.append(
            UNDECODABLE_BYTES.finding(
                path=path, encoding="UTF-16", offset=text.index("\ufffd") * 2,
                count=text.count("\ufffd"), value="?",
            )
        )
    return _Decoded("utf-16", text.encode("utf-8"), findings)


def _decode_lossy(raw: bytes, path: str, declared: str | None, offset_base: int = 0) -> _Decoded:
    """Not valid UTF-8: CP932 if it decodes, else the encoding that got furthest,
    with undecodable bytes replaced and reported with their byte offset."""
    try:
        raw.decode("utf-8")
        utf8_error = len(raw)
    except UnicodeDecodeError as exc:
        utf8_error = exc.start
    utf8_prefix_is_japanese = not raw[:utf8_error].isascii()
    if declared is None and not utf8_prefix_is_japanese:
        try:
            text = raw.decode("cp932")
            return _Decoded(
                "cp932",
                text.encode("utf-8"),
                [ENCODING_NOT_UTF8.finding(path=path, encoding="CP932 (Shift_JIS)")],
            )
        except UnicodeDecodeError as exc:
            cp932_error = exc.start
    else:
        cp932_error = -1
    findings: list[Finding] = []
    if utf8_error >= cp932_error:
        encoding, codec, label, bad = declared or "utf-8", "utf-8", "UTF-8", utf8_error
    else:
        encoding, codec, label, bad = "cp932", "cp932", "CP932 (Shift_JIS)", cp932_error
        findings.append(ENCODING_NOT_UTF8.finding(path=path, encoding=label))
    text = raw.decode(codec, errors="replace")
    findings.append(
        UNDECODABLE_BYTES.finding(
            path=path, encoding=label, offset=bad + offset_base,
            count=max(1, text.count("\ufffd") - raw.decode(codec, errors="ignore").count("\ufffd")),
            value=raw[bad : bad + 2].hex(" "),
        )
    )
    return _Decoded(encoding, text.encode("utf-8"), findings)


# --- parsing ----------------------------------------------------------------


@dataclass
class _Parsed:
    rows: pl.DataFrame  # every record, all text, columns c0..cN
    line: pl.Series  # line where each record starts (1-based)
    ncells: pl.Series | None  # cells per record (None: all records have the header width)
    findings: list[Finding]


def _sniff_separator(path: str, first_line: bytes) -> str:
    if path.lower().endswith((".tsv", ".tab")):
        return "\t"
    if first_line.count(b"\t") > first_line.count(b","):
        return "\t"
    return ","


def _physical_lines(data: bytes) -> int:
    if not data:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def _fast_parse(data: bytes, sep: str, width: int) -> _Parsed | str | None:
    """polars, when the whole file has one record per line and no ragged rows;
    None for the slow path, or the text of a badly quoted field."""
    has_quotes = b'"' in data
    if has_quotes and data.count(b'"') % 2:
        return None  # an unclosed quote: let the csv module say where
    try:
        rows = pl.read_csv(
            data, has_header=False, infer_schema=False, separator=sep,
            empty_string_is_null=False, truncate_ragged_lines=False, raise_if_empty=False,
        )
    except pl.exceptions.PolarsError as exc:
        field = re.search(r"Field `(.{0,80})", str(exc), re.S)
        if "not properly escaped" in str(exc) and field:
            return field.group(1).split("`")[0]  # text of the badly quoted field
        return None
    n = rows.height
    if rows.width != width or (has_quotes and n != _physical_lines(data)):
        return None  # quoted newlines (only possible with quotes): slow path
    # an empty line is a row of "" cells: look for the bytes only when such rows exist
    maybe_empty = rows.select(
        pl.all_horizontal([pl.col(c) == "" for c in rows.columns[:1] + rows.columns[-1:]]).any()
    ).item()
    has_empty_lines = bool(maybe_empty) and (
        data.startswith((b"\n", b"\r\n")) or b"\n\n" in data or b"\n\r\n" in data
    )
    # Short rows: polars pads them silently, so count delimiters (polars itself
    # refuses rows with extra cells). Without quotes or empty lines, whole-file
    # counts decide; otherwise count per line, vectorised.
    if not has_quotes and not has_empty_lines:
        if data.count(sep.encode()) != (width - 1) * n:
            return None
    else:
        text = pl.Series([data], dtype=pl.Binary).cast(pl.String)  # no Python str copy
        lines = text.str.split("\n").explode()
        if data.endswith(b"\n"):
            lines = lines.slice(0, lines.len() - 1)
        filled = lines.str.strip_chars_end("\r") != ""  # an empty line is a blank row
        counts = lines.str.count_matches(sep, literal=True)
        # a line with another delimiter count may hold delimiters inside quotes:
        # count again without the quoted parts, on those lines only
        odd = lines.filter(filled & (counts != width - 1))
        if odd.len():
            if not has_quotes:
                return None
            seps = odd.str.replace_all(r'"[^"]*"', "").str.count_matches(sep, literal=True)
            if not (seps == width - 1).all():
                return None
    line = pl.int_range(1, n + 1, eager=True, dtype=pl.Int64).alias("line")
    rows.columns = [f"c{i}" for i in range(rows.width)]
    return _Parsed(rows, line, None, [])


def _slow_parse(text: str, sep: str, path: str) -> _Parsed | Finding:
    """The csv module: knows where each record starts and how many cells it has."""
    csv.field_size_limit(MAX_CELL_CHARS)
    reader = csv.reader(io.StringIO(text, newline="\n"), delimiter=sep, strict=False)
    records: list[list[str]] = []
    starts: list[int] = []
    previous_end = 0
    try:
        for record in reader:
            starts.append(previous_end + 1)
            previous_end = reader.line_num
            records.append(record)
    except csv.Error as exc:
        return CELL_TOO_LARGE.finding(path=path, reason=f"{previous_end + 1} 行目付近: {exc}")
    findings: list[Finding] = []
    if text.count('"') % 2:
        findings.append(
            INVALID_QUOTING.finding(
                path=path, where=f"（閉じていない引用符、{starts[-1] if starts else 1} 行目付近）",
                where_en=f" (unclosed quote near line {starts[-1] if starts else 1})",
            )
        )
    # the csv module yields [] for an empty line: keep it as a one-cell blank record
    ncells = [len(r) or 1 for r in records]
    width = max(ncells, default=1)
    if width > MAX_COLUMNS:
        width = MAX_COLUMNS
    columns = [[] for _ in range(width)]
    for record in records:
        if not record:
            record = [""]
        k = len(record)
        for i in range(width):
            columns[i].append(record[i] if i < k else None)
    rows = pl.DataFrame(
        {f"c{i}": pl.Series(col, dtype=pl.String) for i, col in enumerate(columns)}
    )
    return _Parsed(
        rows,
        pl.Series("line", starts, dtype=pl.Int64),
        pl.Series("ncells", ncells, dtype=pl.Int64),
        findings,
    )


# --- header and structure ---------------------------------------------------


def _nonempty(cells: list[str | None]) -> int:
    return sum(1 for c in cells if c not in (None, "") and c.strip())


def _is_number(text: str) -> bool:
    t = unicodedata.normalize("NFKC", text).replace(",", "").strip()
    try:
        float(t)
        return True
    except ValueError:
        return False


def _find_header(first_rows: list[list[str | None]]) -> int:
    """Index of the header row: 0 unless title/notes lines with at most one cell
    come first and a fuller row follows within the first 10 records."""
    if not first_rows:
        return 0
    width = max(len(r) for r in first_rows)
    if width < 3 or _nonempty(first_rows[0]) > 1:
        return 0
    for i, row in enumerate(first_rows[:10]):
        filled = _nonempty(row)
        if filled >= max(2, width // 2) and not any(
            _is_number(c) for c in row if c not in (None, "")
        ):
            return i
    return 0


def _second_header(header: list[str], second: list[str | None]) -> list[str] | None:
    """The merged names when `second` continues the header: it has text only under
    blank header cells or under a group cell followed by blank cells (merged cell)."""
    if not any(h == "" for h in header):
        return None
    cells = [(c or "").strip() for c in second]
    if not any(cells) or any(c and _is_number(c) for c in cells):
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


def _unique_names(names: list[str], path: str, findings: list[Finding]) -> list[str]:
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        if name == "":
            findings.append(BLANK_LABEL.finding(path=path, row=1, column=i, field=f"__col{i}"))
            out.append(f"__col{i}")
            continue
        if name in seen:
            findings.append(
                DUPLICATE_LABEL.finding(
                    path=path, row=1, field=name, value=name, column=i, first=seen[name]
                )
            )
            k = 2
            while f"{name}__{k}" in seen or f"{name}__{k}" in out:
                k += 1
            out.append(f"{name}__{k}")
        else:
            seen[name] = i
            out.append(name)
    return out


def _blank_mask(data: pl.DataFrame) -> pl.Series:
    if data.width == 0:
        return pl.Series([True] * data.height)
    return data.select(
        pl.all_horizontal([(pl.col(c).is_null() | (pl.col(c) == "")) for c in data.columns])
    ).to_series()


def _normalise_word(text: str | None) -> str:
    if not text:
        return ""
    return unicodedata.normalize("NFKC", text).replace(" ", "").replace("\u3000", "")


def _structure(table: Table, blank: pl.Series) -> None:
    """Blank rows, trailing blank rows, a totals row with the notes around it."""
    path, lines = table.path, table.line
    n = table.data.height
    if n == 0:
        table.findings.append(NO_DATA.finding(path=path))
        return
    blank_list = blank.to_list()
    # trailing blank rows
    end = n
    while end > 0 and blank_list[end - 1]:
        end -= 1
    # a totals row near the end
    tail_start = max(0, end - TAIL_ROWS)
    tail = table.data.slice(tail_start, end - tail_start).rows()
    totals_at = None
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
        first_cells = table.data.get_column(table.data.columns[0]).fill_null("")
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
        for line in lines.slice(0, block_start).filter(inner).to_list():
            table.findings.append(BLANK_ROW.finding(path=path, row=line))
            table.junk_lines.add(line)


def _ragged(table: Table, ncells: pl.Series, blank: pl.Series, width: int) -> None:
    short = (ncells < width) & ~blank
    long = ncells > width
    path = table.path
    for line, count in zip(
        table.line.filter(long).to_list(), ncells.filter(long).to_list(), strict=True
    ):
        table.findings.append(
            EXTRA_CELL.finding(path=path, row=line, count=count, width=width)
        )
    for line, count in zip(
        table.line.filter(short).to_list(), ncells.filter(short).to_list(), strict=True
    ):
        for name in table.header[count:]:
            table.findings.append(
                MISSING_CELL.finding(path=path, row=line, field=name, count=count, width=width)
            )


def _newlines_in_cells(table: Table) -> None:
    if table.data.height == 0:
        return
    # a record spanning several lines is followed by a jump of more than one line
    spans = table.line.shift(-1) - table.line
    candidates = (spans > 1).fill_null(True)
    if not candidates.any():
        return
    rows = table.data.with_columns(table.line).filter(candidates)
    columns = table.data.columns
    for values in rows.iter_rows():
        for name, value in zip(columns, values[:-1], strict=True):
            if value and ("\n" in value or "\r" in value):
                table.findings.append(
                    NEWLINE_IN_CELL.finding(
                        path=table.path, row=values[-1], field=name, value=value
                    )
                )


# --- entry point ------------------------------------------------------------


def read_table(path: str | Path) -> Table:
    """Read a CSV/TSV file; problems become findings, never exceptions."""
    shown = str(path)
    try:
        raw = Path(path).read_bytes()
    except IsADirectoryError:
        return _empty_table(shown, "", [UNREADABLE_FILE.finding(path=shown, reason="フォルダです")])
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return _empty_table(shown, "", [UNREADABLE_FILE.finding(path=shown, reason=reason)])
    return read_table_bytes(raw, shown)


def read_table_bytes(raw: bytes, path: str) -> Table:
    if not raw or (len(raw) < 4096 and not raw.strip(b"\r\n\t \xef\xbb\xbf\x00")):
        return _empty_table(path, "", [EMPTY_FILE.finding(path=path)])
    decoded = _decode(raw, path)
    if isinstance(decoded, Finding):
        return _empty_table(path, "", [decoded])
    table = _parse_decoded(decoded, path)
    if table is None:  # not UTF-8 after all
        table = _parse_decoded(_decode_lossy(raw, path, None), path)
    assert table is not None
    return table


def _parse_decoded(decoded: _Decoded, path: str) -> Table | None:
    """The table, or None when unverified bytes turn out not to be UTF-8."""
    data, findings = decoded.data, list(decoded.findings)
    if b"\r" in data[:65536] and b"\n" not in data:  # classic Mac line ends
        data = data.replace(b"\r", b"\n")
    first_end = data.find(b"\n")
    first_line = data if first_end < 0 else data[:first_end]
    if len(first_line) > MAX_HEADER_BYTES:
        return _empty_table(
            path, decoded.encoding, [*findings, LINE_TOO_LONG.finding(path=path, size=MAX_HEADER_BYTES)]
        )
    sep = _sniff_separator(path, first_line)
    header_cells = first_line.count(sep.encode()) + 1
    if header_cells > MAX_COLUMNS:
        return _empty_table(
            path,
            decoded.encoding,
            [*findings, TOO_MANY_COLUMNS.finding(path=path, count=header_cells, limit=MAX_COLUMNS)],
        )
    parsed = _fast_parse(data, sep, header_cells)
    if not isinstance(parsed, _Parsed):
        if not decoded.verified and not _valid_utf8(data):
            return None
        if isinstance(parsed, str):
            shown = " ".join(parsed.split())[:40]
            findings.append(
                INVALID_QUOTING.finding(
                    path=path, value=shown, where=f"（値 {shown}）", where_en=f" (value {shown})"
                )
            )
        slow = _slow_parse(data.decode("utf-8"), sep, path)
        if isinstance(slow, Finding):
            return _empty_table(path, decoded.encoding, [*findings, slow])
        parsed = slow
    findings.extend(parsed.findings)
    return _assemble(path, decoded.encoding, sep, parsed, findings)


def _assemble(
    path: str, encoding: str, sep: str, parsed: _Parsed, findings: list[Finding]
) -> Table:
    rows, line = parsed.rows, parsed.line
    head = [list(r) for r in rows.slice(0, 12).rows()]
    start = _find_header(head)
    if start:
        findings.append(
            HEADER_NOT_FIRST.finding(path=path, row=int(line[start]), before=int(line[start]) - 1)
        )
    raw_header = [(c or "").strip() for c in head[start]]
    ncells = parsed.ncells
    header_width = int(ncells[start]) if ncells is not None else rows.width
    raw_header = raw_header[:header_width]
    names = list(raw_header)
    header_rows = 1
    if start + 1 < len(head):
        merged = _second_header(raw_header, head[start + 1][:header_width])
        if merged is not None:
            header_rows = 2
            example = "、".join(m for m, h in zip(merged, raw_header, strict=True) if m != h)[:80]
            findings.append(
                MULTI_ROW_HEADER.finding(path=path, row=int(line[start + 1]), example=example)
            )
            names = merged
    if len(names) > MAX_COLUMNS:
        return _empty_table(
            path, encoding,
            [*findings, TOO_MANY_COLUMNS.finding(path=path, count=len(names), limit=MAX_COLUMNS)],
        )
    structure_findings: list[Finding] = []
    unique = _unique_names(names, path, structure_findings)
    body_start = start + header_rows
    body = rows.slice(body_start)
    width = len(unique)
    if body.width < width:  # header wider than any data row
        body = body.with_columns(
            [pl.lit(None, dtype=pl.String).alias(f"c{i}") for i in range(body.width, width)]
        )
    data = body.select([pl.col(f"c{i}").alias(name) for i, name in enumerate(unique)])
    table = Table(
        path=path, encoding=encoding, header=unique, data=data,
        line=line.slice(body_start).alias("line"), header_rows=header_rows,
        findings=findings, raw_header=raw_header, header_line=int(line[start]), separator=sep,
    )
    table.junk_lines.update(line.slice(0, start).to_list())
    table.findings.extend(structure_findings)
    blank = _blank_mask(data)
    if parsed.ncells is not None:
        _ragged(table, parsed.ncells.slice(body_start), blank, width)
        _newlines_in_cells(table)
    _structure(table, blank)
    return table
