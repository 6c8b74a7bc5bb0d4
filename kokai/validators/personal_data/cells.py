"""Values that are personal data in any table: 12-digit numbers that pass the
個人番号 check digit, and addresses at personal mail services.

個人番号. About one random 12-digit number in ten passes the check digit, so
one passing number proves little; a column is flagged when
- its name says 個人番号 / マイナンバー (every passing value), or
- the table is of people, the column holds mostly (≥ 50 % of its filled cells)
  12-digit numbers and ≥ 90 % of those pass (random numbers: about 10 %), or
- in any table, the same, with at least 3 different passing numbers (three
  random numbers all pass once in a thousand times; a column of 12-digit
  management numbers or YYYYMMDDhhmm times passes about one in ten);
and any cell whose text says 個人番号 / マイナンバー followed by a passing
12-digit number is flagged wherever it is. Written forms accepted: 12 digits,
4-4-4 with hyphens (any dash) or spaces, full-width digits.

E-mail. Any cell holding an address (a column of addresses or free text) at a
domain of kokai.vocab.mail_domains is flagged; an organisation's own domain
(bousai@city.xxx.lg.jp) is not.

Cost: one regex screen per column over all rows (`@`, ＠, 個人番号, マイナンバー);
the 12-digit shape is measured on the first rows and only columns mostly of
that shape are read whole; addresses are parsed only in the cells with an @."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from kokai.vocab.checkdigits import kojin_valid_expr
from kokai.vocab.mail_domains import personal_mail_service

NEEDLES = ["@", "＠", "個人番号", "マイナンバー"]  # the screen over every cell (Aho-Corasick)
KEYWORD = r"個人番号|マイナンバー"
_D = "[0-9０-９]"
_SEP = r"[\s\-－−‐‑‒–—―ーｰ]"
_TWELVE = rf"{_D}{{4}}{_SEP}?{_D}{{4}}{_SEP}?{_D}{{4}}"
RE_CANDIDATE = rf"^\s*{_TWELVE}\s*$"
RE_KEYWORD_NUMBER = rf"(?:個人番号|マイナンバー)[^0-9０-９]{{0,12}}({_TWELVE})(?:[^0-9０-９]|$)"
RE_EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"
RE_DOMAIN = r"@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"
MOSTLY = 0.5  # share of a column's filled cells that are 12-digit numbers
PASSING = 0.9  # share of those that pass the check digit
MIN_DISTINCT = 3  # different passing numbers, outside a table of people
_ZEROS = "0" * 12  # passes the check digit; a placeholder, not a number
_FULLWIDTH_DIGITS = [chr(0xFF10 + i) for i in range(10)]
_ASCII_DIGITS = [str(i) for i in range(10)]
_FULLWIDTH_ASCII = [chr(0xFF01 + i) for i in range(94)]
_HALFWIDTH_ASCII = [chr(0x21 + i) for i in range(94)]


def digits12(expr: pl.Expr) -> pl.Expr:
    """The ASCII digits of a written 12-digit number (full-width, separators dropped)."""
    return expr.str.replace_many(_FULLWIDTH_DIGITS, _ASCII_DIGITS).str.replace_all(r"[^0-9]", "")


def mask_number(digits: str) -> str:
    return f"{digits[:4]}-****-****"


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_text(value: str) -> str:
    value = value.strip()
    return f"{value[:1]}***" if value else ""


@dataclass
class Hits:
    """The cells one check flags in one column: all counted, the first kept."""

    total: int
    lines: list[int]
    values: list[str]  # masked
    basis: str  # 個人番号: "name" | "people" | "column" | "keyword"; e-mail: "email"
    services: list[tuple[str, str]] | None = None  # e-mail: (service, kind) per kept line


def _passing(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows of `frame` (column d: written 12-digit numbers) that pass the check digit."""
    frame = frame.with_columns(pl.col("d").pipe(digits12))
    return frame.filter(kojin_valid_expr(pl.col("d")) & (pl.col("d") != _ZEROS))


def _qualifies(raw: pl.Series, candidate: pl.Series, n_valid: int) -> bool:
    """Mostly 12-digit numbers, nearly all of them passing."""
    n_candidates = int(candidate.sum())
    filled = int((raw.str.strip_chars() != "").sum())
    return n_candidates >= MOSTLY * filled and n_valid >= PASSING * n_candidates


def number_hits(
    raw: pl.Series, lines: pl.Series, named: bool, people: bool, limit: int, sample_rows: int = 2_000
) -> Hits | None:
    """The cells of one column that hold whole 12-digit 個人番号, by the rules above.
    An unnamed column is judged on its first `sample_rows` first (a column of
    random 12-digit numbers is let go there), then as a whole."""
    raw = raw.fill_null("")
    if not named and raw.len() > sample_rows:
        head = raw.head(sample_rows)
        candidate = head.str.contains(RE_CANDIDATE)
        passing = _passing(pl.DataFrame({"d": head.filter(candidate)}))
        if not _qualifies(head, candidate, passing.height):
            return None
    candidate = raw.str.contains(RE_CANDIDATE)
    if not candidate.any():
        return None
    valid = _passing(pl.DataFrame({"d": raw.filter(candidate), "line": lines.filter(candidate)}))
    if valid.is_empty():
        return None
    if named:
        basis = "name"
    elif not _qualifies(raw, candidate, valid.height):
        return None
    elif people:
        basis = "people"
    elif valid.get_column("d").n_unique() >= MIN_DISTINCT:
        basis = "column"
    else:
        return None
    return _number_hits(valid, limit, basis)


def _number_hits(valid: pl.DataFrame, limit: int, basis: str) -> Hits:
    """The passing numbers (`d`, masked) and their lines, the first `limit` of them."""
    kept = valid.head(limit)
    return Hits(
        total=valid.height,
        lines=kept.get_column("line").to_list(),
        values=[mask_number(d) for d in kept.get_column("d").to_list()],
        basis=basis,
    )


def keyword_number_hits(raw: pl.Series, lines: pl.Series, limit: int) -> Hits | None:
    """Cells whose text says 個人番号 / マイナンバー followed by a passing 12-digit number."""
    raw = raw.fill_null("")
    has = raw.str.contains(KEYWORD)
    if not has.any():
        return None
    frame = pl.DataFrame({"t": raw.filter(has), "line": lines.filter(has)})
    frame = frame.with_columns(pl.col("t").str.extract(RE_KEYWORD_NUMBER, 1).alias("d")).drop_nulls("d")
    valid = _passing(frame)
    if valid.is_empty():
        return None
    return _number_hits(valid, limit, "keyword")


def email_hits(raw: pl.Series, lines: pl.Series, limit: int) -> Hits | None:
    """Cells holding an address at a personal mail service (the first such
    address of a cell is the one reported)."""
    raw = raw.fill_null("")
    has = raw.str.contains_any(["@", "＠"])
    if not has.any():
        return None
    text = raw.filter(has)
    if text.str.contains("[＠Ａ-Ｚａ-ｚ０-９]").any():
        text = text.str.replace_many(_FULLWIDTH_ASCII, _HALFWIDTH_ASCII)
    # the domains first: a column of the organisation's own addresses stops here
    domains = text.str.extract_all(RE_DOMAIN).explode().drop_nulls().unique().to_list()
    services = {d[1:].lower(): personal_mail_service(d[1:]) for d in domains}
    personal = {d: s for d, s in services.items() if s is not None}
    if not personal:
        return None
    frame = (
        pl.DataFrame({"line": lines.filter(has), "a": text.str.extract_all(RE_EMAIL)})
        .explode("a")
        .drop_nulls("a")
        .with_columns(pl.col("a").str.split("@").list.last().str.to_lowercase().alias("domain"))
    )
    hits = frame.filter(pl.col("domain").is_in(list(personal))).unique("line", keep="first", maintain_order=True)
    kept = hits.head(limit)
    return Hits(
        total=hits.height,
        lines=kept.get_column("line").to_list(),
        values=[mask_email(a) for a in kept.get_column("a").to_list()],
        basis="email",
        services=[personal[d] for d in kept.get_column("domain").to_list()],
    )

