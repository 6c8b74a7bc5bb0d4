"""A published table's first rows (the dataset page's preview) and its points
(the map), read from the stored file with fixed caps so a huge file costs no
more than a small one."""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field

PREVIEW_ROWS = 20
MAX_POINTS = 2000
READ_LIMIT = 8 * 1024 * 1024  # bytes of a file read for the preview and the map
TABLE_FORMATS = {"CSV", "TSV"}

# Header words for coordinates and a point's label, after NFKC and lowercasing.
_LAT = ("緯度", "latitude", "lat", "y座標")
_LON = ("経度", "longitude", "lon", "lng", "x座標")
_LABEL = ("名称", "施設名", "施設・場所名", "場所名", "name", "停留所名", "地域名")


@dataclass
class TablePreview:
    fields: list[str]
    rows: list[list[str]]
    truncated: bool  # more rows exist than shown
    points: list[dict] = field(default_factory=list)  # GeoJSON Point features
    points_truncated: bool = False

    @property
    def geojson(self) -> dict:
        return {"type": "FeatureCollection", "features": self.points}


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else CP932, the two encodings Japanese cities publish in."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3:  # a character cut by the read limit
            return data[: exc.start].decode("utf-8-sig")
    try:
        return data.decode("cp932")
    except UnicodeDecodeError as exc:
        return data[: exc.start].decode("cp932")


def _norm(header: str) -> str:
    return unicodedata.normalize("NFKC", header).strip().lower()


def _column(headers: list[str], words: tuple[str, ...]) -> int | None:
    normalised = [_norm(h) for h in headers]
    for word in words:
        if word in normalised:
            return normalised.index(word)
    return None


def table_preview(data: bytes, complete: bool, delimiter: str = ",") -> TablePreview | None:
    """The preview of a CSV's bytes; `complete` is False when `data` stops at the
    read limit (the last, possibly cut, line is then dropped)."""
    text = decode(data)
    if not complete:
        text = text[: text.rfind("\n") + 1]
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    headers = next(reader, None)
    if not headers:
        return None
    lat, lon = _column(headers, _LAT), _column(headers, _LON)
    label = _column(headers, _LABEL)
    rows: list[list[str]] = []
    points: list[dict] = []
    more_rows = more_points = False
    for number, row in enumerate(reader, start=2):
        if len(rows) < PREVIEW_ROWS:
            rows.append(row)
        else:
            more_rows = True
            if lat is None or lon is None:
                break
        if lat is None or lon is None:
            continue
        if len(points) >= MAX_POINTS:
            more_points = True
            break
        point = _point(row, lat, lon, label, number)
        if point is not None:
            points.append(point)
    return TablePreview(
        fields=headers,
        rows=rows,
        truncated=more_rows or not complete,
        points=points,
        points_truncated=more_points or not complete,
    )


def _point(row: list[str], lat: int, lon: int, label: int | None, number: int) -> dict | None:
    try:
        y = float(unicodedata.normalize("NFKC", row[lat]))
        x = float(unicodedata.normalize("NFKC", row[lon]))
    except (IndexError, ValueError):
        return None
    if not (-90 <= y <= 90 and -180 <= x <= 180) or (x == 0 and y == 0):
        return None
    name = row[label].strip() if label is not None and label < len(row) else ""
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(x, 7), round(y, 7)]},
        "properties": {"name": name or f"{number}行目", "row": number},
    }
