"""The dataset lists: the whole catalog and each facet value (organisation,
tag, format, licence), sorted by title and cut into pages.

Lists are sorted by title, not by date, so that one dataset's update changes
only the list pages it sits on, never every page after it."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from math import ceil

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
        return f"datasets/{FACETS[self.facet][2]}/{slug(self.value)}/"


def facet_index(summaries: list[dict]) -> dict[str, list[FacetValue]]:
    """Every facet's values with their counts, most used first."""
    out: dict[str, list[FacetValue]] = {}
    for facet in FACETS:
        counts: Counter[str] = Counter()
        labels: dict[str, str] = {}
        for summary in summaries:
            for value, label in facet_values(summary, facet):
                counts[value] += 1
                labels[value] = label
        out[facet] = [
            FacetValue(facet, value, labels[value], count)
            for value, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
    return out


def members(summaries: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """(facet, value) → the datasets with that value, in list order."""
    out: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for summary in summaries:
        for facet in FACETS:
            for value, _ in facet_values(summary, facet):
                out[(facet, value)].append(summary)
    return out


def pages_of(items: list, per_page: int = PER_PAGE) -> list[list]:
    if not items:
        return [[]]
    return [items[i : i + per_page] for i in range(0, len(items), per_page)]


def page_path(folder: str, number: int) -> str:
    """folder 'datasets/' → page 1 at datasets/, page 2 at datasets/page/2/."""
    return folder if number == 1 else f"{folder}page/{number}/"


def page_count(total: int, per_page: int = PER_PAGE) -> int:
    return max(1, ceil(total / per_page))
