"""Query nodes the snapshot cannot answer, compiled to SQLAlchemy conditions
on `package` (bound parameters only, never SQL text from the query).

Numbers (`num_resources`, `num_tags`) must fit a signed 64-bit integer and
dates years 1 to 9999; anything else is a `SearchQueryError`, not a
database error.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    exists,
    func,
    literal,
    select,
    true,
)

from kokai.catalog.errors import SearchQueryError
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
from kokai.catalog.search.index import bigrams, normalize
from kokai.catalog.search.query import Node, check_term, parse_date
from kokai.catalog.validation import INT64_MAX, INT64_MIN

EXACT_COLUMNS = {
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
CONTAINS_COLUMNS = {"title": Package.title, "notes": Package.notes}
DATE_COLUMNS = {
    "metadata_modified": Package.metadata_modified,
    "metadata_created": Package.metadata_created,
}


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


def _int(value: str):
    """A 64-bit integer query value, bound as BIGINT (PostgreSQL would cast a
    plain Python int to a 32-bit INTEGER)."""
    try:
        number = int(value)
    except ValueError as exc:
        raise SearchQueryError(f"Search Query is invalid: not a number: {value[:100]}") from exc
    if not INT64_MIN <= number <= INT64_MAX:
        raise SearchQueryError(
            f"Search Query is invalid: number out of range (64-bit integers): {value[:100]}"
        )
    return literal(number, BigInteger)


def text_condition(value: str) -> ColumnElement[bool]:
    """Packages whose search text contains `value` (via bigrams when possible)."""
    term = check_term(normalize(value.replace("*", " ").replace("?", " ")))
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
    """The condition of one `field`/`range` node; unknown fields are a query error."""
    name, value = node.name or "", node.value
    if node.kind == "range":
        if name in DATE_COLUMNS:
            return _compare(DATE_COLUMNS[name], node, parse_date)
        if name == "num_resources":
            return _compare(_num_resources(), node, _int)
        if name == "num_tags":
            return _compare(_num_tags(), node, _int)
        if name in EXACT_COLUMNS:
            return _compare(EXACT_COLUMNS[name], node, str)
        raise SearchQueryError(f"Search Query is invalid: cannot search a range on '{name}'")
    if name in ("text", "_text_"):
        return text_condition(value)
    if name in EXACT_COLUMNS:
        return _match(EXACT_COLUMNS[name], value, node.quoted)
    if name in CONTAINS_COLUMNS:
        if value == "*" and not node.quoted:
            return CONTAINS_COLUMNS[name].is_not(None)
        return CONTAINS_COLUMNS[name].contains(value.replace("*", ""), autoescape=True)
    if name in DATE_COLUMNS:
        if value == "*":
            return true()
        return DATE_COLUMNS[name] == parse_date(value)
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
