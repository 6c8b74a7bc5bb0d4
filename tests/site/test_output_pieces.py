"""A file written as pieces (bytes and slices of a file on disk) holds exactly
the bytes of its pieces, whether the kernel copies the slices or it cannot."""

from __future__ import annotations

import errno
import os

import pytest

from kokai.site.output import FileSlice, Pieces, SiteOutput


@pytest.fixture
def old_file(tmp_path):
    path = tmp_path / "old.bin"
    path.write_bytes(bytes(range(256)) * 5000)  # 1.28 MB: more than one fallback chunk
    return path


def pieces_of(old_file) -> tuple[Pieces, bytes]:
    old = old_file.read_bytes()
    pieces = Pieces(
        [
            b"head,",
            FileSlice(old_file, 3, 1_100_000),
            b",new,",
            FileSlice(old_file, 1_200_000, 80_000),
        ]
    )
    return pieces, b"head," + old[3:1_100_003] + b",new," + old[1_200_000:1_280_000]


def test_pieces_are_written_by_the_kernel_copy(tmp_path, old_file):
    pieces, expected = pieces_of(old_file)
    output = SiteOutput(tmp_path / "_site", {})
    output.write("data.json", pieces)
    assert (tmp_path / "_site" / "data.json").read_bytes() == expected
    assert pieces.size() == len(expected) and pieces.to_bytes() == expected
    assert output.log.written == ["data.json"]


@pytest.mark.parametrize("failure", [errno.EXDEV, errno.ENOSYS])
def test_pieces_are_copied_through_memory_where_the_kernel_cannot(
    tmp_path, old_file, monkeypatch, failure
):
    def cannot(*args):
        raise OSError(failure, os.strerror(failure))

    monkeypatch.setattr(os, "copy_file_range", cannot)
    pieces, expected = pieces_of(old_file)
    SiteOutput(tmp_path / "_site", {}).write("catalog.jsonld", pieces)
    assert (tmp_path / "_site" / "catalog.jsonld").read_bytes() == expected


def test_a_slice_past_the_end_of_its_file_fails_and_leaves_the_old_file(tmp_path, old_file):
    site = tmp_path / "_site"
    site.mkdir()
    (site / "data.json").write_bytes(b"before")
    with pytest.raises(OSError, match="past the end"):
        SiteOutput(site, {}).write("data.json", Pieces([b"x", FileSlice(old_file, 1_279_990, 100)]))
    assert (site / "data.json").read_bytes() == b"before"
