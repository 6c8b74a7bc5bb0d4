"""Bytes to UTF-8: which encoding a file is in (UTF-8, UTF-8 with BOM, CP932,
UTF-16 with or without BOM), files that are not text at all, and the bytes
that decode in no encoding (reported with their byte offset)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from kokai.validators.report import Finding, Rule, Text

ENCODINGS = ("utf-8", "utf-8-sig", "cp932", "utf-16")

BINARY_FILE = Rule(
    "binary_file", "error",
    "CSV ではなく{kind}のようです（先頭 {offset} バイト目に制御文字）。"
    "表計算ソフトで「CSV UTF-8（コンマ区切り）」形式で保存し直してください。",
    "this looks like {kind}, not a CSV (control byte at offset {offset}). "
    "Save it as 'CSV UTF-8 (comma delimited)'.",
    machine_readability="L1-01", fatal=True,
)  # fmt: skip
ENCODING_NOT_UTF8 = Rule(
    "encoding_not_utf8", "warning",
    "文字コードが {encoding} です。UTF-8 で保存することを推奨します"
    "（表計算ソフトでは「CSV UTF-8」形式、または `kokai fix --excel` で Excel でも開ける BOM つき UTF-8 に変換）。",
    "the encoding is {encoding}. Save as UTF-8 ('CSV UTF-8' format, or convert "
    "with `kokai fix --excel`, which writes UTF-8 with a BOM that Excel opens).",
)
UNDECODABLE_BYTES = Rule(
    "encoding_error", "error",
    "{offset} バイト目から {encoding} として読めないバイトがあります（{count} 箇所、値 {value}）。"
    "文字化けや破損がないか確認し、UTF-8 で保存し直してください。",
    "bytes at offset {offset} cannot be decoded as {encoding} ({count} place(s), "
    "value {value}). Check for corruption and save as UTF-8.",
    machine_readability="L1-08",
)

_MAGIC = (
    (b"PK\x03\x04", Text("Excel (.xlsx) などの ZIP ファイル", "an Excel (.xlsx) or ZIP file")),
    (b"\xd0\xcf\x11\xe0", Text("Excel (.xls) ファイル", "an Excel (.xls) file")),
    (b"%PDF", Text("PDF ファイル", "a PDF file")),
)
_BINARY = Text("バイナリファイル", "a binary file")


def binary_kind(head: bytes) -> Text | None:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return None


def utf16_without_bom(head: bytes) -> str | None:
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


def valid_utf8(data: bytes) -> bool:
    if data.isascii():
        return True
    try:  # polars validates UTF-8 several times faster than bytes.decode
        pl.Series([data], dtype=pl.Binary).cast(pl.String)
        return True
    except pl.exceptions.PolarsError:
        return False


@dataclass
class Decoded:
    encoding: str
    data: bytes  # UTF-8 without BOM
    findings: list[Finding]
    # False: not yet checked to be valid UTF-8 (polars checks it while parsing)
    verified: bool = True


def decode(raw: bytes, path: str) -> Decoded | Finding:
    """Decode to UTF-8 bytes, or return a fatal finding."""
    if raw.startswith(b"\xef\xbb\xbf"):
        body = raw[3:]
        if valid_utf8(body):
            return Decoded("utf-8-sig", body, [])
        return decode_lossy(body, path, "utf-8-sig", offset_base=3)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode_utf16(raw, "utf-16", path)
    kind = binary_kind(raw[:8])
    if kind:
        return BINARY_FILE.finding(path=path, kind=kind, offset=0)
    utf16 = utf16_without_bom(raw)
    if utf16:
        return _decode_utf16(raw, utf16, path)
    nul = raw.find(b"\x00", 0, 1 << 16)
    if nul >= 0:
        return BINARY_FILE.finding(path=path, kind=_BINARY, offset=nul)
    # most files are UTF-8: polars validates while it parses, saving a pass
    return Decoded("utf-8", raw, [], verified=raw.isascii())


def _decode_utf16(raw: bytes, codec: str, path: str) -> Decoded:
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
    return Decoded("utf-16", text.encode("utf-8"), findings)


def decode_lossy(raw: bytes, path: str, declared: str | None, offset_base: int = 0) -> Decoded:
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
            return Decoded(
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
    return Decoded(encoding, text.encode("utf-8"), findings)
