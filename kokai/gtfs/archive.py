"""Safe access to the files of a GTFS feed given as a zip archive or a folder.

Nothing is ever extracted to disk: members are read into memory one at a time,
when the loader asks for them, so a `../` or absolute member name cannot write
anywhere, and it is reported. As in MobilityData's validator only the files at
the root are the feed; GTFS files inside a subfolder are reported
(`invalid_input_files_in_subfolder`) and not read.

Limits (zip bombs, huge or endless inputs). Sizes are counted while a member is
inflated or a file is read, never taken from the zip headers or `stat`:

- MAX_MEMBERS entries in the archive or the folder;
- MAX_FILE_BYTES inflated per file (1 GiB: the stop_times.txt of the largest
  common feeds is a few hundred MB) and MAX_TOTAL_BYTES for the files read
  (4 GiB; MBTA, the largest common feed, is ~1.5 GB unzipped);
- MAX_RATIO: a member that inflates to more than 100 times the compressed bytes
  read so far is refused once past RATIO_GRACE_BYTES (real GTFS text compresses
  8-20:1; Apache POI and most zip-bomb guards use the same 100:1 bound). A 1 MB
  bomb is thus refused after ~100 MB, not after 1 GiB.

Only regular files are read: a FIFO, a device (/dev/zero) or a socket, given as
the feed or found among its files, is refused before any byte is read.
"""

from __future__ import annotations

import io
import lzma
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from kokai.validators.report import Finding, Findings, Rule, Text

MAX_MEMBERS = 10_000
MAX_FILE_BYTES = 1024**3
MAX_TOTAL_BYTES = 4 * 1024**3
MAX_RATIO = 100
RATIO_GRACE_BYTES = 1024**2
_CHUNK = 256 * 1024  # small reads: an inflating member is checked every 256 KiB

# What zipfile and its decompressors raise on a damaged or unsupported archive.
_ZIP_ERRORS = (
    zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, RuntimeError,
    NotImplementedError, zlib.error, lzma.LZMAError, struct.error, UnicodeDecodeError,
    OverflowError, IndexError, KeyError,
)  # fmt: skip
_ENCRYPTED = 0x1  # general purpose flag bit 0

# Every file name the GTFS Schedule reference defines (MobilityData GtfsFiles).
GTFS_FILE_NAMES = frozenset(
    {
        "agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt",
        "calendar.txt", "calendar_dates.txt", "fare_attributes.txt", "fare_rules.txt",
        "timeframes.txt", "rider_categories.txt", "fare_media.txt", "fare_products.txt",
        "fare_leg_rules.txt", "fare_leg_join_rules.txt", "fare_transfer_rules.txt",
        "areas.txt", "stop_areas.txt", "networks.txt", "route_networks.txt", "shapes.txt",
        "frequencies.txt", "transfers.txt", "pathways.txt", "levels.txt",
        "location_groups.txt", "location_group_stops.txt", "locations.geojson",
        "booking_rules.txt", "translations.txt", "feed_info.txt", "attributions.txt",
    }
)  # fmt: skip

IO_ERROR = Rule(
    "i_o_error",
    "error",
    "フィード {path} を読み込めません（{reason}）。zip ファイルまたはフォルダのパスを確かめ、"
    "壊れていない zip を作り直してください。",
    "Cannot read the feed {path} ({reason}). Check the path, or rebuild the zip.",
    source="mobilitydata",
    fatal=True,
)
INVALID_INPUT_FILES_IN_SUBFOLDER = Rule(
    "invalid_input_files_in_subfolder",
    "error",
    "GTFS のファイル {value} がフォルダの中に入っています。GTFS のファイルはすべて zip の"
    "最上位に置いてください（フォルダごとではなく、ファイルを選んで圧縮します）。",
    "GTFS file {value} is inside a subfolder. All GTFS files must sit at the root of the zip "
    "(zip the files, not their folder).",
    source="mobilitydata",
)
UNSAFE_ZIP_ENTRY = Rule(
    "unsafe_zip_entry",
    "error",
    "zip の中の名前 {value} は親フォルダ（../）や絶対パスを指しています。危険なため読み込み"
    "ませんでした。ファイルをそのままの名前で zip の最上位に入れて作り直してください。",
    "Zip member {value} points outside the archive (../ or absolute path); it was not read. "
    "Rebuild the zip with plain file names at its root.",
    source="kokai",
)
# `limit` says which limit, `hint` what to do (both Text).
ZIP_TOO_LARGE = Rule(
    "zip_too_large",
    "error",
    "zip が安全のための上限（{limit}）を超えたため、読み込みを中止しました（zip 爆弾の防止）。{hint}",
    "The zip exceeds a safety limit ({limit}); reading stopped (zip bomb protection). {hint}",
    source="kokai",
    fatal=True,
)


def _mib(n: int) -> str:
    return f"{n // 1024**2} MB"


_REMOVE_OTHERS = Text(
    "GTFS 以外のファイルを取り除いてください。", "Remove the files that are not GTFS."
)


class _LimitExceeded(Exception):
    """One of the limits above; `limit` and `hint` are the finding's parameters."""

    def __init__(self, limit: Text, hint: Text = _REMOVE_OTHERS):
        self.limit = limit
        self.hint = hint


def _too_many() -> _LimitExceeded:
    return _LimitExceeded(Text(f"ファイル数 {MAX_MEMBERS}", f"{MAX_MEMBERS} files"))


def _too_large_total() -> _LimitExceeded:
    total = _mib(MAX_TOTAL_BYTES)
    return _LimitExceeded(Text(f"展開後の合計 {total}", f"{total} unzipped in all"))


def _too_large_file(name: str) -> _LimitExceeded:
    size = _mib(MAX_FILE_BYTES)
    return _LimitExceeded(
        Text(f"{name} の展開後の大きさ {size}", f"{name}: {size} unzipped"),
        Text(
            "GTFS のデータだけが入っているか確かめてください。",
            "Check that it holds GTFS data only.",
        ),
    )


def _too_compressed(name: str) -> _LimitExceeded:
    return _LimitExceeded(
        Text(f"{name} の圧縮率 {MAX_RATIO} 倍", f"{name} compressed over {MAX_RATIO}:1"),
        Text(
            "GTFS のテキストの圧縮率は 10〜20 倍ほどです。ファイルの中身を確かめ、通常の方法で "
            "zip を作り直してください。",
            "GTFS text compresses about 10-20:1; check the file and zip it again normally.",
        ),
    )


def _encrypted(name: str) -> Text:
    return Text(
        f"{name} はパスワードで暗号化されています。暗号化せずに zip を作り直してください",
        f"{name} is encrypted; rebuild the zip without a password",
    )


NOT_FOUND = Text("ファイルがありません", "not found")
NOT_REGULAR = Text(
    "通常のファイルではありません（FIFO・デバイスなど）。読み込みませんでした",
    "not a regular file (FIFO, device...); not read",
)


def _is_unsafe(name: str) -> bool:
    pure = PurePosixPath(name.replace("\\", "/"))
    return (
        name.startswith(("/", "\\"))
        or ".." in pure.parts
        or (len(name) > 1 and name[1] == ":")  # C:\...
    )


class FeedReadError(Exception):
    """A file of the feed could not be read to the end (the reader's findings say why)."""


class _Refused(Exception):
    """A file kokai will not read (not a regular file, encrypted)."""

    def __init__(self, reason: Text):
        self.reason = reason


class _CountingFile:
    """A file object that counts the bytes read from it: the compressed bytes a
    zip member has consumed (zipfile reads members through it)."""

    def __init__(self, raw: io.BufferedReader):
        self._raw = raw
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self.count += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def seekable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()


def _open_regular(path: Path, name: str | None = None) -> io.BufferedReader:
    """Opens a regular file for reading; refuses a FIFO, device or socket without
    blocking on it (O_NONBLOCK, then fstat of what was actually opened)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _Refused(_prefixed(name, NOT_REGULAR))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _prefixed(name: str | None, reason: Text) -> Text:
    return reason if name is None else Text(f"{name}: {reason.ja}", f"{name}: {reason.en}")


class FeedReader:
    """The root files of a feed, read one at a time under the limits above.

    `names`: the root file names (sorted); `findings`: problems found so far
    (opening, names, and the reads); `failed`: a fatal problem was found, the
    feed cannot be read. `read(name)` returns the bytes, or None when that file
    could not be read (a finding says why). Never raises on bad input."""

    def __init__(self, source: str):
        self.source = source
        self.names: list[str] = []
        self.findings = Findings()
        self._total = 0

    @property
    def failed(self) -> bool:
        return any(f.fatal for f in self.findings)

    def read(self, name: str) -> bytes | None:
        if self.failed or name not in self.names:
            return None
        try:
            return self._read(name)
        except (_LimitExceeded, _Refused, *_ZIP_ERRORS) as exc:
            self._failed(name, exc)
        return None

    def chunks(self, name: str) -> Iterator[bytes]:
        """The bytes of `name` in chunks of at most 256 KiB, under the same limits as
        `read` but never held whole (for `kokai gtfs fix`, which streams). On a
        problem the finding is added and FeedReadError is raised."""
        if self.failed or name not in self.names:
            raise FeedReadError(name)
        try:
            with self._open(name) as (source, raw_count):
                yield from self._counted(name, source, raw_count)
        except (_LimitExceeded, _Refused, *_ZIP_ERRORS) as exc:
            self._failed(name, exc)
            raise FeedReadError(name) from None

    @contextmanager
    def _open(self, name: str):
        raise NotImplementedError
        yield

    def close(self) -> None:
        pass

    def __enter__(self) -> FeedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self, name: str) -> bytes:
        with self._open(name) as (source, raw_count):
            return self._copy(name, source, raw_count)

    def _failed(self, name: str, exc: Exception) -> None:
        """The finding for a member that could not be read."""
        if isinstance(exc, _LimitExceeded):
            self._too_large(exc)
        elif isinstance(exc, _Refused):
            self._io_error(exc.reason)
        else:
            self._io_error(f"{name}: {exc}"[:300])

    def _too_large(self, exc: _LimitExceeded) -> None:
        self.findings.append(
            ZIP_TOO_LARGE.finding(path=self.source, limit=exc.limit, hint=exc.hint)
        )

    def _io_error(self, reason: str | Text) -> None:
        self.findings.append(IO_ERROR.finding(path=self.source, reason=reason))

    def _copy(self, name: str, source, raw_count=None) -> bytes:
        """Reads `source` to the end in chunks, counting: the per-file and total
        limits, and (for a zip member) the inflate ratio against `raw_count()`."""
        return b"".join(self._counted(name, source, raw_count))  # one copy, not two

    def _counted(self, name: str, source, raw_count=None) -> Iterator[bytes]:
        size = 0
        while chunk := source.read(_CHUNK):
            size += len(chunk)
            if size > MAX_FILE_BYTES:
                raise _too_large_file(name)
            if self._total + size > MAX_TOTAL_BYTES:
                raise _too_large_total()
            if raw_count is not None and size > RATIO_GRACE_BYTES:
                if size > MAX_RATIO * max(raw_count(), 1):
                    raise _too_compressed(name)
            yield chunk
        self._total += size


class _ZipReader(FeedReader):
    def __init__(self, source: str, handle: io.BufferedReader):
        super().__init__(source)
        self._file = _CountingFile(handle)
        self._archive: zipfile.ZipFile | None = None
        self._members: dict[str, zipfile.ZipInfo] = {}
        try:
            self._archive = zipfile.ZipFile(self._file)
            members = self._archive.infolist()
        except _ZIP_ERRORS as exc:
            reason = Text(f"zip として開けません: {exc}", f"not a readable zip: {exc}")
            self._io_error(reason)
            return
        if len(members) > MAX_MEMBERS:
            self._too_large(_too_many())
            return
        subfolder_gtfs: list[str] = []
        for info in members:
            name = info.filename
            if _is_unsafe(name):
                self.findings.append(UNSAFE_ZIP_ENTRY.finding(path=source, value=name))
                continue
            if not name or name.endswith("/"):  # a folder, or no name at all
                continue
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if not parts:
                continue
            if len(parts) > 1:
                # macOS adds __MACOSX/ copies; like MobilityData, nested files are skipped.
                if parts[-1] in GTFS_FILE_NAMES and parts[0] != "__MACOSX":
                    subfolder_gtfs.append(name)
                continue
            self._members[parts[0]] = info  # a repeated name: the last one, as zipfile does
        self.names = sorted(self._members)
        if subfolder_gtfs:
            self.findings.append(
                INVALID_INPUT_FILES_IN_SUBFOLDER.finding(path=source, value=subfolder_gtfs[0])
            )

    @contextmanager
    def _open(self, name: str):
        info = self._members[name]
        if info.flag_bits & _ENCRYPTED:
            raise _Refused(_encrypted(name))
        assert self._archive is not None
        start = self._file.count
        with self._archive.open(info) as member:
            yield member, (lambda: self._file.count - start)

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()
        self._file.close()


class _FolderReader(FeedReader):
    def __init__(self, source: str, path: Path):
        super().__init__(source)
        self._path = path
        entries = sorted(path.iterdir())
        if len(entries) > MAX_MEMBERS:
            self._too_large(_too_many())
            return
        subfolder_gtfs: list[str] = []
        for entry in entries:
            try:
                mode = entry.stat().st_mode  # follows a symbolic link, as reading would
            except FileNotFoundError:
                continue  # a dangling link: not a file of the feed
            if stat.S_ISDIR(mode):
                subfolder_gtfs += [
                    f"{entry.name}/{p.name}" for p in entry.iterdir() if p.name in GTFS_FILE_NAMES
                ]
            elif stat.S_ISREG(mode):
                self.names.append(entry.name)
            else:
                self._io_error(_prefixed(entry.name, NOT_REGULAR))
                return
        if subfolder_gtfs:
            self.findings.append(
                INVALID_INPUT_FILES_IN_SUBFOLDER.finding(
                    path=source, value=sorted(subfolder_gtfs)[0]
                )
            )

    @contextmanager
    def _open(self, name: str):
        with _open_regular(self._path / name, name) as handle:
            yield handle, None


def open_feed(path: str | Path) -> FeedReader:
    """The reader of a zip or a folder. Never raises on bad input: problems are
    in `reader.findings` (fatal ones when the feed cannot be read at all)."""
    source = str(path)
    p = Path(path)
    try:
        mode = p.stat().st_mode
    except FileNotFoundError:
        reader = FeedReader(source)
        reader._io_error(NOT_FOUND)
        return reader
    except (OSError, ValueError) as exc:
        reader = FeedReader(source)
        reader._io_error(str(exc))
        return reader
    try:
        if stat.S_ISDIR(mode):
            return _FolderReader(source, p)
        return _ZipReader(source, _open_regular(p))
    except _Refused as exc:
        reader = FeedReader(source)
        reader._io_error(exc.reason)
        return reader
    except OSError as exc:
        reader = FeedReader(source)
        reader._io_error(str(exc))
        return reader


@dataclass
class FeedFiles:
    """The root files of a feed: name → raw bytes (not yet decoded)."""

    source: str
    contents: dict[str, bytes] = field(default_factory=dict)


def read_feed_files(path: str | Path) -> tuple[FeedFiles, list[Finding]]:
    """Every root file of a zip or a folder at once (for small uses and tests; the
    loader reads them one at a time through `open_feed`)."""
    out = FeedFiles(source=str(path))
    with open_feed(path) as reader:
        for name in reader.names:
            data = reader.read(name)
            if reader.failed:
                break
            if data is not None:
                out.contents[name] = data
        return out, reader.findings
