"""The full-text index: normalised text and character bigrams of a dataset.

Japanese has no word boundaries, so a two-character word is exactly one
bigram; longer words need all their bigrams and are then verified on
`package.search_text`. A bigram's weight is the best field it occurs in
(title and name 4, tags/organization/groups 2, other text 1).

The index of one dataset is bounded, whatever its size (issue 13: a 9 MB
`notes` of kanji wrote 3 M rows and took the server to 3.75 GB):

- each field (title, notes, a resource description...) is indexed on its
  first `FIELD_CHARS_MAX` (100,000) characters;
- `search_text` holds at most `DOCUMENT_CHARS_MAX` (1,000,000) characters;
- at most `GRAMS_MAX` (100,000) distinct bigrams, i.e. `search_gram` rows, per
  dataset, taken from the heaviest fields first (title before tags before
  notes), each field from its start.

Text past a cap is not found by free-text search (`q=`); `notes:` and the
other field queries still read the stored columns in full.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from kokai.catalog.models import Package, SearchGram

WEIGHT_TITLE, WEIGHT_TAG, WEIGHT_TEXT = 4, 2, 1
FIELD_CHARS_MAX = 100_000
DOCUMENT_CHARS_MAX = 1_000_000
GRAMS_MAX = 100_000
INSERT_BATCH = 10_000


def normalize(text: str | None) -> str:
    """NFKC (full-width ＣＳＶ → csv, half-width ｶﾅ → カナ), lower case, single spaces."""
    if not text:
        return ""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def bigrams(text: str) -> list[str]:
    return [text[i : i + 2] for i in range(len(text) - 1)]


def _field_text(text: str | None) -> str:
    """A field's normalised text, cut to FIELD_CHARS_MAX (NFKC may lengthen it)."""
    if not text:
        return ""
    return normalize(text[:FIELD_CHARS_MAX])[:FIELD_CHARS_MAX]


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
        (_field_text(name), WEIGHT_TITLE),
        (_field_text(title), WEIGHT_TITLE),
        (_field_text(notes), WEIGHT_TEXT),
    ]
    fields += [(_field_text(tag), WEIGHT_TAG) for tag in tags]
    fields.append((_field_text(organization_title), WEIGHT_TAG))
    fields += [(_field_text(group), WEIGHT_TAG) for group in group_titles]
    fields += [(_field_text(text), WEIGHT_TEXT) for text in resource_texts]
    return [(text, weight) for text, weight in fields if text]


def build_document(fields: list[tuple[str, int]]) -> tuple[str, dict[str, int]]:
    """(search_text, {bigram: best weight}) of a dataset's fields, within the caps."""
    kept, budget = [], DOCUMENT_CHARS_MAX
    for text, weight in fields:
        if budget <= 0:
            break
        text = text[:budget]
        kept.append((text, weight))
        budget -= len(text) + 1
    grams: dict[str, int] = {}
    # Heaviest fields first (a stable sort keeps each weight's order), so the
    # gram cap drops the tail of the long text, never a title or a tag.
    for text, weight in sorted(kept, key=lambda item: -item[1]):
        for i in range(len(text) - 1):
            gram = text[i : i + 2]
            best = grams.get(gram)
            if best is None:
                if len(grams) >= GRAMS_MAX:
                    continue
                grams[gram] = weight
            elif best < weight:
                grams[gram] = weight
    return "\n".join(text for text, _ in kept), grams


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
    items = list(grams.items())
    for start in range(0, len(items), INSERT_BATCH):  # bounded executemany lists
        session.execute(
            insert(SearchGram),
            [
                {"gram": g, "package_pk": package.pk, "weight": w}
                for g, w in items[start : start + INSERT_BATCH]
            ],
        )
