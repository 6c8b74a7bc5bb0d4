"""The query language: a Solr-style q/fq string parsed into a `Node` tree.

Terms, `field:value`, `field:(a OR b)`, ranges `[a TO b]`/`{a TO b}`,
`+`/`-`/`!`/NOT, AND/OR/&&/||, parentheses and quotes. Anything else is a
`SearchQueryError` (HTTP 400), never SQL. Also Solr dates (`parse_date`).

Limits (each a `SearchQueryError`, like Solr's maxBooleanClauses):
- `MAX_QUERY_CHARS` (100,000) characters per q or fq;
- `MAX_CLAUSES` (1,024) terms per q or fq;
- `MAX_TERM_CHARS` (1,000) characters per free-text word (its bigrams become
  bound parameters);
- `MAX_DEPTH` (100) levels of nesting: parentheses, `field:(...)` and
  NOT/`-`/`!` each add a level (`+` adds none), so the parser, the evaluator
  and the SQL compiler never recurse deeper than that.
- dates between years 1 and 9999 (UTC), after any NOW maths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from kokai.catalog.errors import SearchQueryError

MAX_QUERY_CHARS = 100_000
MAX_TERM_CHARS = 1000
MAX_CLAUSES = 1024
MAX_DEPTH = 100

_OPERATORS = {"AND": "AND", "&&": "AND", "OR": "OR", "||": "OR", "NOT": "NOT", "!": "NOT"}
_SPECIAL = set('()"[]{}')
_TERMS = ("WORD", "PHRASE", "RANGE")
_RANGE_END = re.compile(r"[\]}]")


@dataclass
class Token:
    kind: str  # LP RP AND OR NOT PLUS MINUS FIELD WORD PHRASE RANGE
    value: Any = None


@dataclass
class Node:
    kind: str  # and, or, not, text, field, range, all
    children: list[Node] = field(default_factory=list)
    name: str | None = None  # field name
    value: Any = None  # text / (low, high, low_inclusive, high_inclusive)
    quoted: bool = False


def _read_until(text: str, i: int, stop: set[str]) -> tuple[str, int]:
    out = []
    while i < len(text) and not text[i].isspace() and text[i] not in stop:
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        out.append(text[i])
        i += 1
    return "".join(out), i


def tokenize(text: str) -> list[Token]:
    if "{!" in text:
        raise SearchQueryError("Search Query is invalid: local parameters are not allowed")
    tokens: list[Token] = []
    i = 0
    at_term_start = True
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
            at_term_start = True
            continue
        if ch == "(":
            tokens.append(Token("LP"))
            i += 1
            continue
        if ch == ")":
            tokens.append(Token("RP"))
            i += 1
            continue
        if at_term_start and ch in "+-!" and i + 1 < len(text) and not text[i + 1].isspace():
            tokens.append(Token({"+": "PLUS", "-": "MINUS", "!": "NOT"}[ch]))
            i += 1
            continue
        if text.startswith(("&&", "||"), i):
            tokens.append(Token(_OPERATORS[text[i : i + 2]]))
            i += 2
            continue
        if ch == '"':
            end = i + 1
            out = []
            while end < len(text) and text[end] != '"':
                if text[end] == "\\" and end + 1 < len(text):
                    end += 1
                out.append(text[end])
                end += 1
            if end >= len(text):
                raise SearchQueryError("Search Query is invalid: unbalanced quotes")
            tokens.append(Token("PHRASE", "".join(out)))
            i = end + 1
            continue
        if ch in "[{":
            close = _RANGE_END.search(text, i)
            if close is None:
                raise SearchQueryError("Search Query is invalid: unterminated range")
            tokens.append(Token("RANGE", _parse_range(text[i : close.end()])))
            i = close.end()
            continue
        if ch in "]}":
            raise SearchQueryError(f"Search Query is invalid: unexpected '{ch}'")
        word, end = _read_until(text, i, _SPECIAL | {":"})
        if end < len(text) and text[end] == ":" and word:
            tokens.append(Token("FIELD", word))
            i = end + 1
            at_term_start = False
            continue
        if not word:  # a lone ':' or similar
            raise SearchQueryError(f"Search Query is invalid: unexpected '{text[i]}'")
        if word in _OPERATORS and text[i : i + len(word)] == word:
            tokens.append(Token(_OPERATORS[word]))
        else:
            tokens.append(Token("WORD", word))
        i = end
        at_term_start = False
    if sum(token.kind in _TERMS for token in tokens) > MAX_CLAUSES:
        raise SearchQueryError(
            f"Search Query is invalid: too many clauses (at most {MAX_CLAUSES} terms)"
        )
    return tokens


def _parse_range(raw: str) -> tuple[str, str, bool, bool]:
    match = re.fullmatch(r"([\[{])\s*(\S+)\s+TO\s+(\S+)\s*([\]}])", raw)
    if not match:
        raise SearchQueryError(f"Search Query is invalid: bad range {raw}")
    return match.group(2), match.group(3), match.group(1) == "[", match.group(4) == "]"


class _Parser:
    """Recursive descent, at most MAX_DEPTH levels deep."""

    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise SearchQueryError("Search Query is invalid: unexpected end of query")
        self.pos += 1
        return token

    def descend(self, levels: int = 1) -> None:
        self.depth += levels
        if self.depth > MAX_DEPTH:
            raise SearchQueryError(
                "Search Query is invalid: query too deeply nested "
                f"(at most {MAX_DEPTH} levels of parentheses and NOT)"
            )

    def parse(self) -> Node:
        if not self.tokens:
            return Node("all")
        node = self.parse_or(None)
        if self.peek() is not None:
            raise SearchQueryError("Search Query is invalid: unbalanced parentheses")
        return node

    def parse_or(self, default_field: str | None) -> Node:
        children = [self.parse_and(default_field)]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            children.append(self.parse_and(default_field))
        return children[0] if len(children) == 1 else Node("or", children)

    def parse_and(self, default_field: str | None) -> Node:
        children = [self.parse_unary(default_field)]
        while (token := self.peek()) is not None and token.kind not in ("OR", "RP"):
            if token.kind == "AND":
                self.take()
            children.append(self.parse_unary(default_field))
        return children[0] if len(children) == 1 else Node("and", children)

    def parse_unary(self, default_field: str | None) -> Node:
        # A run of prefix operators is read in a loop, not by recursion.
        negations = 0
        token = self.take()
        while token.kind in ("NOT", "MINUS", "PLUS"):
            if token.kind != "PLUS":
                negations += 1
                self.descend()
            token = self.take()
        if token.kind == "LP":
            node = self.group(default_field)
        elif token.kind == "FIELD":
            node = self.parse_value(token.value)
        else:
            node = self.term(token, default_field)
        for _ in range(negations):
            node = Node("not", [node])
        self.depth -= negations
        return node

    def group(self, default_field: str | None) -> Node:
        """The rest of a parenthesised group, its '(' taken."""
        self.descend()
        node = self.parse_or(default_field)
        if self.take().kind != "RP":
            raise SearchQueryError("Search Query is invalid: unbalanced parentheses")
        self.depth -= 1
        return node

    def parse_value(self, name: str) -> Node:
        token = self.take()
        if token.kind == "LP":
            return self.group(name)
        return self.term(token, name)

    def term(self, token: Token, default_field: str | None) -> Node:
        if token.kind == "RANGE":
            if default_field is None:
                raise SearchQueryError("Search Query is invalid: a range needs a field")
            return Node("range", name=default_field, value=token.value)
        if token.kind in ("WORD", "PHRASE"):
            if default_field is None:
                if token.kind == "WORD" and token.value == "*":
                    return Node("all")
                return Node("text", value=token.value, quoted=token.kind == "PHRASE")
            return Node(
                "field", name=default_field, value=token.value, quoted=token.kind == "PHRASE"
            )
        raise SearchQueryError(f"Search Query is invalid: unexpected {token.kind}")


def parse_query(text: str) -> Node:
    """Parse a q/fq string; '*:*' and empty mean everything."""
    text = (text or "").strip()
    if len(text) > MAX_QUERY_CHARS:
        raise SearchQueryError(
            f"Search Query is invalid: query too long (at most {MAX_QUERY_CHARS} characters)"
        )
    if text in ("", "*:*", "*"):
        return Node("all")
    return _Parser(tokenize(text.replace("*:*", "*"))).parse()


def check_term(term: str) -> str:
    """A free-text word, normalised, within MAX_TERM_CHARS."""
    if len(term) > MAX_TERM_CHARS:
        raise SearchQueryError(
            f"Search Query is invalid: word too long (at most {MAX_TERM_CHARS} characters)"
        )
    return term


def _walk(node: Node):
    """Every node of a tree, without recursion."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)


def mentions_field(node: Node, names: set[str]) -> bool:
    return any(n.name in names for n in _walk(node))


def mentions_text(node: Node) -> bool:
    return any(n.kind == "text" or n.name in ("text", "_text_") for n in _walk(node))


# ---------------------------------------------------------------- dates

_NOW_MATH = re.compile(r"NOW((?:[+-]\d+[A-Z]+)*)(?:/([A-Z]+))?")
_UNITS = {
    "SECOND": timedelta(seconds=1), "MINUTE": timedelta(minutes=1), "HOUR": timedelta(hours=1),
    "DAY": timedelta(days=1), "WEEK": timedelta(days=7), "MONTH": timedelta(days=30),
    "YEAR": timedelta(days=365),
}  # fmt: skip


def _out_of_range(value: str) -> SearchQueryError:
    return SearchQueryError(
        f"Search Query is invalid: date out of range (years 1 to 9999): {value[:100]}"
    )


def parse_date(value: str) -> datetime:
    """A Solr date (2026-01-01T00:00:00Z, NOW-1DAY, NOW/DAY) as naive UTC,
    between years 1 and 9999: anything past them is a SearchQueryError."""
    value = value.strip().upper()
    match = _NOW_MATH.fullmatch(value)
    if match:
        moment = datetime.now(UTC).replace(tzinfo=None)
        for sign, amount, unit in re.findall(r"([+-])(\d+)([A-Z]+)", match.group(1)):
            step = _UNITS.get(unit.rstrip("S"))
            if step is None:
                raise SearchQueryError(f"Search Query is invalid: bad date math {value}")
            try:
                moment += step * int(amount) * (1 if sign == "+" else -1)
            except (OverflowError, ValueError) as exc:  # past year 9999, or 5000 digits
                raise _out_of_range(value) from exc
        if match.group(2):
            unit = match.group(2).rstrip("S")
            parts = ["YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"]
            if unit not in parts:
                raise SearchQueryError(f"Search Query is invalid: bad date rounding {value}")
            keep = parts.index(unit)
            defaults = {"month": 1, "day": 1, "hour": 0, "minute": 0, "second": 0}
            names = ["year", "month", "day", "hour", "minute", "second"]
            moment = moment.replace(microsecond=0, **{n: defaults[n] for n in names[keep + 1 :]})
        return moment
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SearchQueryError(f"Search Query is invalid: bad date {value}") from exc
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        except OverflowError as exc:  # 9999-12-31T23:59:59-01:00
            raise _out_of_range(value) from exc
    return parsed
