"""The words that mark a GTFS / GTFS-JP feed in a catalog or a data package.

CKAN sites write the resource format of a GTFS feed as `GTFS`, `GTFS-JP`,
`GTFS_JP` or `GTFSJP`, and tag the dataset the same ways; kokai compares them
case-insensitively.
"""

from __future__ import annotations

GTFS_FORMATS = frozenset({"gtfs", "gtfs-jp", "gtfs_jp", "gtfsjp"})
GTFS_TAGS = frozenset({"gtfs", "gtfs-jp", "gtfs_jp", "gtfsjp"})


def is_gtfs_format(value: str | None) -> bool:
    return bool(value) and value.strip().lower() in GTFS_FORMATS
