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

The modules, each one step:
- `index`: normalised text and bigrams of a dataset, bounded per dataset;
- `query`: the query language → `Node` tree (with depth/size limits), dates;
- `request`: package_search parameters → `SearchRequest` (CKAN validation);
- `sql`: nodes the snapshot cannot answer → SQLAlchemy conditions;
- `snapshot`: every package's search row at one revision, with its caches;
- `execute`: evaluate, filter, sort, page and facet.
"""

from __future__ import annotations

from kokai.catalog.search.execute import (
    Evaluator,
    SearchResult,
    Visibility,
    execute_search,
    parse_sort,
    search_facets,
)
from kokai.catalog.search.index import (
    bigrams,
    build_document,
    document_fields,
    index_package,
    normalize,
    search_document,
)
from kokai.catalog.search.query import Node, parse_date, parse_query
from kokai.catalog.search.request import SearchRequest, parse_search_request
from kokai.catalog.search.snapshot import Row, Snapshot, load_snapshot

__all__ = [
    "Evaluator", "Node", "Row", "SearchRequest", "SearchResult", "Snapshot", "Visibility",
    "bigrams", "build_document", "document_fields", "execute_search", "index_package",
    "load_snapshot", "normalize", "parse_date", "parse_query", "parse_search_request",
    "parse_sort", "search_document", "search_facets",
]  # fmt: skip
