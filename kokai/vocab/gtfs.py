"""The words that mark a GTFS / GTFS-JP feed in a catalog or a data package.

CKAN sites write the resource format of a GTFS feed as `GTFS`, `GTFS-JP`,
`GTFS_JP` or `GTFSJP`, and tag the dataset the same ways; kokai compares them
case-insensitively.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

GTFS_FORMATS = frozenset({"gtfs", "gtfs-jp", "gtfs_jp", "gtfsjp"})
GTFS_TAGS = frozenset({"gtfs", "gtfs-jp", "gtfs_jp", "gtfsjp"})


def is_gtfs_format(value: str | None) -> bool:
    return bool(value) and value.strip().lower() in GTFS_FORMATS


def feed_resource(package: dict[str, Any]) -> dict[str, Any] | None:
    """The resource a dataset's stable feed URL serves (package_show's dict):
    the first with format GTFS or GTFS-JP, else, in a dataset tagged GTFS, the
    first whose name or URL ends in ``.zip``. The web layer serves it and the
    access-log import counts it by the same rule."""
    resources = package.get("resources") or []
    for resource in resources:
        if is_gtfs_format(resource.get("format")):
            return resource
    tags = {(tag.get("name") or "").lower() for tag in package.get("tags") or []}
    if tags & GTFS_TAGS:
        for resource in resources:
            path = urlsplit(resource.get("url") or "").path.lower()
            if (resource.get("name") or "").lower().endswith(".zip") or path.endswith(".zip"):
                return resource
    return None
