"""Safe access to the files of a GTFS feed given as a zip archive or a folder.

Nothing is ever extracted to disk: members are read into memory, so a `../`
or absolute member name cannot write anywhere, and it is reported. Limits on
member count and total uncompressed size (checked while reading, not trusted
from the zip headers) stop zip bombs. As in MobilityData's validator only the
files at the root are the feed; GTFS files inside a subfolder are reported
(`invalid_input_files_in_subfolder`) and not read.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from kokai.validators.report import Finding, Rule

# Generous for any real feed (MBTA, the largest common one, is ~1.5 GB unzipped)
# but bounded, so that a 42 kB zip cannot expand into memory without end.
MAX_TOTAL_BYTES = 4 * 1024**3
MAX_MEMBERS = 10_000
_CHUNK = 1 << 20

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
ZIP_TOO_LARGE = Rule(
    "zip_too_large",
    "error",
    "zip の展開後の大きさまたはファイル数が上限（{limit}）を超えています。GTFS 以外のファイルを"
    "取り除いてください（zip 爆弾の防止）。",
    "The zip expands beyond the limit ({limit}); remove non-GTFS files (zip bomb protection).",
    source="kokai",
    fatal=True,
)


@dataclass
class FeedFiles:
    """The root files of a feed: name → raw bytes (not yet decoded)."""

    source: str
    contents: dict[str, bytes] = field(default_factory=dict)


def _is_unsafe(name: str) -> bool:
    pure = PurePosixPath(name.replace("\\", "/"))
    return (
        name.startswith(("/", "\\"))
        or ".." in pure.parts
        or (len(name) > 1 and name[1] == ":")  # C:\...
    )


def _read_zip(path: Path, out: FeedFiles, findings: list[Finding]) -> None:
    source = out.source
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        findings.append(IO_ERROR.finding(path=source, reason=f"zip として開けません: {exc}"))
        return
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            findings.append(
                ZIP_TOO_LARGE.finding(path=source, limit=f"{MAX_MEMBERS} ファイル / files")
            )
            return
        total = 0
        subfolder_gtfs: list[str] = []
        for info in members:
            name = info.filename
            if _is_unsafe(name):
                findings.append(UNSAFE_ZIP_ENTRY.finding(path=source, value=name))
                continue
            if info.is_dir():
                continue
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if len(parts) > 1:
                # macOS adds __MACOSX/ copies; like MobilityData, nested files are skipped.
                if parts[-1] in GTFS_FILE_NAMES and parts[0] != "__MACOSX":
                    subfolder_gtfs.append(name)
                continue
            try:
                data = bytearray()
                with archive.open(info) as member:
                    while chunk := member.read(_CHUNK):
                        total += len(chunk)
                        if total > MAX_TOTAL_BYTES:
                            findings.append(
                                ZIP_TOO_LARGE.finding(
                                    path=source, limit=f"{MAX_TOTAL_BYTES // 1024**2} MB"
                                )
                            )
                            return
                        data += chunk
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
                findings.append(IO_ERROR.finding(path=source, reason=f"{name}: {exc}"))
                continue
            out.contents[parts[0]] = bytes(data)
        if subfolder_gtfs:
            findings.append(
                INVALID_INPUT_FILES_IN_SUBFOLDER.finding(path=source, value=subfolder_gtfs[0])
            )


def _read_folder(path: Path, out: FeedFiles, findings: list[Finding]) -> None:
    total = 0
    subfolder_gtfs: list[str] = []
    entries = sorted(path.iterdir())
    if len(entries) > MAX_MEMBERS:
        findings.append(ZIP_TOO_LARGE.finding(path=out.source, limit=f"{MAX_MEMBERS} files"))
        return
    for entry in entries:
        if entry.is_dir():
            subfolder_gtfs += [
                f"{entry.name}/{p.name}" for p in entry.iterdir() if p.name in GTFS_FILE_NAMES
            ]
            continue
        if not entry.is_file():
            continue
        total += entry.stat().st_size
        if total > MAX_TOTAL_BYTES:
            findings.append(
                ZIP_TOO_LARGE.finding(path=out.source, limit=f"{MAX_TOTAL_BYTES // 1024**2} MB")
            )
            return
        try:
            out.contents[entry.name] = entry.read_bytes()
        except OSError as exc:
            findings.append(IO_ERROR.finding(path=out.source, reason=f"{entry.name}: {exc}"))
    if subfolder_gtfs:
        findings.append(
            INVALID_INPUT_FILES_IN_SUBFOLDER.finding(
                path=out.source, value=sorted(subfolder_gtfs)[0]
            )
        )


def read_feed_files(path: str | Path) -> tuple[FeedFiles, list[Finding]]:
    """Reads the root files of a zip or a folder. Never raises on bad input:
    problems come back as findings (fatal ones when nothing could be read)."""
    source = str(path)
    out = FeedFiles(source=source)
    findings: list[Finding] = []
    p = Path(path)
    try:
        if p.is_dir():
            _read_folder(p, out, findings)
        elif p.is_file():
            _read_zip(p, out, findings)
        else:
            findings.append(
                IO_ERROR.finding(path=source, reason="ファイルがありません / not found")
            )
    except OSError as exc:
        findings.append(IO_ERROR.finding(path=source, reason=str(exc)))
    return out, findings
