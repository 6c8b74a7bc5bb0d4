"""Running a search: evaluate q and every fq to sets of package pks (set
algebra on the snapshot; free text and other fields through SQL), filter by
visibility, sort, page and count facets in memory.

A search's whole ordered result and facets are kept in the snapshot's result
cache for the catalog revision (unless KOKAI_SEARCH_RESULT_CACHE=0), so the
next page or the same search is a lookup.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from fnmatch import fnmatchcase
from itertools import chain
from operator import attrgetter

from sqlalchemy import func, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from kokai.catalog.errors import SearchQueryError
from kokai.catalog.licenses import licenses_by_id
from kokai.catalog.models import Package, SearchGram
from kokai.catalog.search.index import WEIGHT_TEXT, bigrams, normalize
from kokai.catalog.search.query import (
    Node,
    check_term,
    mentions_field,
    mentions_text,
    parse_date,
    parse_query,
)
from kokai.catalog.search.request import SearchRequest
from kokai.catalog.search.snapshot import (
    FACET_ATTRIBUTES,
    POSTING_VALUES,
    RANKED_FIELDS,
    Snapshot,
)
from kokai.catalog.search.sql import DATE_COLUMNS, field_condition

TEXT_CACHE_SIZE = 2000
RESULT_CACHE_SIZE = 256
RESULT_CACHE_ENABLED = os.environ.get("KOKAI_SEARCH_RESULT_CACHE", "1") != "0"
_ONE_GRAM = sql_text("SELECT package_pk, weight FROM search_gram WHERE gram = :gram")


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


def parse_sort(sort: str) -> list[tuple[str, bool]]:
    """[(field, descending)] of a Solr sort string; unknown fields are a query error."""
    keys = []
    for part in [p.strip() for p in sort.split(",") if p.strip()]:
        pieces = part.split()
        if len(pieces) != 2 or pieces[1].lower() not in ("asc", "desc"):
            raise SearchQueryError(f"Search Query is invalid: bad sort '{part}'")
        name = pieces[0]
        if name != "score" and name not in RANKED_FIELDS:
            raise SearchQueryError(f"Search Query is invalid: cannot sort on '{name}'")
        keys.append((name, pieces[1].lower() == "desc"))
    return keys


class Evaluator:
    """Evaluates a query tree to a set of package pks: set algebra in memory;
    free text and text fields through SQL (bigram index, bound parameters).
    Recursion follows the tree, which the parser keeps within MAX_DEPTH."""

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
        term = check_term(normalize(value.replace("*", " ").replace("?", " ")))
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
        if node.kind == "range" and name in DATE_COLUMNS:
            low, high, low_inclusive, high_inclusive = value
            return self.snapshot.date_range(
                name,
                None if low == "*" else parse_date(low),
                None if high == "*" else parse_date(high),
                low_inclusive,
                high_inclusive,
            )
        if node.kind == "field" and name in POSTING_VALUES:
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
        if node.kind == "field" and name in DATE_COLUMNS:
            if value == "*":
                return self.snapshot.universe
            moment = parse_date(value)
            return self.snapshot.date_range(name, moment, moment, True, True)
        condition = field_condition(node)  # validates the field name too
        return set(self.session.connection().scalars(select(Package.pk).where(condition)))


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
        if name not in FACET_ATTRIBUTES:
            raise SearchQueryError(f"Search Query is invalid: cannot facet on '{name}'")
        postings = snapshot.facet_postings(name)
        if len(postings) <= len(visible_set):
            # Few values (organizations, formats, licences, tags): one set
            # intersection per value, in C.
            counter = {value: len(found & visible_set) for value, found in postings.items()}
        else:  # many values (names, versions): count the matched rows instead
            attribute, multiple = FACET_ATTRIBUTES[name]
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
