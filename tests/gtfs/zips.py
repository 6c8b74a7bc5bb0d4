"""Zip archives the zipfile module will not write: a member whose compressed bytes
are given as they are (any method, flags, sizes and CRC), a zip bomb built in a
second, an "encrypted" member. For the archive hardening tests and the fuzz tests."""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

STORED, DEFLATED = 0, 8
_DOS_TIME, _DOS_DATE = 0, (2026 - 1980) << 9 | 1 << 5 | 1  # 2026-01-01 00:00


@dataclass
class RawMember:
    name: bytes
    data: bytes  # as stored in the archive (compressed with `method`)
    method: int = STORED
    flags: int = 0
    crc: int | None = None  # None: the CRC of `data` (right for STORED)
    file_size: int | None = None  # None: len(data)
    compress_size: int | None = None  # None: len(data)


def raw_zip(members: list[RawMember]) -> bytes:
    """A zip with exactly these headers (no validation, no zip64)."""
    out, central = bytearray(), bytearray()
    for m in members:
        crc = zlib.crc32(m.data) if m.crc is None else m.crc
        usize = len(m.data) if m.file_size is None else m.file_size
        csize = len(m.data) if m.compress_size is None else m.compress_size
        offset = len(out)
        out += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, m.flags & 0xFFFF, m.method & 0xFFFF, _DOS_TIME,
            _DOS_DATE, crc & 0xFFFFFFFF, csize & 0xFFFFFFFF, usize & 0xFFFFFFFF, len(m.name), 0,
        )  # fmt: skip
        out += m.name + m.data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, m.flags & 0xFFFF, m.method & 0xFFFF,
            _DOS_TIME, _DOS_DATE, crc & 0xFFFFFFFF, csize & 0xFFFFFFFF, usize & 0xFFFFFFFF,
            len(m.name), 0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        central += m.name
    start = len(out)
    out += central
    out += struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), start, 0
    )
    return bytes(out)


def deflated_member(name: str, text: bytes, **kw) -> RawMember:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = c.compress(text) + c.flush()
    return RawMember(name.encode(), data, DEFLATED, crc=zlib.crc32(text), file_size=len(text),
                     **kw)  # fmt: skip


def write_bomb(path: Path, inflated: int = 1024**3, name: str = "stops.txt",
               others: dict[str, str] | None = None) -> Path:  # fmt: skip
    """A zip whose `name` inflates to `inflated` bytes of valid-looking CSV rows
    (~1000:1), made without compressing them: one deflate block of 1 MiB of rows,
    flushed so that it can be repeated, repeated `inflated` / 1 MiB times."""
    header = b"stop_id,stop_name,stop_lat,stop_lon\n"
    row = b"S1,Bomb stop,35.6812,139.7671\n"
    chunk = (row * ((1 << 20) // len(row) + 1))[: 1 << 20]
    chunk = chunk[: chunk.rindex(b"\n") + 1]
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(header) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    count = max(1, inflated // len(chunk))
    data = head + block * count + c.flush(zlib.Z_FINISH)
    crc = zlib.crc32(header)
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    members = [deflated_member(n, t.encode()) for n, t in (others or {}).items()]
    members.append(RawMember(name.encode(), data, DEFLATED, crc=crc,
                             file_size=len(header) + len(chunk) * count))  # fmt: skip
    path.write_bytes(raw_zip(members))
    return path


def write_encrypted(path: Path, files: dict[str, str], encrypted: str) -> Path:
    """A zip of `files` where the member `encrypted` has the "encrypted" flag (bit 0),
    as a zip made with a password says (its bytes are not really encrypted)."""
    members = [deflated_member(n, t.encode(), flags=1 if n == encrypted else 0)
               for n, t in files.items()]  # fmt: skip
    path.write_bytes(raw_zip(members))
    return path


def members_of(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return zf.namelist()
