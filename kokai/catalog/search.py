"""package_search: a Solr-style query language over the SQL store.

`q`, `fq` and `fq_list` are parsed into a small tree (terms, `field:value`,
ranges, `+`/`-`/NOT, AND/OR, parentheses, quotes) and compiled into
SQLAlchemy expressions with bound parameters only. Anything the parser does
not understand is a `SearchQueryError` (HTTP 400), never SQL.

Free text (`q=避難`, `text:バス`) uses the `search_gram` character-bigram
index: Japanese has no word boundaries, so a two-character word is exactly
one bigram; longer words need all their bigrams and are then verified on
`package.search_text`. Relevance (`score`) is the sum of the matched bigrams'
field weights (title 4, tags/organization 2, other text 1).
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase
from itertools import chain
from operator import attrgetter
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    delete,
    exists,
    func,
    insert,
    select,
    true,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from kokai.catalog.actions import SearchQueryError, ValidationError
from kokai.catalog.licenses import licenses_by_id
from kokai.catalog.models import (
    Group,
    Package,
    PackageExtra,
    PackageGroup,
    PackageTag,
    Resource,
    SearchGram,
    Tag,
)

ROWS_MAX = 1000
DEFAULT_SORT = "score desc, metadata_modified desc"
SEARCH_PARAMS = {
    "q", "fq", "fq_list", "sort", "rows", "start", "facet", "facet.field", "facet.limit",
    "facet.mincount", "fl", "include_private", "include_drafts", "include_deleted",
    "use_default_schema", "qf", "wt", "bf", "boost", "tie", "defType", "mm", "df",
}  # fmt: skip
WEIGHT_TITLE, WEIGHT_TAG, WEIGHT_TEXT = 4, 2, 1
TEXT_CACHE_SIZE = 2000
_ONE_GRAM = sql_text("SELECT package_pk, weight FROM search_gram WHERE gram = :gram")


# ---------------------------------------------------------------- text index


def normalize(text: str | None) -> str:
    """NFKC (full-width ＣＳＶ → csv, half-width ｶﾅ → カナ), lower case, single spaces."""
    if not text:
        return ""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def bigrams(text: str) -> list[str]:
    return [text[i : i + 2] for i in range(len(text) - 1)]


def document_fields(
    name: str,
    title: str | None,
    notes: str | None,
    tags: list[str],
    organization_title: str | None,
    group_titles: list[str],
    resource_texts: list[str | None],
) -> list[tuple[str, int]]:
    """(normalised text, weight) of every searchable field of a dataset."""
    fields = [
        (normalize(name), WEIGHT_TITLE),
        (normalize(title), WEIGHT_TITLE),
        (normalize(notes), WEIGHT_TEXT),
    ]
    fields += [(normalize(tag), WEIGHT_TAG) for tag in tags]
    fields.append((normalize(organization_title), WEIGHT_TAG))
    fields += [(normalize(group), WEIGHT_TAG) for group in group_titles]
    fields += [(normalize(text), WEIGHT_TEXT) for text in resource_texts]
    return [(text, weight) for text, weight in fields if text]


def build_document(fields: list[tuple[str, int]]) -> tuple[str, dict[str, int]]:
    """(search_text, {bigram: best weight}) of a dataset's fields."""
    grams: dict[str, int] = {}
    for text, weight in fields:
        for gram in bigrams(text):
            if grams.get(gram, 0) < weight:
                grams[gram] = weight
    return "\n".join(text for text, _ in fields), grams


def search_document(package: Package) -> tuple[str, dict[str, int]]:
    """(search_text, {bigram: weight}) for a loaded package."""
    resource_texts: list[str | None] = []
    for resource in package.resources:
        if resource.state == "active":
            resource_texts += [resource.name, resource.description]
    return build_document(
        document_fields(
            package.name,
            package.title,
            package.notes,
            [pt.tag.name for pt in package.package_tags if pt.state == "active"],
            package.organization.title if package.organization is not None else None,
            [pg.group.title for pg in package.package_groups],
            resource_texts,
        )
    )


def index_package(session: Session, package: Package) -> None:
    """Refresh a package's search text and bigrams (after its relations are saved)."""
    session.flush()
    text, grams = search_document(package)
    package.search_text = text
    session.execute(delete(SearchGram).where(SearchGram.package_pk == package.pk))
    if grams:
        session.execute(
            insert(SearchGram),
            [{"gram": g, "package_pk": package.pk, "weight": w} for g, w in grams.items()],
        )


# ---------------------------------------------------------------- parser

_OPERATORS = {"AND": "AND", "&&": "AND", "OR": "OR", "||": "OR", "NOT": "NOT", "!": "NOT"}
_SPECIAL = set('()"[]{}')


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
            close = re.compile(r"[\]}]").search(text, i)
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
    return tokens


def _parse_range(raw: str) -> tuple[str, str, bool, bool]:
    match = re.fullmatch(r"([\[{])\s*(\S+)\s+TO\s+(\S+)\s*([\]}])", raw)
    if not match:
        raise SearchQueryError(f"Search Query is invalid: bad range {raw}")
    return match.group(2), match.group(3), match.group(1) == "[", match.group(4) == "]"


class _Parser:
    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise SearchQueryError("Search Query is invalid: unexpected end of query")
        self.pos += 1
        return token

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
        token = self.take()
        if token.kind in ("NOT", "MINUS"):
            return Node("not", [self.parse_unary(default_field)])
        if token.kind == "PLUS":
            return self.parse_unary(default_field)
        if token.kind == "LP":
            node = self.parse_or(default_field)
            if self.take().kind != "RP":
                raise SearchQueryError("Search Query is invalid: unbalanced parentheses")
            return node
        if token.kind == "FIELD":
            return self.parse_value(token.value)
        return self.term(token, default_field)

    def parse_value(self, name: str) -> Node:
        token = self.take()
        if token.kind == "LP":
            node = self.parse_or(name)
            if self.take().kind != "RP":
                raise SearchQueryError("Search Query is invalid: unbalanced parentheses")
            return node
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
    if text in ("", "*:*", "*"):
        return Node("all")
    return _Parser(tokenize(text.replace("*:*", "*"))).parse()


# ---------------------------------------------------------------- compiler

_EXACT_COLUMNS = {
    "id": Package.id,
    "name": Package.name,
    "license_id": Package.license_id,
    "state": Package.state,
    "version": Package.version,
    "url": Package.url,
    "author": Package.author,
    "author_email": Package.author_email,
    "maintainer": Package.maintainer,
    "maintainer_email": Package.maintainer_email,
    "dataset_type": Package.type,
    "type": Package.type,
    "owner_org": Package.owner_org,
    "title_string": Package.title,
    "creator_user_id": Package.creator_user_id,
}
_CONTAINS_COLUMNS = {"title": Package.title, "notes": Package.notes}
_DATE_COLUMNS = {
    "metadata_modified": Package.metadata_modified,
    "metadata_created": Package.metadata_created,
}
_NOW_MATH = re.compile(r"NOW((?:[+-]\d+[A-Z]+)*)(?:/([A-Z]+))?")
_UNITS = {
    "SECOND": timedelta(seconds=1), "MINUTE": timedelta(minutes=1), "HOUR": timedelta(hours=1),
    "DAY": timedelta(days=1), "WEEK": timedelta(days=7), "MONTH": timedelta(days=30),
    "YEAR": timedelta(days=365),
}  # fmt: skip


def _num_resources():
    return (
        select(func.count())
        .where(Resource.package_id == Package.id, Resource.state == "active")
        .scalar_subquery()
    )


def _num_tags():
    return (
        select(func.count())
        .where(PackageTag.package_id == Package.id, PackageTag.state == "active")
        .scalar_subquery()
    )


def parse_date(value: str) -> datetime:
    """A Solr date (2026-01-01T00:00:00Z, NOW-1DAY, NOW/DAY) as naive UTC."""
    value = value.strip().upper()
    match = _NOW_MATH.fullmatch(value)
    if match:
        moment = datetime.now(UTC).replace(tzinfo=None)
        for sign, amount, unit in re.findall(r"([+-])(\d+)([A-Z]+)", match.group(1)):
            step = _UNITS.get(unit.rstrip("S"))
            if step is None:
                raise SearchQueryError(f"Search Query is invalid: bad date math {value}")
            moment += step * int(amount) * (1 if sign == "+" else -1)
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
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _like_pattern(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def _match(column, value: str, quoted: bool) -> ColumnElement[bool]:
    if not quoted and value == "*":
        return column.is_not(None)
    if not quoted and ("*" in value or "?" in value):
        return column.like(_like_pattern(value), escape="\\")
    return column == value


def _compare(column, node: Node, convert) -> ColumnElement[bool]:
    low, high, low_inclusive, high_inclusive = node.value
    clauses = []
    if low != "*":
        bound = convert(low)
        clauses.append(column >= bound if low_inclusive else column > bound)
    if high != "*":
        bound = convert(high)
        clauses.append(column <= bound if high_inclusive else column < bound)
    return and_(true(), *clauses)


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise SearchQueryError(f"Search Query is invalid: not a number: {value}") from exc


def text_condition(value: str) -> ColumnElement[bool]:
    """Packages whose search text contains `value` (via bigrams when possible)."""
    term = normalize(value.replace("*", " ").replace("?", " "))
    if not term:
        return true()
    grams = sorted(set(bigrams(term)))
    contains = Package.search_text.contains(term, autoescape=True)
    if not grams:
        return contains
    candidates = (
        select(SearchGram.package_pk)
        .where(SearchGram.gram.in_(grams))
        .group_by(SearchGram.package_pk)
        .having(func.count() == len(grams))
    )
    condition = Package.pk.in_(candidates)
    return condition if len(term) == 2 else and_(condition, contains)


def field_condition(node: Node) -> ColumnElement[bool]:
    name, value = node.name or "", node.value
    if node.kind == "range":
        if name in _DATE_COLUMNS:
            return _compare(_DATE_COLUMNS[name], node, parse_date)
        if name == "num_resources":
            return _compare(_num_resources(), node, _int)
        if name == "num_tags":
            return _compare(_num_tags(), node, _int)
        if name in _EXACT_COLUMNS:
            return _compare(_EXACT_COLUMNS[name], node, str)
        raise SearchQueryError(f"Search Query is invalid: cannot search a range on '{name}'")
    if name in ("text", "_text_"):
        return text_condition(value)
    if name in _EXACT_COLUMNS:
        return _match(_EXACT_COLUMNS[name], value, node.quoted)
    if name in _CONTAINS_COLUMNS:
        if value == "*" and not node.quoted:
            return _CONTAINS_COLUMNS[name].is_not(None)
        return _CONTAINS_COLUMNS[name].contains(value.replace("*", ""), autoescape=True)
    if name in _DATE_COLUMNS:
        if value == "*":
            return true()
        return _DATE_COLUMNS[name] == parse_date(value)
    if name == "organization":
        return Package.owner_org.in_(
            select(Group.id).where(_match(Group.name, value, node.quoted), Group.is_organization)
        )
    if name == "groups":
        return exists().where(
            PackageGroup.package_id == Package.id,
            PackageGroup.group_id == Group.id,
            _match(Group.name, value, node.quoted),
        )
    if name == "tags":
        return exists().where(
            PackageTag.package_id == Package.id,
            PackageTag.state == "active",
            PackageTag.tag_id == Tag.id,
            _match(Tag.name, value, node.quoted),
        )
    if name.startswith("res_"):
        column = {
            "res_format": Resource.format,
            "res_name": Resource.name,
            "res_description": Resource.description,
            "res_url": Resource.url,
            "res_type": Resource.resource_type,
        }.get(name)
        if column is None:
            raise SearchQueryError(f"Search Query is invalid: unknown field '{name}'")
        if name == "res_format" and value != "*":
            condition = func.lower(column) == value.lower()
        elif name in ("res_name", "res_description") and value != "*":
            condition = column.contains(value, autoescape=True)
        else:
            condition = _match(column, value, node.quoted)
        return exists().where(
            Resource.package_id == Package.id, Resource.state == "active", condition
        )
    if name == "capacity":
        if value not in ("public", "private", "*"):
            raise SearchQueryError("Search Query is invalid: capacity is public or private")
        return true() if value == "*" else Package.private.is_(value == "private")
    if name in ("num_resources", "num_tags"):
        column = _num_resources() if name == "num_resources" else _num_tags()
        return true() if value == "*" else column == _int(value)
    if name.startswith("extras_") and len(name) > len("extras_"):
        return exists().where(
            PackageExtra.package_id == Package.id,
            PackageExtra.key == name[len("extras_") :],
            _match(PackageExtra.value, value, node.quoted),
        )
    if name in ("site_id", "entity_type"):
        return true()
    raise SearchQueryError(f"Search Query is invalid: unknown field '{name}'")


def mentions_field(node: Node, names: set[str]) -> bool:
    if node.name in names:
        return True
    return any(mentions_field(child, names) for child in node.children)


def mentions_text(node: Node) -> bool:
    if node.kind == "text" or node.name in ("text", "_text_"):
        return True
    return any(mentions_text(child) for child in node.children)


# ---------------------------------------------------------------- package_search


@dataclass
class SearchRequest:
    q: str = ""
    fq: list[str] = field(default_factory=list)
    sort: str = DEFAULT_SORT
    rows: int = 10
    start: int = 0
    facet_fields: list[str] = field(default_factory=list)
    facet_limit: int = 50
    facet_mincount: int = 1
    fl: list[str] | None = None
    include_private: bool = False
    include_drafts: bool = False
    include_deleted: bool = False


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "on", "t", "y")


def _as_int(errors: dict, key: str, value: Any, default: int, minimum: int | None = 0) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value) if not isinstance(value, bool) else None
        if number is None:
            raise ValueError
    except (TypeError, ValueError):
        errors[key] = ["Invalid integer"]
        return default
    if minimum is not None and number < minimum:
        errors[key] = ["Must be a natural number"]
    return number


def _as_list(errors: dict, key: str, value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except ValueError:
                errors[key] = ["Not a list"]
                return []
        else:
            return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors[key] = ["Not a list of strings"]
        return []
    return value


def parse_search_request(data: dict) -> SearchRequest:
    unknown = sorted(k for k in data if k not in SEARCH_PARAMS and not k.startswith("ext_"))
    if unknown:
        raise SearchQueryError(f"Invalid search parameters: {unknown}")
    errors: dict[str, list[str]] = {}
    q = data.get("q") or ""
    if not isinstance(q, str):
        errors["q"] = ["Must be a string"]
        q = ""
    fq_value = data.get("fq") or ""
    if isinstance(fq_value, list):  # a repeated fq parameter
        fq = [v for v in fq_value if isinstance(v, str)]
    elif isinstance(fq_value, str):
        fq = [fq_value] if fq_value.strip() else []
    else:
        errors["fq"] = ["Must be a string"]
        fq = []
    fq.extend(_as_list(errors, "fq_list", data.get("fq_list")))
    sort = data.get("sort") or DEFAULT_SORT
    if not isinstance(sort, str):
        errors["sort"] = ["Must be a string"]
        sort = DEFAULT_SORT
    if sort.strip() == "rank":
        sort = DEFAULT_SORT
    rows = min(_as_int(errors, "rows", data.get("rows"), 10), ROWS_MAX)
    start = _as_int(errors, "start", data.get("start"), 0)
    facet_on = _as_bool(data.get("facet", "true"))
    facet_fields = _as_list(errors, "facet.field", data.get("facet.field")) if facet_on else []
    facet_limit = _as_int(errors, "facet.limit", data.get("facet.limit"), 50, minimum=None)
    facet_mincount = _as_int(errors, "facet.mincount", data.get("facet.mincount"), 1)
    fl_value = data.get("fl")
    fl = None
    if fl_value:
        if not isinstance(fl_value, str):
            errors["fl"] = ["Must be a string"]
        else:
            fl = [f for f in re.split(r"[,\s]+", fl_value) if f]
    if errors:
        raise ValidationError(errors)
    return SearchRequest(
        q=q,
        fq=fq,
        sort=sort,
        rows=rows,
        start=start,
        facet_fields=facet_fields,
        facet_limit=facet_limit,
        facet_mincount=facet_mincount,
        fl=fl,
        include_private=_as_bool(data.get("include_private", False)),
        include_drafts=_as_bool(data.get("include_drafts", False)),
        include_deleted=_as_bool(data.get("include_deleted", False)),
    )


# ---------------------------------------------------------------- snapshot


@dataclass(slots=True)
class Row:
    """What search needs of one package to filter, sort and facet in memory."""

    pk: int
    id: str
    name: str
    title: str
    state: str
    private: bool
    type: str
    owner_org: str | None
    organization: str | None
    license_id: str | None
    author: str | None
    maintainer: str | None
    version: str | None
    metadata_created: datetime
    metadata_modified: datetime
    tags: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    num_resources: int = 0


_RANKED_FIELDS = {
    "metadata_modified": lambda row: row.metadata_modified,
    "metadata_created": lambda row: row.metadata_created,
    "name": lambda row: row.name,
    "id": lambda row: row.id,
    "title_string": lambda row: row.title or "",
    "title": lambda row: row.title or "",
    "license_id": lambda row: row.license_id or "",
    "num_resources": lambda row: row.num_resources,
    "num_tags": lambda row: len(row.tags),
}


def load_snapshot(session: Session) -> Snapshot:
    """Every package's search row (one catalog revision), in four queries."""
    rows: dict[int, Row] = {}
    by_id: dict[str, Row] = {}
    stmt = select(
        Package.pk, Package.id, Package.name, Package.title, Package.state, Package.private,
        Package.type, Package.owner_org, Group.name, Package.license_id, Package.author,
        Package.maintainer, Package.version, Package.metadata_created, Package.metadata_modified,
    ).outerjoin(Group, Group.id == Package.owner_org)  # fmt: skip
    for values in session.execute(stmt):
        row = Row(*values)
        rows[row.pk] = row
        by_id[row.id] = row
    tags = (
        select(PackageTag.package_id, Tag.name)
        .join(Tag, Tag.id == PackageTag.tag_id)
        .where(PackageTag.state == "active")
    )
    for package_id, name in session.execute(tags):
        if package_id in by_id:
            by_id[package_id].tags.append(name)
    groups = select(PackageGroup.package_id, Group.name).join(
        Group, Group.id == PackageGroup.group_id
    )
    for package_id, name in session.execute(groups):
        if package_id in by_id:
            by_id[package_id].groups.append(name)
    resources = select(Resource.package_id, Resource.format).where(Resource.state == "active")
    for package_id, fmt in session.execute(resources):
        row = by_id.get(package_id)
        if row is not None:
            row.num_resources += 1
            if fmt and fmt not in row.formats:
                row.formats.append(fmt)
    snapshot = Snapshot(rows)
    snapshot.group_titles = dict(session.execute(select(Group.name, Group.title)).all())
    return snapshot


# ---------------------------------------------------------------- execution


@dataclass
class Visibility:
    """Who is searching: which packages they may see."""

    readable_orgs: set[str] | None  # None: every organization (sysadmin)
    authenticated: bool
    sysadmin: bool


@dataclass
class SearchResult:
    count: int
    pks: list[int]
    facets: dict[str, dict[str, int]]
    search_facets: dict[str, dict]


# Facet field -> (Row attribute, holds a list of values)
_FACET_ATTRIBUTES = {
    "organization": ("organization", False),
    "groups": ("groups", True),
    "tags": ("tags", True),
    "res_format": ("formats", True),
    "license_id": ("license_id", False),
    "name": ("name", False),
    "state": ("state", False),
    "dataset_type": ("type", False),
    "type": ("type", False),
    "author": ("author", False),
    "maintainer": ("maintainer", False),
    "version": ("version", False),
}


def parse_sort(sort: str) -> list[tuple[str, bool]]:
    """[(field, descending)] of a Solr sort string; unknown fields are a query error."""
    keys = []
    for part in [p.strip() for p in sort.split(",") if p.strip()]:
        pieces = part.split()
        if len(pieces) != 2 or pieces[1].lower() not in ("asc", "desc"):
            raise SearchQueryError(f"Search Query is invalid: bad sort '{part}'")
        name = pieces[0]
        if name != "score" and name not in _RANKED_FIELDS:
            raise SearchQueryError(f"Search Query is invalid: cannot sort on '{name}'")
        keys.append((name, pieces[1].lower() == "desc"))
    return keys


class Snapshot:
    """Search rows of every package at one catalog revision, with postings
    (value -> set of package pks) built on first use per field."""

    def __init__(self, rows: dict[int, Row]):
        self.rows = rows
        self.universe = frozenset(rows)
        # What anonymous searches may return: active, public, not showcases.
        self.public = frozenset(
            row.pk
            for row in rows.values()
            if row.state == "active" and not row.private and row.type != "showcase"
        )
        self._ranks: dict[str, dict[int, int]] = {}
        self.group_titles: dict[str, str] = {}
        self._facets: dict[str, dict[str, frozenset[int]]] = {}
        self._postings: dict[str, dict[str, set[int]]] = {}
        self._dates: dict[str, tuple[list[datetime], list[int]]] = {}
        # Like Solr's filter cache: a word's matches, valid for this revision.
        self.text_cache: dict[str, tuple[frozenset[int], dict[int, int]]] = {}
        # Like Solr's query result cache: a search's ordered matches and facets.
        self.result_cache: dict[tuple, tuple[list[int], dict, dict]] = {}

    def ranks(self, name: str) -> dict[int, int]:
        """{pk: position when sorted by the field}: any sort, asc or desc, is
        then a tuple of numbers (equal values share a position)."""
        found = self._ranks.get(name)
        if found is None:
            key = _RANKED_FIELDS[name]
            ordered = sorted(self.rows.values(), key=key)
            found = {}
            previous, rank = object(), -1
            for row in ordered:
                value = key(row)
                if value != previous:
                    rank += 1
                    previous = value
                found[row.pk] = rank
            self._ranks[name] = found
        return found

    def facet_postings(self, name: str) -> dict[str, frozenset[int]]:
        """{value as shown in facets: pks} of a facet field."""
        found = self._facets.get(name)
        if found is None:
            attribute, multiple = _FACET_ATTRIBUTES[name]
            sets: dict[str, set[int]] = {}
            for row in self.rows.values():
                value = getattr(row, attribute)
                for item in value if multiple else (value,):
                    if item:
                        sets.setdefault(item, set()).add(row.pk)
            found = {value: frozenset(pks) for value, pks in sets.items()}
            self._facets[name] = found
        return found

    def postings(self, name: str) -> dict[str, set[int]]:
        found = self._postings.get(name)
        if found is None:
            values = _POSTING_VALUES[name]
            found = {}
            for row in self.rows.values():
                for value in values(row):
                    found.setdefault(value, set()).add(row.pk)
            self._postings[name] = found
        return found

    def date_range(self, name: str, low, high, low_inclusive, high_inclusive) -> set[int]:
        if name not in self._dates:
            pairs = sorted((getattr(row, name), row.pk) for row in self.rows.values())
            self._dates[name] = ([d for d, _ in pairs], [pk for _, pk in pairs])
        dates, pks = self._dates[name]
        start = 0
        if low is not None:
            start = (bisect_left if low_inclusive else bisect_right)(dates, low)
        end = len(dates)
        if high is not None:
            end = (bisect_right if high_inclusive else bisect_left)(dates, high)
        return set(pks[start:end])


# Fields answered from memory: value(s) of a row, as Solr indexes them.
_POSTING_VALUES = {
    "organization": lambda row: (row.organization,) if row.organization else (),
    "owner_org": lambda row: (row.owner_org,) if row.owner_org else (),
    "groups": lambda row: row.groups,
    "tags": lambda row: row.tags,
    "res_format": lambda row: {f.lower() for f in row.formats},
    "license_id": lambda row: (row.license_id,) if row.license_id else (),
    "name": lambda row: (row.name,),
    "id": lambda row: (row.id,),
    "state": lambda row: (row.state,),
    "dataset_type": lambda row: (row.type,),
    "type": lambda row: (row.type,),
    "capacity": lambda row: ("private" if row.private else "public",),
    "site_id": lambda row: ("default",),
    "entity_type": lambda row: ("package",),
}


class Evaluator:
    """Evaluates a query tree to a set of package pks: set algebra in memory;
    free text and text fields through SQL (bigram index, bound parameters)."""

    def __init__(self, session: Session, snapshot: Snapshot):
        self.session = session
        self.snapshot = snapshot
        self.score_maps: list[dict[int, int]] = []

    @property
    def scores(self) -> dict[int, int]:
        """{pk: score} summed over the free-text words met."""
        if len(self.score_maps) == 1:
            return self.score_maps[0]
        total: dict[int, int] = {}
        for scores in self.score_maps:
            for pk, score in scores.items():
                total[pk] = total.get(pk, 0) + score
        return total

    def evaluate(self, node: Node) -> set[int] | frozenset[int]:
        if node.kind == "all":
            return self.snapshot.universe
        if node.kind == "not":
            return self.snapshot.universe - self.evaluate(node.children[0])
        if node.kind == "and":
            positives = [c for c in node.children if c.kind != "not"]
            negatives = [c.children[0] for c in node.children if c.kind == "not"]
            result: set[int] | frozenset[int] = self.snapshot.universe
            for child in sorted(positives, key=lambda c: c.kind == "text"):
                result = result & self.evaluate(child)
                if not result:
                    return set()
            for child in negatives:
                result = result - self.evaluate(child)
            return result
        if node.kind == "or":
            result = set()
            for child in node.children:
                result |= self.evaluate(child)
            return result
        if node.kind == "text" or node.name in ("text", "_text_"):
            return self.text(node.value)
        return self.field(node)

    def text(self, value: str) -> set[int] | frozenset[int]:
        term = normalize(value.replace("*", " ").replace("?", " "))
        if not term:
            return self.snapshot.universe
        cached = self.snapshot.text_cache.get(term)
        if cached is None:
            found = self.text_matches(term)
            cached = (frozenset(found), found)
            if len(self.snapshot.text_cache) >= TEXT_CACHE_SIZE:
                self.snapshot.text_cache.clear()
            self.snapshot.text_cache[term] = cached
        self.score_maps.append(cached[1])
        return cached[0]

    def text_matches(self, term: str) -> dict[int, int]:
        """{pk: score} of the packages whose text contains the normalised term."""
        grams = sorted(set(bigrams(term)))
        connection = self.session.connection()
        if not grams:  # one character: no bigram, scan the text
            stmt = select(Package.pk).where(Package.search_text.contains(term, autoescape=True))
            return dict.fromkeys(connection.scalars(stmt), WEIGHT_TEXT)
        if len(grams) == 1 and len(term) == 2:
            return dict(connection.execute(_ONE_GRAM, {"gram": grams[0]}).all())
        if len(grams) == 1:
            matched = select(SearchGram.package_pk, SearchGram.weight).where(
                SearchGram.gram == grams[0]
            )
        else:
            matched = (
                select(SearchGram.package_pk, func.sum(SearchGram.weight))
                .where(SearchGram.gram.in_(grams))
                .group_by(SearchGram.package_pk)
                .having(func.count() == len(grams))
            )
        if len(term) > 2:  # the bigrams may be in different places: verify
            sub = matched.subquery("matched")
            matched = (
                select(Package.pk, sub.c[1])
                .select_from(sub.join(Package, Package.pk == sub.c.package_pk))
                .where(Package.search_text.contains(term, autoescape=True))
            )
        return dict(connection.execute(matched).all())

    def field(self, node: Node) -> set[int] | frozenset[int]:
        name, value = node.name or "", node.value
        if node.kind == "range" and name in _DATE_COLUMNS:
            low, high, low_inclusive, high_inclusive = value
            return self.snapshot.date_range(
                name,
                None if low == "*" else parse_date(low),
                None if high == "*" else parse_date(high),
                low_inclusive,
                high_inclusive,
            )
        if node.kind == "field" and name in _POSTING_VALUES:
            postings = self.snapshot.postings(name)
            if name == "res_format":
                value = value.lower()
            if not node.quoted and value == "*":
                return set().union(*postings.values()) if postings else set()
            if not node.quoted and ("*" in value or "?" in value):
                pattern = value.replace("[", "[[]")
                return set().union(
                    *(pks for key, pks in postings.items() if fnmatchcase(key, pattern))
                )
            return postings.get(value, set())
        if node.kind == "field" and name in _DATE_COLUMNS:
            if value == "*":
                return self.snapshot.universe
            moment = parse_date(value)
            return self.snapshot.date_range(name, moment, moment, True, True)
        condition = field_condition(node)  # validates the field name too
        return set(self.session.connection().scalars(select(Package.pk).where(condition)))


RESULT_CACHE_SIZE = 256
RESULT_CACHE_ENABLED = os.environ.get("KOKAI_SEARCH_RESULT_CACHE", "1") != "0"


def execute_search(
    session: Session, request: SearchRequest, visibility: Visibility, snapshot: Snapshot
) -> SearchResult:
    """A page of a search; the whole ordered result and its facets are kept for
    the catalog revision, so the next page or the same search is a lookup."""
    readable = visibility.readable_orgs
    key = (
        request.q, tuple(request.fq), request.sort, tuple(request.facet_fields),
        request.facet_limit, request.facet_mincount, request.include_private,
        request.include_drafts, request.include_deleted, visibility.sysadmin,
        visibility.authenticated, None if readable is None else frozenset(readable),
    )  # fmt: skip
    cached = snapshot.result_cache.get(key) if RESULT_CACHE_ENABLED else None
    if cached is None:
        cached = _search_all(session, request, visibility, snapshot)
        if len(snapshot.result_cache) >= RESULT_CACHE_SIZE:
            snapshot.result_cache.clear()
        snapshot.result_cache[key] = cached
    ordered, facets, restructured = cached
    page = ordered[request.start : request.start + request.rows]
    return SearchResult(len(ordered), page, facets, restructured)


def _search_all(
    session: Session, request: SearchRequest, visibility: Visibility, snapshot: Snapshot
) -> tuple[list[int], dict, dict]:
    """Every matching pk in order, and the facets: match (q AND each fq),
    filter visibility, sort and count in memory."""
    sort_keys = parse_sort(request.sort)
    nodes = [parse_query(request.q)] + [parse_query(fq) for fq in request.fq]
    exclude_showcases = not any(mentions_field(n, {"dataset_type", "type"}) for n in nodes)
    evaluator = Evaluator(session, snapshot)
    matched: set[int] | frozenset[int] | None = None
    # Cheap in-memory clauses first, free text last, stop at an empty set.
    for node in sorted(nodes, key=lambda n: mentions_text(n)):
        if node.kind == "all":
            continue
        found = evaluator.evaluate(node)
        matched = found if matched is None else matched & found
        if not matched:
            break
    scores = evaluator.scores
    states = {"active"}
    if visibility.sysadmin and request.include_drafts:
        states.add("draft")
    if visibility.sysadmin and request.include_deleted:
        states.add("deleted")
    private_ok = request.include_private and visibility.authenticated
    rows_by_pk = snapshot.rows
    if states == {"active"} and exclude_showcases and not private_ok:
        visible = snapshot.public if matched is None else snapshot.public & matched
        pks = list(visible)
    else:
        readable = visibility.readable_orgs
        candidates = rows_by_pk.values() if matched is None else (
            rows_by_pk[pk] for pk in matched if pk in rows_by_pk
        )  # fmt: skip
        pks = [
            row.pk
            for row in candidates
            if row.state in states
            and not (exclude_showcases and row.type == "showcase")
            and (
                not row.private or (private_ok and (readable is None or row.owner_org in readable))
            )
        ]
    # One tuple of numbers per package (ranks are precomputed): compared in C.
    columns = []
    for name, descending in sort_keys:
        sign = -1 if descending else 1
        if name == "score":
            if scores:
                get = scores.get
                columns.append(
                    [-get(pk, 0) for pk in pks] if descending else [get(pk, 0) for pk in pks]
                )
        else:
            ranks = snapshot.ranks(name)
            columns.append([sign * ranks[pk] for pk in pks])
    columns.append(pks)  # ties: stable paging
    ordered = [item[-1] for item in sorted(zip(*columns, strict=True))]
    facets: dict[str, dict[str, int]] = {}
    visible_set = frozenset(pks) if request.facet_fields else frozenset()
    for name in request.facet_fields:
        if name not in _FACET_ATTRIBUTES:
            raise SearchQueryError(f"Search Query is invalid: cannot facet on '{name}'")
        postings = snapshot.facet_postings(name)
        if len(postings) <= len(visible_set):
            # Few values (organizations, formats, licences, tags): one set
            # intersection per value, in C.
            counter = {value: len(found & visible_set) for value, found in postings.items()}
        else:  # many values (names, versions): count the matched rows instead
            attribute, multiple = _FACET_ATTRIBUTES[name]
            values = map(attrgetter(attribute), (rows_by_pk[pk] for pk in pks))
            counter = Counter(chain.from_iterable(values) if multiple else values)
        minimum = max(request.facet_mincount, 1)
        items = sorted(
            ((v, n) for v, n in counter.items() if n >= minimum and v),
            key=lambda item: (-item[1], item[0]),
        )
        if request.facet_limit >= 0:
            items = items[: request.facet_limit]
        facets[name] = dict(items)
    return ordered, facets, search_facets(snapshot.group_titles, facets)


def search_facets(group_titles: dict[str, str], facets: dict[str, dict[str, int]]) -> dict:
    """CKAN's restructured facets: display names, items sorted by display_name desc."""
    titles = group_titles
    out = {}
    for key, values in facets.items():
        items = []
        for value, count in values.items():
            if key in ("organization", "groups"):
                display = (titles.get(value) or "").strip() or value
            elif key == "license_id":
                licence = licenses_by_id().get(value)
                display = licence["title"] if licence else value
            else:
                display = value
            items.append({"name": value, "display_name": display, "count": count})
        items.sort(key=lambda item: item["display_name"], reverse=True)
        out[key] = {"title": key, "items": items}
    return out
