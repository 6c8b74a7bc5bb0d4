"""Issue 13: whatever bytes a feed holds, validation ends with findings, never a
traceback. The two crashes fuzzing found first, then property tests: the tiny
valid feed with one file replaced or mutated, and arbitrary zip archives
(names, flags, methods, sizes, CRCs)."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kokai.gtfs.validate import validate_feed
from tests.gtfs.conftest import TINY_FEED, write_feed
from tests.gtfs.zips import DEFLATED, STORED, RawMember, deflated_member, raw_zip, write_encrypted

TODAY = date(2026, 1, 15)
FUZZ = settings(
    max_examples=150, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)  # fmt: skip


def _validate(path: Path, profile: str = "gtfs"):
    report = validate_feed(path, profile=profile, today=TODAY)
    # Findings only: no finding of a kokai bug (exit 3), and the status follows them.
    assert report.exit_code in (0, 1, 2), [f.message_en for f in report.findings]
    if report.exit_code == 2:
        assert any(f.fatal for f in report.findings)
    return report


def test_control_character_header_is_a_finding(tmp_path: Path) -> None:
    # Found by fuzzing: a header of one unnamed column (\x1d is stripped) and a
    # non-UTF-8 byte made polars fail on a frame with no columns.
    report = _validate(write_feed(tmp_path / "f", {**TINY_FEED, "stops.txt": b"\x1d\n\n\xd8"}))
    assert report.exit_code == 1
    assert ("empty_column_name", "stops.txt") in {(f.code, f.path) for f in report.findings}


def test_encrypted_member_is_a_finding(tmp_path: Path) -> None:
    path = write_encrypted(tmp_path / "enc.zip", dict(TINY_FEED), encrypted="stops.txt")
    report = _validate(path)
    assert report.exit_code == 2
    assert [f.code for f in report.findings] == ["i_o_error"]
    assert (
        "暗号化" in report.findings[0].message_ja and "stops.txt" in report.findings[0].message_ja
    )


def test_corrupt_deflate_data_is_a_finding(tmp_path: Path) -> None:
    good = deflated_member("stops.txt", TINY_FEED["stops.txt"].encode())
    broken = RawMember(good.name, b"\xff" * len(good.data), DEFLATED, crc=good.crc,
                       file_size=good.file_size)  # fmt: skip
    others = [deflated_member(n, t.encode()) for n, t in TINY_FEED.items() if n != "stops.txt"]
    (tmp_path / "f.zip").write_bytes(raw_zip([*others, broken]))
    report = _validate(tmp_path / "f.zip")
    assert report.exit_code == 2 and [f.code for f in report.findings] == ["i_o_error"]


# --- one file of the tiny feed replaced or mutated -------------------------------------------

_NAMES = sorted(TINY_FEED)
_CSV_BYTES = st.sampled_from(list(b'",\n\r \t:;x0123456789\xef\xbb\xbf\xe3\x81\x82\xff\x00\x1d'))


@st.composite
def _mutated(draw) -> tuple[str, bytes]:
    name = draw(st.sampled_from(_NAMES))
    data = bytearray(TINY_FEED[name].encode())
    for _ in range(draw(st.integers(1, 8))):
        pos = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["replace", "insert", "delete"]))
        if kind == "insert" or pos == len(data):
            data[pos:pos] = bytes([draw(_CSV_BYTES)])
        elif kind == "replace":
            data[pos] = draw(_CSV_BYTES)
        else:
            del data[pos]
    return name, bytes(data)


# CSV-shaped bytes: the pieces that steer the reader (quotes, separators, line ends,
# BOM, white space, control and non-UTF-8 bytes, real header names and values).
_TOKENS = st.lists(st.sampled_from([
    b",", b"\n", b"\r\n", b"\r", b'"', b'""', b" ", b"\t", b"\x1d", b"\x00", b"\xd8", b"\xff",
    b"\xef\xbb\xbf", b"\xe3\x81\x82", b"a", b"1", b"-1", b"1e999", b"stop_id", b"trip_id",
    b"stop_name", b"stop_lat", b"35.68", b"08:00:00", b"25:61:00", b"20250101", b"S1", b"T1",
]), max_size=40).map(b"".join)  # fmt: skip
_REPLACED = st.tuples(
    st.sampled_from(_NAMES),
    st.one_of(_TOKENS, st.binary(max_size=200), st.text(max_size=200)),
)


@FUZZ
@given(change=st.one_of(_mutated(), _REPLACED), profile=st.sampled_from(["gtfs", "jp"]),
       as_zip=st.booleans())  # fmt: skip
def test_any_bytes_in_one_file_give_findings(change, profile: str, as_zip: bool) -> None:
    name, data = change
    with tempfile.TemporaryDirectory() as tmp:
        _validate(write_feed(Path(tmp) / "feed", {**TINY_FEED, name: data}, as_zip=as_zip), profile)


# --- arbitrary zip archives ------------------------------------------------------------------

_MEMBER_NAMES = st.one_of(
    st.sampled_from([n.encode() for n in _NAMES]),
    st.sampled_from([b"", b"/", b"a/", b"../x.txt", b"/etc/x.txt", b"C:\\x.txt", b"a/../b.txt",
                     b"__MACOSX/._stops.txt", b"gtfs/stops.txt", b"./stops.txt", b"stops.txt/",
                     b"\xff\xfe.txt", b"st\x00ops.txt", b"a\\stops.txt"]),
    st.binary(max_size=20),
)  # fmt: skip


@st.composite
def _members(draw) -> RawMember:
    name = draw(_MEMBER_NAMES)
    text = draw(st.one_of(st.sampled_from([t.encode() for t in TINY_FEED.values()]),
                          st.binary(max_size=100)))  # fmt: skip
    kind = draw(st.sampled_from(["deflated", "stored", "raw"]))
    if kind == "deflated":
        member = deflated_member("x", text)
        member.name = name
    else:
        member = RawMember(name, text, STORED if kind == "stored" else draw(
            st.sampled_from([DEFLATED, 12, 14, 93, 99, 0xFFFF])))  # fmt: skip
    member.flags = draw(st.sampled_from([0, 0, 1, 8, 0x800, 0x41, 0xFFFF]))
    if draw(st.booleans()):
        member.crc = draw(st.integers(0, 0xFFFFFFFF))
    if draw(st.booleans()):
        member.file_size = draw(st.one_of(st.integers(0, 300), st.just(0xFFFFFFFF)))
    if draw(st.booleans()):
        member.compress_size = draw(st.integers(0, 300))
    return member


@FUZZ
@given(members=st.lists(_members(), max_size=6), cut=st.one_of(st.none(), st.integers(0, 400)),
       junk=st.binary(max_size=8))  # fmt: skip
def test_any_zip_archive_gives_findings(members: list[RawMember], cut, junk: bytes) -> None:
    data = raw_zip(members)
    if cut is not None:
        data = data[:cut] + junk + data[cut + len(junk) :]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "feed.zip"
        path.write_bytes(data)
        _validate(path, "jp")
