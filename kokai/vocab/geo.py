"""Japan's coordinate bounds (WGS 84), one box for every check.

The box covers every 市区町村 including the outlying islands: 沖ノ鳥島 (20.4°N),
宗谷岬 (45.5°N), 与那国島 (122.9°E), 南鳥島 (153.9°E), with a margin. Points
outside it cannot be in Japan; points inside can still be in the sea.
"""

from __future__ import annotations

LAT_MIN, LAT_MAX = 20.0, 46.5
LON_MIN, LON_MAX = 122.0, 154.0


def in_japan(lat: float, lon: float) -> bool:
    return LAT_MIN <= lat <= LAT_MAX and LON_MIN <= lon <= LON_MAX
