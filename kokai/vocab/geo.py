"""Japan's coordinate bounds (WGS 84), one box for every check, and the box of a geometry.

The box covers every 市区町村 including the outlying islands: 沖ノ鳥島 (20.4°N),
宗谷岬 (45.5°N), 与那国島 (122.9°E), 南鳥島 (153.9°E), with a margin. Points
outside it cannot be in Japan; points inside can still be in the sea.
"""

from __future__ import annotations

from typing import Any

LAT_MIN, LAT_MAX = 20.0, 46.5
LON_MIN, LON_MAX = 122.0, 154.0


def in_japan(lat: float, lon: float) -> bool:
    return LAT_MIN <= lat <= LAT_MAX and LON_MIN <= lon <= LON_MAX


def geometry_bbox(geometry: dict[str, Any] | None) -> tuple[float, float, float, float] | None:
    """(min lon, min lat, max lon, max lat) of a GeoJSON geometry's positions."""
    if not geometry:
        return None
    lons: list[float] = []
    lats: list[float] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):  # a GeometryCollection's members
            walk(value.get("coordinates"))
            walk(value.get("geometries"))
        elif isinstance(value, list) and value and isinstance(value[0], int | float):
            if len(value) >= 2:
                lons.append(float(value[0]))
                lats.append(float(value[1]))
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(geometry)
    if not lons:
        return None
    return min(lons), min(lats), max(lons), max(lats)
