"""`kokai gtfs fix IN OUT`: repair the mechanical problems of a GTFS feed and
list every change.

What it changes (each change is an info finding on IN's file):
- a UTF-8 byte-order mark is removed (`fixed_bom`); a file that is not UTF-8
  but reads as CP932 (Shift_JIS) is converted to UTF-8 (`fixed_encoding`);
- CRLF or CR line ends become LF (`fixed_line_endings`);
- spaces and tabs before or after a value or a column name are removed
  (`fixed_whitespace`, one finding per cell, MobilityData's
  `leading_or_trailing_whitespaces`); blank lines are dropped (`fixed_blank_line`);
- stop_times.txt is ordered by trip_id, then stop_sequence (as a number);
  shapes.txt by shape_id, then shape_pt_sequence (`sorted_rows`). MobilityData
  expects no other order (its `unsorted_stop_times` is about stop_times only);
- a missing feed_info.txt is made from agency.txt (publisher name and URL, and
  feed_lang = agency_lang, or ja for an Asia/Tokyo agency without one) and the
  service dates (first and last date of calendar.txt / calendar_dates.txt)
  (`created_feed_info`).

Nothing else is touched: quoting is rewritten the minimal CSV way, which
changes no value. Files that are not .txt are copied as they are.

IN (a zip or a folder) is only read, through kokai.gtfs.archive with its
limits. OUT is a zip when its name ends in .zip (members sorted by name, fixed
time stamps and permissions: the same IN gives the same bytes), otherwise a
new folder. Either is staged in a temporary folder beside OUT and moved into
place at the end, so a failure leaves no half-written OUT.

Memory stays bounded: every file is streamed from IN in 256 KiB chunks,
decoded incrementally and rewritten row by row to the staging folder. A file
that must be sorted and is not already in order is split by trip_id (or
shape_id) into buckets of about 64 MiB on disk (a stable CRC32 of the id picks
the bucket, so all rows of one trip are in one bucket); each bucket is then
sorted with polars and appended. The peak is one bucket, whatever the size of
stop_times.txt; a feed under 64 MiB is one bucket, hence simply sorted by
(trip_id, stop_sequence).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import polars as pl

from kokai.errors import KokaiError
from kokai.gtfs.archive import FeedReader, FeedReadError, open_feed
from kokai.validators.report import Findings, Report, Rule, Text

FIXED_BOM = Rule(
    "fixed_bom", "info",
    "{path} の先頭の BOM（バイト順マーク）を取り除きました。",
    "{path}: removed the byte-order mark.",
)  # fmt: skip
FIXED_GTFS_ENCODING = Rule(
    "fixed_gtfs_encoding", "info",
    "{path} の文字コードを {encoding} から UTF-8 に変換しました（GTFS は UTF-8 です）。",
    "{path}: converted the encoding from {encoding} to UTF-8 (GTFS is UTF-8).",
)  # fmt: skip
FIXED_LINE_ENDINGS = Rule(
    "fixed_line_endings", "info",
    "{path} の改行（{kind}）を LF にそろえました。",
    "{path}: line ends ({kind}) changed to LF.",
)  # fmt: skip
FIXED_WHITESPACE = Rule(
    "fixed_whitespace", "info",
    "{path} の {row} 行目「{field}」の値「{value}」の前後の空白を取り除きました。",
    "{path} row {row}, {field}: removed the spaces around {value!r}.",
)  # fmt: skip
FIXED_BLANK_LINE = Rule(
    "fixed_blank_line", "info",
    "{path} の {row} 行目の空行を削除しました。",
    "{path}: dropped the blank line {row}.",
)  # fmt: skip
SORTED_ROWS = Rule(
    "sorted_rows", "info",
    "{path} の行を {order} の順に並べ替えました。",
    "{path}: sorted the rows by {order}.",
)  # fmt: skip
CREATED_FEED_INFO = Rule(
    "created_feed_info", "info",
    "feed_info.txt がなかったので、agency.txt と運行日から作りました（{values}）。"
    "内容を確かめ、必要なら feed_version や問い合わせ先を加えてください。",
    "feed_info.txt was missing; made it from agency.txt and the service dates ({values}). "
    "Check it, and add feed_version and a contact if you can.",
)  # fmt: skip
FEED_INFO_NOT_CREATED = Rule(
    "feed_info_not_created", "info",
    "feed_info.txt がありませんが、agency.txt から{reason}ため作りませんでした。手で作ってください。",
    "feed_info.txt is missing and was not made: {reason}.",
)  # fmt: skip

# Files sorted, and their keys: (group column, sequence column).
SORT_KEYS = {
    "stop_times.txt": ("trip_id", "stop_sequence"),
    "shapes.txt": ("shape_id", "shape_pt_sequence"),
}
BUCKET_BYTES = 64 * 1024**2
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_SPACES = " \t"


def fix_feed(
    in_path: str | Path, out_path: str | Path, *, profile: str | None = None,
    today: date | None = None,
) -> Report:  # fmt: skip
    """Writes the repaired copy of IN to OUT. The report lists the changes (info
    findings on IN's files, with IN's line numbers), then the validation of OUT
    (its exit status is that of `kokai gtfs validate OUT`). Raises KokaiError
    when OUT cannot be written where asked."""
    from kokai.gtfs.validate import validate_feed

    src, dst = Path(in_path), Path(out_path)
    _refuse(src, dst)
    changes = Report()
    changes.add_source(str(src), "gtfs")
    findings = Findings()
    dst.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".kokai-fix-", dir=dst.parent))
    try:
        with open_feed(src) as reader:
            if reader.failed:
                changes.extend(reader.findings)
                return changes
            for name in reader.names:
                try:
                    _fix_file(reader, name, staging, findings)
                except FeedReadError:
                    break
            changes.extend(reader.findings)
            if reader.failed:
                return changes
        if "feed_info.txt" not in {p.name for p in staging.iterdir()}:
            _create_feed_info(staging, findings)
        changes.extend(findings)
        _publish(staging, dst)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    changes.merge(validate_feed(dst, profile=profile, today=today))
    return changes


def _refuse(src: Path, dst: Path) -> None:
    if not src.exists():
        raise KokaiError(f"「{src}」が見つかりません。 / {src} does not exist")
    if dst.is_symlink():
        raise KokaiError(f"出力先「{dst}」はシンボリックリンクです。 / OUT is a symbolic link")
    if dst.exists():
        if src.resolve() == dst.resolve():
            raise KokaiError(f"入力と出力が同じです（{dst}）。 / IN and OUT are the same")
        if dst.is_dir() and any(dst.iterdir()):
            raise KokaiError(
                f"出力先のフォルダ「{dst}」は空ではありません。新しいフォルダ名を指定してください。"
                f" / OUT is a folder that is not empty"
            )
        if dst.suffix.lower() == ".zip" and not dst.is_file():
            raise KokaiError(f"出力先「{dst}」は通常のファイルではありません。 / OUT is not a file")


def _publish(staging: Path, dst: Path) -> None:
    names = sorted(p.name for p in staging.iterdir())
    if dst.suffix.lower() == ".zip":
        fd, tmp = tempfile.mkstemp(prefix=".kokai-fix-", suffix=".zip", dir=dst.parent)
        try:
            with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w") as zf:
                for name in names:
                    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    with open(staging / name, "rb") as source, zf.open(info, "w") as target:
                        shutil.copyfileobj(source, target, 1024 * 1024)
            os.replace(tmp, dst)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return
    target = Path(tempfile.mkdtemp(prefix=".kokai-fix-out-", dir=dst.parent))
    for name in names:
        shutil.move(staging / name, target / name)
    if dst.exists():
        dst.rmdir()  # an empty folder (checked by _refuse)
    os.replace(target, dst)


# --- one file ---------------------------------------------------------------------------


class _ChunkStream(io.RawIOBase):
    """A read-only binary stream over an iterator of chunks."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._rest:
            try:
                self._rest = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._rest))
        buffer[:n] = self._rest[:n]
        self._rest = self._rest[n:]
        return n


def _encoding_of(reader: FeedReader, name: str) -> tuple[str, bool, bool]:
    """(encoding, has a BOM, ends its lines with CR alone: no LF at all), in one
    streaming pass (two for a file that is not UTF-8)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    first, cr, lf, utf8 = True, False, False, True
    for chunk in reader.chunks(name):
        if first:
            bom = chunk.startswith(codecs.BOM_UTF8)
            first = False
        cr = cr or b"\r" in chunk
        lf = lf or b"\n" in chunk
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
    cr = cr and not lf
    if first:
        return "utf-8", False, False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    if utf8:
        return ("utf-8-sig" if bom else "utf-8"), bom, cr
    decoder = codecs.getincrementaldecoder("cp932")()
    try:
        for chunk in reader.chunks(name):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "", False, cr  # neither: copied as it is, the validation reports it
    return "cp932", False, cr


def _fix_file(reader: FeedReader, name: str, staging: Path, out: Findings) -> None:
    target = staging / name
    if not name.endswith(".txt"):
        with open(target, "wb") as handle:
            for chunk in reader.chunks(name):
                handle.write(chunk)
        return
    encoding, bom, cr_only = _encoding_of(reader, name)
    if not encoding:
        with open(target, "wb") as handle:
            for chunk in reader.chunks(name):
                handle.write(chunk)
        return
    if bom:
        out.append(FIXED_BOM.finding(path=name))
    if encoding == "cp932":
        out.append(FIXED_GTFS_ENCODING.finding(path=name, encoding="CP932 (Shift_JIS)"))
    text = io.TextIOWrapper(
        io.BufferedReader(_ChunkStream(reader.chunks(name)), 1024 * 1024),
        encoding=encoding, newline="" if cr_only else "\n",
    )  # fmt: skip
    crlf = [cr_only]
    rows = csv.reader(text if cr_only else _lines(text, crlf))
    key = SORT_KEYS.get(name)
    with open(target, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(_Restoring(handle), lineterminator="\n")
        header: list[str] | None = None
        checker = _OrderChecker() if key else None
        for cells in rows:
            line = rows.line_num
            if all(c.strip(_SPACES) == "" for c in cells):  # [] for an empty line
                out.append(FIXED_BLANK_LINE.finding(path=name, row=line))
                continue
            fixed = [c.strip(_SPACES) for c in cells]
            labels = header or fixed
            for i, (old, new) in enumerate(zip(cells, fixed, strict=True)):
                if old != new:
                    field = labels[i] if i < len(labels) else str(i + 1)
                    out.append(
                        FIXED_WHITESPACE.finding(path=name, row=line, field=field, value=old)
                    )
            if header is None:
                header = fixed
                if key and checker is not None:
                    checker.columns(header, key)
            elif checker is not None:
                checker.add(fixed)
            writer.writerow(fixed)
    if crlf[0]:
        out.append(FIXED_LINE_ENDINGS.finding(path=name, kind=Text("CR または CRLF", "CR or CRLF")))
    if key and checker is not None and checker.usable and not checker.in_order:
        _sort(target, header or [], key, staging)
        out.append(SORTED_ROWS.finding(path=name, order=" → ".join(key)))


# A CR alone inside a line (not before LF) is part of a value, not a line end:
# csv would split the row there, so it is hidden behind this private-use character
# while csv reads and writes, and put back as it was.
_LONE_CR = "\U0010fffd"


def _lines(text: Iterator[str], crlf: list[bool]) -> Iterator[str]:
    """Lines split at LF only, CRLF made LF (crlf[0] is set when one was seen)."""
    for line in text:
        if line.endswith("\r\n"):
            line = line[:-2] + "\n"
            crlf[0] = True
        yield line.replace("\r", _LONE_CR) if "\r" in line else line


class _Restoring:
    """A text sink that writes hidden lone CRs back."""

    def __init__(self, handle):
        self._handle = handle

    def write(self, text: str) -> int:
        return self._handle.write(text.replace(_LONE_CR, "\r"))


class _OrderChecker:
    """Whether the rows are already grouped by one column in increasing
    (numeric) sequence. Holds the set of group ids seen, not the rows."""

    def __init__(self) -> None:
        self.usable = False
        self.in_order = True
        self._seen: set[str] = set()
        self._last: tuple[str, int] | None = None

    def columns(self, header: list[str], key: tuple[str, str]) -> None:
        if key[0] in header and key[1] in header:
            self.usable = True
            self._g, self._s = header.index(key[0]), header.index(key[1])

    def add(self, cells: list[str]) -> None:
        if not self.usable or not self.in_order:
            return
        try:
            group, seq = cells[self._g], int(cells[self._s])
        except (IndexError, ValueError):
            self.usable = False  # not sortable mechanically: left as it is
            return
        if self._last is not None and group == self._last[0]:
            if seq <= self._last[1]:
                self.in_order = False
        elif group in self._seen:
            self.in_order = False
        self._seen.add(group)
        self._last = (group, seq)


def _sort(path: Path, header: list[str], key: tuple[str, str], staging: Path) -> None:
    """Sorts the rewritten file by (group, sequence) in buckets of ~BUCKET_BYTES."""
    count = max(1, path.stat().st_size // BUCKET_BYTES + 1)
    group_index = header.index(key[0])
    bucket_dir = Path(tempfile.mkdtemp(prefix=".buckets-", dir=staging))
    try:
        handles = [open(bucket_dir / f"{i}.csv", "w", encoding="utf-8", newline="")
                   for i in range(count)]  # fmt: skip
        try:
            writers = [csv.writer(h, lineterminator="\n") for h in handles]
            for w in writers:
                w.writerow(header)
            with open(path, encoding="utf-8", newline="\n") as source:
                rows = csv.reader(_lines(source, [False]))
                next(rows)
                for cells in rows:
                    group = cells[group_index] if group_index < len(cells) else ""
                    writers[zlib.crc32(group.encode()) % count].writerow(cells)
        finally:
            for h in handles:
                h.close()
        with open(path, "w", encoding="utf-8", newline="") as target:
            csv.writer(_Restoring(target), lineterminator="\n").writerow(header)
            for i in range(count):
                part = pl.read_csv(bucket_dir / f"{i}.csv", infer_schema=False)  # fmt: skip
                if part.height == 0:
                    continue
                part = (
                    part.with_row_index("__row__")
                    .sort(
                        [
                            pl.col(key[0]),
                            pl.col(key[1]).str.strip_chars().cast(pl.Int64, strict=False),
                            pl.col("__row__"),
                        ],
                        nulls_last=True,
                    )  # fmt: skip
                    .drop("__row__")
                )
                text = part.write_csv(include_header=False, line_terminator="\n")
                target.write(text.replace(_LONE_CR, "\r"))
                del part
    finally:
        shutil.rmtree(bucket_dir, ignore_errors=True)


# --- feed_info.txt ----------------------------------------------------------------------


def _read_small(path: Path) -> pl.DataFrame | None:
    if not path.exists():
        return None
    try:
        return pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError):
        return None


def _create_feed_info(staging: Path, out: Findings) -> None:
    agency = _read_small(staging / "agency.txt")
    if agency is None or agency.height == 0:
        out.append(
            FEED_INFO_NOT_CREATED.finding(
                path="feed_info.txt",
                reason=Text("読める行がない", "agency.txt has no readable row"),
            )
        )
        return  # fmt: skip
    first = agency.row(0, named=True)
    name = (first.get("agency_name") or "").strip()
    url = (first.get("agency_url") or "").strip()
    lang = (first.get("agency_lang") or "").strip()
    if not lang and (first.get("agency_timezone") or "").strip() == "Asia/Tokyo":
        lang = "ja"
    if not (name and url and lang):
        out.append(
            FEED_INFO_NOT_CREATED.finding(
                path="feed_info.txt",
                reason=Text("名前・URL・言語が読み取れない", "no agency name, URL or language"),
            )
        )
        return  # fmt: skip
    start, end = _service_span(staging)
    columns = ["feed_publisher_name", "feed_publisher_url", "feed_lang"]
    values = [name, url, lang]
    if start and end:
        columns += ["feed_start_date", "feed_end_date"]
        values += [start, end]
    with open(staging / "feed_info.txt", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerow(values)
    out.append(CREATED_FEED_INFO.finding(
        path="feed_info.txt", values=", ".join(f"{c}={v}" for c, v in zip(columns, values,
                                                                        strict=True))))  # fmt: skip


def _service_span(staging: Path) -> tuple[str | None, str | None]:
    """First and last date of calendar.txt ranges and calendar_dates.txt added dates."""
    dates: list[str] = []
    for name, columns, keep in (
        ("calendar.txt", ("start_date", "end_date"), None),
        ("calendar_dates.txt", ("date",), "1"),
    ):
        path = staging / name
        if not path.exists():
            continue
        try:
            frame = pl.scan_csv(path, infer_schema=False)
            if keep is not None:
                frame = frame.filter(pl.col("exception_type") == keep)
            got = frame.select(
                [pl.col(c).str.to_date("%Y%m%d", strict=False).min().alias(f"{c}_min")
                 for c in columns]
                + [pl.col(c).str.to_date("%Y%m%d", strict=False).max().alias(f"{c}_max")
                   for c in columns]
            ).collect()  # fmt: skip
        except (pl.exceptions.PolarsError, OSError):
            continue
        dates += [v.strftime("%Y%m%d") for v in got.row(0) if v is not None]
    if not dates:
        return None, None
    return min(dates), max(dates)
