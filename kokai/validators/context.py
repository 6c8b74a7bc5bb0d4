"""What a check may know beyond the file itself: the city (from kokai.toml or
the data package's `kokai:` properties)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckContext:
    city_code: str = ""  # 全国地方公共団体コード (6 digits) of the publisher
    # (min_lon, min_lat, max_lon, max_lat): coordinates outside it are reported
    city_bbox: tuple[float, float, float, float] | None = None
