"""A dataset's summary: the little the lists, facets, home page and search need
of it. Kept in the build state so that one changed dataset does not mean
reading every other one again."""

from __future__ import annotations

import hashlib
import heapq
import json
import sys
from collections.abc import Iterable
from typing import Any

from kokai.catalog.dictize import extras_of

SNIPPET = 100  # characters of the description shown in lists (kept for every dataset in the build state)


def json_extra(package: dict, key: str) -> dict[str, Any]:
    """An extra that holds a JSON object (kokai_quality, kokai_validation); {} when absent
    or unreadable."""
    raw = extras_of(package).get(key)
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def quality_of(package: dict) -> dict[str, Any]:
    return json_extra(package, "kokai_quality")


def update_due(quality: dict) -> str | None:
    """The date (ISO) the dataset is due for an update by its frequency, from the
    quality criterion computed at publish time; None without a schedule."""
    for criterion in quality.get("criteria") or []:
        if criterion.get("code") == "update_fulfilled_in_time":
            due = (criterion.get("details") or {}).get("due")
            return str(due)[:10] if due else None
    return None


def is_overdue(due: str | None, today: str) -> bool:
    """Past its due date (both ISO dates, which compare as text)."""
    return bool(due) and due < today


def formats_of(package: dict) -> list[str]:
    seen: list[str] = []
    for resource in package.get("resources") or []:
        fmt = (resource.get("format") or "").strip().upper()
        if fmt and fmt not in seen:
            seen.append(fmt)
    return seen


def dataset_summary(package: dict) -> dict[str, Any]:
    organization = package.get("organization") or {}
    extras = extras_of(package)
    quality = quality_of(package)
    notes = " ".join((package.get("notes") or "").split())
    # Values many datasets share are interned: the build state (marshal) then holds
    # each once and refers to it, which makes loading it on every build faster.
    shared = sys.intern
    summary = {
        "name": package["name"],
        "id": package["id"],
        "title": package.get("title") or package["name"],
        "snippet": notes[:SNIPPET] + ("…" if len(notes) > SNIPPET else ""),
        "organization": shared(organization.get("name") or ""),
        "organization_title": shared(organization.get("title") or organization.get("name") or ""),
        "tags": sorted(shared(t["name"]) for t in package.get("tags") or []),
        "formats": [shared(f) for f in formats_of(package)],
        "license_id": shared(package.get("license_id") or ""),
        "license_title": shared(package.get("license_title") or package.get("license_id") or ""),
        "modified": package.get("metadata_modified") or "",
        "created": package.get("metadata_created") or "",
        "frequency": shared(extras.get("update_frequency") or ""),
        "due": update_due(quality),
        "quality_percent": quality.get("percent"),
        "stars": quality.get("stars"),
    }
    summary["key"] = hashlib.sha256(json.dumps(summary, sort_keys=True).encode()).hexdigest()[:16]
    return summary


def in_list_order(summaries: Iterable[dict]) -> list[dict]:
    """The order of the lists: the most recently published first (metadata_created,
    which no update changes; then by name, also descending)."""
    return sorted(summaries, key=lambda s: (s["created"], s["name"]), reverse=True)


def newest_first(summaries: list[dict], limit: int) -> list[dict]:
    """The `limit` most recently modified (a partial sort: the lists show only the first)."""
    return heapq.nlargest(limit, summaries, key=lambda s: (s.get("modified") or "", s["name"]))
