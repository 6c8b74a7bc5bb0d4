"""A GTFS feed folder as a zip that is the same bytes whenever its files are.

Consumers such as Transitland key feed versions on the zip's sha256, so
re-zipping unchanged data must give a byte-identical zip: members in sorted
order, fixed timestamps (1980-01-01, the earliest a zip can store), fixed
permissions and host system, one compression level. Only the feed's `.txt`
files go in (no hidden files, no sub-folders); files are copied in chunks so
memory stays bounded whatever their size.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
COMPRESS_LEVEL = 6
CHUNK = 1024 * 1024
ZIP64_FROM = 2**31


def feed_members(folder: Path) -> list[Path]:
    """The files that make the feed: regular, visible `.txt` files, sorted by name."""
    return sorted(
        (p for p in folder.iterdir() if p.suffix.lower() == ".txt" and not p.name.startswith(".")
         and p.is_file() and not p.is_symlink()),
        key=lambda p: p.name,
    )  # fmt: skip


def zip_feed(folder: Path, out: Path) -> Path:
    """Write the feed in `folder` to `out` deterministically; returns `out`."""
    with zipfile.ZipFile(out, "w") as archive:
        for member in feed_members(folder):
            info = zipfile.ZipInfo(member.name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever machine zips it
            info.external_attr = 0o100644 << 16
            info._compresslevel = COMPRESS_LEVEL  # ZipInfo has no public setter
            big = member.stat().st_size >= ZIP64_FROM  # zip64 records only where needed
            with member.open("rb") as src, archive.open(info, "w", force_zip64=big) as dst:
                shutil.copyfileobj(src, dst, CHUNK)
    return out
