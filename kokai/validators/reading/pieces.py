"""A large file parsed a piece at a time, and its columns of one value kept once.

polars needs several times a buffer's size while it parses it, so a large
file is parsed PIECE_BYTES at a time, cut at line ends outside quotes. The
first HEAD_RECORDS records (where the header is, reading.header) form the
head; in the rest, a column that holds one value in every record (an unused
optional column, the city's code) becomes a polars literal: stored once, and
every check on it costs one cell instead of one per row.

The caller uses the pieces only when every one parsed cleanly with the
header's width; anything else is decided by parsing the whole file, so the
findings never depend on where the pieces were cut."""

from __future__ import annotations

import polars as pl

from kokai.validators.frame import key

PIECE_BYTES = 32 << 20
HEAD_RECORDS = 64

Part = pl.Series | tuple[str | None, int]  # the cells, or (the one value, how many rows)


def head_end(data: bytes) -> int | None:
    """Where the head (the first HEAD_RECORDS lines) of `data` ends; None when
    `data` has fewer lines."""
    cut = 0
    for _ in range(HEAD_RECORDS):
        cut = data.find(b"\n", cut) + 1
        if cut == 0:
            return None
    return cut


def parse_records(data: bytes, sep: str, n_rows: int | None = None) -> pl.DataFrame:
    """The records of `data` (the first `n_rows`, else every one) as all-text
    columns (polars' names)."""
    return pl.read_csv(
        data, has_header=False, infer_schema=False, separator=sep, n_rows=n_rows,
        empty_string_is_null=False, truncate_ragged_lines=False, raise_if_empty=False,
    )  # fmt: skip


class PieceFrames:
    """The parsed pieces of one file, in order: the head, then the rest."""

    def __init__(self, width: int) -> None:
        self.names = [key(i) for i in range(width)]
        self.head: pl.DataFrame | None = None
        self.parts: list[dict[str, Part]] = []
        self.values: dict[str, str | None] = {}  # a column's one value in the pieces so far
        self.varied: set[str] = set()  # columns with more than one value in the pieces

    def add(self, piece: pl.DataFrame) -> bool:
        """Keep one parsed piece; False when it does not have the header's width."""
        if piece.width != len(self.names):
            return False
        piece.columns = self.names
        if self.head is None:
            self.head = piece
            return True
        # only columns of one value in every piece so far can still become literals
        candidates = [(i, c) for i, c in enumerate(self.names) if c not in self.varied]
        stats = piece.select(
            [pl.col(c).first().alias(f"v{i}") for i, c in candidates]
            + [pl.col(c).eq_missing(pl.col(c).first()).all().alias(f"s{i}") for i, c in candidates]
        ).row(0, named=True) if candidates else {}  # fmt: skip
        part: dict[str, Part] = {}
        for i, c in enumerate(self.names):
            value = stats.get(f"v{i}")
            if stats.get(f"s{i}") and self.values.setdefault(c, value) == value:
                part[c] = (value, piece.height)
            else:
                part[c] = piece.get_column(c)
                self.varied.add(c)
        self.parts.append(part)
        return True

    @property
    def height(self) -> int:
        head = self.head.height if self.head is not None else 0
        return head + sum(_height(p[self.names[0]]) for p in self.parts)

    def rest(self) -> tuple[pl.DataFrame, dict[str, str | None]]:
        """The records after the head, and its columns of one value (those are literals)."""
        constants: dict[str, str | None] = {}
        columns: list[pl.Series] = []
        for c in self.names:
            values = {p[c][0] for p in self.parts if isinstance(p[c], tuple)}
            if all(isinstance(p[c], tuple) for p in self.parts) and len(values) <= 1:
                constants[c] = values.pop() if values else None
                continue
            columns.append(pl.concat([_materialise(p[c], c) for p in self.parts], rechunk=False))
        height = sum(_height(p[self.names[0]]) for p in self.parts)
        return _frame(height, columns, constants, self.names), constants


def stitch(head: pl.DataFrame, rest: pl.DataFrame, constants: dict[str, str | None]) -> pl.DataFrame:
    """`head`'s records then `rest`'s (same columns); a column of one value in
    both stays a literal."""
    same = head.select(
        [pl.col(c).eq_missing(pl.lit(v, dtype=pl.String)).all().alias(c) for c, v in constants.items()]
    ).row(0, named=True) if constants and head.height else dict.fromkeys(constants, True)  # fmt: skip
    literal = {c: v for c, v in constants.items() if same[c]}
    columns = [
        pl.concat([head.get_column(c), rest.get_column(c)], rechunk=False)
        for c in rest.columns if c not in literal
    ]  # fmt: skip
    return _frame(head.height + rest.height, columns, literal, rest.columns)


def _frame(
    height: int, columns: list[pl.Series], literal: dict[str, str | None], order: list[str]
) -> pl.DataFrame:
    """`columns` and the literal columns, `height` rows (also when all are literals)."""
    return (
        pl.select(pl.int_range(height, dtype=pl.UInt32).alias("__n"))
        .with_columns(*columns, *[pl.lit(v, dtype=pl.String).alias(c) for c, v in literal.items()])
        .select(order)
    )


def _height(part: Part) -> int:
    return part[1] if isinstance(part, tuple) else part.len()


def _materialise(part: Part, name: str) -> pl.Series:
    if isinstance(part, tuple):
        return pl.repeat(part[0], part[1], dtype=pl.String, eager=True).alias(name)
    return part
