"""The dataset lists: the whole catalog and each facet value (organisation,
tag, format, licence), the most recently published first, cut into pages.

The order is by publication (metadata_created), not by the last update or the
title, so that updating a dataset, its title included, changes only the list
pages it sits on, never every page after it. (A new or removed dataset changes
every page of its lists anyway: each shows the count.) Titles in Japanese would
sort by code point, which means nothing to a reader."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

PER_PAGE = 50

# facet → (CKAN's parameter name, Japanese label, site folder)
FACETS = {
    "organization": ("organization", "組織", "organization"),
    "tags": ("tags", "タグ", "tag"),
    "res_format": ("res_format", "ファイル形式", "format"),
    "license_id": ("license_id", "ライセンス", "license"),
}


def slug(value: str) -> str:
    """A facet value as one path segment: kept readable (Japanese tags stay
    Japanese), with the characters that would break a path replaced."""
    out = "".join("-" if c in '/\\?#%&:*"<>|' or c.isspace() else c for c in value.strip())
    return out.strip(".") or "-"


def facet_values(summary: dict, facet: str) -> list[tuple[str, str]]:
    """(value, label) of one dataset for one facet."""
    if facet == "organization":
        org = summary["organization"]
        return [(org, summary["organization_title"])] if org else []
    if facet == "tags":
        return [(t, t) for t in summary["tags"]]
    if facet == "res_format":
        return [(f, f) for f in summary["formats"]]
    if facet == "license_id":
        lic = summary["license_id"]
        return [(lic, summary["license_title"])] if lic else []
    raise KeyError(facet)


@dataclass
class FacetValue:
    facet: str
    value: str
    label: str
    count: int

    @property
    def path(self) -> str:
        return facet_path(self.facet, self.value)


def facet_path(facet: str, value: str) -> str:
    """The list of the datasets with one facet value: datasets/tag/防災/."""
    return f"datasets/{FACETS[facet][2]}/{slug(value)}/"


def members(summaries: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """(facet, value) → the datasets with that value, in list order. Written out
    per facet rather than through facet_values: it runs over every dataset on
    every build."""
    out: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for summary in summaries:
        if summary["organization"]:
            out[("organization", summary["organization"])].append(summary)
        for tag in summary["tags"]:
            out[("tags", tag)].append(summary)
        for fmt in summary["formats"]:
            out[("res_format", fmt)].append(summary)
        if summary["license_id"]:
            out[("license_id", summary["license_id"])].append(summary)
    return out


def facet_index(by_value: dict[tuple[str, str], list[dict]]) -> dict[str, list[FacetValue]]:
    """Every facet's values (from `members`) with their counts, most used first."""
    out: dict[str, list[FacetValue]] = {facet: [] for facet in FACETS}
    for (facet, value), datasets in by_value.items():
        label = dict(facet_values(datasets[0], facet)).get(value, value)
        out[facet].append(FacetValue(facet, value, label, len(datasets)))
    for values in out.values():
        values.sort(key=lambda v: (-v.count, v.value))
    return out


@dataclass
class ListPage:
    """One page of a list. Pages are counted from the oldest end, so that a new
    dataset changes only the first page: `block` 0 is the first page (the newest,
    PER_PAGE to 2 * PER_PAGE - 1 datasets), block b >= 1 holds the b-th PER_PAGE
    datasets counted from the oldest and keeps its address as the list grows."""

    block: int
    items: list
    older: int | None  # the block of the next older page
    newer: int | None  # the block of the next newer page (0: the first page)


def pages_of(items: list, per_page: int = PER_PAGE) -> list[ListPage]:
    """`items` (newest first) cut into pages, the first page first."""
    blocks = max(1, len(items) // per_page)  # the first page and blocks - 1 older ones
    first = len(items) - per_page * (blocks - 1)
    pages = [ListPage(0, items[:first], blocks - 1 if blocks > 1 else None, None)]
    for block in range(blocks - 1, 0, -1):
        end = len(items) - per_page * (block - 1)
        pages.append(ListPage(
            block, items[end - per_page : end], block - 1 or None, block + 1 if block + 1 < blocks else 0
        ))  # fmt: skip
    return pages


def page_path(folder: str, block: int) -> str:
    """folder 'datasets/' → the first page at datasets/, block 2 at datasets/page/2/."""
    return folder if block == 0 else f"{folder}page/{block}/"
